/**
 * Debian's Chromium driven by playwright-core, for the browser tests. Never
 * downloads a browser: where /usr/bin/chromium is missing the caller skips,
 * loudly.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page, type Request } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
}

/** Records every request the page makes (documents, scripts, fetches, EventSource). */
export function recordRequests(page: Page): RecordedRequest[] {
  const seen: RecordedRequest[] = [];
  page.on('request', (req: Request) => {
    seen.push({ method: req.method(), url: req.url(), headers: req.headers() });
  });
  return seen;
}

/**
 * Console errors and uncaught exceptions of the page, to fail a test on a
 * broken script or a CSP violation ("Refused to …"). A 4xx answer the test
 * provoked on purpose (a 400 from the build form, the 404 of a deleted run) is
 * logged by Chromium as "Failed to load resource" and is not counted.
 */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) return;
    errors.push(`console: ${msg.text()}`);
  });
  return errors;
}
