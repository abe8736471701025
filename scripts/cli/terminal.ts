/**
 * What a command writes to: stdout for results (one JSON document with
 * `--json`), stderr for progress under `--json`, warnings and errors.
 */
export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface CommandIo {
  stdout: Stream;
  stderr: Stream;
  json: boolean;
  env: NodeJS.ProcessEnv;
  printJson(value: unknown): void;
}

export function getProcessIo(json: boolean): CommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    json,
    env: process.env,
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}

/** Left-aligned columns, widths from the content; the last column is not padded. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** "3 min ago" from an ISO time. */
export function age(iso: string, now = Date.now()): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '?';
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86_400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export function printWarnings(io: CommandIo, warnings: readonly string[] | undefined): void {
  for (const w of warnings ?? []) io.stderr.write(`warning: ${w}\n`);
}
