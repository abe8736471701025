import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkDockerfile,
  checkDockerfilesAgree,
  checkDockerignore,
  checkInfra,
  checkSourceEnvNames,
  dockerignoreExcludes,
  envNamesReadBySource,
  listSourceFiles,
  loadConfigEnvNames,
  parseEnvContract,
  parseYaml,
  unpinnedReason,
  yamlAt,
} from '../../scripts/check-deploy.ts';
import type { DockerfileKind, Finding, InfraFiles } from '../../scripts/check-deploy.ts';
import { loadConfig } from '../../shared/config.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const exists = (p: string): boolean => existsSync(join(ROOT, p));

const DOCKERFILES: Record<DockerfileKind, string> = { orchestrator: read('Dockerfile.orchestrator'), job: read('Dockerfile.job') };
const REAL_INFRA: InfraFiles = {
  'infra/env-contract.json': read('infra/env-contract.json'),
  'infra/service.yaml': read('infra/service.yaml'),
  'infra/job.yaml': read('infra/job.yaml'),
  'infra/deploy.sh': read('infra/deploy.sh'),
};
const CONTRACT = parseEnvContract(read('infra/env-contract.json'));
const allSources = (): boolean => true;

const show = (fs: Finding[]): string => fs.map((f) => `${f.file} [${f.check}] ${f.message}`).join('\n');
/** Asserts a mutation produced a finding of `check` whose message mentions `mention`. */
function expectFinding(findings: Finding[], check: string, mention: string): void {
  const hit = findings.find((f) => f.check === check && f.message.includes(mention));
  expect(hit, `expected a ${check} finding mentioning "${mention}", got:\n${show(findings) || '(none)'}`).to.not.equal(undefined);
}
/** Replaces exactly one occurrence, so a mutation can never silently miss. */
function mutate(text: string, from: string | RegExp, to: string): string {
  const count = typeof from === 'string' ? text.split(from).length - 1 : (text.match(new RegExp(from.source, from.flags.includes('g') ? from.flags : `${from.flags}g`)) ?? []).length;
  expect(count, `mutation target ${String(from)} must occur exactly once`).to.equal(1);
  return text.replace(from, to);
}
/** Removes the `- name: X` env entry (and its value lines) from a YAML text. */
function withoutEnv(yaml: string, name: string): string {
  const lines = yaml.split('\n');
  const i = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  expect(i, `${name} in the YAML`).to.be.greaterThan(-1);
  const indent = (lines[i] ?? '').indexOf('-');
  let j = i + 1;
  while (j < lines.length && (lines[j] ?? '').search(/\S/) > indent) j++;
  lines.splice(i, j - i);
  return lines.join('\n');
}

