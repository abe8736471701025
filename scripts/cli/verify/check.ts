/**
 * What a check of the deployment checklist is: a name, the facts it needs
 * from earlier checks (when one is missing the check is skipped), and a body
 * that either passes with a detail (and perhaps facts for later checks) or
 * throws; the thrown message is the table's detail.
 */
import type { BuildParams } from '../../../shared/domain/params.ts';
import type { RunState } from '../../../shared/domain/run-state.ts';
import { toApiError, type ApiClient, type BuildReply, type RawReply } from '../api-client.ts';

export interface VerifyOptions {
  /** Accept `storage_backend: local` (tests and local rehearsals). */
  allowLocal: boolean;
  /** How long the build may take to finish. */
  timeoutMs: number;
  /** Pause between run.json polls. */
  pollMs?: number;
  /** The key in use, so the checks can prove it is never echoed. */
  key: string | undefined;
}

/** One invocation of the checklist. */
export interface Verification {
  readonly client: ApiClient;
  readonly options: VerifyOptions;
  readonly pollMs: number;
  /** Strings no answer may contain (the key). */
  readonly secrets: readonly string[];
  /** Params nobody else posts (see `verifyParams`). */
  readonly params: BuildParams;
  readonly label: string;
  /** Every run this invocation made, deleted at the end. */
  readonly created: Set<string>;
}

/** What passed checks established, for the checks after them. */
export interface Facts {
  health: { body: Record<string, unknown>; text: string };
  keyWorks: true;
  /** The first build's answer: the run every later check looks at. */
  run: BuildReply;
  succeeded: RunState;
  /** run.json as served to a reader with no key. */
  runJson: RunState;
  deleted: true;
}
export type FactName = keyof Facts;

export interface Passed {
  detail: string;
  facts?: Partial<Facts>;
}

export interface VerifyCheck {
  readonly name: string;
  readonly needs: readonly FactName[];
  /** When false the check is not run and not reported (default: always run). */
  applies?(v: Verification, facts: Partial<Facts>): boolean;
  run(v: Verification, facts: Facts): Promise<Passed>;
}

/** A check that may read exactly the facts it declares it needs. */
export function defineCheck<N extends FactName = never>(check: {
  name: string;
  needs?: readonly N[];
  run(v: Verification, facts: Pick<Facts, N>): Promise<Passed>;
}): VerifyCheck {
  return { name: check.name, needs: check.needs ?? [], run: check.run };
}

/** Thrown by a check: the message is the table's detail. */
export class CheckFailed extends Error {}

export function fail(message: string): never {
  throw new CheckFailed(message);
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function expectStatus(reply: RawReply, expected: number | number[], what: string): void {
  const allowed = Array.isArray(expected) ? expected : [expected];
  if (!allowed.includes(reply.status)) {
    const got = reply.status >= 400 ? toApiError(reply).message : `${reply.status}`;
    fail(`${what}: expected ${allowed.join(' or ')}, got ${got}`);
  }
}

export function asBuildReply(reply: RawReply, what: string): BuildReply {
  const body = reply.json as Partial<BuildReply> | null;
  if (!body || typeof body.runId !== 'string' || !RUN_ID.test(body.runId)) fail(`${what}: the answer has no runId`);
  if (typeof body?.reused !== 'boolean') fail(`${what}: the answer has no "reused" flag`);
  const links = body?.links;
  if (!links || typeof links.ui !== 'string' || typeof links.runJson !== 'string' || typeof links.events !== 'string') fail(`${what}: the answer has no links {ui, runJson, events}`);
  return body as BuildReply;
}
