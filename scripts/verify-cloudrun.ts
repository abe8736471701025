#!/usr/bin/env node
/**
 * `npm run verify:cloudrun -- --base-url https://…run.app --key K`: the Cloud
 * Run checklist (scripts/cli/verify.ts) against a deployed orchestrator.
 * Prints a pass/fail table; exits 1 when any check did not pass, 2 on a bad
 * command line. The key may also come from SCENARIOFORGE_API_KEY (better:
 * it stays out of the shell history and the process list).
 */
import { parseArgs } from 'node:util';
import { getApiClient } from './cli/api-client.ts';
import { intOption, resolveConnection, UsageError } from './cli/args.ts';
import { getProcessIo } from './cli/terminal.ts';
import { verifyCommand } from './cli/verify.ts';

const USAGE = `usage: verify-cloudrun --base-url URL [--key KEY] [--allow-local] [--timeout SECONDS] [--json]

  --base-url URL   the orchestrator (env SCENARIOFORGE_URL)
  --key KEY        an API key of a tenant (env SCENARIOFORGE_API_KEY)
  --allow-local    accept storage_backend "local" (rehearsals against a local orchestrator)
  --timeout S      how long the test build may take (default 900)
  --json           the report as JSON
`;

async function main(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        'base-url': { type: 'string' },
        url: { type: 'string' },
        key: { type: 'string' },
        'allow-local': { type: 'boolean', default: false },
        timeout: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const url = values['base-url'] ?? values.url ?? process.env.SCENARIOFORGE_URL;
  if (!url) throw new UsageError('--base-url is required (or SCENARIOFORGE_URL)');
  const connection = await resolveConnection({ url, key: values.key }, process.env);
  const timeout = intOption('timeout', values.timeout, { min: 1, max: 86_400 }) ?? 900;
  return verifyCommand(getProcessIo(values.json), getApiClient(connection), {
    allowLocal: values['allow-local'],
    timeoutMs: timeout * 1000,
    key: connection.key,
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`verify-cloudrun: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
