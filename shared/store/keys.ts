/**
 * Every object key the stores touch is built here, from parts that are checked
 * against strict allow-lists first. A run id or artifact name that could
 * address anything outside its run (`..`, `/`, `%2e%2e`, NUL, absolute paths)
 * is refused before any I/O happens.
 */

/** Thrown when a run id, artifact name, tenant or signature is not acceptable as part of a key. */
export class InvalidKeyError extends Error {
  override readonly name = 'InvalidKeyError';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ARTIFACT = /^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const TENANT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const SIGNATURE = /^sha256:[0-9a-f]{64}$/;

export function checkRunId(runId: string): string {
  if (!RUN_ID.test(runId)) throw new InvalidKeyError('runId', 'run id must be a lowercase UUID');
  return runId;
}

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

export function checkArtifactName(name: string): string {
  if (name.length === 0 || name.length > 128 || !ARTIFACT.test(name)) {
    throw new InvalidKeyError('name', 'artifact name must be letters, digits, "-", "_" and single dots (at most 128 characters)');
  }
  return name;
}

export function checkTenant(tenant: string): string {
  if (!TENANT.test(tenant)) throw new InvalidKeyError('tenant', 'tenant must be 1–63 letters, digits, "-" or "_"');
  return tenant;
}

export function checkSignature(signature: string): string {
  if (!SIGNATURE.test(signature)) throw new InvalidKeyError('signature', 'signature must be sha256:<64 hex digits>');
  return signature;
}

/**
 * Listing index names sort newest first: each hex digit of the UUIDv7 is
 * complemented, so ascending object order (all GCS can list) is descending
 * creation order. The mapping is its own inverse.
 */
export function invertRunId(id: string): string {
  let out = '';
  for (const ch of id) out += ch === '-' ? '-' : (15 - parseInt(ch, 16)).toString(16);
  return out;
}

export const keys = {
  /** Everything stored per run lives under here. */
  allRunsPrefix: 'runs/',
  runPrefix: (runId: string) => `runs/${checkRunId(runId)}/`,
  events: (runId: string) => `runs/${checkRunId(runId)}/events.jsonl`,
  projection: (runId: string) => `runs/${checkRunId(runId)}/run.json`,
  lease: (runId: string) => `runs/${checkRunId(runId)}/lease.json`,
  publishCursor: (runId: string) => `runs/${checkRunId(runId)}/publish-cursor.json`,
  artifactPrefix: (runId: string) => `runs/${checkRunId(runId)}/artifacts/`,
  artifact: (runId: string, name: string) => `runs/${checkRunId(runId)}/artifacts/${checkArtifactName(name)}`,
  indexPrefix: (tenant: string) => `tenants/${checkTenant(tenant)}/runs/`,
  activePrefix: 'active/',
  activeEntry: (runId: string) => `active/${checkRunId(runId)}`,
  indexEntry: (tenant: string, runId: string) => `tenants/${checkTenant(tenant)}/runs/${invertRunId(checkRunId(runId))}`,
  claim: (tenant: string, signature: string) =>
    `tenants/${checkTenant(tenant)}/signatures/${checkSignature(signature).slice('sha256:'.length)}`,
};
