#!/usr/bin/env node
/**
 * Static checks of what ships to Cloud Run: the two Dockerfiles, .dockerignore,
 * infra/service.yaml, infra/job.yaml and infra/deploy.sh, held to
 * infra/env-contract.json — and the source tree, which may read no environment
 * variable the contract does not list.
 *
 *   node scripts/check-deploy.ts                   # the templates in infra/
 *   node scripts/check-deploy.ts --rendered DIR    # also DIR/service.yaml, DIR/job.yaml as deploy.sh rendered them
 *
 * Every check returns findings; none means pass. The CLI prints a pass/fail
 * table and exits 1 on any finding. Nothing here talks to Google.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface Finding {
  /** The file the finding is about (repo-relative). */
  file: string;
  /** Stable id of the check that failed, e.g. `dockerfile.user`. */
  check: string;
  message: string;
}

export type DockerfileKind = 'orchestrator' | 'job';

/** The source directory and compiled entrypoint of each image. */
export const ENTRYPOINTS: Record<DockerfileKind, { source: string; compiled: string; dockerfile: string }> = {
  orchestrator: { source: 'orchestrator/main.ts', compiled: 'dist/orchestrator/main.js', dockerfile: 'Dockerfile.orchestrator' },
  job: { source: 'job-runner/main.ts', compiled: 'dist/job-runner/main.js', dockerfile: 'Dockerfile.job' },
};

// ---------------------------------------------------------------------------
// A small YAML reader for the subset infra/*.yaml is written in: block
// mappings and sequences, plain and quoted scalars, comments. Anything else
// (flow collections, anchors, tags, block scalars, several documents) is
// refused with its line number rather than guessed at. Scalars stay strings.
// ---------------------------------------------------------------------------

export type YamlValue = string | null | YamlValue[] | YamlMap;
export interface YamlMap { [key: string]: YamlValue }

/** Thrown when the text uses YAML this reader does not support, or is malformed. */
export class YamlSubsetError extends Error {}

interface YamlLine { indent: number; text: string; n: number }

function stripYamlComment(line: string): string {
  let quote: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== null) {
      if (c === quote) {
        if (quote === "'" && line[i + 1] === "'") { i++; continue; }
        quote = null;
      } else if (c === '\\' && quote === '"') i++;
    } else if (c === "'" || c === '"') {
      // A quote only opens a scalar at the start of a value.
      const before = line.slice(0, i).trimEnd();
      if (before === '' || before.endsWith(':') || before.endsWith('-')) quote = c;
    } else if (c === '#' && (i === 0 || line[i - 1] === ' ')) {
      return line.slice(0, i);
    }
  }
  return line;
}

/** Index of the `:` that ends a mapping key, or -1 when the text is not `key: value`. */
function mappingColon(text: string): number {
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote !== null) {
      if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") { i++; continue; }
        quote = null;
      } else if (c === '\\' && quote === '"') i++;
    } else if ((c === "'" || c === '"') && i === 0) {
      quote = c;
    } else if (c === ':' && (i === text.length - 1 || text[i + 1] === ' ')) {
      return i;
    }
  }
  return -1;
}

