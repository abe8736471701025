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
}

export interface JobLauncher {
  readonly backend: 'local' | 'cloudrun';
  /**
   * Starts one execution and resolves as soon as it is started (the child is
   * spawned / Cloud Run accepted the request); it never waits for the job to
   * finish. Rejects with {@link LaunchError} only.
   */
  launch(req: LaunchRequest): Promise<LaunchResult>;
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
