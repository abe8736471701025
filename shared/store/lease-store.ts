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
import { PreconditionFailedError, type BlobStore } from './blob-store.ts';
import { keys } from './keys.ts';

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
  /**
   * Whether `lease.json` still names this holder (execution, host, process),
   * expired or not: as long as it does, nobody else has taken the run over.
   */
  holds(): Promise<boolean>;
  /** Gives the lease up, unless someone else already took it over. */
  release(): Promise<void>;
}

/** The port: the single-active-execution lease of each run. */
export interface LeaseStore {
  /**
   * Takes the run's lease for `executionId` for `ttlMs` (renew it well within
   * that). Refuses, naming the holder, while another execution's lease is
   * live; takes over one that expired or whose holder died on this host.
   * `now` is the clock expiries are measured on (epoch ms).
   */
  acquire(runId: string, executionId: string, ttlMs: number, now?: () => number): Promise<LeaseResult>;
  /**
   * Reads the run's lease without touching it, for the reconciler: the record
   * (null when there is none, or it cannot be read) and whether its holder
   * may still live — false only for a process of this host that is gone, the
   * same rule `acquire` takes over by. Expiry is the caller's to judge.
   */
  peek(runId: string): Promise<LeasePeek | null>;
}

export interface LeasePeek {
  record: LeaseRecord;
  holderAlive: boolean;
}

/** Who takes leases here, and whether a process on this host still lives: injectable so tests can play a dead holder. */
export interface LeaseHost {
  host: string;
  pid: number;
  alive(pid: number): boolean;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function thisHost(): LeaseHost {
  return { host: os.hostname(), pid: process.pid, alive: pidAlive };
}

function parseLease(bytes: Buffer): LeaseRecord | null {
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

const LEASE_WRITE = { contentType: 'application/json' } as const;

/** A lease we hold at `generation`; every write is conditional on it, so a takeover is noticed, never overwritten. */
function heldLease(blobs: BlobStore, key: string, record: LeaseRecord, generation: string, ttlMs: number, now: () => number): Lease {
  return {
    record,
    async renew() {
      const next = { ...record, expiresAt: now() + ttlMs };
      try {
        ({ generation } = await blobs.put(key, JSON.stringify(next), { ...LEASE_WRITE, ifGenerationMatch: generation }));
        record.expiresAt = next.expiresAt;
        return true;
      } catch (err) {
        if (err instanceof PreconditionFailedError) return false;
        throw err;
      }
    },
    async holds() {
      const current = await blobs.get(key);
      const held = current ? parseLease(current.bytes) : null;
      return held !== null && held.executionId === record.executionId && held.host === record.host && held.pid === record.pid;
    },
    async release() {
      try {
        await blobs.delete(key, { ifGenerationMatch: generation });
      } catch (err) {
        if (!(err instanceof PreconditionFailedError)) throw err;
      }
    },
  };
}

export function getLeaseStore(blobs: BlobStore, here: LeaseHost = thisHost()): LeaseStore {
  /** A holder that is a process of this host and is gone; any other may live (only its expiry tells). */
  const deadHere = (held: LeaseRecord): boolean => held.host === here.host && held.pid > 0 && held.pid !== here.pid && !here.alive(held.pid);
  /** A live lease of another execution, unless its holder is a process of this host that is gone. */
  const blocks = (held: LeaseRecord | null, executionId: string, at: number): held is LeaseRecord =>
    !!held && held.executionId !== executionId && held.expiresAt > at && !deadHere(held);

  return {
    async acquire(runId, executionId, ttlMs, now = Date.now) {
      const key = keys.lease(runId);
      for (let round = 0; round < 20; round++) {
        const current = await blobs.get(key);
        const held = current ? parseLease(current.bytes) : null;
        if (blocks(held, executionId, now())) return { acquired: false, holder: held };
        const record: LeaseRecord = { executionId, host: here.host, pid: here.pid, expiresAt: now() + ttlMs };
        try {
          const { generation } = await blobs.put(key, JSON.stringify(record), { ...LEASE_WRITE, ifGenerationMatch: current?.generation ?? '0' });
          return { acquired: true, lease: heldLease(blobs, key, record, generation, ttlMs, now) };
        } catch (err) {
          // Someone wrote the lease between our read and our write: look again.
          if (!(err instanceof PreconditionFailedError)) throw err;
        }
      }
      throw new Error(`could not settle the lease of run ${runId}`);
    },
    async peek(runId) {
      const current = await blobs.get(keys.lease(runId));
      const record = current ? parseLease(current.bytes) : null;
      return record ? { record, holderAlive: !deadHere(record) } : null;
    },
  };
}
