/**
 * What every benchmark shares: repetitions (interleaved, warm-ups dropped, a
 * full GC before each timed phase where the benchmark asks for one), medians
 * with [min–max] spreads, ratios against a baseline measured in the same
 * run, and the Markdown section with its table and target verdicts. A
 * benchmark is then what it measures plus a declaration of its rows.
 */
import os from 'node:os';
import v8 from 'node:v8';
import vm from 'node:vm';

/** What `run-all.ts` runs and a benchmark's own `npm run bench:*` prints. */
export interface BenchResult {
  markdown: string;
  /** Every target met. */
  ok: boolean;
}

export type Bench = () => Promise<BenchResult>;

/** For `if (import.meta.main)`: runs the benchmark alone and prints its section. */
export async function runAlone(bench: Bench): Promise<void> {
  const { markdown } = await bench();
  process.stdout.write(markdown + '\n');
}

// ---- statistics ----------------------------------------------------------------------------

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

export function spread(xs: number[]): string {
  return `${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}`;
}

export function fmt(x: number, digits = x >= 100 ? 0 : x >= 10 ? 1 : 2): string {
  return x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** `12.3 ms [11.9–13.0]`: the median with the spread of the samples. */
export function msWithSpread(xs: number[], digits?: number): string {
  return `${fmt(median(xs), digits)} ms [${spread(xs)}]`;
}

/** Each sample over the baseline's sample of the same repetition, or over one fixed baseline. */
export function ratios(xs: readonly number[], base: readonly number[] | number): number[] {
  return xs.map((x, i) => x / (typeof base === 'number' ? base : (base[i] as number)));
}

// ---- timing --------------------------------------------------------------------------------

export function time(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

export async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/**
 * A full collection, so neither side of a comparison pays for the garbage the
 * other left (otherwise whichever runs second is charged for the first one's
 * dead objects). A no-op where `gc` cannot be exposed.
 */
export function collector(): () => void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  return gc ?? (() => undefined);
}

/** A phase of a repetition: does its work and answers how long the timed part took (ms). */
export type Phase = () => number | Promise<number>;

/**
 * `warmup + reps` rounds; each round runs every phase once, in order, so
 * noise hits them alike. Samples of the warm-up rounds are dropped. With
 * `gc`, a full collection before each phase.
 */
export async function interleaved<K extends string>(
  rounds: { reps: number; warmup?: number; gc?: () => void },
  phases: Record<K, Phase>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(phases) as K[];
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>;
  const warmup = rounds.warmup ?? 0;
  for (let r = 0; r < warmup + rounds.reps; r++) {
    for (const k of names) {
      rounds.gc?.();
      const ms = await phases[k]();
      if (r >= warmup) samples[k].push(ms);
    }
  }
  return samples;
}

// ---- the Markdown section --------------------------------------------------------------------

/** A row's target: its text, and whether this run met it. */
export interface Target {
  text: string;
  met: boolean;
}

/** `≤ 1.3× ✅`: the target with its verdict, for a table cell. */
export function verdict(target: Target): string {
  return `${target.text} ${mark(target.met)}`;
}

export function mark(met: boolean): string {
  return met ? '✅' : '❌';
}

/** Every target met (the targets given; rows without one do not count). */
export function allMet(targets: readonly (Target | null | undefined)[]): boolean {
  return targets.every((t) => !t || t.met);
}

/** A Markdown table. */
export function table(header: string[], rows: (string | number)[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

/** `### title`, the setup line, then each block (a table, a note) after an empty line. */
export function section(title: string, setup: string, ...blocks: string[]): string {
  return [`### ${title}`, setup, ...blocks.flatMap((b) => ['', b])].join('\n');
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, ${new Date().toISOString().slice(0, 10)}`;
}
