/**
 * The GCS BlobStore through the real `@google-cloud/storage` client, against the
 * JSON-API emulator in test/support: wire behaviour (generations, preconditions,
 * checksums, listing), every injected fault, the per-object write-rate limit,
 * and finally the rewrite-append event log under sixteen concurrent writers
 * while the emulator misbehaves.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { CRC32C, Storage, type File } from '@google-cloud/storage';
import { expect } from 'chai';
import fc from 'fast-check';
import { newEvent, type PendingEvent } from '../../shared/domain/events.ts';
import { PreconditionFailedError, StoreUnavailableError, type BlobStore } from '../../shared/store/blob-store.ts';
import { getBlobEventLog, type AppendResult } from '../../shared/store/event-log.ts';
import { getGcsBlobStore, type GcsRetryPolicy } from '../../shared/store/gcs-blob-store.ts';
import { getGcsRunStore } from '../../shared/store/gcs-run-store.ts';
import { keys } from '../../shared/store/keys.ts';
import { crc32cBase64, startGcsEmulator, type GcsEmulator } from '../support/gcs-emulator.ts';

const BUCKET = 'sf-test';
const FAST_RETRY: GcsRetryPolicy = { baseMs: 5, maxMs: 50, attempts: 10 };

interface ClientError {
  code?: unknown;
  message?: string;
  errors?: { reason?: string }[];
}

/**
 * `file.download()`, except that it lifts the listener cap on the response body:
 * for a body of several chunks the client stack hangs 11 listeners on it, and
 * Node would print a (false) leak warning. See gcs-blob-store.ts.
 */
async function download(file: File, validation: 'crc32c' | 'md5'): Promise<Buffer> {
  const stream = file.createReadStream({ validation });
  stream.on('response', (res: { setMaxListeners?: (n: number) => unknown }) => res.setMaxListeners?.(32));
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the promise to reject');
}