function parseScalar(raw: string, n: number): string | null {
  const s = raw.trim();
  if (s === '' || s === '~' || s === 'null') return null;
  const c = s[0];
  if (c === "'") {
    if (!s.endsWith("'") || s.length < 2) throw new YamlSubsetError(`line ${n}: unterminated single-quoted scalar`);
    return s.slice(1, -1).replaceAll("''", "'");
  }
  if (c === '"') {
    if (!s.endsWith('"') || s.length < 2) throw new YamlSubsetError(`line ${n}: unterminated double-quoted scalar`);
    return s.slice(1, -1).replace(/\\(["\\/nt])/g, (_m, e: string) => (e === 'n' ? '\n' : e === 't' ? '\t' : e));
  }
  if (c === '{' || c === '[') throw new YamlSubsetError(`line ${n}: flow collections are not supported`);
  if (c === '&' || c === '*' || c === '!') throw new YamlSubsetError(`line ${n}: anchors, aliases and tags are not supported`);
  if (c === '|' || c === '>') throw new YamlSubsetError(`line ${n}: block scalars are not supported`);
  if (c === '@' || c === '`' || c === '%') throw new YamlSubsetError(`line ${n}: a plain scalar cannot start with ${c}`);
  return s;
}

/** Parses the YAML subset described above; throws YamlSubsetError on anything else. */
export function parseYaml(text: string): YamlValue {
  const lines: YamlLine[] = [];
  let documents = 0;
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1;
    const stripped = stripYamlComment(raw).trimEnd();
    if (stripped.trim() === '') return;
    if (stripped === '---') {
      if (++documents > 1 || lines.length > 0) throw new YamlSubsetError(`line ${n}: only one document is supported`);
      return;
    }
    const indentMatch = /^[ ]*/.exec(stripped);
    const indent = indentMatch ? indentMatch[0].length : 0;
    if (stripped[indent] === '\t') throw new YamlSubsetError(`line ${n}: tabs are not allowed in indentation`);
    lines.push({ indent, text: stripped.slice(indent), n });
  });
  let pos = 0;

  const isItem = (l: YamlLine): boolean => l.text === '-' || l.text.startsWith('- ');

  function parseBlock(indent: number): YamlValue {
    const first = lines[pos];
    if (first === undefined) return null;
    return isItem(first) ? parseSequence(indent) : parseMapping(indent);
  }

  function parseNested(parentIndent: number, allowSameIndentSeq: boolean): YamlValue {
    const next = lines[pos];
    if (next === undefined) return null;
    if (next.indent > parentIndent) return parseBlock(next.indent);
    if (allowSameIndentSeq && next.indent === parentIndent && isItem(next)) return parseSequence(parentIndent);
    return null;
  }

  function expectNoDeeper(indent: number, n: number): void {
    const next = lines[pos];
    if (next !== undefined && next.indent > indent) throw new YamlSubsetError(`line ${next.n}: unexpected indentation (multi-line scalars are not supported; after line ${n})`);
  }

  function parseMapping(indent: number): YamlMap {
    const map: YamlMap = {};
    for (;;) {
      const line = lines[pos];
      if (line === undefined || line.indent < indent) return map;
      if (line.indent > indent) throw new YamlSubsetError(`line ${line.n}: unexpected indentation`);
      if (isItem(line)) return map;
      const colon = mappingColon(line.text);
      if (colon < 0) throw new YamlSubsetError(`line ${line.n}: expected "key: value"`);
      const key = parseScalar(line.text.slice(0, colon), line.n);
      if (key === null) throw new YamlSubsetError(`line ${line.n}: empty key`);
      if (Object.hasOwn(map, key)) throw new YamlSubsetError(`line ${line.n}: duplicate key ${key}`);
      const rest = line.text.slice(colon + 1);
      pos++;
      if (rest.trim() === '') {
        map[key] = parseNested(indent, true);
      } else {
        map[key] = parseScalar(rest, line.n);
        expectNoDeeper(indent, line.n);
      }
    }
  }

  function parseSequence(indent: number): YamlValue[] {
    const list: YamlValue[] = [];
    for (;;) {
      const line = lines[pos];
      if (line === undefined || line.indent < indent) return list;
      if (line.indent > indent) throw new YamlSubsetError(`line ${line.n}: unexpected indentation`);
      if (!isItem(line)) return list;
      const content = line.text === '-' ? '' : line.text.slice(2);
      const offset = line.text.length - content.trimStart().length;
      if (content.trim() === '') {
        pos++;
        list.push(parseNested(indent, false));
      } else if (content.trimStart().startsWith('- ') || mappingColon(content.trimStart()) >= 0) {
        // `- key: value` opens a mapping (or `- - x` a sequence) whose column is the content's.
        lines[pos] = { indent: indent + offset, text: content.trimStart(), n: line.n };
        list.push(parseBlock(indent + offset));
      } else {
        pos++;
        list.push(parseScalar(content, line.n));
        expectNoDeeper(indent, line.n);
      }
    }
  }

  const value = parseBlock(lines[0]?.indent ?? 0);
  const leftover = lines[pos];
  if (leftover !== undefined) throw new YamlSubsetError(`line ${leftover.n}: unexpected content`);
  return value;
}

function isMap(v: YamlValue | undefined): v is YamlMap {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Follows a dotted path of mapping keys; `undefined` when any step is missing. */
export function yamlAt(root: YamlValue, path: string): YamlValue | undefined {
  let cur: YamlValue | undefined = root;
  for (const key of path.split('.')) {
    if (!isMap(cur)) return undefined;
    cur = Object.hasOwn(cur, key) ? cur[key] : undefined;
  }
  return cur;
}

// ---------------------------------------------------------------------------
// Dockerfiles
// ---------------------------------------------------------------------------

interface Instruction { op: string; args: string; line: number }
interface Stage { base: string; name: string | undefined; instructions: Instruction[]; line: number }

/** Splits a Dockerfile into instructions (continuations joined, comments dropped). */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split(/\r?\n/);
  let buf = '';
  let start = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const trimmed = raw.trim();
    if (buf === '' && (trimmed === '' || trimmed.startsWith('#'))) continue;
    if (buf !== '' && trimmed.startsWith('#')) continue; // comment lines inside a continuation are dropped
    if (buf === '') start = i + 1;
    if (/\\\s*$/.test(raw)) {
      buf += raw.replace(/\\\s*$/, '') + ' ';
      continue;
    }
    buf += raw;
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(buf);
    if (m) out.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start });
    buf = '';
  }
  if (buf.trim() !== '') {
    const m = /^\s*([A-Za-z]+)\s*(.*)$/s.exec(buf);
    if (m) out.push({ op: (m[1] ?? '').toUpperCase(), args: (m[2] ?? '').trim(), line: start });
  }
  return out;
}

function splitStages(instructions: Instruction[]): Stage[] {
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const asIndex = words.findIndex((w) => w.toLowerCase() === 'as');
      stages.push({ base: words[0] ?? '', name: asIndex >= 0 ? words[asIndex + 1] : undefined, instructions: [], line: ins.line });
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return stages;
}

/** The stage and the stages it is built FROM (earliest first), so inherited USER/ENV count. */
function stageChain(stages: Stage[], index: number): Stage[] {
  const chain: Stage[] = [];
  let i = index;
  const seen = new Set<number>();
  while (i >= 0 && !seen.has(i)) {
    seen.add(i);
    const stage = stages[i];
    if (stage === undefined) break;
    chain.unshift(stage);
    const base = stage.base;
    i = stages.findIndex((s, j) => j < i && s.name !== undefined && s.name.toLowerCase() === base.toLowerCase());
  }
  return chain;
}

/** Why an image reference is not pinned to an exact version, or null when it is. */
export function unpinnedReason(ref: string): string | null {
  if (ref.includes('$')) return `${ref}: a variable base image cannot be checked; write the pinned reference`;
  if (/@sha256:[a-f0-9]{64}$/.test(ref)) return null;
  const lastSlash = ref.lastIndexOf('/');
  const colon = ref.indexOf(':', lastSlash + 1);
  if (colon < 0) return `${ref}: no tag means :latest`;
  const tag = ref.slice(colon + 1);
  if (tag === 'latest') return `${ref}: :latest moves`;
  if (!/^v?\d+\.\d+\.\d+(?:[-_.+][A-Za-z0-9._-]+)?$/.test(tag)) return `${ref}: tag ${tag} is not an exact version (major.minor.patch)`;
  return null;
}

