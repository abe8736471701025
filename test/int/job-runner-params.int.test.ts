import { expect } from 'chai';
import { v7 as uuidv7 } from 'uuid';
import { NODES } from '../../job-runner/nodes/index.ts';
import { runExecution, type RunnerOptions } from '../../job-runner/runner.ts';
import type { BuildParams } from '../../shared/domain/params.ts';
import { project } from '../../shared/domain/run-state.ts';
import { getMemoryPublisher } from '../../shared/events-bus/event-publisher.ts';
import { silentLogger } from '../../shared/logger.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { checkLog } from '../support/log-checks.ts';
import { createRun, SAMPLE_PARAMS } from '../support/runs.ts';
import { getScriptedModel } from '../support/scripted-model.ts';
import { tempDir } from '../support/temp-dir.ts';

const options: RunnerOptions = { concurrency: 4, retryBaseMs: 5, retryMaxMs: 50, pollMs: 50, leaseTtlMs: 10_000, projectionIntervalMs: 10 };

describe('job runner: replayed params', function () {
  this.timeout(30_000);

  it('fails a run whose params no longer parse, with the reason, and starts no attempt', async () => {
    const tmp = await tempDir('sf-params-');
    try {
      const store = getLocalRunStore(tmp.dir);
      // As if the schema had tightened since the run was created.
      const stale = { ...SAMPLE_PARAMS, focalQuestion: 'Why?', horizonYear: 1999 } as BuildParams;
      const { runId, executionId } = await createRun(store, { params: stale });
      const model = getScriptedModel();
      const result = await runExecution(
        { store, model, nodes: NODES, publisher: getMemoryPublisher(), logger: silentLogger, newId: uuidv7 },
        { runId, executionId },
        options,
        new AbortController().signal,
      );
      expect(result).to.deep.equal({ outcome: 'failed', exitCode: 0, attempts: 0 });
      const events = await checkLog(store, runId);
      expect(events.map((e) => e.type).slice(-2)).to.deep.equal(['run.failed', 'execution.finished']);
      const state = project(events);
      expect(state.failure?.node).to.equal(null);
      expect(state.failure?.reason).to.match(/^params no longer valid: params\.focalQuestion: .+; params\.horizonYear: /);
      expect(model.calls).to.have.length(0);
    } finally {
      await tmp.cleanup();
    }
  });
});