describe('deploy static checks: the real files', () => {
  for (const kind of ['orchestrator', 'job'] as const) {
    it(`Dockerfile for the ${kind} passes every rule`, () => {
      const findings = checkDockerfile(DOCKERFILES[kind], kind, { fileExists: allSources, nodeMajor: 22 });
      expect(findings, show(findings)).to.deep.equal([]);
    });

    it(`Dockerfile for the ${kind} runs an entrypoint that exists in the repo`, function () {
      const source = kind === 'orchestrator' ? 'orchestrator/main.ts' : 'job-runner/main.ts';
      if (!exists(source)) {
        console.warn(`      SKIPPED: ${source} is not written yet; the entrypoint check runs once it exists`);
        this.skip();
      }
      const findings = checkDockerfile(DOCKERFILES[kind], kind, { fileExists: exists, nodeMajor: 22 });
      expect(findings, show(findings)).to.deep.equal([]);
    });
  }

  it('both images are built FROM one pinned base whose Node major is the tests\' major', () => {
    expect(checkDockerfilesAgree(DOCKERFILES.orchestrator, DOCKERFILES.job)).to.deep.equal([]);
    const nodeVersion = /FROM node:(\d+)\.\d+\.\d+/.exec(DOCKERFILES.job)?.[1];
    expect(Number(nodeVersion)).to.equal(Number(process.versions.node.split('.')[0]));
  });

  it('.dockerignore keeps secrets, tests and local data out and what the build needs in', () => {
    const findings = checkDockerignore(read('.dockerignore'));
    expect(findings, show(findings)).to.deep.equal([]);
  });

  it('infra templates satisfy infra/env-contract.json', () => {
    const findings = checkInfra(REAL_INFRA);
    expect(findings, show(findings)).to.deep.equal([]);
  });

  describe('deploy.sh DRY_RUN output', () => {
    let dir = '';
    let rendered: { service: string; job: string; condition: string } | undefined;
    before(function () {
      const tools = spawnSync('bash', ['-c', 'command -v envsubst'], { encoding: 'utf8' });
      if (tools.status !== 0) {
        console.warn('      SKIPPED: envsubst (gettext-base) is not installed; deploy.sh rendering not exercised');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'sf-render-'));
      const digest = `sha256:${'a'.repeat(64)}`;
      const r = spawnSync('bash', [join(ROOT, 'infra', 'deploy.sh')], {
        encoding: 'utf8',
        env: {
          PATH: process.env['PATH'] ?? '',
          DRY_RUN: '1',
          PROJECT_ID: 'demo-project',
          RENDER_DIR: dir,
          IMAGE_TAG: 'test',
          // What build_images resolves in a real deploy: images by digest.
          ORCHESTRATOR_IMAGE: `europe-west1-docker.pkg.dev/demo-project/scenarioforge/orchestrator@${digest}`,
          JOB_IMAGE: `europe-west1-docker.pkg.dev/demo-project/scenarioforge/job-runner@${digest}`,
          GEMINI_SECRET_VERSION: '7',
        },
      });
      expect(r.status, r.stderr).to.equal(0);
      rendered = {
        service: readFileSync(join(dir, 'service.yaml'), 'utf8'),
        job: readFileSync(join(dir, 'job.yaml'), 'utf8'),
        condition: readFileSync(join(dir, 'bucket-condition.json'), 'utf8'),
      };
    });
    after(() => {
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    it('fills every placeholder, pins the secrets, and the rendered YAML passes too', () => {
      const { service, job, condition } = rendered ?? { service: '', job: '', condition: '' };
      for (const text of [service, job, condition]) expect(text).to.not.include('${');
      const findings = checkInfra({ ...REAL_INFRA, 'infra/service.yaml': service, 'infra/job.yaml': job });
      expect(findings, show(findings)).to.deep.equal([]);
      expect(yamlAt(parseYaml(job), 'spec.template.spec.template.spec.timeoutSeconds')).to.equal('3600');
      const expression = (JSON.parse(condition) as { expression: string }).expression;
      expect(expression).to.include('projects/_/buckets/demo-project-scenarioforge-runs/objects/scenarioforge/');
      expect(expression).to.include('objectListPrefix');
      expect(service).to.include("key: '7'");
    });

    /** The env a process would see: the YAML's values, fake secrets, and what Cloud Run / the launcher add. */
    const envOf = (yaml: string, extra: Record<string, string>): Record<string, string> => {
      const path = yaml.includes('kind: Job') ? 'spec.template.spec.template.spec.containers' : 'spec.template.spec.containers';
      const containers = yamlAt(parseYaml(yaml), path);
      const first = Array.isArray(containers) ? containers[0] : undefined;
      const list = first !== undefined && first !== null && typeof first === 'object' && !Array.isArray(first) ? first['env'] : undefined;
      const env: Record<string, string> = {};
      for (const e of Array.isArray(list) ? list : []) {
        if (e === null || typeof e !== 'object' || Array.isArray(e) || typeof e['name'] !== 'string') continue;
        env[e['name']] = typeof e['value'] === 'string' ? e['value'] : `fake-secret-for-${e['name']}`;
      }
      return { ...env, ...extra };
    };

    it('the orchestrator\'s env from service.yaml passes shared/config.ts', () => {
      const keysFile = join(dir, 'api-keys');
      writeFileSync(keysFile, 'acme:test-key-123456');
      const env = envOf(rendered?.service ?? '', { PORT: '8080', K_SERVICE: 'scenarioforge' });
      expect(env['API_KEYS_FILE']).to.equal('/secrets/api-keys/api-keys');
      env['API_KEYS_FILE'] = keysFile; // the secret volume's file, here
      const config = loadConfig(env);
      expect(config.store.kind).to.equal('gcs');
      expect(config.launcher.kind).to.equal('cloudrun');
      expect(config.apiKeys.size).to.equal(1);
    });

    it('the job\'s env from job.yaml passes shared/config.ts', () => {
      const env = envOf(rendered?.job ?? '', {
        CLOUD_RUN_JOB: 'scenarioforge-job', CLOUD_RUN_EXECUTION: 'scenarioforge-job-abcde', CLOUD_RUN_TASK_ATTEMPT: '0',
        CLOUD_RUN_TASK_INDEX: '0', CLOUD_RUN_TASK_COUNT: '1', RUN_ID: '0190b8c4-0000-7000-8000-000000000000', EXECUTION_ID: 'e1',
      });
      const config = loadConfig(env, 'job');
      expect(config.store.kind).to.equal('gcs');
    });
  });

  it('deploy.sh refuses a bad value with one line naming the variable', () => {
    const r = spawnSync('bash', [join(ROOT, 'infra', 'deploy.sh')], {
      encoding: 'utf8',
      env: { PATH: process.env['PATH'] ?? '', DRY_RUN: '1', PROJECT_ID: 'demo-project', RUNS_PREFIX: '/runs/', RENDER_DIR: tmpdir() },
    });
    expect(r.status).to.not.equal(0);
    expect(r.stderr).to.match(/RUNS_PREFIX=/);
  });

  it('the code reads no environment variable that infra/env-contract.json leaves out', () => {
    const reads = envNamesReadBySource(listSourceFiles(ROOT), CONTRACT);
    const config = loadConfigEnvNames(ROOT);
    expect(config.error, config.error).to.equal(undefined);
    const findings = checkSourceEnvNames(reads, CONTRACT, config.names);
    expect(findings, show(findings)).to.deep.equal([]);
  });
});

describe('deploy static checks: each rule can fail', () => {
  const orchestrator = DOCKERFILES.orchestrator;
  const check = (text: string, kind: DockerfileKind = 'orchestrator'): Finding[] => checkDockerfile(text, kind, { fileExists: allSources, nodeMajor: 22 });

  it('a removed USER line → dockerfile.user', () => {
    expectFinding(check(mutate(orchestrator, /^USER node\n/m, '')), 'dockerfile.user', 'root');
  });

  it('USER root → dockerfile.user', () => {
    expectFinding(check(mutate(orchestrator, /^USER node$/m, 'USER 0:0')), 'dockerfile.user', 'root');
  });

  for (const base of ['node:22-slim', 'node:latest', 'node', 'node:22.23-bookworm-slim', 'node:lts-slim', '${NODE_IMAGE}']) {
    it(`base ${base} → dockerfile.pinned-base`, () => {
      const text = orchestrator.replace(/^FROM node:22\.23\.3-bookworm-slim AS runtime$/m, `FROM ${base} AS runtime`);
      expect(text).to.not.equal(orchestrator);
      expectFinding(check(text), 'dockerfile.pinned-base', base);
    });
  }

  it('a digest-pinned base is accepted, another Node major is not', () => {
    expect(unpinnedReason(`node@sha256:${'0'.repeat(64)}`)).to.equal(null);
    expect(unpinnedReason('node:22.23.3-bookworm-slim')).to.equal(null);
    const text = orchestrator.replaceAll('node:22.23.3-bookworm-slim', 'node:20.19.5-bookworm-slim');
    expectFinding(check(text), 'dockerfile.node-major', 'Node 20');
  });

  it('a single stage → dockerfile.multi-stage', () => {
    const single = 'FROM node:22.23.3-bookworm-slim\nENV NODE_ENV=production\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev --omit=optional && npx tsc -p tsconfig.build.json\nUSER node\nCMD ["node", "dist/orchestrator/main.js"]\n';
    expectFinding(check(single), 'dockerfile.multi-stage', '1 FROM');
  });

  it('no NODE_ENV=production → dockerfile.node-env', () => {
    expectFinding(check(mutate(orchestrator, 'NODE_ENV=production', 'NODE_ENV=development')), 'dockerfile.node-env', 'NODE_ENV');
  });

  it('shell-form CMD, or a wrapper in front of node → dockerfile.exec-form', () => {
    expectFinding(check(mutate(orchestrator, 'CMD ["node", "dist/orchestrator/main.js"]', 'CMD node dist/orchestrator/main.js')), 'dockerfile.exec-form', 'shell form');
    expectFinding(check(mutate(orchestrator, 'CMD ["node", "dist/orchestrator/main.js"]', 'CMD ["npm", "start"]')), 'dockerfile.exec-form', 'npm');
    expectFinding(check(mutate(orchestrator, 'CMD ["node", "dist/orchestrator/main.js"]', 'CMD ["sh", "-c", "node dist/orchestrator/main.js"]')), 'dockerfile.exec-form', 'wrapper');
  });

  it('a command that runs what the build does not produce → dockerfile.entrypoint', () => {
    expectFinding(check(mutate(orchestrator, 'dist/orchestrator/main.js"]', 'orchestrator/main.ts"]')), 'dockerfile.entrypoint', 'dist/orchestrator/main.js');
    expectFinding(check(DOCKERFILES.job, 'orchestrator'), 'dockerfile.entrypoint', 'dist/job-runner/main.js');
    const missing = checkDockerfile(orchestrator, 'orchestrator', { fileExists: (p) => p !== 'orchestrator/main.ts' });
    expectFinding(missing, 'dockerfile.entrypoint', 'does not exist');
  });

  it('COPY of a .env or a key, or a secret ENV → dockerfile.no-secrets', () => {
    expectFinding(check(mutate(orchestrator, 'COPY package.json package-lock.json ./\nRUN npm ci --omit=dev', 'COPY package.json package-lock.json .env ./\nRUN npm ci --omit=dev')), 'dockerfile.no-secrets', '.env');
    expectFinding(check(mutate(orchestrator, 'USER node', 'COPY certs/server.pem /etc/ssl/\nUSER node')), 'dockerfile.no-secrets', 'server.pem');
    expectFinding(check(mutate(orchestrator, 'USER node', 'ENV GEMINI_API_KEY=abc\nUSER node')), 'dockerfile.no-secrets', 'GEMINI_API_KEY');
  });

  it('runtime npm ci without --omit=dev, or npm install → a finding', () => {
    expectFinding(check(mutate(orchestrator, 'RUN npm ci --omit=dev --omit=optional', 'RUN npm ci --omit=optional')), 'dockerfile.omit-dev', '--omit=dev');
    expectFinding(check(mutate(orchestrator, 'RUN npm ci --omit=dev --omit=optional', 'RUN npm install --omit=dev --omit=optional')), 'dockerfile.npm-ci', 'npm install');
  });

  it('no tsc build, or no dist copied → a finding', () => {
    expectFinding(check(mutate(orchestrator, 'RUN npx tsc -p tsconfig.build.json', 'RUN true')), 'dockerfile.build', 'tsconfig.build.json');
    expectFinding(check(mutate(orchestrator, 'COPY --from=build /app/dist ./dist\n', '')), 'dockerfile.copy-dist', 'dist');
  });

  it('two Dockerfiles on different bases → dockerfile.one-base', () => {
    const other = DOCKERFILES.job.replaceAll('node:22.23.3-bookworm-slim', 'node:22.22.0-bookworm-slim');
    expectFinding(checkDockerfilesAgree(orchestrator, other), 'dockerfile.one-base', 'one tag');
  });

  it('.dockerignore without the .env or *.pem rules → dockerignore.exclude', () => {
    const ignore = read('.dockerignore');
    const noEnv = ignore.split('\n').filter((l) => !l.includes('.env')).join('\n');
    expectFinding(checkDockerignore(noEnv), 'dockerignore.exclude', '.env');
    const noPem = ignore.split('\n').filter((l) => !l.includes('.pem')).join('\n');
    expectFinding(checkDockerignore(noPem), 'dockerignore.exclude', 'key.pem');
    expectFinding(checkDockerignore(`${ignore}\nshared\n`), 'dockerignore.include', 'shared/domain/events.ts');
    expect(dockerignoreExcludes('*\n!package.json\n', 'package.json')).to.equal(false);
    expect(dockerignoreExcludes('**/*.pem\n', 'a/b/c.pem')).to.equal(true);
  });

  const infraWith = (patch: Partial<InfraFiles>): Finding[] => checkInfra({ ...REAL_INFRA, ...patch });
  const service = REAL_INFRA['infra/service.yaml'] ?? '';
  const job = REAL_INFRA['infra/job.yaml'] ?? '';

  for (const name of ['GCS_BUCKET', 'RUNS_PREFIX', 'PUBSUB_TOPIC', 'GEMINI_API_KEY', 'SCENARIOOPS_PIPELINE_VERSION']) {
    it(`job.yaml without ${name} → infra.env-required`, () => {
      expectFinding(infraWith({ 'infra/job.yaml': withoutEnv(job, name) }), 'infra.env-required', name);
    });
  }

  for (const name of ['CLOUD_RUN_JOB', 'JOB_LAUNCHER', 'API_KEYS_FILE', 'RUN_STORE']) {
    it(`service.yaml without ${name} → infra.env-required`, () => {
      expectFinding(infraWith({ 'infra/service.yaml': withoutEnv(service, name) }), 'infra.env-required', name);
    });
  }

  it('RUN_STORE=local → infra.run-store and infra.env-value', () => {
    const findings = infraWith({ 'infra/job.yaml': mutate(job, /(- name: RUN_STORE\n\s+value: )gcs/, '$1local') });
    expectFinding(findings, 'infra.run-store', 'gcs');
    expectFinding(findings, 'infra.env-value', 'RUN_STORE');
  });

  it('a secret at `latest`, or at an unresolved placeholder → infra.secret-pinned', () => {
    const latestEnv = mutate(service, /(secretKeyRef:\n\s+name: \$\{GEMINI_SECRET\}\n\s+key: )'\$\{GEMINI_SECRET_VERSION\}'/, "$1latest");
    expectFinding(infraWith({ 'infra/service.yaml': latestEnv }), 'infra.secret-pinned', 'latest');
    const latestVolume = mutate(service, "- key: '${API_KEYS_SECRET_VERSION}'", '- key: latest');
    expectFinding(infraWith({ 'infra/service.yaml': latestVolume }), 'infra.secret-pinned', 'api-keys');
    const unresolved = mutate(REAL_INFRA['infra/deploy.sh'] ?? '', /^\s*GEMINI_SECRET_VERSION="\$\(pinned_version .*$/m, '  : # not resolved');
    expectFinding(infraWith({ 'infra/deploy.sh': unresolved }), 'infra.secret-pinned', 'GEMINI_SECRET_VERSION');
  });

  it('a literal Gemini key → infra.literal-secret', () => {
    const literal = mutate(job, /- name: GEMINI_API_KEY\n\s+valueFrom:\n\s+secretKeyRef:\n\s+name: .*\n\s+key: .*\n/, `- name: GEMINI_API_KEY\n                  value: AIza${'x'.repeat(35)}\n`);
    const findings = infraWith({ 'infra/job.yaml': literal });
    expectFinding(findings, 'infra.literal-secret', 'GEMINI_API_KEY');
  });

  it('RUN_ID in the job definition, PORT on the service, an emulator host in the cloud → a finding each', () => {
    const addEnv = (text: string, name: string, value: string): string => mutate(text, /( +)- name: RUN_STORE\n/, `$1- name: ${name}\n$1  value: '${value}'\n$1- name: RUN_STORE\n`);
    expectFinding(infraWith({ 'infra/job.yaml': addEnv(job, 'RUN_ID', 'x') }), 'infra.env-override', 'RUN_ID');
    expectFinding(infraWith({ 'infra/service.yaml': addEnv(service, 'PORT', '8080') }), 'infra.env-reserved', 'PORT');
    expectFinding(infraWith({ 'infra/job.yaml': addEnv(job, 'PUBSUB_EMULATOR_HOST', '127.0.0.1:8085') }), 'infra.env-local-only', 'PUBSUB_EMULATOR_HOST');
    expectFinding(infraWith({ 'infra/job.yaml': addEnv(job, 'RUNSTORE', 'gcs') }), 'infra.env-unknown', 'RUNSTORE');
  });

  it('the service and the job disagreeing on the pipeline version → infra.env-same', () => {
    const text = mutate(job, "value: '${PIPELINE_VERSION}'", "value: 'v2'");
    expectFinding(infraWith({ 'infra/job.yaml': text }), 'infra.env-same', 'SCENARIOOPS_PIPELINE_VERSION');
  });

  it('job retries, task count and timeout are held to the design', () => {
    expectFinding(infraWith({ 'infra/job.yaml': mutate(job, 'maxRetries: 3', 'maxRetries: 0') }), 'infra.job-retries', 'maxRetries');
    expectFinding(infraWith({ 'infra/job.yaml': mutate(job, 'taskCount: 1', 'taskCount: 2') }), 'infra.job-tasks', 'taskCount');
    expectFinding(infraWith({ 'infra/job.yaml': mutate(job, /^ +timeoutSeconds: .*\n/m, '') }), 'infra.job-timeout', 'timeoutSeconds');
  });

  it('a placeholder deploy.sh does not fill → infra.placeholders', () => {
    expectFinding(infraWith({ 'infra/job.yaml': mutate(job, "value: '${TOPIC}'", "value: '${PUBSUB_TOPIC_ID}'") }), 'infra.placeholders', 'PUBSUB_TOPIC_ID');
  });

  it('API_KEYS_FILE outside the mounted secret → infra.api-keys-file', () => {
    expectFinding(infraWith({ 'infra/service.yaml': mutate(service, 'value: /secrets/api-keys/api-keys', 'value: /etc/api-keys') }), 'infra.api-keys-file', '/etc/api-keys');
  });

  it('the code reading a variable the contract leaves out → source.env-contract', () => {
    const reads = envNamesReadBySource([
      { path: 'shared/x.ts', text: "const a = process.env.SECRET_SAUCE;\nconst b = process.env['OTHER_ONE'];\n// process.env.IN_A_COMMENT\n" },
      { path: 'orchestrator/y.ts', text: 'const { RUN_ID } = process.env;\nexport const c = env?.NODE_MAX_ATTEMPTS;\n' },
      { path: 'shared/my-config.ts', text: "export const NAMES = ['GCS_BUCKET', 'SHINY_NEW_VAR'];\nint('POLL');\n" },
      { path: 'job-runner/z.ts', text: 'env.RUN_ID = "x";\n' },
    ], CONTRACT);
    const names = reads.map((r) => r.name);
    expect(names).to.include.members(['SECRET_SAUCE', 'OTHER_ONE', 'RUN_ID', 'NODE_MAX_ATTEMPTS', 'GCS_BUCKET', 'SHINY_NEW_VAR', 'POLL']);
    expect(names).to.not.include('IN_A_COMMENT');
    expect(reads.filter((r) => r.path === 'job-runner/z.ts')).to.deep.equal([]); // an assignment is not a read
    const findings = checkSourceEnvNames(reads, CONTRACT, ['ANOTHER_ONE']);
    for (const n of ['SECRET_SAUCE', 'OTHER_ONE', 'SHINY_NEW_VAR', 'POLL', 'ANOTHER_ONE']) expectFinding(findings, 'source.env-contract', n);
    expectFinding(findings, 'source.env-contract', 'reads RUN_ID in the orchestrator'); // RUN_ID is the job's
    expect(findings.some((f) => f.message.includes('NODE_MAX_ATTEMPTS'))).to.equal(false);
  });
});

describe('deploy static checks: the YAML subset reader', () => {
  it('reads mappings, sequences of mappings, quoted scalars and comments', () => {
    const v = parseYaml("a:\n  b: 'x # not a comment' # a comment\n  list:\n    - name: one\n      value: \"t\\\"q\"\n    - two\nc:\n- 1\n");
    expect(v).to.deep.equal({ a: { b: 'x # not a comment', list: [{ name: 'one', value: 't"q' }, 'two'] }, c: ['1'] });
  });

  for (const [what, text] of [
    ['flow collections', 'a: {b: 1}\n'],
    ['anchors', 'a: &x 1\n'],
    ['block scalars', 'a: |\n  text\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['tabs', 'a:\n\tb: 1\n'],
  ] as const) {
    it(`refuses ${what} instead of guessing`, () => {
      expect(() => parseYaml(text)).to.throw(/line \d+/);
    });
  }
});
