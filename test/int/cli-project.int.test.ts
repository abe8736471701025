import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import stableStringify from 'fast-json-stable-stringify';
import { serializeEvent, type StoredEvent } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { createdData, run, step } from '../support/decider.ts';
import { tempDir } from '../support/temp-dir.ts';

const exec = promisify(execFile);
const cli = path.resolve(import.meta.dirname, '../../scripts/scenarioforge.ts');

describe('scenarioforge project', () => {
  it('folds a log with an unknown type, a retried node and an abandoned attempt', async () => {
    let h = run([
      { type: 'CreateRun', data: createdData() },
      { type: 'RequestExecution', executionId: 'e1', reason: 'build' },
      { type: 'StartExecution', executionId: 'e1' },
      { type: 'StartAttempt', node: 'charter', executionId: 'e1' },
    ]);
    h.push({ v: 3, seq: h.length + 1, id: 'from-the-future', type: 'node.attempt.teleported', at: '2026-11-27T10:00:09.000Z', data: { node: 'charter' }, unknown: true } as StoredEvent);
    // The execution died mid-attempt: the next one abandons attempt 1.
    h = step(h, { type: 'StartExecution', executionId: 'e1', taskAttempt: 1 });
    h = step(h, { type: 'StartAttempt', node: 'charter', executionId: 'e1' });
    h = step(h, { type: 'FailAttempt', node: 'charter', attempt: 2, durationMs: 9, error: { code: 'model_unavailable', message: '503', retryable: true } });
    h = step(h, { type: 'StartAttempt', node: 'charter', executionId: 'e1' });
    h = step(h, { type: 'SucceedAttempt', node: 'charter', attempt: 3, durationMs: 9, artifacts: [] });
    const tmp = await tempDir();
    try {
      const file = path.join(tmp.dir, 'events.jsonl');
      await writeFile(file, h.map(serializeEvent).join('') + '{"v":1,"seq":99,"torn');
      const { stdout } = await exec(process.execPath, [cli, 'project', file]);
      const out = JSON.parse(stdout);
      expect(out.status).to.equal('running');
      expect(out.lastSeq).to.equal(h.length);
      expect(out.nodes.charter).to.deep.include({ status: 'succeeded', attempts: 3 });
      expect(out.nodes.charter.lastAttempt).to.deep.include({ n: 3, status: 'succeeded' });
      expect(out.nodes.drivers).to.deep.include({ status: 'pending', attempts: 0 });
      expect(h.some((e) => e.type === 'node.attempt.abandoned')).to.equal(true);
      const compact = await exec(process.execPath, [cli, 'project', file, '--compact']);
      expect(compact.stdout.trim()).to.equal(stableStringify(project(h)));
    } finally {
      await tmp.cleanup();
    }
  });

  it('fails with a clear message and exit code on a missing file', async () => {
    try {
      await exec(process.execPath, [cli, 'project', '/nonexistent/events.jsonl']);
      expect.fail('should exit non-zero');
    } catch (err) {
      const e = err as { code: number; stderr: string };
      expect(e.code).to.equal(1);
      expect(e.stderr).to.match(/^scenarioforge: .*no such file/);
    }
  });
});
