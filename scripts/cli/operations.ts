/**
 * What an owner does to a run: `retry <runId> <node>`, `resume <runId>`,
 * `cancel <runId>`, `delete <runId>`. Retry and resume start an execution and
 * can `--watch` it.
 */
import type { ApiClient, ExecutionReply } from './api-client.ts';
import { printWarnings, type CommandIo } from './terminal.ts';
import { watchAndReport } from './watch.ts';

export const EXECUTION_OPTIONS = { watch: { type: 'boolean', default: false } } as const;

async function reportExecution(io: CommandIo, client: ApiClient, reply: ExecutionReply, what: string, watch: boolean): Promise<number> {
  printWarnings(io, reply.warnings);
  if (!watch) {
    if (io.json) io.printJson(reply);
    else io.stdout.write(`${what} on run ${reply.runId}: execution ${reply.executionId}, run ${reply.status}\npage: ${reply.links.ui}\n`);
    return 0;
  }
  if (!io.json) io.stdout.write(`${what} on run ${reply.runId} — ${reply.links.ui}\n`);
  return watchAndReport(io, client, reply.runId, { executionId: reply.executionId, links: reply.links });
}

export async function retryCommand(io: CommandIo, client: ApiClient, runId: string, node: string, watch: boolean): Promise<number> {
  return reportExecution(io, client, await client.retry(runId, node), `retry of node "${node}" requested`, watch);
}

export async function resumeCommand(io: CommandIo, client: ApiClient, runId: string, watch: boolean): Promise<number> {
  return reportExecution(io, client, await client.resume(runId), 'resume requested', watch);
}

export async function cancelCommand(io: CommandIo, client: ApiClient, runId: string): Promise<number> {
  const reply = await client.cancel(runId);
  if (io.json) io.printJson(reply);
  else io.stdout.write(reply.status === 'cancelled' ? `run ${runId} cancelled\n` : `cancel of run ${runId} requested (run ${reply.status}; running nodes stop at their next step)\n`);
  return 0;
}

export async function deleteCommand(io: CommandIo, client: ApiClient, runId: string): Promise<number> {
  const reply = await client.remove(runId);
  if (io.json) io.printJson(reply);
  else io.stdout.write(`run ${runId} deleted (its links now answer 404/410; the log is kept)\n`);
  return 0;
}
