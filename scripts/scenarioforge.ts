#!/usr/bin/env node
/**
 * The `scenarioforge` CLI. Each command lives in scripts/cli/; this file only
 * parses arguments, dispatches, and turns errors into a message and exit code:
 * 0 done, 1 the API (or the run) said no, 2 the command line is wrong.
 * The API key is sent, never printed.
 */
import { ApiError, ConnectionError, getApiClient, MissingKeyError, type ApiClient } from './cli/api-client.ts';
import { intOption, parseCommand, positional, resolveConnection, splitCommand, UsageError } from './cli/args.ts';
import { BUILD_OPTIONS, buildCommand } from './cli/build.ts';
import { cancelCommand, deleteCommand, EXECUTION_OPTIONS, resumeCommand, retryCommand } from './cli/operations.ts';
import { projectCommand } from './cli/project.ts';
import { RUNS_OPTIONS, runsCommand } from './cli/runs.ts';
import { getProcessIo, type CommandIo } from './cli/terminal.ts';
import { verifyCommand } from './cli/verify.ts';
import { watchAndReport } from './cli/watch.ts';

const USAGE = `usage: scenarioforge <command> [options]

commands:
  build [params] [--label L] [--force] [--watch]
        params: --company C --question Q --horizon YEAR [--region R] [--industry I]
                [--strategy S]... | --params file.json (flags override the file)
  runs [--status S] [--limit N] [--cursor C]     the tenant's runs, newest first
  watch <runId>                                  live progress until the run ends (exit 1 unless it succeeded)
  retry <runId> <node> [--watch]                 re-run a failed or cancelled node and what depends on it
  resume <runId> [--watch]                       start a new execution of an unfinished run
  cancel <runId>                                 cancel a run
  delete <runId>                                 soft-delete a run (its links answer 404/410)
  project <events.jsonl> [--compact]             fold a run's log and print its run.json
  verify [--base-url URL] [--allow-local] [--timeout SECONDS]
                                                 the Cloud Run checklist against a deployment

global options:
  --url URL     orchestrator (env SCENARIOFORGE_URL; default http://localhost:8080)
  --key KEY     API key (env SCENARIOFORGE_API_KEY; against localhost, the local
                orchestrator's generated key in $RUNS_DIR/.local-api-key is used)
  --json        machine-readable output on stdout (progress goes to stderr)
`;

type Handler = (io: CommandIo, rest: string[]) => Promise<number>;

/** Parses a command's options (globals included) and opens the client they name. */
async function open<O extends Parameters<typeof parseCommand>[1]>(io: CommandIo, rest: string[], options: O) {
  const parsed = parseCommand(rest, options);
  const g = parsed.values as { url?: string; key?: string; json?: boolean };
  io.json = g.json === true;
  const connection = await resolveConnection(g, io.env);
  const client: ApiClient = getApiClient(connection);
  return { ...parsed, client, key: connection.key };
}

const COMMANDS: Record<string, Handler> = {
  build: async (io, rest) => {
    const { values, positionals, client } = await open(io, rest, BUILD_OPTIONS);
    if (positionals.length > 0) throw new UsageError(`build takes no positional argument (got "${positionals[0]}")`);
    return buildCommand(io, client, values);
  },
  runs: async (io, rest) => {
    const { values, client } = await open(io, rest, RUNS_OPTIONS);
    return runsCommand(io, client, { status: values.status, limit: intOption('limit', values.limit, { min: 1, max: 100 }), cursor: values.cursor });
  },
  watch: async (io, rest) => {
    const { positionals, client } = await open(io, rest, {});
    const runId = positional(positionals, 0, 'a run id', 'watch');
    if (!io.json) io.stdout.write(`watching run ${runId} — ${client.url}/runs/${runId}\n`);
    return watchAndReport(io, client, runId);
  },
  retry: async (io, rest) => {
    const { values, positionals, client } = await open(io, rest, EXECUTION_OPTIONS);
    return retryCommand(io, client, positional(positionals, 0, 'a run id', 'retry'), positional(positionals, 1, 'a node id', 'retry'), values.watch);
  },
  resume: async (io, rest) => {
    const { values, positionals, client } = await open(io, rest, EXECUTION_OPTIONS);
    return resumeCommand(io, client, positional(positionals, 0, 'a run id', 'resume'), values.watch);
  },
  cancel: async (io, rest) => {
    const { positionals, client } = await open(io, rest, {});
    return cancelCommand(io, client, positional(positionals, 0, 'a run id', 'cancel'));
  },
  delete: async (io, rest) => {
    const { positionals, client } = await open(io, rest, {});
    return deleteCommand(io, client, positional(positionals, 0, 'a run id', 'delete'));
  },
  verify: async (io, rest) => {
    const options = { 'base-url': { type: 'string' }, 'allow-local': { type: 'boolean', default: false }, timeout: { type: 'string' } } as const;
    const parsed = parseCommand(rest, options);
    const baseUrl = parsed.values['base-url'];
    const { values, client, key } = await open(io, baseUrl !== undefined ? [...rest, '--url', baseUrl] : rest, options);
    const timeout = intOption('timeout', values.timeout, { min: 1, max: 86_400 }) ?? 900;
    return verifyCommand(io, client, { allowLocal: values['allow-local'], timeoutMs: timeout * 1000, key });
  },
  project: async (io, rest) => {
    const { values, positionals } = parseCommand(rest, { compact: { type: 'boolean', default: false } });
    const file = positionals[0];
    if (!file) throw new UsageError('project needs the path of an events.jsonl file');
    io.stdout.write((await projectCommand({ file, compact: values.compact })) + '\n');
    return 0;
  },
};

async function main(argv: string[], io: CommandIo): Promise<number> {
  const { command, rest } = splitCommand(argv);
  if (command === undefined || command === 'help' || rest.includes('--help') || rest.includes('-h')) {
    if (command !== undefined && command !== 'help' && !Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command "${command}"`);
    io.stdout.write(USAGE);
    return 0;
  }
  const handler = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!handler) throw new UsageError(`unknown command "${command}"`);
  return handler(io, rest);
}

const io = getProcessIo(process.argv.includes('--json'));
main(process.argv.slice(2), io).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`scenarioforge: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    else if (io.json && err instanceof ApiError) io.printJson(err.toJSON());
    else if (io.json) io.printJson({ error: { code: err instanceof ConnectionError ? 'unreachable' : err instanceof MissingKeyError ? 'no_key' : 'failed', message } });
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
