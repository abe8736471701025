/**
 * The source tree against the contract: every environment variable the code
 * of orchestrator/, job-runner/ and shared/ reads must be listed in
 * infra/env-contract.json, for the process that reads it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { EnvContract, Process } from './env-contract.ts';
import type { Finding } from './finding.ts';

export interface SourceFile { path: string; text: string }
export interface EnvRead { name: string; path: string; line: number }

function stripComments(text: string): string {
  // Block comments (kept line count) and whole-line // comments. A trailing
  // `code // comment` stays: rare, and at worst a false finding to look at.
  return text
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/^\s*\/\/.*$/gm, '');
}

const READ_PATTERNS: RegExp[] = [
  /\benv\??\.([A-Z][A-Z0-9_]*)\b(?!\s*=[^=])/g, // process.env.X, env.X, env?.X (not assignments)
  /\benv\s*\[\s*(['"`])([A-Z][A-Z0-9_]*)\1\s*\](?!\s*=[^=])/g, // process.env['X'], env["X"]
];

/** Env names read by the given source files, with where. */
export function envNamesReadBySource(files: SourceFile[], contract?: EnvContract): EnvRead[] {
  const reads: EnvRead[] = [];
  const notEnv = new Set(contract?.notEnvNames ?? []);
  for (const f of files) {
    const body = stripComments(f.text);
    const lineOf = (index: number): number => body.slice(0, index).split('\n').length;
    const push = (name: string | undefined, index: number): void => {
      if (name !== undefined && name !== '' && !notEnv.has(name)) reads.push({ name, path: f.path, line: lineOf(index) });
    };
    for (const m of body.matchAll(READ_PATTERNS[0] ?? /$^/g)) push(m[1], m.index);
    for (const m of body.matchAll(READ_PATTERNS[1] ?? /$^/g)) push(m[2], m.index);
    // const { A, B: b = 'x' } = process.env  /  = env
    for (const m of body.matchAll(/\{([^{}]*)\}\s*=\s*(?:process\.)?env\b/g)) {
      for (const part of (m[1] ?? '').split(',')) {
        const id = /^\s*([A-Z][A-Z0-9_]*)\b/.exec(part);
        push(id?.[1], m.index);
      }
    }
    // Config modules name variables as string literals (a list, or `str('GCS_BUCKET')`).
    if (/(^|\/)[^/]*config[^/]*\.ts$/i.test(f.path)) {
      for (const m of body.matchAll(/(['"`])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\1/g)) push(m[2], m.index);
      for (const m of body.matchAll(/\b[A-Za-z_$][\w$]*\(\s*(['"`])([A-Z][A-Z0-9_]*)\1/g)) push(m[2], m.index);
    }
  }
  return reads;
}

/** Names the code reads that the contract does not list for that process. */
export function checkSourceEnvNames(reads: EnvRead[], contract: EnvContract, configEnvNames?: readonly string[]): Finding[] {
  const byName = new Map(contract.vars.map((v) => [v.name, v]));
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const r of reads) {
    const spec = byName.get(r.name);
    const proc: Process | undefined = r.path.startsWith('orchestrator/') ? 'orchestrator' : r.path.startsWith('job-runner/') ? 'job' : undefined;
    let message: string | undefined;
    if (spec === undefined) message = `${r.path}:${r.line} reads ${r.name}, which infra/env-contract.json does not list (add it: who reads it, who sets it in the cloud)`;
    else if (proc !== undefined && spec[proc] === undefined) message = `${r.path}:${r.line} reads ${r.name} in the ${proc}, but infra/env-contract.json lists it only for the ${proc === 'job' ? 'orchestrator' : 'job'}`;
    if (message !== undefined && !reported.has(`${r.name}:${r.path}`)) {
      reported.add(`${r.name}:${r.path}`);
      findings.push({ file: r.path, check: 'source.env-contract', message });
    }
  }
  for (const name of configEnvNames ?? []) {
    if (!byName.has(name)) findings.push({ file: 'shared/config.ts', check: 'source.env-contract', message: `CONFIG_ENV_NAMES lists ${name}, which infra/env-contract.json does not` });
  }
  return findings;
}

/** The .ts files of orchestrator/, job-runner/ and shared/ (tests and static assets left out). */
export function listSourceFiles(repoRoot: string): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      const full = join(dir, entry);
      const rel = relative(repoRoot, full).split(sep).join('/');
      if (rel === 'orchestrator/public' || entry === 'node_modules') continue;
      if (statSync(full).isDirectory()) walk(full);
      else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts') && !entry.endsWith('.test.ts')) out.push({ path: rel, text: readFileSync(full, 'utf8') });
    }
  };
  for (const d of ['orchestrator', 'job-runner', 'shared']) walk(join(repoRoot, d));
  return out;
}

/**
 * CONFIG_ENV_NAMES from shared/config.ts, imported in a child process with a
 * bare environment (so an import-time validation cannot touch this process).
 * `undefined` when the module does not exist yet.
 */
export function loadConfigEnvNames(repoRoot: string): { names?: readonly string[]; error?: string } {
  const path = join(repoRoot, 'shared', 'config.ts');
  if (!existsSync(path)) return {};
  const script = `const m = await import(${JSON.stringify(pathToFileURL(path).href)}); process.stdout.write(JSON.stringify(m.CONFIG_ENV_NAMES ?? null));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: repoRoot, env: { PATH: process.env['PATH'] ?? '' }, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) return { error: `importing shared/config.ts failed: ${(r.stderr || r.error?.message || '').split('\n').find((l) => l.trim() !== '') ?? 'no output'}` };
  const parsed: unknown = JSON.parse(r.stdout || 'null');
  if (parsed === null) return { error: 'shared/config.ts does not export CONFIG_ENV_NAMES' };
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) return { error: 'CONFIG_ENV_NAMES is not an array of strings' };
  return { names: parsed as string[] };
}
