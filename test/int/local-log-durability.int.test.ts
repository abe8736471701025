import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import { marker } from '../support/run-store-contract.ts';
import { tempDir } from '../support/temp-dir.ts';

const worker = path.resolve(import.meta.dirname, '../support/fixtures/append-worker.ts');

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

describe('local disk event log across processes and crashes', function () {
  this.timeout(120_000);

  it('16 processes × 250 appends make exactly 4,000 contiguous events', async () => {
    const tmp = await tempDir();
    try {
      const runId = uuidv7();
      const codes = await Promise.all(Array.from({ length: 16 }, (_, w) => run([tmp.dir, runId, `p${w}`, '250'])));
      expect(codes).to.deep.equal(Array(16).fill(0));
      const log = await getLocalRunStore(tmp.dir).readLog(runId);
      expect(log.events.map((e) => e.seq)).to.deep.equal(Array.from({ length: 4000 }, (_, i) => i + 1));
      const ids = new Set(log.events.map((e) => e.id));
      expect(ids.size).to.equal(4000);
      for (let w = 0; w < 16; w++) for (let i = 0; i < 250; i++) expect(ids.has(`p${w}-${i}`)).to.equal(true);
      // What is on disk is exactly what is served: 4,000 complete lines.
      const raw = await readFile(path.join(tmp.dir, 'runs', runId, 'events.jsonl'), 'utf8');
      expect(raw.split('\n').filter(Boolean)).to.have.length(4000);
    } finally {
      await tmp.cleanup();
    }
  });

  it('never serves a torn last line, and the next append repairs it', async () => {
    const tmp = await tempDir();
    try {
      const runId = uuidv7();
      const store = getLocalRunStore(tmp.dir);
      await store.append(runId, [marker('a'), marker('b')]);
      const file = path.join(tmp.dir, 'runs', runId, 'events.jsonl');
      await appendFile(file, '{"v":1,"seq":3,"id":"torn","type":"run.del');
      // A fresh reader (another process would start like this) sees two events.
      const reader = getLocalRunStore(tmp.dir);
      const seen = await reader.readLog(runId);
      expect(seen.events.map((e) => e.seq)).to.deep.equal([1, 2]);
      expect(seen.events.map((e) => e.id)).to.not.include('torn');
      await reader.append(runId, [marker('c')]);
      const after = await getLocalRunStore(tmp.dir).readLog(runId);
      expect(after.events.map((e) => e.seq)).to.deep.equal([1, 2, 3]);
      expect(after.events[2]?.data).to.deep.equal({ by: 'c' });
      const raw = await readFile(file, 'utf8');
      expect(raw).to.not.include('torn');
      expect(raw.endsWith('\n')).to.equal(true);
    } finally {
      await tmp.cleanup();
    }
  });

  it('a torn first write leaves an empty log that the next append starts cleanly', async () => {
    const tmp = await tempDir();
    try {
      const runId = uuidv7();
      const store = getLocalRunStore(tmp.dir);
      await store.append(runId, [marker('a')]);
      const file = path.join(tmp.dir, 'runs', runId, 'events.jsonl');
      await writeFile(file, '{"v":1,"seq":1,"id":"half');
      const fresh = getLocalRunStore(tmp.dir);
      expect((await fresh.readLog(runId)).events).to.deep.equal([]);
      await fresh.append(runId, [marker('b')]);
      expect((await fresh.readLog(runId)).events.map((e) => e.seq)).to.deep.equal([1]);
    } finally {
      await tmp.cleanup();
    }
  });
});
