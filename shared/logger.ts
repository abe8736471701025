/**
 * Structured logs, one JSON line each, in the shape Cloud Logging reads:
 * `severity`, `message`, and whatever fields the call site adds (`runId`, …).
 * Anything that looks like a credential is redacted before it is written.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const SEVERITY: Record<string, string> = { trace: 'DEBUG', debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', fatal: 'CRITICAL' };

export function getLogger(options: { name: string; level?: string; destination?: NodeJS.WritableStream } = { name: 'scenarioforge' }): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      messageKey: 'message',
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ severity: SEVERITY[label] ?? 'DEFAULT' }) },
      redact: {
        paths: ['apiKey', 'key', 'geminiApiKey', '*.apiKey', '*.key', '*.geminiApiKey', 'headers["x-api-key"]', 'headers.authorization', 'headers["x-gemini-api-key"]', 'headers["x-goog-api-key"]'],
        censor: '[redacted]',
      },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 2, sync: true }),
  );
}

/** A logger that writes nothing (tests, benchmarks). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Any thrown value as an Error, so every boundary can log and map it the same way. */
export function ensureError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
}