function nodeMajorOf(ref: string): number | undefined {
  const m = /^(?:[^@]*\/)?node:v?(\d+)\./.exec(ref);
  return m ? Number(m[1]) : undefined;
}

/** Parses `ENV a=b c="d"` and `ENV a b` into pairs. */
function envPairs(args: string): Array<[string, string]> {
  const unquote = (v: string): string => v.replace(/^(["'])(.*)\1$/s, '$2');
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/s.exec(args);
    return m ? [[m[1] ?? '', unquote((m[2] ?? '').trim())]] : [];
  }
  const pairs: Array<[string, string]> = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of args.matchAll(re)) pairs.push([m[1] ?? '', unquote(m[2] ?? '')]);
  return pairs;
}

function execForm(args: string): string[] | null {
  if (!args.startsWith('[')) return null;
  try {
    const parsed: unknown = JSON.parse(args);
    return Array.isArray(parsed) && parsed.every((x) => typeof x === 'string') ? (parsed as string[]) : null;
  } catch {
    return null;
  }
}

const SECRET_PATH = /(^|\/)\.env($|\.)|\.pem$|\.key$|\.p12$|id_rsa|id_ed25519|credentials[^/]*\.json$|service-account[^/]*\.json$|(^|\/)\.npmrc$|(^|\/)secrets?(\/|$)|api-keys/i;
const SECRET_NAME = /(^|_)(API_KEYS?|SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE_KEY|CREDENTIALS)($|_)/i;

export interface DockerfileOptions {
  /** Whether a repo-relative path exists; when given, the entrypoint's source must exist. */
  fileExists?: (repoPath: string) => boolean;
  /** Node major the tests run on (DESIGN §10): the base image must match. Default 22. */
  nodeMajor?: number;
}

/** Checks one Dockerfile for the rules of DESIGN §10 and the deploy brief. */
export function checkDockerfile(text: string, kind: DockerfileKind, options: DockerfileOptions = {}): Finding[] {
  const file = ENTRYPOINTS[kind].dockerfile;
  const findings: Finding[] = [];
  const add = (check: string, message: string): void => { findings.push({ file, check, message }); };
  const stages = splitStages(parseDockerfile(text));
  const nodeMajor = options.nodeMajor ?? 22;

  if (stages.length < 2) add('dockerfile.multi-stage', `${stages.length} FROM: build and runtime must be separate stages`);
  if (stages.length === 0) return findings;

  const stageNames = new Set(stages.map((s) => s.name?.toLowerCase()).filter((n): n is string => n !== undefined));
  const externalBases = new Set<string>();
  for (const stage of stages) {
    if (stageNames.has(stage.base.toLowerCase())) continue;
    externalBases.add(stage.base);
    const why = unpinnedReason(stage.base);
    if (why !== null) add('dockerfile.pinned-base', `line ${stage.line}: ${why}`);
    const major = nodeMajorOf(stage.base);
    if (major !== undefined && major !== nodeMajor) add('dockerfile.node-major', `line ${stage.line}: ${stage.base} is Node ${major}; the tests run on Node ${nodeMajor}`);
  }
  if (externalBases.size > 1) add('dockerfile.one-base', `stages use different bases (${[...externalBases].join(', ')}): use one pinned tag`);

  // Secrets never enter any stage (layers of a build stage are still pushed to caches).
  for (const stage of stages) {
    for (const ins of stage.instructions) {
      if (ins.op === 'COPY' || ins.op === 'ADD') {
        const words = ins.args.startsWith('[') ? (execForm(ins.args) ?? []) : ins.args.split(/\s+/);
        const sources = words.filter((w) => !w.startsWith('--')).slice(0, -1);
        for (const src of sources) {
          if (SECRET_PATH.test(src)) add('dockerfile.no-secrets', `line ${ins.line}: ${ins.op} ${src} would put a secret in the image`);
          if (ins.op === 'ADD' && /^https?:\/\//.test(src)) add('dockerfile.no-remote-add', `line ${ins.line}: ADD ${src} fetches an unpinned remote file`);
        }
      }
      if (ins.op === 'ENV' || ins.op === 'ARG') {
        const pairs: Array<[string, string]> = ins.op === 'ENV' ? envPairs(ins.args) : ins.args.split(/\s+/).map((w): [string, string] => {
          const eq = w.indexOf('=');
          return eq < 0 ? [w, ''] : [w.slice(0, eq), w.slice(eq + 1)];
        });
        for (const [name] of pairs) {
          if (SECRET_NAME.test(name)) add('dockerfile.no-secrets', `line ${ins.line}: ${ins.op} ${name}: secrets come from Secret Manager at run time, never the image`);
        }
      }
    }
  }

  // Build: compile with tsc against tsconfig.build.json.
  const builds = stages.slice(0, -1).flatMap((s) => s.instructions).filter((i) => i.op === 'RUN');
  if (!builds.some((i) => /\btsc\b/.test(i.args) && /(-p|--project)[ =]tsconfig\.build\.json\b/.test(i.args))) {
    add('dockerfile.build', 'no build stage runs `tsc -p tsconfig.build.json`');
  }

  // Runtime: the last stage, with what it inherits from earlier stages it is built FROM.
  const runtimeIndex = stages.length - 1;
  const runtime = stages[runtimeIndex];
  const chain = stageChain(stages, runtimeIndex);
  const inherited = chain.flatMap((s) => s.instructions);
  const own = runtime?.instructions ?? [];

  const lastUser = inherited.filter((i) => i.op === 'USER').at(-1);
  if (lastUser === undefined) add('dockerfile.user', 'runtime stage has no USER: the process would run as root');
  else {
    const user = (lastUser.args.split(':')[0] ?? '').trim();
    if (user === 'root' || user === '0' || user === '') add('dockerfile.user', `line ${lastUser.line}: USER ${lastUser.args} is root`);
  }

  const envs = new Map<string, string>();
  for (const ins of inherited) if (ins.op === 'ENV') for (const [k, v] of envPairs(ins.args)) envs.set(k, v);
  if (envs.get('NODE_ENV') !== 'production') add('dockerfile.node-env', 'runtime stage does not set NODE_ENV=production');

  for (const ins of own.filter((i) => i.op === 'RUN')) {
    if (/\bnpm\s+(install|i|add)\b/.test(ins.args)) add('dockerfile.npm-ci', `line ${ins.line}: runtime uses npm install; use npm ci --omit=dev (lockfile-exact)`);
    if (/\bnpm\s+ci\b/.test(ins.args)) {
      if (!/--omit[ =]dev\b/.test(ins.args)) add('dockerfile.omit-dev', `line ${ins.line}: runtime npm ci without --omit=dev installs dev dependencies`);
      if (!/--omit[ =]optional\b/.test(ins.args)) add('dockerfile.omit-optional', `line ${ins.line}: runtime npm ci without --omit=optional installs the dev machines' Node binary`);
    }
  }
  if (!own.some((i) => i.op === 'RUN' && /\bnpm\s+ci\b/.test(i.args))) add('dockerfile.omit-dev', 'runtime stage does not install production dependencies with npm ci --omit=dev');
  for (const ins of own.filter((i) => i.op === 'COPY' || i.op === 'ADD')) {
    const words = ins.args.split(/\s+/).filter((w) => !w.startsWith('--'));
    if (!ins.args.includes('--from') && words.slice(0, -1).includes('.')) add('dockerfile.copy-context', `line ${ins.line}: ${ins.op} . copies the whole build context into the runtime image`);
  }
  const copiesDist = own.some((i) => i.op === 'COPY' && /--from=/.test(i.args)
    && i.args.split(/\s+/).filter((w) => !w.startsWith('--')).slice(0, -1).some((src) => /(^|\/)dist\/?$/.test(src)));
  if (!copiesDist) add('dockerfile.copy-dist', 'runtime stage does not COPY --from=<build stage> the compiled dist/');

  // The command: exec form, node itself (SIGTERM must reach it), the compiled entrypoint.
  const entrypoint = inherited.filter((i) => i.op === 'ENTRYPOINT').at(-1);
  const cmd = inherited.filter((i) => i.op === 'CMD').at(-1);
  const argv: string[] = [];
  for (const ins of [entrypoint, cmd]) {
    if (ins === undefined) continue;
    const form = execForm(ins.args);
    if (form === null) add('dockerfile.exec-form', `line ${ins.line}: ${ins.op} ${ins.args} is shell form; Node would not be PID 1 and would miss SIGTERM`);
    else argv.push(...form);
  }
  if (entrypoint === undefined && cmd === undefined) add('dockerfile.exec-form', 'no CMD or ENTRYPOINT');
  if (argv.length > 0) {
    const program = argv[0] ?? '';
    const base = program.split('/').at(-1) ?? '';
    if (base !== 'node') add('dockerfile.exec-form', `the command runs ${program}, not node: ${['sh', 'bash', 'npm', 'npx', 'yarn', 'pnpm'].includes(base) ? 'a wrapper swallows SIGTERM' : 'unexpected program'}`);
    else {
      const workdir = (inherited.filter((i) => i.op === 'WORKDIR').at(-1)?.args ?? '/').replace(/\/+$/, '');
      const script = argv.slice(1).find((a) => !a.startsWith('-'));
      const relativeScript = script?.startsWith('/') ? (script.startsWith(`${workdir}/`) ? script.slice(workdir.length + 1) : script) : script?.replace(/^\.\//, '');
      const expected = ENTRYPOINTS[kind].compiled;
      if (relativeScript !== expected) add('dockerfile.entrypoint', `the command runs ${script ?? '(no script)'}; the ${kind} image must run ${expected} (compiled from ${ENTRYPOINTS[kind].source})`);
      else if (options.fileExists !== undefined && !options.fileExists(ENTRYPOINTS[kind].source)) {
        add('dockerfile.entrypoint', `${expected} is built from ${ENTRYPOINTS[kind].source}, which does not exist`);
      }
    }
  }
  return findings;
}

/** Checks that the two images are built FROM the same pinned base. */
export function checkDockerfilesAgree(orchestrator: string, job: string): Finding[] {
  const bases = (text: string): string[] => splitStages(parseDockerfile(text)).map((s) => s.base).filter((b) => b.includes(':') || b.includes('@'));
  const a = new Set(bases(orchestrator));
  const b = new Set(bases(job));
  const same = a.size === b.size && [...a].every((x) => b.has(x));
  return same ? [] : [{ file: 'Dockerfile.job', check: 'dockerfile.one-base', message: `orchestrator uses ${[...a].join(', ')}, job uses ${[...b].join(', ')}: use one tag for both` }];
}

// ---------------------------------------------------------------------------
// .dockerignore — evaluated like Docker does: later patterns win, `!` re-includes,
// a pattern matching a directory excludes what is under it.
// ---------------------------------------------------------------------------

function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') { i++; re += '(?:.*/)?'; } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Whether Docker leaves `path` out of the build context under these .dockerignore rules. */
export function dockerignoreExcludes(rules: string, path: string): boolean {
  const patterns = rules.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const parts = path.split('/');
  const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const raw of patterns) {
    const negate = raw.startsWith('!');
    const pattern = (negate ? raw.slice(1) : raw).replace(/^\/+/, '').replace(/\/+$/, '');
    const re = globToRegExp(pattern);
    if (prefixes.some((p) => re.test(p))) excluded = !negate;
  }
  return excluded;
}

const MUST_EXCLUDE = ['node_modules/express/index.js', '.git/HEAD', '.env', '.env.local', 'shared/.env', 'key.pem', 'certs/server.pem',
  'storage/runs/x/events.jsonl', 'test/unit/a.unit.test.ts', 'media/demo.png', 'docs/cloud-run.md', '.ci/run', 'dist/orchestrator/main.js'];
const MUST_INCLUDE = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'orchestrator/main.ts',
  'job-runner/main.ts', 'shared/domain/events.ts', 'scripts/scenarioforge.ts', 'orchestrator/public/index.html'];

export function checkDockerignore(text: string): Finding[] {
  const findings: Finding[] = [];
  for (const p of MUST_EXCLUDE) {
    if (!dockerignoreExcludes(text, p)) findings.push({ file: '.dockerignore', check: 'dockerignore.exclude', message: `${p} would be sent to the build context` });
  }
  for (const p of MUST_INCLUDE) {
    if (dockerignoreExcludes(text, p)) findings.push({ file: '.dockerignore', check: 'dockerignore.include', message: `${p} is excluded but the image build needs it` });
  }
  return findings;
}

// ---------------------------------------------------------------------------
// infra/: the service and job YAML against infra/env-contract.json and deploy.sh
// ---------------------------------------------------------------------------

export type Level = 'required' | 'optional' | 'platform' | 'override' | 'image' | 'local-only';
export type Process = 'orchestrator' | 'job';
const LEVELS: readonly Level[] = ['required', 'optional', 'platform', 'override', 'image', 'local-only'];
const PROCESSES: readonly Process[] = ['orchestrator', 'job'];

export interface ContractVar {
  name: string;
  orchestrator?: Level;
  job?: Level;
  secret?: boolean;
  cloudValue?: string;
  sameInBoth?: boolean;
  doc: string;
}
export interface EnvContract { vars: ContractVar[]; notEnvNames: string[] }

/** Reads infra/env-contract.json, rejecting a malformed one. */
export function parseEnvContract(text: string): EnvContract {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null || !('vars' in raw) || !Array.isArray(raw.vars)) throw new Error('env-contract.json: "vars" must be an array');
  const vars: ContractVar[] = [];
  const seen = new Set<string>();
  for (const v of raw.vars as unknown[]) {
    if (typeof v !== 'object' || v === null) throw new Error('env-contract.json: every var is an object');
    const rec = v as Record<string, unknown>;
    const name = rec['name'];
    if (typeof name !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(name)) throw new Error(`env-contract.json: bad name ${String(name)}`);
    if (seen.has(name)) throw new Error(`env-contract.json: ${name} listed twice`);
    seen.add(name);
    const entry: ContractVar = { name, doc: typeof rec['doc'] === 'string' ? rec['doc'] : '' };
    for (const p of PROCESSES) {
      const level = rec[p];
      if (level === undefined) continue;
      if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level)) throw new Error(`env-contract.json: ${name}.${p} must be one of ${LEVELS.join(', ')}`);
      entry[p] = level as Level;
    }
    if (entry.orchestrator === undefined && entry.job === undefined) throw new Error(`env-contract.json: ${name} is read by no process`);
    if (rec['secret'] === true) entry.secret = true;
    if (rec['sameInBoth'] === true) entry.sameInBoth = true;
    if (typeof rec['cloudValue'] === 'string') entry.cloudValue = rec['cloudValue'];
    if (!entry.doc) throw new Error(`env-contract.json: ${name} has no doc`);
    vars.push(entry);
  }
  let notEnvNames: string[] = [];
  if ('notEnvNames' in raw && typeof raw.notEnvNames === 'object' && raw.notEnvNames !== null && 'names' in raw.notEnvNames && Array.isArray(raw.notEnvNames.names)) {
    notEnvNames = (raw.notEnvNames.names as unknown[]).filter((x): x is string => typeof x === 'string');
  }
  return { vars, notEnvNames };
}

