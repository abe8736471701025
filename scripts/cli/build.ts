/**
 * `scenarioforge build`: params from flags or a JSON file (flags win over the
 * file), `POST /build`, and optionally `--watch` until the run settles. The
 * API validates the params; its field-level message is what the user sees.
 */
import { readFile } from 'node:fs/promises';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { ApiClient, BuildBody } from './api-client.ts';
import { type parseCommand, UsageError } from './args.ts';
import { printWarnings, type CommandIo } from './terminal.ts';
import { watchAndReport } from './watch.ts';

export const BUILD_OPTIONS = {
  company: { type: 'string' },
  question: { type: 'string' },
  horizon: { type: 'string' },
  region: { type: 'string' },
  industry: { type: 'string' },
  strategy: { type: 'string', multiple: true },
  params: { type: 'string' },
  label: { type: 'string' },
  force: { type: 'boolean', default: false },
  watch: { type: 'boolean', default: false },
} as const;

export type BuildValues = ReturnType<typeof parseCommand<typeof BUILD_OPTIONS>>['values'];

/** A params file holds the params object, or a whole build body `{params, label?, force?}`. */
async function readParamsFile(file: string): Promise<{ params: Record<string, unknown>; label?: string; force?: boolean }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--params: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`--params: ${file} is not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--params: ${file} must hold a JSON object`);
  const obj = value as Record<string, unknown>;
  if (typeof obj['params'] === 'object' && obj['params'] !== null && !Array.isArray(obj['params'])) {
    return {
      params: obj['params'] as Record<string, unknown>,
      ...(typeof obj['label'] === 'string' ? { label: obj['label'] } : {}),
      ...(typeof obj['force'] === 'boolean' ? { force: obj['force'] } : {}),
    };
  }
  return { params: obj };
}

/** The request body the flags (and file) describe. */
export async function buildBodyFrom(values: BuildValues): Promise<BuildBody> {
  const fromFile = values.params !== undefined ? await readParamsFile(values.params) : { params: {} };
  const params: Record<string, unknown> = { ...fromFile.params };
  if (values.company !== undefined) params['company'] = values.company;
  if (values.question !== undefined) params['focalQuestion'] = values.question;
  if (values.horizon !== undefined) {
    if (!/^\s*\d{4}\s*$/.test(values.horizon)) throw new UsageError('--horizon: must be a year, e.g. 2035');
    params['horizonYear'] = Number(values.horizon);
  }
  if (values.region !== undefined) params['region'] = values.region;
  if (values.industry !== undefined) params['industry'] = values.industry;
  if (values.strategy !== undefined && values.strategy.length > 0) params['strategies'] = [...values.strategy];
  const missing = [
    ['company', '--company'],
    ['focalQuestion', '--question'],
    ['horizonYear', '--horizon'],
  ].filter(([field]) => params[field as string] === undefined).map(([, flag]) => flag);
  if (missing.length > 0) throw new UsageError(`build needs ${missing.join(', ')} (or --params file.json)`);
  const label = values.label ?? fromFile.label;
  const force = values.force || fromFile.force === true;
  // The server validates the params and names any field at fault.
  return { params: params as unknown as BuildParams, ...(label !== undefined ? { label } : {}), ...(force ? { force } : {}) };
}

export async function buildCommand(io: CommandIo, client: ApiClient, values: BuildValues): Promise<number> {
  const body = await buildBodyFrom(values);
  const reply = await client.build(body);
  printWarnings(io, reply.warnings);
  if (!values.watch) {
    if (io.json) io.printJson(reply);
    else {
      io.stdout.write(`run ${reply.runId} ${reply.reused ? 'reused (same params as an earlier build; --force for a new run)' : 'created'}: ${reply.status}\n`);
      io.stdout.write(`page: ${reply.links.ui}\n`);
    }
    return 0;
  }
  if (!io.json) io.stdout.write(`run ${reply.runId} ${reply.reused ? 'reused' : 'created'} — ${reply.links.ui}\n`);
  return watchAndReport(io, client, reply.runId, { reused: reply.reused, links: reply.links });
}
