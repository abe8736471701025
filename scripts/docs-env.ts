#!/usr/bin/env node
/**
 * Writes what shared/config-schema.ts declares into the two places people
 * read it: the configuration table of README.md (between the env-table
 * markers) and infra/env-contract.json.
 *
 *   npm run docs:env              # rewrite both
 *   npm run docs:env -- --check   # exit 1 when either differs from the schema
 *
 * test/unit/env-docs.unit.test.ts and `npm run check:deploy` fail when they drift.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ENV_NAMES, envVar } from '../shared/config-schema.ts';
import { defaultText, ENV_CONTRACT_PATH, renderEnvContract } from './deploy-checks/env-contract.ts';

export const TABLE_BEGIN = '<!-- env-table:begin — generated from shared/config-schema.ts by `npm run docs:env`; edit the schema, not this table -->';
export const TABLE_END = '<!-- env-table:end -->';

/** Table-safe text: pipes escaped, and `<x>` shown as text rather than taken for HTML. */
const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
const code = (text: string): string => `\`${cell(text)}\``;

/** The README's configuration table: every variable an operator may set (not those only Cloud Run or the image set). */
export function renderEnvTable(): string {
  const rows = ENV_NAMES.filter((name) => !envVar(name).platform).map((name) => {
    const spec = envVar(name);
    const readers = (['orchestrator', 'job'] as const).filter((p) => spec[p] !== undefined).join(', ');
    const fallback = defaultText(name);
    // A computed default is prose; a literal one is code.
    const shown = fallback === undefined ? '—' : spec.defaultDoc !== undefined ? cell(fallback) : code(fallback);
    const meaning = `${spec.secret ? '**Secret.** ' : ''}${cell(spec.doc)}`;
    return `| ${code(name)} | ${cell(spec.type.describe)} | ${shown} | ${readers} | ${meaning} |`;
  });
  return ['| variable | values | default | read by | meaning |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** `readme` with the text between the markers replaced by the generated table; throws when a marker is missing. */
export function withEnvTable(readme: string): string {
  const begin = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`README.md has no ${TABLE_BEGIN} … ${TABLE_END} markers`);
  return `${readme.slice(0, begin + TABLE_BEGIN.length)}\n${renderEnvTable()}\n${readme.slice(end)}`;
}

/** The generated files, path → expected content, for a repository root. */
export function generatedEnvDocs(repoRoot: string): Map<string, string> {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  return new Map([['README.md', withEnvTable(readme)], [ENV_CONTRACT_PATH, renderEnvContract()]]);
}

function main(argv: string[]): number {
  const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
  const check = argv.includes('--check');
  let stale = 0;
  for (const [file, expected] of generatedEnvDocs(repoRoot)) {
    const full = join(repoRoot, file);
    if (readFileSync(full, 'utf8') === expected) continue;
    stale++;
    if (check) process.stderr.write(`${file} differs from shared/config-schema.ts: run npm run docs:env\n`);
    else {
      writeFileSync(full, expected);
      process.stdout.write(`wrote ${file}\n`);
    }
  }
  if (stale === 0) process.stdout.write('env docs: up to date\n');
  return check && stale > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
