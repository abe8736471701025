/**
 * What a job process and a job worker both set up once: config, store,
 * publisher and model from the environment, and how one execution runs on
 * them. `main.ts` (one execution per process, the Cloud Run task) and
 * `worker.ts` (many executions in one long-lived process, the local worker
 * mode) are the two composition roots that use it.
 */
import { v7 as uuidv7 } from 'uuid';
import { ConfigError, loadConfig, type Config } from '../shared/config.ts';
import { PipelineError, validatePipeline } from '../shared/domain/pipeline.ts';
import { SCENARIOFORGE_PIPELINE } from '../shared/domain/scenarioforge-pipeline.ts';
import type { EventPublisher } from '../shared/events-bus/event-publisher.ts';
import { publisherFromConfig } from '../shared/events-bus/from-config.ts';
import { modelFromConfig } from '../shared/llm/from-config.ts';
import type { ModelClient } from '../shared/llm/model-client.ts';
import { getLogger, type Logger } from '../shared/logger.ts';
import { runStoreFromConfig } from '../shared/store/from-config.ts';
import type { RunStore } from '../shared/store/run-store.ts';
import { NODES, OFFLINE_RESPONDERS } from './nodes/index.ts';
import { defaultRunnerOptions, runExecution, type ExecutionInput, type ExecutionResult, type RunnerDeps } from './runner.ts';

export interface Job {
  config: Config;
  store: RunStore;
  publisher: EventPublisher;
  model: ModelClient;
  logger: Logger;
}

/** Prints one line naming what is wrong and exits; the job's answer to bad input. */
export function fail(line: string, code = 2): never {
  process.stderr.write(`scenarioforge-job: ${line}\n`);
  process.exit(code);
}

/** The job's config from the environment; a bad variable ends the process with one line naming it. */
export function jobConfig(): Config {
  try {
    return loadConfig(process.env, 'job');
  } catch (err) {
    if (err instanceof ConfigError) fail(`config: ${err.message}`);
    throw err;
  }
}

export async function openJob(config: Config, name: string): Promise<Job> {
  // A graph that is not a DAG of known nodes stops the job before it touches a run,
  // not in the middle of one (nodes/index.ts checks each node has an implementation).
  try {
    validatePipeline(SCENARIOFORGE_PIPELINE);
  } catch (err) {
    if (err instanceof PipelineError) fail(`pipeline: ${err.message}`, 1);
    throw err;
  }
  const logger = getLogger({ name, level: config.logLevel });
  const [store, publisher, model] = await Promise.all([
    runStoreFromConfig(config),
    publisherFromConfig(config, 'job-runner'),
    modelFromConfig(config, OFFLINE_RESPONDERS),
  ]);
  return { config, store, publisher, model, logger };
}

/** Runs (or resumes) one execution to its end, or until `stop` aborts it. */
export function executeRun(job: Job, input: ExecutionInput, stop: AbortSignal, failpoint?: RunnerDeps['failpoint']): Promise<ExecutionResult> {
  const { store, model, publisher, logger, config } = job;
  return runExecution(
    { store, model, nodes: NODES, publisher, logger, newId: uuidv7, ...(failpoint ? { failpoint } : {}) },
    input,
    { ...defaultRunnerOptions(store), concurrency: config.nodeConcurrency, retryBaseMs: config.nodeRetryBaseMs, leaseTtlMs: config.leaseTtlS * 1000 },
    stop,
  );
}