describe('GCS emulator + GcsBlobStore (real @google-cloud/storage client)', function () {
  this.timeout(60_000);
  let emu: GcsEmulator;
  let raw: Storage;

  const store = (prefix = 'root', retry: GcsRetryPolicy = FAST_RETRY, timeoutMs?: number): BlobStore =>
    getGcsBlobStore({
      bucket: BUCKET,
      prefix,
      apiEndpoint: emu.url,
      projectId: 'test',
      retry,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });

  before(async () => {
    emu = await startGcsEmulator({ seed: 42 });
    raw = new Storage({ apiEndpoint: emu.url, projectId: 'test', retryOptions: { autoRetry: false } });
  });
  after(async () => {
    await emu.stop();
  });
  beforeEach(() => emu.reset());

  describe('wire basics', () => {
    it('round-trips bytes, content type and generation; head and delete', async () => {
      const s = store('/runs-prefix//x/');
      const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const { generation } = await s.put('runs/a/artifact.bin', bytes, { contentType: 'application/x-test' });
      expect(emu.getObject(BUCKET, 'runs-prefix/x/runs/a/artifact.bin')?.generation).to.equal(generation);

      const got = await s.get('runs/a/artifact.bin');
      expect(got?.bytes.equals(bytes)).to.equal(true);
      expect(got?.generation).to.equal(generation);
      expect(got?.contentType).to.equal('application/x-test');
      expect(await s.head('runs/a/artifact.bin')).to.equal(generation);

      await s.put('empty', '');
      expect((await s.get('empty'))?.bytes.length).to.equal(0);
      await s.put('unicodé key ✓', 'ok');
      expect((await s.get('unicodé key ✓'))?.bytes.toString()).to.equal('ok');

      expect(await s.get('missing')).to.equal(null);
      expect(await s.head('missing')).to.equal(null);
      expect(await s.delete('runs/a/artifact.bin')).to.equal(true);
      expect(await s.delete('runs/a/artifact.bin')).to.equal(false);
      expect(await s.get('runs/a/artifact.bin')).to.equal(null);
    });

    it('an empty prefix stores keys at the bucket root; prefixes isolate stores', async () => {
      await store('').put('k', 'root');
      await store('p1').put('k', 'one');
      expect(emu.listNames(BUCKET)).to.deep.equal(['k', 'p1/k']);
      expect((await store('p2').get('k'))).to.equal(null);
      expect((await store('p1/').list('', { limit: 10 })).keys).to.deep.equal(['k']);
    });

    it('generations are unique and increase; ifGenerationMatch guards puts and deletes (412 → PreconditionFailedError)', async () => {
      const s = store();
      const g1 = (await s.put('claim', 'a', { ifGenerationMatch: '0' })).generation;
      expect(await rejection(s.put('claim', 'b', { ifGenerationMatch: '0' }))).to.be.instanceOf(PreconditionFailedError);
      const g2 = (await s.put('claim', 'b', { ifGenerationMatch: g1 })).generation;
      expect(BigInt(g2) > BigInt(g1)).to.equal(true);
      expect(await rejection(s.put('claim', 'c', { ifGenerationMatch: g1 }))).to.be.instanceOf(PreconditionFailedError);
      const g3 = (await s.put('other', 'x')).generation;
      expect(new Set([g1, g2, g3]).size).to.equal(3);

      expect(await rejection(s.delete('claim', { ifGenerationMatch: g1 }))).to.be.instanceOf(PreconditionFailedError);
      expect((await s.get('claim'))?.bytes.toString()).to.equal('b');
      expect(await s.delete('claim', { ifGenerationMatch: g2 })).to.equal(true);
      expect(await s.delete('claim', { ifGenerationMatch: g2 })).to.equal(false);
      // A genuine 412 is never retried.
      expect(emu.stats.preconditionFailures).to.equal(3);
    });

    it('answers preconditions on reads, pinned generations, and Google-shaped 404/412 bodies', async () => {
      const { generation } = await store().put('obj', 'hello');
      const base = `${emu.url}/storage/v1/b/${BUCKET}/o/${encodeURIComponent('root/obj')}`;

      const ok = await fetch(`${base}?alt=media&ifGenerationMatch=${generation}`);
      expect(ok.status).to.equal(200);
      expect(ok.headers.get('x-goog-generation')).to.equal(generation);
      expect(await ok.text()).to.equal('hello');

      const stale = await fetch(`${base}?alt=media&ifGenerationMatch=1`);
      expect(stale.status).to.equal(412);
      expect(await stale.json()).to.deep.equal({
        error: {
          code: 412,
          message: 'At least one of the pre-conditions you specified did not hold.',
          errors: [{ domain: 'global', reason: 'conditionNotMet' }],
        },
      });
      expect((await fetch(`${base}?ifGenerationNotMatch=${generation}`)).status).to.equal(412);
      expect((await fetch(`${base}?ifMetagenerationMatch=1`)).status).to.equal(200);
      expect((await fetch(`${base}?ifMetagenerationMatch=2`)).status).to.equal(412);
      expect((await fetch(`${base}?alt=media&generation=${generation}`)).status).to.equal(200);
      expect((await fetch(`${base}?alt=media&generation=1`)).status).to.equal(404);
      const dl = await fetch(`${emu.url}/download/storage/v1/b/${BUCKET}/o/${encodeURIComponent('root/obj')}?alt=media`);
      expect(await dl.text()).to.equal('hello');

      const missing = await fetch(`${emu.url}/storage/v1/b/${BUCKET}/o/nope`);
      expect(missing.status).to.equal(404);
      const body = (await missing.json()) as { error: { code: number; errors: { reason: string }[] } };
      expect(body.error.code).to.equal(404);
      expect(body.error.errors[0]?.reason).to.equal('notFound');

      const meta = (await (await fetch(base)).json()) as Record<string, unknown>;
      expect(meta).to.include({ kind: 'storage#object', name: 'root/obj', bucket: BUCKET, generation, metageneration: '1', size: '5' });
      expect(meta.md5Hash).to.equal(createHash('md5').update('hello').digest('base64'));
      expect(meta.crc32c).to.equal(crc32cBase64(Buffer.from('hello')));
    });

    it('buckets exist on demand', async () => {
      const [exists] = await raw.bucket('any-bucket').exists();
      expect(exists).to.equal(true);
      const [created] = await raw.createBucket('made-here');
      expect(created.name).to.equal('made-here');
    });
  });

  describe('checksums', () => {
    it('the client accepts the crc32c and md5 the emulator reports (multipart, resumable, download)', async () => {
      const data = randomBytes(300_000);
      const f = raw.bucket(BUCKET).file('checked');
      for (const validation of ['crc32c', 'md5'] as const) {
        await f.save(data, { resumable: false, validation });
        await f.save(data, { resumable: true, validation });
        expect((await download(f, validation)).equals(data)).to.equal(true);
      }
      // A failed check would have deleted the object (FILE_NO_UPLOAD).
      expect(emu.getObject(BUCKET, 'checked')?.bytes.equals(data)).to.equal(true);
      expect(emu.stats.deletes.size).to.equal(0);
    });

    it('the emulator CRC32C agrees with the client library on arbitrary bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
          const c = new CRC32C();
          c.update(Buffer.from(bytes));
          return crc32cBase64(bytes) === c.toString();
        }),
      );
    });

    it('refuses an upload whose declared crc32c does not match, storing nothing', async () => {
      const f = raw.bucket(BUCKET).file('corrupt');
      const err = (await rejection(f.save('payload', { resumable: false, validation: false, metadata: { crc32c: 'AAAAAA==' } }))) as ClientError;
      expect(err.code).to.equal(400);
      expect(emu.getObject(BUCKET, 'corrupt')).to.equal(undefined);
    });
  });

  describe('listing', () => {
    it('pages with prefix, delimiter → prefixes, maxResults, pageToken, startOffset and endOffset', async () => {
      const names = ['dir/a', 'dir/b', 'dir/c', 'dir/sub1/x', 'dir/sub1/y', 'dir/sub2/z', 'dir/d', 'other/q'];
      for (const n of names) emu.putObject(BUCKET, n, n);
      const bucket = raw.bucket(BUCKET);

      const seen: string[] = [];
      const prefixes: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const [files, , resp] = await bucket.getFiles({
          prefix: 'dir/',
          delimiter: '/',
          maxResults: 2,
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        });
        const r = resp as { kind?: string; prefixes?: string[]; nextPageToken?: string };
        expect(r.kind).to.equal('storage#objects');
        seen.push(...files.map((f) => f.name));
        prefixes.push(...(r.prefixes ?? []));
        pageToken = r.nextPageToken;
        pages++;
      } while (pageToken);
      expect(seen).to.deep.equal(['dir/a', 'dir/b', 'dir/c', 'dir/d']);
      expect(prefixes).to.deep.equal(['dir/sub1/', 'dir/sub2/']);
      expect(pages).to.equal(3);

      const [ranged] = await bucket.getFiles({ prefix: 'dir/', startOffset: 'dir/b', endOffset: 'dir/sub1/y', autoPaginate: false });
      expect(ranged.map((f) => f.name)).to.deep.equal(['dir/b', 'dir/c', 'dir/d', 'dir/sub1/x']);
      const [first] = await bucket.getFiles({ prefix: 'dir/sub1/', autoPaginate: false });
      expect(first[0]?.metadata.size).to.equal('10');
    });

    it('BlobStore.list: ascending, strictly after startAfter, cost proportional to the limit', async () => {
      const s = store('pfx');
      const all = Array.from({ length: 60 }, (_, i) => `idx/k${String(i).padStart(3, '0')}`);
      for (const k of all) emu.putObject(BUCKET, `pfx/${k}`, k);
      emu.putObject(BUCKET, 'pfx/idy/outside', 'x');
      emu.putObject(BUCKET, 'pfx/idx', 'the prefix itself is not under idx/');

      const collected: string[] = [];
      let startAfter: string | undefined;
      let calls = 0;
      for (;;) {
        const before = emu.stats.listedEntries;
        const page = await s.list('idx/', { limit: 7, ...(startAfter ? { startAfter } : {}) });
        calls++;
        expect(emu.stats.listedEntries - before).to.be.at.most(9);
        collected.push(...page.keys);
        if (!page.next) break;
        expect(page.next).to.equal(page.keys[page.keys.length - 1]);
        startAfter = page.next;
      }
      expect(collected).to.deep.equal(all);
      expect(calls).to.equal(9);

      expect((await s.list('idx/', { limit: 3, startAfter: 'idx/k010x' })).keys).to.deep.equal(['idx/k011', 'idx/k012', 'idx/k013']);
      expect((await s.list('idx/', { limit: 2, startAfter: 'a' })).keys).to.deep.equal(['idx/k000', 'idx/k001']);
      expect(await s.list('idx/', { limit: 5, startAfter: 'idx/k059' })).to.deep.equal({ keys: [], next: null });
      expect(await s.list('idx/', { limit: 60 })).to.deep.include({ next: null });
      expect((await s.list('idx/', { limit: 59 })).next).to.equal('idx/k058');
      expect(await s.list('nothing/', { limit: 5 })).to.deep.equal({ keys: [], next: null });
    });
  });

  describe('faults', () => {
    it('429 and 503 are retried by the adapter on every operation', async () => {
      const s = store();
      emu.faults.inject({ op: 'upload', action: '429', times: 2 });
      emu.faults.inject({ op: 'upload', action: '503', times: 2 });
      const { generation } = await s.put('k', 'v', { ifGenerationMatch: '0' });
      expect(emu.stats.requests.upload).to.equal(5);
      expect(emu.stats.writes.get('root/k')).to.equal(1);

      emu.faults.inject({ op: 'upload', action: '503', times: 1 });
      await s.put('k', 'v2'); // unconditional: retried as well
      emu.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '503', times: 1 });
      emu.faults.inject({ op: ['download', 'metadata', 'list', 'delete'], action: '429', times: 1 });
      expect((await s.get('k'))?.bytes.toString()).to.equal('v2');
      emu.faults.inject({ op: ['metadata', 'list', 'delete'], action: '503', times: 1 });
      expect(await s.head('k')).to.not.equal(generation);
      emu.faults.inject({ op: ['list', 'delete'], action: '429', times: 1 });
      expect((await s.list('', { limit: 5 })).keys).to.deep.equal(['k']);
      emu.faults.inject({ op: 'delete', action: '503', times: 1 });
      expect(await s.delete('k')).to.equal(true);
      expect(emu.stats.faults['429']).to.equal(4);
      expect(emu.stats.faults['503']).to.equal(6);
    });

    it('gives up with StoreUnavailableError once the attempts are spent', async () => {
      const s = store('root', { baseMs: 1, maxMs: 2, attempts: 3 });
      emu.faults.inject({ action: '503' });
      const err = await rejection(s.put('k', 'v'));
      expect(err).to.be.instanceOf(StoreUnavailableError);
      expect((err as Error).message).to.match(/3 attempt\(s\).*503/);
      expect(emu.stats.requests.upload).to.equal(3);
      expect(await rejection(s.get('k'))).to.be.instanceOf(StoreUnavailableError);
      expect(emu.stats.requests.download).to.equal(3);
    });

    it('a conditional create whose response is lost after the commit ends as success (read-back)', async () => {
      const s = store();
      emu.faults.inject({ op: 'upload', name: 'root/claim', action: 'drop-after-commit', times: 1 });
      const { generation } = await s.put('claim', 'run-1', { ifGenerationMatch: '0' });
      expect(generation).to.equal(emu.getObject(BUCKET, 'root/claim')?.generation);
      expect(emu.stats.writes.get('root/claim')).to.equal(1);
      expect(emu.stats.faults['drop-after-commit']).to.equal(1);
      expect(emu.stats.preconditionFailures).to.equal(1); // the retry's 412, resolved by reading back
    });

    it('a lost response followed by someone else\'s write surfaces as PreconditionFailedError', async () => {
      const s = store('root', {
        ...FAST_RETRY,
        // Between our lost write and its retry, another writer replaces the object.
        sleep: async () => {
          emu.putObject(BUCKET, 'root/claim', 'run-2');
        },
      });
      emu.faults.inject({ op: 'upload', action: 'drop-after-commit', times: 1 });
      expect(await rejection(s.put('claim', 'run-1', { ifGenerationMatch: '0' }))).to.be.instanceOf(PreconditionFailedError);
      expect(emu.getObject(BUCKET, 'root/claim')?.bytes.toString()).to.equal('run-2');
    });

    it('a real conflict stays a PreconditionFailedError and is not retried; an injected 412 race too', async () => {
      const s = store();
      await s.put('claim', 'theirs');
      const uploads = emu.stats.requests.upload;
      expect(await rejection(s.put('claim', 'mine', { ifGenerationMatch: '0' }))).to.be.instanceOf(PreconditionFailedError);
      expect(emu.stats.requests.upload - uploads).to.equal(1);

      emu.faults.inject({ op: 'upload', action: '412', times: 1 });
      expect(await rejection(s.put('fresh', 'mine', { ifGenerationMatch: '0' }))).to.be.instanceOf(PreconditionFailedError);
      expect(emu.getObject(BUCKET, 'root/fresh')).to.equal(undefined);
      expect(emu.stats.faults['412']).to.equal(1);
      // The caller's next round succeeds.
      await s.put('fresh', 'mine', { ifGenerationMatch: '0' });
    });

    it('unconditional puts, reads, lists and deletes survive lost responses', async () => {
      const s = store();
      emu.faults.inject({ op: 'upload', action: 'drop-after-commit', times: 1 });
      await s.put('k', 'v');
      expect(emu.stats.writes.get('root/k')).to.equal(2); // the same bytes, written twice: harmless
      emu.faults.inject({ op: ['download', 'list', 'metadata'], action: 'drop-after-commit', times: 3 });
      expect((await s.get('k'))?.bytes.toString()).to.equal('v');
      expect((await s.list('', { limit: 10 })).keys).to.deep.equal(['k']);
      expect(await s.head('k')).to.be.a('string');
      emu.faults.inject({ op: 'delete', action: 'drop-after-commit', times: 1 });
      expect(await s.delete('k')).to.equal(true); // the retry's 404 means our lost delete went through
      expect(emu.getObject(BUCKET, 'root/k')).to.equal(undefined);
    });

    it('delay holds requests; a delay beyond the request timeout is retried', async () => {
      const s = store('root', FAST_RETRY, 300);
      await s.put('k', 'v');
      emu.faults.inject({ op: 'download', action: 'delay', delayMs: 120, times: 1 });
      let t = performance.now();
      await s.get('k');
      expect(performance.now() - t).to.be.at.least(110);

      emu.faults.inject({ op: 'download', action: 'delay', delayMs: 1000, times: 1 });
      t = performance.now();
      expect((await s.get('k'))?.bytes.toString()).to.equal('v');
      expect(performance.now() - t).to.be.within(290, 900);
      expect(emu.stats.requests.download).to.equal(3);
    });

    it('matches rules by name pattern and probability, reproducibly from the seed', async () => {
      const s = store();
      const rule = emu.faults.inject({ op: 'upload', name: /\/hot-/, action: '503', probability: 0.3 });
      for (let i = 0; i < 20; i++) await s.put(`hot-${i}`, 'x');
      for (let i = 0; i < 5; i++) await s.put(`cold-${i}`, 'x');
      const first = rule.injected;
      expect(first).to.be.within(3, 40);
      expect(emu.stats.requests.upload).to.equal(25 + first);

      emu.reset();
      const again = emu.faults.inject({ op: 'upload', name: /\/hot-/, action: '503', probability: 0.3 });
      for (let i = 0; i < 20; i++) await s.put(`hot-${i}`, 'x');
      expect(again.injected).to.equal(first);
      again.remove();
      expect(emu.faults.active).to.have.length(0);
    });

    it('latency applies to every request', async () => {
      const s = store();
      emu.setLatency(60);
      const t = performance.now();
      await s.head('nothing');
      expect(performance.now() - t).to.be.at.least(55);
    });
  });

  describe('per-object write-rate limit', () => {
    it('answers 429 rateLimitExceeded to a second write within a second, without applying it', async () => {
      emu.setWriteRateLimit(1);
      const f = raw.bucket(BUCKET).file('hot');
      await f.save('one', { resumable: false });
      const err = (await rejection(f.save('two', { resumable: false }))) as ClientError;
      expect(err.code).to.equal(429);
      expect(err.errors?.[0]?.reason).to.equal('rateLimitExceeded');
      expect(emu.getObject(BUCKET, 'hot')?.bytes.toString()).to.equal('one');
      await raw.bucket(BUCKET).file('cold').save('other objects are not limited', { resumable: false });
      expect(emu.stats.rateLimited).to.equal(1);
    });

    it('the adapter backs off until the write is admitted', async () => {
      emu.setWriteRateLimit(1);
      const s = store('root', { baseMs: 25, maxMs: 2000, attempts: 20 });
      const t = performance.now();
      let generation = '0';
      for (const v of ['a', 'b', 'c']) generation = (await s.put('hot', v, { ifGenerationMatch: generation })).generation;
      expect(performance.now() - t).to.be.at.least(1900);
      expect(emu.stats.rateLimited).to.be.greaterThan(0);
      expect(emu.stats.writes.get('root/hot')).to.equal(3);
      expect((await s.get('hot'))?.bytes.toString()).to.equal('c');
    });
  });

  describe('getGcsRunStore', () => {
    it('is the RunStore over GCS with a one-second commit interval', async () => {
      const rs = getGcsRunStore({ bucket: BUCKET, prefix: 'runs-root', apiEndpoint: emu.url, projectId: 'test' });
      expect(rs.backend).to.equal('gcs');
      expect(rs.commitIntervalMs).to.equal(1000);
      const runId = '0190a5b2-0000-7000-8000-0000000000aa';
      const res = await rs.append(runId, [newEvent('run.deleted', { by: 'op' }, randomUUID(), new Date().toISOString())]);
      expect(res.lastSeq).to.equal(1);
      expect((await rs.readLog(runId)).events).to.have.length(1);
      await rs.putArtifact(runId, 'report.md', '# hi', 'text/markdown');
      expect(await rs.listArtifacts(runId)).to.deep.equal(['report.md']);
      expect((await rs.getArtifact(runId, 'report.md'))?.contentType).to.equal('text/markdown');
      const sig = `sha256:${'a'.repeat(64)}`;
      expect(await rs.createClaim('acme', sig, runId)).to.equal(true);
      expect(await rs.createClaim('acme', sig, runId)).to.equal(false);
      expect(emu.getObject(BUCKET, `runs-root/${keys.events(runId)}`)).to.not.equal(undefined);
    });
  });

  describe('the blob event log under contention and faults', () => {
    it('16 writers × 250 events through 412 races, 429, 503 and lost responses: 4000 events, contiguous, none lost or doubled', async () => {
      const WRITERS = 16;
      const PER_WRITER = 250;
      const runId = '0190a5b2-0000-7000-8000-000000000001';
      const logObject = `stress/${keys.events(runId)}`;
      emu.faults.inject({ op: 'upload', action: '412', probability: 0.05 });
      emu.faults.inject({ op: 'upload', action: 'drop-after-commit', probability: 0.04 });
      emu.faults.inject({ op: 'download', action: 'drop-after-commit', probability: 0.02 });
      emu.faults.inject({ action: '429', probability: 0.03 });
      emu.faults.inject({ action: '503', probability: 0.03 });

      // Batch sizes from a fixed sequence, so every run appends the same batches.
      let state = 7;
      const nextBatchSize = () => {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        return 1 + (state % 25);
      };
      const plans = Array.from({ length: WRITERS }, () => {
        const sizes: number[] = [];
        for (let left = PER_WRITER; left > 0; ) {
          const n = Math.min(left, nextBatchSize());
          sizes.push(n);
          left -= n;
        }
        return sizes;
      });

      const written = new Set<string>();
      const results: { ids: string[]; result: AppendResult }[] = [];
      const started = performance.now();
      await Promise.all(
        plans.map(async (sizes, w) => {
          // Each writer is its own process as far as the store is concerned: own client, own cache.
          const log = getBlobEventLog(store('stress', { baseMs: 10, maxMs: 250, attempts: 15 }));
          for (const n of sizes) {
            const events: PendingEvent[] = [];
            for (let i = 0; i < n; i++) {
              const id = randomUUID();
              written.add(id);
              events.push(newEvent('run.deleted', { by: `w${w}` }, id, new Date().toISOString()));
            }
            const result = await log.append(runId, events);
            results.push({ ids: events.map((e) => e.id), result });
          }
        }),
      );
      const elapsed = performance.now() - started;

      emu.faults.clear();
      const snapshot = await getBlobEventLog(store('stress')).read(runId);
      const events = snapshot.events;
      expect(written.size).to.equal(WRITERS * PER_WRITER);
      expect(events).to.have.length(4000);
      expect(snapshot.lastSeq).to.equal(4000);
      events.forEach((e, i) => expect(e.seq).to.equal(i + 1));
      const bySeq = new Map(events.map((e) => [e.id, e.seq]));
      expect(bySeq.size).to.equal(4000);
      for (const id of written) expect(bySeq.has(id), `event ${id} is missing`).to.equal(true);
      // Every append reports its events where they really are.
      for (const { ids, result } of results) {
        expect(result.committed.map((e) => e.id)).to.deep.equal(ids);
        for (const e of result.committed) expect(bySeq.get(e.id)).to.equal(e.seq);
      }
      // One committed write per append call: a lost response never led to a second copy.
      expect(emu.stats.writes.get(logObject)).to.equal(results.length);
      for (const kind of ['412', '429', '503', 'drop-after-commit'] as const) {
        expect(emu.stats.faults[kind], `${kind} faults injected`).to.be.greaterThan(0);
      }
      console.log(
        `      ${results.length} appends in ${Math.round(elapsed)} ms; faults ${JSON.stringify(emu.stats.faults)}; ` +
          `genuine 412s ${emu.stats.preconditionFailures}; requests ${JSON.stringify(emu.stats.requests)}`,
      );
    });
  });
});
