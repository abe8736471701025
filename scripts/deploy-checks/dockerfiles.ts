/**
 * The two Dockerfiles against DESIGN §10 and the deploy brief: multi-stage,
 * one pinned base on the tests' Node major, no secret in any layer, a tsc
 * build, a runtime of production dependencies run as a non-root user, and
 * node itself (exec form) running the compiled entrypoint.
 */
import type { Finding } from './finding.ts';

export type DockerfileKind = 'orchestrator' | 'job';

/** The source directory and compiled entrypoint of each image. */
export const ENTRYPOINTS: Record<DockerfileKind, { source: string; compiled: string; dockerfile: string }> = {
  orchestrator: { source: 'orchestrator/main.ts', compiled: 'dist/orchestrator/main.js', dockerfile: 'Dockerfile.orchestrator' },
  job: { source: 'job-runner/main.ts', compiled: 'dist/job-runner/main.js', dockerfile: 'Dockerfile.job' },
};

export interface Instruction { op: string; args: string; line: number }
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

type Add = (check: string, message: string) => void;

function checkBases(stages: Stage[], nodeMajor: number, add: Add): void {
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
}

function checkNoSecrets(stages: Stage[], add: Add): void {
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
}

/** The runtime stage: non-root, production, production dependencies only, the compiled dist/ and nothing else. */
function checkRuntime(inherited: Instruction[], own: Instruction[], add: Add): void {
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
}

/** The command: exec form, node itself (SIGTERM must reach it), the compiled entrypoint. */
function checkCommand(inherited: Instruction[], kind: DockerfileKind, options: DockerfileOptions, add: Add): void {
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
}

/** Checks one Dockerfile for the rules of DESIGN §10 and the deploy brief. */
export function checkDockerfile(text: string, kind: DockerfileKind, options: DockerfileOptions = {}): Finding[] {
  const file = ENTRYPOINTS[kind].dockerfile;
  const findings: Finding[] = [];
  const add: Add = (check, message) => { findings.push({ file, check, message }); };
  const stages = splitStages(parseDockerfile(text));
  if (stages.length < 2) add('dockerfile.multi-stage', `${stages.length} FROM: build and runtime must be separate stages`);
  if (stages.length === 0) return findings;
  checkBases(stages, options.nodeMajor ?? 22, add);
  // Secrets never enter any stage (layers of a build stage are still pushed to caches).
  checkNoSecrets(stages, add);
  // Build: compile with tsc against tsconfig.build.json.
  const builds = stages.slice(0, -1).flatMap((s) => s.instructions).filter((i) => i.op === 'RUN');
  if (!builds.some((i) => /\btsc\b/.test(i.args) && /(-p|--project)[ =]tsconfig\.build\.json\b/.test(i.args))) {
    add('dockerfile.build', 'no build stage runs `tsc -p tsconfig.build.json`');
  }

  // Runtime: the last stage, with what it inherits from earlier stages it is built FROM.
  const runtimeIndex = stages.length - 1;
  const inherited = stageChain(stages, runtimeIndex).flatMap((s) => s.instructions);
  checkRuntime(inherited, stages[runtimeIndex]?.instructions ?? [], add);
  checkCommand(inherited, kind, options, add);
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
