/** Types of liveness.js for the TypeScript that imports it (its unit test); the browser never loads this file. */
import type { RunState } from '../../../../shared/domain/run-state.ts';

type RunJson = Pick<RunState, 'status' | 'executions' | 'failure' | 'updatedAt' | 'cancelRequested'>;

export type LivenessState = 'succeeded' | 'failed' | 'cancelled' | 'starting' | 'healthy' | 'recovering' | 'stalled';

export interface Liveness {
  state: LivenessState;
  text: string;
  /** Since when the state holds (the lease's expiry when stalled, the last heartbeat when healthy). */
  since: string | null;
  /** The unfinished execution's place in the budget. */
  execution: { n: number; of: number } | null;
}

export const START_GRACE_MS: number;
export const DEFAULT_MAX_EXECUTIONS: number;
export const FAILURE_CODE_TEXT: Record<string, string>;
export function formatClock(iso: string | null | undefined): string;
export function ago(iso: string | null | undefined, now: number): string;
export function executionsUsed(run: Pick<RunState, 'executions'>): number;
export function unfinishedExecution(run: Pick<RunState, 'executions'>): RunState['executions'][number] | null;
export function failureSummary(run: Pick<RunState, 'status' | 'failure'>): { code: string; label: string; reason: string; node: string | null } | null;
export function liveness(run: RunJson, options?: { now?: number; maxExecutions?: number; startGraceMs?: number }): Liveness;
export function describeExecution(
  execution: RunState['executions'][number],
  index: number,
  run: Pick<RunState, 'status'>,
  now: number,
): { head: string; status: string; text: string };
