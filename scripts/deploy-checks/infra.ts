/**
 * infra/: the service and job YAML against infra/env-contract.json and
 * deploy.sh — strict mode and filled placeholders, the shapes Cloud Run
 * expects, the env each process gets (required set, reserved names left
 * alone, secrets only from pinned Secret Manager versions), and the API keys
 * volume.
 */
import { parseEnvContract, type EnvContract, type Process } from './env-contract.ts';
import { unpinnedReason } from './dockerfiles.ts';
import type { Finding } from './finding.ts';
import { isYamlMap as isMap, parseYaml, yamlAt, yamlStrings, type YamlMap, type YamlValue } from './yaml.ts';

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

type Add = (file: string, check: string, message: string) => void;
/** Why a secret version is not pinned, or null when it is. */
type PinnedRule = (key: string | null | undefined) => string | null;

/** deploy.sh: strict mode, and every placeholder of the YAML filled by it; no literal credential in the YAML. */
function checkDeployScript(deploySh: string, docs: Array<[file: string, doc: YamlValue, text: string]>, add: Add): void {
  const vars = templateVars(deploySh);
  if (!/^set -euo pipefail$/m.test(deploySh)) add('infra/deploy.sh', 'infra.deploy-strict', 'deploy.sh does not `set -euo pipefail`');
  if (vars.size === 0) add('infra/deploy.sh', 'infra.placeholders', 'deploy.sh has no TEMPLATE_VARS=( … ) list');
  for (const name of vars) {
    if (deployDefault(deploySh, name) === undefined && !new RegExp(`^\\s*${name}=`, 'm').test(deploySh)) {
      add('infra/deploy.sh', 'infra.placeholders', `${name} is in TEMPLATE_VARS but neither documented with a default (: "\${${name}:=…}") nor computed`);
    }
  }
  for (const [file, doc, text] of docs) {
    for (const s of yamlStrings(doc)) {
      for (const m of s.matchAll(PLACEHOLDER)) {
        if (!vars.has(m[1] ?? '')) add(file, 'infra.placeholders', `\${${m[1]}} is not in deploy.sh TEMPLATE_VARS, so it would reach Cloud Run unfilled`);
      }
    }
    if (looksLikeSecretValue(text)) add(file, 'infra.literal-secret', 'a literal credential appears in the file');
  }
}

/** The pinned-version rule: a number, or a placeholder deploy.sh resolves to one. */
function pinnedRule(deploySh: string): PinnedRule {
  return (key) => {
    if (key === null || key === undefined || key === '') return 'no version';
    if (/^\d+$/.test(key)) return null;
    const ph = ONLY_PLACEHOLDER.exec(key);
    if (ph) {
      const name = ph[1] ?? '';
      return new RegExp(`^\\s*${name}="\\$\\(pinned_version `, 'm').test(deploySh) ? null : `\${${name}} is not resolved by pinned_version in deploy.sh`;
    }
    return key === 'latest' ? 'latest moves with every new version' : `version "${key}" is not a number`;
  };
}

/** Kinds, service accounts, concurrency, task count, retries, timeout, images; returns each file's one container. */
function checkShapes(service: YamlValue, job: YamlValue, deploySh: string, add: Add): { serviceContainer?: YamlMap; jobContainer?: YamlMap } {
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
  return { ...(serviceContainer ? { serviceContainer } : {}), ...(jobContainer ? { jobContainer } : {}) };
}

/** One process's env entries against the contract. */
function checkProcessEnv(entries: EnvEntry[], proc: Process, file: string, contract: EnvContract, pinned: PinnedRule, add: Add): void {
  const byName = new Map(contract.vars.map((v) => [v.name, v]));
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

/** Both processes: each against the contract, RUN_STORE=gcs, and what must be the same in both. */
function checkEnv(envs: Map<Process, EnvEntry[]>, contract: EnvContract, pinned: PinnedRule, add: Add): void {
  for (const [proc, file] of [['orchestrator', 'infra/service.yaml'], ['job', 'infra/job.yaml']] as const) {
    checkProcessEnv(envs.get(proc) ?? [], proc, file, contract, pinned, add);
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
}

/** Secret volumes (the API keys file): pinned, and API_KEYS_FILE points into one. */
function checkSecretVolumes(service: YamlValue, serviceContainer: YamlMap | undefined, serviceEnv: EnvEntry[], pinned: PinnedRule, add: Add): void {
  const serviceSpec = yamlAt(service, 'spec.template.spec');
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
  const keysFile = serviceEnv.find((e) => e.name === 'API_KEYS_FILE');
  if (keysFile !== undefined && (typeof keysFile.value !== 'string' || !secretFiles.includes(keysFile.value))) {
    add('infra/service.yaml', 'infra.api-keys-file', `API_KEYS_FILE=${String(keysFile.value)} is not a file of a mounted secret volume (${secretFiles.join(', ') || 'none'})`);
  }
}

/** Checks infra/service.yaml and infra/job.yaml (templates or rendered) against the contract and deploy.sh. */
export function checkInfra(files: InfraFiles): Finding[] {
  const findings: Finding[] = [];
  const add: Add = (file, check, message) => { findings.push({ file, check, message }); };
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
  const parsed = new Map<string, YamlValue>();
  for (const [file, text] of [['infra/service.yaml', serviceText], ['infra/job.yaml', jobText]] as const) {
    try {
      parsed.set(file, parseYaml(text));
    } catch (e) {
      add(file, 'infra.yaml', e instanceof Error ? e.message : String(e));
    }
  }
  const service = parsed.get('infra/service.yaml');
  const job = parsed.get('infra/job.yaml');
  if (service === undefined || job === undefined) return findings;

  checkDeployScript(deploySh, [['infra/service.yaml', service, serviceText], ['infra/job.yaml', job, jobText]], add);
  const pinned = pinnedRule(deploySh);
  const { serviceContainer, jobContainer } = checkShapes(service, job, deploySh, add);
  const envs = new Map<Process, EnvEntry[]>([['orchestrator', readEnv(serviceContainer?.['env'])], ['job', readEnv(jobContainer?.['env'])]]);
  checkEnv(envs, contract, pinned, add);
  checkSecretVolumes(service, serviceContainer, envs.get('orchestrator') ?? [], pinned, add);
  return findings;
}