export interface InfraFiles {
  'infra/env-contract.json'?: string;
  'infra/service.yaml'?: string;
  'infra/job.yaml'?: string;
  'infra/deploy.sh'?: string;
}

interface EnvEntry { name: string; value?: string | null; secretName?: string | null; secretKey?: string | null; hasValueFrom: boolean }

function readEnv(list: YamlValue | undefined): EnvEntry[] {
  if (!Array.isArray(list)) return [];
  return list.filter(isMap).map((e) => {
    const name = typeof e['name'] === 'string' ? e['name'] : '';
    const ref = yamlAt(e, 'valueFrom.secretKeyRef');
    const entry: EnvEntry = { name, hasValueFrom: Object.hasOwn(e, 'valueFrom') };
    if (Object.hasOwn(e, 'value')) entry.value = typeof e['value'] === 'string' ? e['value'] : null;
    if (isMap(ref)) {
      entry.secretName = typeof ref['name'] === 'string' ? ref['name'] : null;
      entry.secretKey = typeof ref['key'] === 'string' ? ref['key'] : null;
    }
    return entry;
  });
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const ONLY_PLACEHOLDER = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/;

/** The names in deploy.sh's TEMPLATE_VARS=( … ) array. */
export function templateVars(deploySh: string): Set<string> {
  const m = /^TEMPLATE_VARS=\(([\s\S]*?)\)/m.exec(deploySh);
  if (!m) return new Set();
  return new Set((m[1] ?? '').split(/\s+/).filter((w) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(w)));
}

/** The documented default of `: "${NAME:=default}"` in deploy.sh. */
export function deployDefault(deploySh: string, name: string): string | undefined {
  const m = new RegExp(`^: "\\$\\{${name}:=(.*)\\}"[ \\t]*$`, 'm').exec(deploySh);
  return m ? m[1] : undefined;
}

function looksLikeSecretValue(v: string): boolean {
  return /AIza[0-9A-Za-z_-]{30,}|-----BEGIN [A-Z ]*PRIVATE KEY-----|\bsk-[A-Za-z0-9]{20,}|ya29\.[0-9A-Za-z_-]{20,}/.test(v);
}

/** Checks infra/service.yaml and infra/job.yaml (templates or rendered) against the contract and deploy.sh. */
export function checkInfra(files: InfraFiles): Finding[] {
  const findings: Finding[] = [];
  const add = (file: string, check: string, message: string): void => { findings.push({ file, check, message }); };
  for (const key of ['infra/env-contract.json', 'infra/service.yaml', 'infra/job.yaml', 'infra/deploy.sh'] as const) {
    if (files[key] === undefined) add(key, 'infra.files', `${key} is missing`);
  }
  const contractText = files['infra/env-contract.json'];
  const serviceText = files['infra/service.yaml'];
  const jobText = files['infra/job.yaml'];
  const deploySh = files['infra/deploy.sh'] ?? '';
  if (contractText === undefined || serviceText === undefined || jobText === undefined) return findings;

  let contract: EnvContract;
  try {
    contract = parseEnvContract(contractText);
  } catch (e) {
    add('infra/env-contract.json', 'infra.contract', e instanceof Error ? e.message : String(e));
    return findings;
  }
  const docs: Array<[Process, string, string]> = [['orchestrator', 'infra/service.yaml', serviceText], ['job', 'infra/job.yaml', jobText]];
  const parsed = new Map<Process, YamlValue>();
  for (const [proc, file, text] of docs) {
    try {
      parsed.set(proc, parseYaml(text));
    } catch (e) {
      add(file, 'infra.yaml', e instanceof Error ? e.message : String(e));
    }
  }
  const service = parsed.get('orchestrator');
  const job = parsed.get('job');
  if (service === undefined || job === undefined) return findings;

  // deploy.sh: strict mode, every placeholder filled, pinned secret versions resolved.
  const vars = templateVars(deploySh);
  if (!/^set -euo pipefail$/m.test(deploySh)) add('infra/deploy.sh', 'infra.deploy-strict', 'deploy.sh does not `set -euo pipefail`');
  if (vars.size === 0) add('infra/deploy.sh', 'infra.placeholders', 'deploy.sh has no TEMPLATE_VARS=( … ) list');
  for (const name of vars) {
    if (deployDefault(deploySh, name) === undefined && !new RegExp(`^\\s*${name}=`, 'm').test(deploySh)) {
      add('infra/deploy.sh', 'infra.placeholders', `${name} is in TEMPLATE_VARS but neither documented with a default (: "\${${name}:=…}") nor computed`);
    }
  }
  for (const [, file, text] of docs) {
    const body = text.split(/\r?\n/).map((l) => stripYamlComment(l)).join('\n');
    for (const m of body.matchAll(PLACEHOLDER)) {
      if (!vars.has(m[1] ?? '')) add(file, 'infra.placeholders', `\${${m[1]}} is not in deploy.sh TEMPLATE_VARS, so it would reach Cloud Run unfilled`);
    }
    if (looksLikeSecretValue(text)) add(file, 'infra.literal-secret', 'a literal credential appears in the file');
  }

  // The pinned-version rule: a number, or a placeholder deploy.sh resolves to one.
  const pinned = (key: string | null | undefined): string | null => {
    if (key === null || key === undefined || key === '') return 'no version';
    if (/^\d+$/.test(key)) return null;
    const ph = ONLY_PLACEHOLDER.exec(key);
    if (ph) {
      const name = ph[1] ?? '';
      return new RegExp(`^\\s*${name}="\\$\\(pinned_version `, 'm').test(deploySh) ? null : `\${${name}} is not resolved by pinned_version in deploy.sh`;
    }
    return key === 'latest' ? 'latest moves with every new version' : `version "${key}" is not a number`;
  };

  // Shapes.
  const serviceSpec = yamlAt(service, 'spec.template.spec');
  const jobExec = yamlAt(job, 'spec.template.spec');
  const jobTask = yamlAt(job, 'spec.template.spec.template.spec');
  if (yamlAt(service, 'apiVersion') !== 'serving.knative.dev/v1' || yamlAt(service, 'kind') !== 'Service') add('infra/service.yaml', 'infra.shape', 'not a serving.knative.dev/v1 Service');
  if (yamlAt(job, 'apiVersion') !== 'run.googleapis.com/v1' || yamlAt(job, 'kind') !== 'Job') add('infra/job.yaml', 'infra.shape', 'not a run.googleapis.com/v1 Job');
  const containerOf = (spec: YamlValue | undefined, file: string): YamlMap | undefined => {
    const list = isMap(spec) ? spec['containers'] : undefined;
    if (!Array.isArray(list) || list.length !== 1 || !isMap(list[0])) { add(file, 'infra.shape', 'expected exactly one container'); return undefined; }
    return list[0];
  };
  const serviceContainer = containerOf(serviceSpec, 'infra/service.yaml');
  const jobContainer = containerOf(jobTask, 'infra/job.yaml');

  const numberOrDefault = (v: YamlValue | undefined): number | undefined => {
    if (typeof v !== 'string') return undefined;
    const ph = ONLY_PLACEHOLDER.exec(v);
    const text = ph ? deployDefault(deploySh, ph[1] ?? '') : v;
    return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
  };
  if (isMap(serviceSpec)) {
    if (typeof serviceSpec['serviceAccountName'] !== 'string' || serviceSpec['serviceAccountName'] === '') add('infra/service.yaml', 'infra.service-account', 'the service has no serviceAccountName (it would run as the default compute account)');
    const cc = numberOrDefault(serviceSpec['containerConcurrency']);
    if (cc === undefined || cc < 1 || cc > 1000) add('infra/service.yaml', 'infra.concurrency', 'containerConcurrency must be set (1–1000)');
  }
  if (isMap(jobExec)) {
    if (jobExec['taskCount'] !== '1') add('infra/job.yaml', 'infra.job-tasks', 'taskCount must be 1 (one task per execution; the lease assumes it)');
    if (jobExec['parallelism'] !== '1') add('infra/job.yaml', 'infra.job-tasks', 'parallelism must be 1');
  } else add('infra/job.yaml', 'infra.shape', 'spec.template.spec is missing');
  if (isMap(jobTask)) {
    const retries = numberOrDefault(jobTask['maxRetries']);
    if (retries === undefined || retries < 1 || retries > 10) add('infra/job.yaml', 'infra.job-retries', 'maxRetries must be 1–10 so Cloud Run re-runs a task that died (it resumes by replay)');
    const timeout = numberOrDefault(jobTask['timeoutSeconds']);
    if (timeout === undefined || timeout < 1 || timeout > 604800) add('infra/job.yaml', 'infra.job-timeout', 'timeoutSeconds (per task attempt) must be set, at most 604800 (168 h)');
    const sa = jobTask['serviceAccountName'];
    if (typeof sa !== 'string' || sa === '') add('infra/job.yaml', 'infra.service-account', 'the job has no serviceAccountName');
    else if (isMap(serviceSpec) && serviceSpec['serviceAccountName'] === sa) add('infra/job.yaml', 'infra.service-account', 'the job and the service share a service account; each gets its own least-privilege one');
  }
  for (const [container, file] of [[serviceContainer, 'infra/service.yaml'], [jobContainer, 'infra/job.yaml']] as const) {
    const image = container?.['image'];
    if (typeof image !== 'string' || image === '') add(file, 'infra.image', 'container has no image');
    else if (!ONLY_PLACEHOLDER.test(image) && !/@sha256:[a-f0-9]{64}$/.test(image) && unpinnedReason(image) !== null) add(file, 'infra.image', `image ${image} is neither a deploy-time placeholder nor pinned`);
  }

  // Env against the contract.
  const envs = new Map<Process, EnvEntry[]>([['orchestrator', readEnv(serviceContainer?.['env'])], ['job', readEnv(jobContainer?.['env'])]]);
  const byName = new Map(contract.vars.map((v) => [v.name, v]));
  for (const [proc, file] of [['orchestrator', 'infra/service.yaml'], ['job', 'infra/job.yaml']] as const) {
    const entries = envs.get(proc) ?? [];
    const seen = new Set<string>();
    for (const e of entries) {
      if (seen.has(e.name)) add(file, 'infra.env-duplicate', `${e.name} is set twice`);
      seen.add(e.name);
      const spec = byName.get(e.name);
      const level = spec?.[proc];
      if (spec === undefined || level === undefined) { add(file, 'infra.env-unknown', `${e.name} is set but infra/env-contract.json says the ${proc} does not read it`); continue; }
      if (level === 'platform') add(file, 'infra.env-reserved', `${e.name} is set by Cloud Run itself; infra must not set it`);
      if (level === 'override') add(file, 'infra.env-override', `${e.name} is set per execution by the orchestrator (runJob overrides); it must not be in the job definition`);
      if (level === 'image') add(file, 'infra.env-image', `${e.name} is set by the Dockerfile; infra must not override it`);
      if (level === 'local-only') add(file, 'infra.env-local-only', `${e.name} is for local runs and emulators only; it must not be set in the cloud`);
      if (e.hasValueFrom || e.secretKey !== undefined) {
        const why = pinned(e.secretKey);
        if (why !== null) add(file, 'infra.secret-pinned', `${e.name}: secret version must be pinned (${why})`);
        if (!e.secretName) add(file, 'infra.secret-pinned', `${e.name}: secretKeyRef has no secret name`);
      }
      if (spec.secret === true && e.value !== undefined) add(file, 'infra.literal-secret', `${e.name} is a secret: take it from Secret Manager (valueFrom.secretKeyRef), never a literal value`);
      if (spec.secret === true && e.secretKey === undefined && e.value === undefined) add(file, 'infra.literal-secret', `${e.name} is a secret but has no secretKeyRef`);
      if (spec.cloudValue !== undefined && e.value !== spec.cloudValue) add(file, 'infra.env-value', `${e.name} must be ${spec.cloudValue} in the cloud, found ${e.value === undefined ? '(not a literal)' : JSON.stringify(e.value)}`);
      if (typeof e.value === 'string' && looksLikeSecretValue(e.value)) add(file, 'infra.literal-secret', `${e.name} holds what looks like a credential`);
    }
    for (const spec of contract.vars) {
      if (spec[proc] === 'required' && !seen.has(spec.name)) add(file, 'infra.env-required', `${spec.name} is required for the ${proc} (infra/env-contract.json) but not set`);
    }
  }
  const runStoreOk = (proc: Process): boolean => (envs.get(proc) ?? []).some((e) => e.name === 'RUN_STORE' && e.value === 'gcs');
  if (!runStoreOk('orchestrator')) add('infra/service.yaml', 'infra.run-store', 'RUN_STORE must be gcs');
  if (!runStoreOk('job')) add('infra/job.yaml', 'infra.run-store', 'RUN_STORE must be gcs');
  for (const spec of contract.vars.filter((v) => v.sameInBoth === true)) {
    const a = (envs.get('orchestrator') ?? []).find((e) => e.name === spec.name);
    const b = (envs.get('job') ?? []).find((e) => e.name === spec.name);
    if (a !== undefined && b !== undefined && (a.value !== b.value || a.secretName !== b.secretName || a.secretKey !== b.secretKey)) {
      add('infra/job.yaml', 'infra.env-same', `${spec.name} differs between the service (${String(a.value)}) and the job (${String(b.value)}); both processes must agree`);
    }
  }

  // Secret volumes (the API keys file): pinned, and API_KEYS_FILE points into one.
  const volumes = isMap(serviceSpec) && Array.isArray(serviceSpec['volumes']) ? serviceSpec['volumes'].filter(isMap) : [];
  const secretFiles: string[] = [];
  const mounts = Array.isArray(serviceContainer?.['volumeMounts']) ? (serviceContainer['volumeMounts'] as YamlValue[]).filter(isMap) : [];
  for (const v of volumes) {
    const secret = v['secret'];
    if (!isMap(secret)) continue;
    const items = Array.isArray(secret['items']) ? secret['items'].filter(isMap) : [];
    if (items.length === 0) add('infra/service.yaml', 'infra.secret-pinned', `secret volume ${String(v['name'])} lists no items, so it mounts latest`);
    const mount = mounts.find((m) => m['name'] === v['name']);
    for (const item of items) {
      const why = pinned(typeof item['key'] === 'string' ? item['key'] : null);
      if (why !== null) add('infra/service.yaml', 'infra.secret-pinned', `secret volume ${String(v['name'])}: version must be pinned (${why})`);
      if (mount !== undefined && typeof mount['mountPath'] === 'string' && typeof item['path'] === 'string') secretFiles.push(`${mount['mountPath'].replace(/\/+$/, '')}/${item['path']}`);
    }
  }
  const keysFile = (envs.get('orchestrator') ?? []).find((e) => e.name === 'API_KEYS_FILE');
  if (keysFile !== undefined && (typeof keysFile.value !== 'string' || !secretFiles.includes(keysFile.value))) {
    add('infra/service.yaml', 'infra.api-keys-file', `API_KEYS_FILE=${String(keysFile.value)} is not a file of a mounted secret volume (${secretFiles.join(', ') || 'none'})`);
  }
  return findings;
}

// ---------------------------------------------------------------------------
// The source tree: every env name the code reads must be in the contract.
// ---------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

function readIf(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8') : undefined;
}

function nodeMajorFromPackage(repoRoot: string): number {
  const pkg: unknown = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const engines = typeof pkg === 'object' && pkg !== null && 'engines' in pkg ? (pkg.engines as Record<string, unknown>) : {};
  const m = /(\d+)/.exec(typeof engines['node'] === 'string' ? engines['node'] : '');
  return m ? Number(m[1]) : 22;
}

/** Runs every check on the repository; one row per target. */
export function checkRepository(repoRoot: string, renderedDir?: string): Array<{ target: string; findings: Finding[] }> {
  const rows: Array<{ target: string; findings: Finding[] }> = [];
  const fileExists = (p: string): boolean => existsSync(join(repoRoot, p));
  const nodeMajor = nodeMajorFromPackage(repoRoot);
  const texts: Partial<Record<DockerfileKind, string>> = {};
  for (const kind of ['orchestrator', 'job'] as const) {
    const name = ENTRYPOINTS[kind].dockerfile;
    const text = readIf(join(repoRoot, name));
    texts[kind] = text;
    rows.push({ target: name, findings: text === undefined ? [{ file: name, check: 'dockerfile.exists', message: `${name} is missing` }] : checkDockerfile(text, kind, { fileExists, nodeMajor }) });
  }
  if (texts.orchestrator !== undefined && texts.job !== undefined) rows.push({ target: 'one base for both images', findings: checkDockerfilesAgree(texts.orchestrator, texts.job) });
  const ignore = readIf(join(repoRoot, '.dockerignore'));
  rows.push({ target: '.dockerignore', findings: ignore === undefined ? [{ file: '.dockerignore', check: 'dockerignore.exists', message: '.dockerignore is missing' }] : checkDockerignore(ignore) });
  const infra: InfraFiles = {};
  for (const key of ['infra/env-contract.json', 'infra/service.yaml', 'infra/job.yaml', 'infra/deploy.sh'] as const) {
    const text = readIf(join(repoRoot, key));
    if (text !== undefined) infra[key] = text;
  }
  rows.push({ target: 'infra templates', findings: checkInfra(infra) });
  if (renderedDir !== undefined) {
    const rendered: InfraFiles = { ...infra };
    for (const f of ['service.yaml', 'job.yaml'] as const) {
      const text = readIf(join(renderedDir, f));
      if (text !== undefined) rendered[`infra/${f}`] = text;
      else delete rendered[`infra/${f}`];
    }
    rows.push({ target: `infra rendered (${renderedDir})`, findings: checkInfra(rendered) });
  }
  const contractText = infra['infra/env-contract.json'];
  if (contractText !== undefined) {
    let contract: EnvContract | undefined;
    try { contract = parseEnvContract(contractText); } catch { contract = undefined; }
    if (contract !== undefined) {
      const cfg = loadConfigEnvNames(repoRoot);
      const findings = checkSourceEnvNames(envNamesReadBySource(listSourceFiles(repoRoot), contract), contract, cfg.names);
      if (cfg.error !== undefined) findings.push({ file: 'shared/config.ts', check: 'source.config-names', message: cfg.error });
      rows.push({ target: 'env names read by the code', findings });
    }
  }
  return rows;
}

function main(argv: string[]): number {
  const repoRoot = dirname(dirname(fileURLToPath(import.meta.url)));
  const i = argv.indexOf('--rendered');
  const renderedDir = i >= 0 ? argv[i + 1] : undefined;
  if (i >= 0 && renderedDir === undefined) {
    process.stderr.write('usage: node scripts/check-deploy.ts [--rendered DIR]\n');
    return 2;
  }
  const rows = checkRepository(repoRoot, renderedDir);
  const width = Math.max(...rows.map((r) => r.target.length), 6);
  const out: string[] = [`${'check'.padEnd(width)}  result  findings`];
  for (const r of rows) out.push(`${r.target.padEnd(width)}  ${r.findings.length === 0 ? 'PASS  ' : 'FAIL  '}  ${r.findings.length}`);
  const all = rows.flatMap((r) => r.findings);
  if (all.length > 0) {
    out.push('', 'findings:');
    for (const f of all) out.push(`  ${f.file} [${f.check}] ${f.message}`);
  }
  out.push('', all.length === 0 ? 'deploy checks: all passed' : `deploy checks: ${all.length} finding(s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  return all.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
