/**
 * Fold benchmark: projecting a log (parse + upcast + evolve) against the bare
 * `JSON.parse` of the same lines, measured interleaved in the same process.
 * Target: the fold costs at most 1.3× the parse, and grows linearly.
 *   npm run bench:fold
 */
import { parseEventLine } from '../../shared/domain/events.ts';
import { project } from '../../shared/domain/run-state.ts';
import { makeLogLines } from './log-fixture.ts';
import { fmt, machine, median, spread, table, time } from './stats.ts';

const SIZES = [500, 5_000, 50_000];
const REPS = Number(process.env.BENCH_REPS ?? 15);

export async function benchFold(): Promise<{ markdown: string; ok: boolean }> {
  const rows: (string | number)[][] = [];
  let ok = true;
  for (const size of SIZES) {
    const lines = makeLogLines(size);
    let sink = 0;
    const parse: number[] = [];
    const fold: number[] = [];
    // Warm up both paths, then alternate them so noise hits both alike.
    for (let r = 0; r < REPS + 3; r++) {
      // Both sides keep what they parsed, as any reader of the log must.
      const p = time(() => {
        sink += (lines.map((l) => JSON.parse(l) as { seq: number }).at(-1)?.seq ?? 0);
      });
      const f = time(() => {
        sink += project(lines.map(parseEventLine)).lastSeq;
      });
      if (r >= 3) {
        parse.push(p);
        fold.push(f);
      }
    }
    if (sink === 0) throw new Error('unreachable');
    const ratios = fold.map((f, i) => f / (parse[i] as number));
    const ratio = median(ratios);
    if (size === 50_000 && ratio > 1.3) ok = false;
    rows.push([
      fmt(size),
      `${fmt(median(parse))} ms`,
      `${fmt(median(fold))} ms`,
      `${fmt(size / (median(fold) / 1000) / 1e6, 2)} M/s`,
      `${fmt(ratio, 2)}× [${spread(ratios)}]`,
      size === 50_000 ? (ratio <= 1.3 ? '≤ 1.3× ✅' : '≤ 1.3× ❌') : '',
    ]);
  }
  const markdown = [
    `### Fold: project(log) vs JSON.parse of the same lines`,
    `${machine()}; median of ${REPS} interleaved repetitions [min–max of the ratio].`,
    '',
    table(['events', 'JSON.parse', 'parse + fold', 'events/s folded', 'ratio', 'target'], rows),
  ].join('\n');
  return { markdown, ok };
}

if (import.meta.main) {
  const { markdown } = await benchFold();
  process.stdout.write(markdown + '\n');
}
