/**
 * The JobLauncher port: how the orchestrator starts one execution of the job
 * for a run, after it has appended `execution.requested` (DESIGN.md §5).
 *
 * Adapters: `getLocalLauncher` (a detached child process running the job
 * entrypoint, supervised like a Cloud Run task) and `getCloudRunLauncher`
 * (`@google-cloud/run` `JobsClient.runJob`). The composition root picks one
 * from `JOB_LAUNCHER`.
 *
 * Launching is at-least-once by design: a launch that timed out may still have
 * started an execution, and retrying it may start a second one. That is safe
 * because the job takes the run's lease; an execution that finds a live lease
 * records nothing and exits 0.
 *
 * After the launch the orchestrator can ask what became of an execution
 * (`observe`): the platform's view, fed to the reconciler (DESIGN.md §11),
 * which closes executions the platform says ended.
 */

/** What to start: the run to resume and the execution id recorded in `execution.requested`. */
export interface LaunchRequest {
  runId: string;
  executionId: string;
}

/** What was started. */
export interface LaunchResult {
  backend: 'local' | 'cloudrun';
  /**
   * A handle for the started execution, for logs and operators.
   * - local: `local/executions/<short>` where `<short>` is the synthetic
   *   `CLOUD_RUN_EXECUTION` the child sees (e.g. `local-k3x9q`).
   * - cloudrun: the execution resource name,
   *   `projects/P/locations/L/jobs/J/executions/J-xxxxx`.
   */
  name: string;
  /**
   * The platform's own handle when `name` is not it, to record with the
   * launch and hand back to {@link JobLauncher.observe} (see
   * {@link platformExecutionOf}):
   * - local, process mode: `local:<pid>` (the first attempt's process group);
   * - local, worker mode: `worker:<workerPid>:<executionId>`;
   * - cloudrun: absent, since `name` already is the execution resource name
   *   read from the runJob operation's metadata.
   */
  platformExecution?: string;
}

/** What to record of a launch and pass to `observe` later: the platform's handle for the execution. */
export function platformExecutionOf(result: LaunchResult): string {
  return result.platformExecution ?? result.name;
}

/** How an execution ended, in the platform's terms. */
export type ExecutionOutcome = 'succeeded' | 'failed' | 'cancelled';

/**
 * What the platform says of one execution right now:
 * - `running`: it is live (started, between task retries, or still pending);
 * - `ended`: it will do nothing more; `reason` is one sentence a judge can
 *   read ("the job process exited with code 1 after 3 attempts
 *   (JOB_MAX_RETRIES=2)"), `endedAt` an ISO time when the platform knows it;
 * - `unknown`: the platform could not say (an API error, no record of it);
 *   `reason` says why. The lease is then the only witness.
 */
export type ExecutionObservation =
  | { state: 'running' }
  | { state: 'ended'; outcome: ExecutionOutcome; reason: string; endedAt?: string }
  | { state: 'unknown'; reason?: string };

export interface JobLauncher {
  readonly backend: 'local' | 'cloudrun';
  /**
   * Starts one execution and resolves as soon as it is started (the child is
   * spawned / Cloud Run accepted the request); it never waits for the job to
   * finish. Rejects with {@link LaunchError} only.
   */
  launch(req: LaunchRequest): Promise<LaunchResult>;
  /**
   * Asks the platform what became of an execution: `executionId` as recorded
   * in `execution.requested`, `platformExecution` as
   * {@link platformExecutionOf} read it from the launch (Cloud Run needs it:
   * without an execution name the answer is `unknown`; local launchers find
   * their own executions by id and use it for ones they did not start).
   * Never rejects: trouble asking is `unknown`.
   */
  observe(executionId: string, platformExecution?: string): Promise<ExecutionObservation>;
  /** Releases the launcher's resources. Further `launch` calls reject. Idempotent. */
  close(): Promise<void>;
}

/**
 * Thrown when an execution could not be started. `retryable` says whether the
 * same launch may succeed if tried again later (rate limits, 5xx, network
 * trouble, a transient spawn failure) or never will as configured (bad job
 * name, permission denied, missing entrypoint, launcher closed).
 *
 * The message never contains credentials or request headers, and no raw
 * client error is attached as `cause` (those can carry an Authorization header).
 */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  readonly retryable: boolean;
  /** A short machine-readable reason, e.g. `UNAVAILABLE`, `NOT_FOUND`, `ENOENT`, `closed`. */
  readonly code: string;
  /** The HTTP status the launcher's API answered, when there was one. */
  readonly httpStatus: number | undefined;

  constructor(message: string, options: { retryable: boolean; code: string; httpStatus?: number }) {
    super(message);
    this.retryable = options.retryable;
    this.code = options.code;
    this.httpStatus = options.httpStatus;
  }
}

/** The structured logger the launchers write to; pino's `Logger` fits. */
export interface LauncherLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything, for launchers built without one. */
export const silentLogger: LauncherLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
