/** The absolute links the API hands out for a run. */
import type { Request } from 'express';
import type { Config } from '../shared/config.ts';

/** PUBLIC_BASE_URL, else the request's own origin (scheme from the one trusted proxy hop). */
export function baseUrl(req: Request, config: Config): string {
  if (config.publicBaseUrl) return config.publicBaseUrl;
  const host = req.get('host') ?? '';
  // A Host header is the client's to choose; only a plausible one becomes a link.
  const safeHost = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/.test(host) ? host : 'localhost';
  return `${req.protocol}://${safeHost}`;
}

export interface RunLinks {
  /** The run page (HTML, public). */
  ui: string;
  runJson: string;
  events: string;
}

export function runLinks(req: Request, config: Config, runId: string): RunLinks {
  const base = `${baseUrl(req, config)}/runs/${runId}`;
  return { ui: base, runJson: `${base}/run.json`, events: `${base}/events` };
}
