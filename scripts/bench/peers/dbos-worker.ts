/**
 * DBOS peer: the DAG as a DBOS workflow (each node one `DBOS.runStep`, checkpointed
 * in PostgreSQL), started in this process by a small HTTP endpoint on
 * 127.0.0.1:PORT. This process is the "worker" the crash test SIGKILLs;
 * PostgreSQL survives, and `DBOS.launch()` recovers this executor's pending
 * workflows at start-up.
 *   PORT=… TRACE=… DBOS_SYSTEM_DATABASE_URL=… node dbos-worker.ts
 *   POST /run/:id   starts the workflow with that id and answers when it is done
 *   GET /await/:id  answers when that (recovered) workflow is done
 */
import http from 'node:http';
import { DBOS } from '@dbos-inc/dbos-sdk';
import { runDag, stepBody } from './dag.ts';

const PORT = Number(process.env.PORT);
const TRACE = process.env.TRACE ?? '/dev/null';

async function dagWorkflow(runId: string): Promise<number> {
  return runDag(
    (node, ms) => DBOS.runStep(() => stepBody(TRACE, runId, node, ms), { name: node }),
    (ps) => Promise.all(ps),
  );
}
const dag = DBOS.registerWorkflow(dagWorkflow, { name: 'dag' });

DBOS.setConfig({ name: 'sfbench', systemDatabaseUrl: process.env.DBOS_SYSTEM_DATABASE_URL ?? '', logLevel: 'error' });
await DBOS.launch();

const server = http.createServer((req, res) => {
  const m = /^\/(run|await)\/([A-Za-z0-9_-]+)$/.exec(req.url ?? '');
  if (!m) {
    res.writeHead(404).end();
    return;
  }
  const [, op, id] = m as unknown as [string, string, string];
  const done = op === 'run'
    ? DBOS.startWorkflow(dag, { workflowID: id })(id).then((h) => h.getResult())
    : DBOS.getResult<number>(id, { pollingIntervalMs: 5 });
  done.then(
    (steps) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ steps })),
    (err: unknown) => res.writeHead(500).end(String(err)),
  );
});
server.keepAliveTimeout = 60_000;
server.listen(PORT, '127.0.0.1', () => process.stdout.write('ready\n'));
