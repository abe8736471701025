#!/usr/bin/env node
/**
 * The `scenarioforge` CLI. Each command lives in scripts/cli/; this file only
 * parses arguments, dispatches, and turns errors into a message and exit code.
 */
import { parseArgs } from 'node:util';
import { projectCommand } from './cli/project.ts';

const USAGE = `usage: scenarioforge <command> [options]

commands:
  project <events.jsonl> [--compact]   fold a run's log and print its run.json
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'project': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { compact: { type: 'boolean', default: false } } });
      const file = positionals[0];
      if (!file) throw new UsageError('project needs the path of an events.jsonl file');
      process.stdout.write((await projectCommand({ file, compact: values.compact })) + '\n');
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`scenarioforge: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(USAGE);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
