/**
 * The terminal progress of a run: nodes done/total and the nodes running now,
 * computed from the folded log. On a TTY it is one line redrawn in place; on
 * anything else (a pipe, a CI log) one line per change.
 */
import type { RunState, RunStatus } from '../../shared/domain/run-state.ts';

export interface Progress {
  status: RunStatus;
  done: number;
  total: number;
  running: string[];
  failed: string[];
}

export function progressOf(state: RunState): Progress {
  const entries = Object.entries(state.nodes);
  return {
    status: state.status,
    done: state.progress.done,
    total: state.progress.total || entries.length,
    running: entries.filter(([, n]) => n.status === 'running').map(([id]) => id).sort(),
    failed: entries.filter(([, n]) => n.status === 'failed').map(([id]) => id).sort(),
  };
}

/** `[#####-----]  5/12  running: scenario_a, scenario_b` */
export function renderProgress(p: Progress, options: { barWidth?: number; unicode?: boolean } = {}): string {
  const width = options.barWidth ?? 24;
  const filled = p.total > 0 ? Math.round((p.done / p.total) * width) : 0;
  const [on, off] = options.unicode ? ['█', '░'] : ['#', '-'];
  const bar = `[${on.repeat(filled)}${off.repeat(width - filled)}]`;
  const count = `${String(p.done).padStart(String(p.total).length)}/${p.total}`;
  let tail: string = p.status;
  if (p.running.length > 0) tail = `running: ${p.running.join(', ')}`;
  if (p.failed.length > 0) tail += `  failed: ${p.failed.join(', ')}`;
  return `${bar} ${count}  ${tail}`;
}

export interface Screen {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressReporter {
  update(p: Progress): void;
  /** Ends the progress line (a TTY keeps its last drawing on screen). */
  finish(): void;
}

export function getProgressReporter(screen: Screen): ProgressReporter {
  const tty = screen.isTTY === true;
  let last = '';
  let drawn = false;
  return {
    update(p) {
      const line = renderProgress(p, { unicode: tty });
      if (line === last) return;
      last = line;
      if (tty) {
        const columns = screen.columns && screen.columns > 10 ? screen.columns - 1 : 120;
        const fitted = line.length > columns ? `${line.slice(0, columns - 1)}…` : line;
        screen.write(`\r\x1b[2K${fitted}`);
        drawn = true;
      } else {
        screen.write(`${line}\n`);
      }
    },
    finish() {
      if (tty && drawn) screen.write('\n');
      drawn = false;
    },
  };
}
