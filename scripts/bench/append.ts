/**
 * Append benchmark on GCS (the real client against the emulator, with GCS's
 * one-write-per-second-per-object limit): events per second one run sustains
 * with group commit vs one object write per event, time-to-durable, and the
 * cost of one append as the log grows (rewrite-append is O(log size)).
 *   npm run bench:append
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { newEvent, type PendingEvent } from '../../shared/domain/events.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import { getGroupCommitter } from '../../shared/run-log/group-commit.ts';
import { getLocalRunStore } from '../../shared/store/local-run-store.ts';
import type { RunStore } from '../../shared/store/run-store.ts';
import { startGcsEmulator, type GcsEmulator } from '../../test/support/gcs-emulator.ts';
import { fmt, interleaved, machine, msWithSpread, percentile, runAlone, section, table, timeAsync, verdict, type BenchResult } from './harness.ts';

const SECONDS = Number(process.env.BENCH_APPEND_SECONDS ?? 8);
const RATE = 1000; // events per second offered to the group committer
const GROWTH_SIZES = [100, 1_000, 5_000, 20_000];

const event = (i: number): PendingEvent =>
  newEvent('node.attempt.failed', {
    node: 'drivers', attempt: i, durationMs: 1840, willRetry: true,
    error: { code: 'model_unavailable', message: 'The model is overloaded. Please try again later.', retryable: true },
  }, uuidv7(), new Date().toISOString());

/** Naive: one conditional object write per event, each awaited, for SECONDS. */
async function oneWritePerEvent(store: RunStore): Promise<{ writes: number; rate: number }> {
  const runId = uuidv7();
  let writes = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS * 1000) {
    await store.append(runId, [event(writes)]);
    writes++;
  }
  return { writes, rate: writes / ((performance.now() - start) / 1000) };
}

/** Group commit: RATE events/s offered for SECONDS, each timed until durable. */
async function groupCommit(store: RunStore) {
  const runId = uuidv7();
  const committer = getGroupCommitter(store, runId);
  const latencies: number[] = [];
  const durable: Promise<unknown>[] = [];
  const start = performance.now();
  let sent = 0;
  while (performance.now() - start < SECONDS * 1000) {
    const due = Math.floor(((performance.now() - start) / 1000) * RATE);
    for (; sent < due; sent++) {
      const t = performance.now();
      durable.push(committer.enqueue([event(sent)]).then(() => latencies.push(performance.now() - t)));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await committer.flush();
  await Promise.all(durable);
  const elapsed = (performance.now() - start) / 1000;
  return { sent, rate: sent / elapsed, writes: committer.stats.writes, latencies, logged: (await store.readLog(runId)).lastSeq };
}

/** One append of one event to a log of N events: GCS rewrites the object, local appends a line. */
async function growth(emulator: GcsEmulator, gcs: RunStore, local: RunStore): Promise<(string | number)[][]> {
  const rows: (string | number)[][] = [];
  for (const n of GROWTH_SIZES) {
    const g = uuidv7();
    const l = uuidv7();
    for (let i = 0; i < n; i += 2000) {
      const batch = Array.from({ length: Math.min(2000, n - i) }, (_, k) => event(i + k));
      await gcs.append(g, batch);
      await local.append(l, batch);
    }
    let r = 0;
    const t = await interleaved({ reps: 7 }, {
      gcs: () => timeAsync(() => gcs.append(g, [event(n + r)])),
      disk: () => timeAsync(() => local.append(l, [event(n + r++)])),
    });
    const bytes = (await emulator.getObject('bench', `sf/runs/${g}/events.jsonl`))?.bytes.length ?? 0;
    rows.push([fmt(n), `${fmt(bytes / 1024 / 1024, 2)} MB`, msWithSpread(t.gcs), msWithSpread(t.disk, 2)]);
  }
  return rows;
}

export async function benchAppend(): Promise<BenchResult> {
  const emulator = await startGcsEmulator();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-append-'));
  try {
    emulator.setWriteRateLimit(1);
    const store = getGcsRunStore({ bucket: 'bench', prefix: 'sf', apiEndpoint: emulator.url, projectId: 'bench' });
    const naive = await oneWritePerEvent(store);
    const group = await groupCommit(store);
    emulator.setWriteRateLimit(null);
    const growthRows = await growth(emulator, store, getLocalRunStore(dir));

    const ratio = group.rate / naive.rate;
    const p99 = percentile(group.latencies, 99);
    const target = { text: '≥ 100×, p99 ≤ 1,500 ms', met: ratio >= 100 && p99 <= 1500 && group.logged === group.sent };
    const markdown = section(
      'Append on GCS (emulator, one write per second per object)',
      `${machine()}; the real @google-cloud/storage client; ${SECONDS} s per mode.`,
      table(['mode', 'events/s durable', 'object writes', 'time to durable (p50 / p99)', 'ratio', 'target'], [
        ['one write per event', fmt(naive.rate, 2), String(naive.writes), '—', '1×', ''],
        [`group commit, ${RATE} events/s offered`, fmt(group.rate), String(group.writes), `${fmt(percentile(group.latencies, 50))} / ${fmt(p99)} ms`, `${fmt(ratio)}×`, verdict(target)],
      ]),
      `All ${fmt(group.sent)} events offered are in the log (${fmt(group.logged)}), seq contiguous.`,
      '#### One append as the log grows',
      table(['events in the log', 'object size', 'GCS (rewrite, emulator)', 'local disk (append + fdatasync)'], growthRows),
      [
        'Rewrite-append costs O(log size) per flush: on GCS a flush re-uploads the whole object, so at about one flush per second it stays',
        'acceptable while one upload takes well under the flush interval (a few MB). Beyond a few tens of thousands of events per run',
        'the next design is segmented logs: `events/000001.jsonl`, … sealed at a size bound, with only the open segment rewritten,',
        'and the fold checkpointed into `run.json` at segment boundaries so readers start from the checkpoint.',
      ].join('\n'),
    );
    return { markdown, ok: target.met };
  } finally {
    await emulator.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) await runAlone(benchAppend);
