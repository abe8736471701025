/** Running the real job entrypoint as a process, the way both launchers do. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const JOB_ENTRYPOINT = path.resolve(import.meta.dirname, '../../job-runner/main.ts');

export interface JobExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stderr: string;
}

/** Starts the job entrypoint (by default the `.ts` source; the benchmarks pass the compiled one). */
export function startJob(env: Record<string, string>, entrypoint = JOB_ENTRYPOINT): { child: ChildProcess; exit: Promise<JobExit> } {
  const started = Date.now();
  const child = spawn(process.execPath, [entrypoint], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<JobExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, ms: Date.now() - started, stderr }));
  });
  return { child, exit };
}

export function localJobEnv(dir: string, runId: string, executionId: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    RUN_STORE: 'local',
    RUNS_DIR: dir,
    LLM_PROVIDER: 'offline',
    OFFLINE_MODEL_LATENCY_MS: '20',
    NODE_RETRY_BASE_MS: '10',
    RUN_ID: runId,
    EXECUTION_ID: executionId,
    ...extra,
  };
}
