/**
 * Restate peer: the DAG as a Restate workflow (each node one `ctx.run`, journaled
 * by the server), served over HTTP/2 on 127.0.0.1:PORT. This process is the
 * "worker" the crash test SIGKILLs; the restate-server process survives.
 *   PORT=… TRACE=… node restate-worker.ts
 */
import http2 from 'node:http2';
import * as restate from '@restatedev/restate-sdk';
import { runDag, stepBody } from './dag.ts';

// @restatedev/restate-sdk 1.17 calls Promise.withResolvers, which Node 20 lacks (Node 22 has it).
if (typeof (Promise as { withResolvers?: unknown }).withResolvers !== 'function') {
  (Promise as unknown as { withResolvers: () => unknown }).withResolvers = () => {
    let resolve!: (v: unknown) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
    return { promise, resolve, reject };
  };
}

const PORT = Number(process.env.PORT);
const TRACE = process.env.TRACE ?? '/dev/null';

const dag = restate.workflow({
  name: 'Dag',
  handlers: {
    run: async (ctx: restate.WorkflowContext): Promise<number> => {
      const runId = ctx.key;
      return runDag(
        (node, ms) => ctx.run(node, () => stepBody(TRACE, runId, node, ms)),
        (ps) => restate.RestatePromise.all(ps),
      );
    },
  },
});

const server = http2.createServer(restate.createEndpointHandler({ services: [dag] }));
server.listen(PORT, '127.0.0.1', () => process.stdout.write('ready\n'));
