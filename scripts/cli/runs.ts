/** `scenarioforge runs`: the tenant's runs, newest first, one page at a time. */
import type { ApiClient } from './api-client.ts';
import { age, clip, formatTable, type CommandIo } from './terminal.ts';

export const RUNS_OPTIONS = {
  status: { type: 'string' },
  limit: { type: 'string' },
  cursor: { type: 'string' },
} as const;

export async function runsCommand(
  io: CommandIo,
  client: ApiClient,
  query: { status?: string | undefined; limit?: number | undefined; cursor?: string | undefined },
): Promise<number> {
  const page = await client.listRuns(query);
  if (io.json) {
    io.printJson(page);
    return 0;
  }
  if (page.runs.length === 0) io.stdout.write('no runs\n');
  else {
    const rows = page.runs.map((r) => [r.runId, r.status, `${r.progress.done}/${r.progress.total}`, age(r.createdAt), clip(r.label, 70)]);
    io.stdout.write(formatTable(['RUN ID', 'STATUS', 'NODES', 'CREATED', 'LABEL'], rows));
  }
  if (page.nextCursor) io.stdout.write(`more: scenarioforge runs --cursor ${page.nextCursor}${query.status ? ` --status ${query.status}` : ''}${query.limit ? ` --limit ${query.limit}` : ''}\n`);
  return 0;
}
