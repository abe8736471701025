/**
 * One active execution per run: `lease.json`, taken and renewed under
 * generation preconditions. A live lease held by another execution means
 * "someone is already doing this work". The same execution may take its own
 * lease back (a Cloud Run task retry is the same execution, and the platform
 * only retries after the previous attempt died). A holder on this host whose
 * process is gone is treated as expired at once, so a local restart need not
 * wait for the expiry.
 */
import os from 'node:os';
import { PreconditionFailedError } from '../shared/store/blob-store.ts';
import { keys } from '../shared/store/keys.ts';
import type { RunStore } from '../shared/store/run-store.ts';

export interface LeaseRecord {
  executionId: string;
  host: string;
  pid: number;
  expiresAt: number;
}

export type LeaseResult = { acquired: true; lease: Lease } | { acquired: false; holder: LeaseRecord };

export interface Lease {
  readonly record: LeaseRecord;
  /** Extends the expiry; false when the lease was lost (someone else holds it now). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parse(bytes: Buffer): LeaseRecord | null {
  try {
    const r = JSON.parse(bytes.toString('utf8')) as Partial<LeaseRecord>;
    if (typeof r.executionId === 'string' && typeof r.expiresAt === 'number') {
      return { executionId: r.executionId, host: String(r.host ?? ''), pid: Number(r.pid ?? 0), expiresAt: r.expiresAt };
    }
  } catch {
    // A lease we cannot read protects nothing.
  }
  return null;
}

export async function acquireLease(
  store: RunStore,
  runId: string,
  executionId: string,
  ttlMs: number,
  now: () => number = Date.now,
): Promise<LeaseResult> {
  const key = keys.lease(runId);
  const host = os.hostname();
  for (let round = 0; round < 20; round++) {
    const current = await store.blobs.get(key);
    const held = current ? parse(current.bytes) : null;
    if (held && held.executionId !== executionId && held.expiresAt > now()) {
      const deadHere = held.host === host && held.pid > 0 && held.pid !== process.pid && !alive(held.pid);
      if (!deadHere) return { acquired: false, holder: held };
    }
    const record: LeaseRecord = { executionId, host, pid: process.pid, expiresAt: now() + ttlMs };
    try {
      let { generation } = await store.blobs.put(key, JSON.stringify(record), {
        ifGenerationMatch: current?.generation ?? '0',
        contentType: 'application/json',
      });
      const lease: Lease = {
        record,
        async renew() {
          const next = { ...record, expiresAt: now() + ttlMs };
          try {
            ({ generation } = await store.blobs.put(key, JSON.stringify(next), { ifGenerationMatch: generation, contentType: 'application/json' }));
            record.expiresAt = next.expiresAt;
            return true;
          } catch (err) {
            if (err instanceof PreconditionFailedError) return false;
            throw err;
          }
        },
        async release() {
          try {
            await store.blobs.delete(key, { ifGenerationMatch: generation });
          } catch (err) {
            if (!(err instanceof PreconditionFailedError)) throw err;
          }
        },
      };
      return { acquired: true, lease };
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
    }
  }
  throw new Error(`could not settle the lease of run ${runId}`);
}
