/**
 * The run page and the operator console in a real browser (Debian's Chromium
 * through playwright-core) against the real orchestrator: createApp, a local
 * store in a temp dir, and the local launcher running the real job with the
 * offline model. Screenshots land in media/ with UPDATE_MEDIA=1 (`npm run media`), else in a temp dir.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { SCENARIO_NODES } from '../../shared/domain/scenarioforge-pipeline.ts';
import { build, call, waitUntil } from '../support/orchestrator.ts';
import { chromiumAvailable, CHROMIUM_PATH, collectPageErrors, launchChromium, recordRequests, type RecordedRequest } from '../support/ui-browser.ts';
import { OPERATOR_KEY, readRun, startUiOrchestrator, waitForRunStatus, type UiOrchestrator } from '../support/ui-orchestrator.ts';
import { EXHAUSTED_REASON, INJECTED_FAILURE, makeScenarioHostile, prepareExhaustedRun, prepareRun, prepareStalledRun } from '../support/ui-runs.ts';

// Functions passed to page.evaluate / waitForFunction run in the browser. The tsconfig has no DOM
// lib (this is a Node project), so these module-scoped declarations name the little they touch.
interface PageElement { dataset: Record<string, string | undefined> }
declare const document: { querySelectorAll(selector: string): { length: number }; body: PageElement; documentElement: { scrollWidth: number } };
declare const window: Record<string, unknown>;

// Screenshots refresh the README's pictures only when asked (`npm run media`); a test run writes
// them to a temp dir, so running the suite never dirties the tree.
const mediaDir = () => process.env.UPDATE_MEDIA === '1'
  ? fileURLToPath(new URL('../../media/', import.meta.url))
  : join(mkdtempSync(join(tmpdir(), 'scenarioforge-media-')), '/');
const VIEWPORT = { width: 1360, height: 900 };
/** A phone and a desktop: the liveness and failure lines must read well on both. */
const WIDTHS = [{ width: 390, height: 844 }, { width: 1440, height: 900 }];
const KEY_STORAGE = 'scenarioforge.apiKey';
const TOTAL_NODES = 12;

const params = (company: string, extra: Record<string, unknown> = {}) => ({
  company,
  focalQuestion: 'How will European grid operators fund the 2035 transition?',
  horizonYear: 2035,
  region: 'Europe',
  industry: 'Electricity transmission and distribution',
  ...extra,
});

/** A request that carries an API key, by either of the two headers the API accepts. */
const carriesKey = (r: RecordedRequest) => 'x-api-key' in r.headers || 'authorization' in r.headers;

/** Reads of one run: the page, run.json, the log (JSONL or SSE), artifacts. */
const isRunRead = (r: RecordedRequest, runId: string) => r.method === 'GET' && new URL(r.url).pathname.startsWith(`/runs/${runId}`);

async function buildRun(orch: UiOrchestrator, company: string, extra: Record<string, unknown> = {}): Promise<string> {
  const reply = await build(orch.url, OPERATOR_KEY, { params: params(company, extra), label: `${company} — 2035 funding` });
  expect(reply.status, reply.text).to.equal(202);
  return reply.body.runId;
}

async function nodeStatuses(page: Page): Promise<Record<string, string>> {
  return page.$$eval('.dag-node', (els) => Object.fromEntries(els.map((el) => [(el as unknown as PageElement).dataset.node, (el as unknown as PageElement).dataset.status])));
}

describe('UI in a real browser (run page, operator console)', function () {
  this.timeout(180_000);

  let orch: UiOrchestrator;
  let browser: Browser;
  let finishedRunId: string;
  let MEDIA: string;

  before(async function () {
    if (!chromiumAvailable()) {
      console.log(`\n  SKIPPED: browser tests — ${CHROMIUM_PATH} is missing (install Debian's chromium; no browser is downloaded)\n`);
      this.skip();
    }
    MEDIA = mediaDir();
    mkdirSync(MEDIA, { recursive: true });
    orch = await startUiOrchestrator({ offlineLatencyMs: 150 });
    browser = await launchChromium();
    finishedRunId = await buildRun(orch, 'Nordlicht Netz AG');
    await waitForRunStatus(orch.url, finishedRunId, 'succeeded');
  });

  after(async () => {
    await browser?.close();
    await orch?.close();
  });

  let context: BrowserContext;
  let page: Page;
  let requests: RecordedRequest[];
  let pageErrors: string[];

  beforeEach(async () => {
    context = await browser.newContext({ viewport: VIEWPORT });
    page = await context.newPage();
    requests = recordRequests(page);
    pageErrors = collectPageErrors(page);
  });

  afterEach(async function () {
    await context?.close();
    // A CSP violation or a broken module shows up here.
    if (this.currentTest?.state === 'passed') expect(pageErrors, 'console errors and uncaught exceptions').to.deep.equal([]);
  });

  const openRun = async (runId: string) => {
    const res = await page.goto(`${orch.url}/runs/${runId}`);
    expect(res?.status()).to.equal(200);
    await page.waitForSelector('body[data-ready="true"]');
  };

  const enterKeyOnRunPage = async () => {
    await page.click('#operator-details > summary');
    await page.fill('#api-key', OPERATOR_KEY);
    await page.click('#use-key');
    await page.waitForSelector('#operator-actions:not([hidden])');
  };

  it('a judge with no key opens a finished run: succeeded, four scenarios, matrix, wind tunnel and report', async () => {
    await openRun(finishedRunId);

    await page.waitForSelector('#run-status [data-status="succeeded"]');
    expect(await page.textContent('#run-status')).to.contain('Succeeded');
    expect(await page.textContent('#progress-label')).to.equal(`${TOTAL_NODES} / ${TOTAL_NODES} steps`);
    expect(await page.isVisible('#synthetic-banner'), 'the offline model is announced').to.equal(true);
    expect(await page.textContent('#synthetic-banner')).to.contain('Synthetic content');

    // The four scenario names on the page are the run's own.
    await page.waitForFunction(() => document.querySelectorAll('.scenario-card:not(.is-placeholder) .scenario-name').length === 4);
    const expected = await Promise.all(SCENARIO_NODES.map(async (id) => {
      const res = await call<{ name: string }>(orch.url, 'GET', `/runs/${finishedRunId}/artifacts/${id}.json`);
      return res.body.name;
    }));
    const shown = await page.$$eval('.scenario-card .scenario-name', (els) => els.map((el) => el.textContent ?? ''));
    expect([...shown].sort()).to.deep.equal([...expected].sort());
    expect(new Set(shown).size).to.equal(4);

    // The matrix: the run's SVG, inlined after sanitising, with its four quadrants.
    await page.waitForSelector('#matrix-figure svg');
    expect(await page.locator('#matrix-figure svg .quadrant').count()).to.equal(4);
    for (const name of expected) expect(await page.locator('#matrix-figure svg').textContent()).to.contain(name);

    // The wind tunnel: one ranked row per strategy, one scored cell per scenario.
    await page.waitForSelector('#wind-tunnel-table tbody tr');
    const rows = await page.locator('#wind-tunnel-table tbody tr').count();
    expect(rows).to.be.greaterThan(0);
    expect(await page.locator('#wind-tunnel-table tbody td.wt-cell[data-score]').count()).to.equal(rows * 4);
    expect(await page.locator('#wind-tunnel-table tbody tr[data-rank="1"]').count()).to.equal(1);

    // The report, rendered from Markdown.
    await page.waitForSelector('#report-article h1');
    expect(await page.isVisible('#report-article h1')).to.equal(true);
    expect(await page.textContent('#report-article')).to.contain('Executive summary');

    // Drivers plot with the two chosen axes marked, timeline, artifacts.
    expect(await page.locator('.drivers-plot .plot-point').count()).to.be.at.least(12);
    expect(await page.locator('.drivers-plot .plot-axis-ring').count()).to.be.at.least(2);
    expect(await page.locator('.tl-bar').count()).to.equal(TOTAL_NODES);
    expect(await page.locator('#artifacts [data-artifact="report.md"]').count()).to.equal(1);
    expect(await page.isVisible('#operator-actions'), 'no operator actions without a key').to.equal(false);

    // No request of this read-only view carried a key.
    expect(requests.filter((r) => isRunRead(r, finishedRunId)).length).to.be.greaterThan(5);
    expect(requests.filter(carriesKey), 'requests with a key').to.deep.equal([]);

    await page.screenshot({ path: `${MEDIA}run-completed.png`, fullPage: true });
    await page.locator('#matrix').screenshot({ path: `${MEDIA}scenario-matrix.png` });
    await page.locator('#wind-tunnel').screenshot({ path: `${MEDIA}wind-tunnel.png` });
  });

  it('no read of a run carries the key, even when an operator key is set in the tab', async () => {
    await context.addInitScript(([name, key]) => sessionStorage.setItem(name as string, key as string), [KEY_STORAGE, OPERATOR_KEY]);
    await openRun(finishedRunId);
    await page.waitForSelector('#report-article h1');
    expect(await page.isVisible('#operator-actions'), 'the key is in the tab').to.equal(true);
    const reads = requests.filter((r) => isRunRead(r, finishedRunId));
    expect(reads.map((r) => new URL(r.url).pathname)).to.include.members([
      `/runs/${finishedRunId}`,
      `/runs/${finishedRunId}/run.json`,
      `/runs/${finishedRunId}/events`,
      `/runs/${finishedRunId}/artifacts/report.md`,
    ]);
    expect(reads.filter(carriesKey), 'run reads with a key').to.deep.equal([]);
    expect(requests.filter(carriesKey), 'a read-only view sends no key at all').to.deep.equal([]);
  });

  it('a run watched live shows its nodes turning green without a reload', async () => {
    const runId = await buildRun(orch, 'Harbour & Vine Grocers', { region: 'Australia', industry: 'Grocery retail', horizonYear: 2040 });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
    await openRun(runId);
    await page.evaluate(() => {
      window.__sameDocument = true;
    });

    // Some steps done while others still wait: the page is following a run in progress.
    await page.waitForFunction((total) => {
      const done = document.querySelectorAll('.dag-node[data-status="succeeded"]').length;
      return done >= 1 && done < total;
    }, TOTAL_NODES);
    const midway = await nodeStatuses(page);
    expect(Object.values(midway).filter((s) => s !== 'succeeded').length).to.be.greaterThan(0);
    expect(await page.getAttribute('#stream-state', 'data-state')).to.be.oneOf(['live', 'connecting', 'reconnecting']);

    await page.waitForFunction((total) => document.querySelectorAll('.dag-node[data-status="succeeded"]').length === total, TOTAL_NODES, { timeout: 60_000 });
    await page.waitForSelector('body[data-run-status="succeeded"]');
    await page.waitForSelector('#stream-state[data-state="ended"]');
    expect(await page.evaluate(() => window.__sameDocument)).to.equal(true);
    expect(navigations, 'no reload').to.equal(1);
    await page.waitForFunction(() => document.querySelectorAll('.scenario-card:not(.is-placeholder)').length === 4);
    await page.waitForSelector('#report-article h1');

    // The run.json revalidations stay few: one per burst of events, not one per event.
    const runJsonFetches = requests.filter((r) => new URL(r.url).pathname === `/runs/${runId}/run.json`).length;
    const { lastSeq } = await readRun(orch.url, runId);
    expect(runJsonFetches).to.be.lessThan(lastSeq);
  });

  it('reconnects after dropped connections without missing or doubling events', async () => {
    const runId = await buildRun(orch, 'Ostsee Wind GmbH', { industry: 'Offshore wind' });
    await openRun(runId);
    await page.waitForFunction(() => document.querySelectorAll('.dag-node[data-status="succeeded"]').length >= 1);
    orch.dropConnections();
    await page.waitForFunction(() => document.querySelectorAll('.dag-node[data-status="succeeded"]').length >= 4);
    orch.dropConnections();
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 60_000 });

    const run = await readRun(orch.url, runId);
    await page.waitForFunction((seq) => document.body.dataset.lastSeq === String(seq), run.lastSeq);
    // Every event of the log applied exactly once: as many as the log holds, and every attempt one bar.
    expect(await page.evaluate(() => document.body.dataset.eventCount)).to.equal(String(run.lastSeq));
    const started = Object.values(run.nodes).reduce((n, node) => n + node.attempts, 0);
    expect(await page.locator('.tl-bar').count()).to.equal(started);
    const sse = requests.filter((r) => new URL(r.url).pathname === `/runs/${runId}/events` && r.headers['accept']?.includes('text/event-stream'));
    expect(sse.length, 'the stream was opened again after each drop').to.be.at.least(2);
    // Every result loaded in the end, the reads cut by the drops included.
    await page.waitForSelector('#report-article h1');
    expect(await page.locator('[data-state="error"]').count()).to.equal(0);
    expect(await page.isVisible('#page-error')).to.equal(false);
    // The connections this test cut show up as network errors in the console; nothing else may.
    // Which error Chromium reports depends on where the cut caught the request: mid-body, before
    // the response, or on a pooled keep-alive socket the server had already closed.
    const dropped = /net::ERR_(INCOMPLETE_CHUNKED_ENCODING|EMPTY_RESPONSE|CONNECTION_RESET|CONNECTION_CLOSED|SOCKET_NOT_CONNECTED)\b/;
    pageErrors.splice(0, pageErrors.length, ...pageErrors.filter((e) => !dropped.test(e)));
  });

  it('an operator retries a failed node from the page and sees attempt 2 succeed', async () => {
    const { runId, result } = await prepareRun(orch.store, { failOn: 'scenario_b' });
    expect(result?.outcome).to.equal('failed');
    await openRun(runId);

    const failed = page.locator('.dag-node[data-node="scenario_b"]');
    expect(await failed.getAttribute('data-status')).to.equal('failed');
    expect(await page.textContent('#run-failure')).to.contain('scenario_b');
    // The error of the failed attempt, on focus (and as the box's title for hover).
    expect(await failed.getAttribute('title')).to.contain(INJECTED_FAILURE);
    await failed.focus();
    await page.waitForSelector('#node-tip:not([hidden])');
    expect(await page.textContent('#node-tip')).to.contain(INJECTED_FAILURE);
    expect(await page.locator('.dag-retry').count(), 'no retry button without a key').to.equal(0);

    await enterKeyOnRunPage();
    await failed.locator('.dag-retry').click();
    await page.waitForSelector('#operator-result[data-kind="ok"]');
    expect(await page.textContent('#operator-result')).to.contain('Retry of Scenario B requested');

    await page.waitForSelector('.dag-node[data-node="scenario_b"][data-last-attempt="2:succeeded"]', { timeout: 60_000 });
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 60_000 });
    expect(await failed.getAttribute('data-attempts')).to.equal('2');
    expect(await failed.textContent()).to.contain('Attempt 2');
    // Both attempts on the timeline, and the retry execution marked.
    await page.waitForFunction(() => document.querySelectorAll('.tl-bar[data-node="scenario_b"]').length === 2);
    expect(await page.$$eval('.tl-bar[data-node="scenario_b"]', (els) => els.map((el) => `${(el as unknown as PageElement).dataset.attempt}:${(el as unknown as PageElement).dataset.status}`)))
      .to.deep.equal(['1:failed', '2:succeeded']);
    expect(await page.locator('.tl-exec-retry').count()).to.equal(1);

    // The key went with the retry and with nothing else.
    const keyed = requests.filter(carriesKey);
    expect(keyed.map((r) => `${r.method} ${new URL(r.url).pathname}`)).to.deep.equal([`POST /runs/${runId}/nodes/scenario_b/retry`]);
  });

  it('renders a hostile scenario narrative as text', async () => {
    const payload = '<img src=x onerror="window.__xss=1">';
    const { runId } = await prepareRun(orch.store);
    await makeScenarioHostile(orch.store, runId, 'scenario_a', payload);
    await openRun(runId);
    const card = page.locator('.scenario-card[data-scenario="scenario_a"]');
    await card.waitFor();
    expect(await card.locator('.scenario-name').textContent()).to.contain(payload);
    expect(await card.locator('.scenario-narrative').textContent()).to.contain(payload);
    expect(await card.locator('.wl-winners').textContent()).to.contain(payload);
    expect(await card.locator('img').count(), 'no element made from the text').to.equal(0);
    expect(await page.locator('img[src="x"]').count()).to.equal(0);
    expect(await page.evaluate(() => window.__xss)).to.equal(undefined);
  });

  it('cancels a running run from the page, then runs it again by retrying a cancelled step', async () => {
    const runId = await buildRun(orch, 'Kestrel Rail', { industry: 'Rail freight', horizonYear: 2045 });
    await openRun(runId);
    await enterKeyOnRunPage();
    await page.waitForFunction(() => document.querySelectorAll('.dag-node[data-status="succeeded"]').length >= 1);
    await page.click('#action-cancel');
    await page.waitForSelector('#operator-result[data-kind="ok"]');
    expect(await page.textContent('#operator-result')).to.contain('Cancel requested');
    await page.waitForSelector('body[data-run-status="cancelled"]', { timeout: 60_000 });
    expect(await page.isVisible('#run-failure')).to.equal(true);
    expect(await page.locator('.dag-node[data-status="cancelled"]').count()).to.be.greaterThan(0);

    await page.locator('.dag-node[data-status="cancelled"] .dag-retry').first().click();
    await page.waitForSelector('#operator-result[data-kind="ok"]');
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 60_000 });
    expect(await page.locator('.dag-node[data-status="succeeded"]').count()).to.equal(TOTAL_NODES);
  });

  it('resumes a run whose execution never started', async () => {
    const { runId } = await prepareRun(orch.store, { execute: false });
    await openRun(runId);
    expect(await page.getAttribute('body', 'data-run-status')).to.equal('queued');
    await enterKeyOnRunPage();
    await page.click('#action-resume');
    await page.waitForSelector('#operator-result[data-kind="ok"]');
    expect(await page.textContent('#operator-result')).to.contain('Resume requested');
    await page.waitForSelector('body[data-run-status="succeeded"]', { timeout: 60_000 });
    expect(await page.locator('.tl-exec-resume').count()).to.equal(1);
  });

  it('deletes a run from the page; its link then answers an HTML 404', async () => {
    const { runId } = await prepareRun(orch.store);
    await openRun(runId);
    await enterKeyOnRunPage();
    page.once('dialog', (d) => void d.accept());
    await page.click('#action-delete');
    await page.waitForSelector('#operator-result[data-kind="ok"]');
    expect(await page.textContent('#operator-result')).to.contain('Run deleted');

    const gone = await page.goto(`${orch.url}/runs/${runId}`);
    expect(gone?.status()).to.equal(404);
    expect(gone?.headers()['content-type']).to.contain('text/html');
    expect(await page.textContent('h1')).to.contain('does not exist');
    const unknown = await page.goto(`${orch.url}/runs/01890000-0000-7000-8000-000000000000`);
    expect(unknown?.status()).to.equal(404);
    expect(await page.textContent('h1')).to.contain('does not exist');
  });

  /** A page at `viewport` whose clock reads `clock` (a fixed instant), with its errors collected. */
  const pageAt = async (viewport: { width: number; height: number }, clock?: Date) => {
    const ctx = await browser.newContext({ viewport });
    if (clock) await ctx.clock.setFixedTime(clock);
    const p = await ctx.newPage();
    return { ctx, p, errors: collectPageErrors(p) };
  };
  const noHorizontalOverflow = (p: Page) => p.evaluate(() => document.documentElement.scrollWidth <= (window.innerWidth as number));

  describe('liveness: heartbeats, stalls, recoveries and why a run failed', () => {
    const LEASE_IN_MS = 2 * 60_000;
    const PAGE_AHEAD_MS = 10 * 60_000;
    let stalled: { runId: string; lost: string; recovering: string };
    let leaseExpiresAt: Date;

    before(async () => {
      // The recovering execution's last heartbeat holds its lease 2 minutes from now, and this
      // process holds lease.json for 30: the server (and any reconciler in it) sees a live run.
      // Pages whose clock reads 10 minutes ahead see the lease expired unrenewed: a stall.
      leaseExpiresAt = new Date(Date.now() + LEASE_IN_MS);
      stalled = await prepareStalledRun(orch.store, { leaseExpiresAt, leaseTtlMs: 30 * 60_000 });
    });

    it('while the lease is renewed, the run page shows the last heartbeat and the recovery count', async () => {
      await openRun(stalled.runId);
      await page.waitForSelector('#run-liveness[data-state="healthy"]');
      expect(await page.textContent('#run-liveness')).to.match(/last heartbeat \d+ s ago · execution 2 of 3$/);
    });

    for (const viewport of WIDTHS) {
      it(`at ${viewport.width}×${viewport.height}, a stalled run says since when and what comes next; the lost execution shows why`, async () => {
        const { ctx, p, errors } = await pageAt(viewport, new Date(Date.now() + PAGE_AHEAD_MS));
        try {
          await p.goto(`${orch.url}/runs/${stalled.runId}`);
          await p.waitForSelector('body[data-ready="true"]');
          await p.waitForSelector('#run-liveness[data-state="stalled"]');
          const since = await p.evaluate((iso) => new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(new Date(iso)), leaseExpiresAt.toISOString());
          expect(await p.textContent('#run-liveness')).to.equal(`⚠Stalled since ${since} — recovering (execution 3 of 3)`);
          expect(await p.isVisible('#run-liveness')).to.equal(true);
          // The executions: the build one lost (with the reconciler's reason), the recovering one stalled.
          const rows = await p.$$eval('#run-executions li', (els) => els.map((el) => `${(el as unknown as PageElement).dataset.status} ${el.textContent ?? ''}`));
          expect(rows).to.have.length(2);
          expect(rows[0]).to.match(/^lost #1 build\s*lost — its lease expired at \S+ with no renewal \(no heartbeat since\)/);
          expect(rows[1]).to.match(/^stalled #2 recover\s*stalled: lease expired \d\d:\d\d:\d\d/);
          expect(await p.locator('.tl-exec-lost').count(), 'the lost execution marked on the timeline').to.equal(1);
          expect(await p.locator('.tl-exec-recover').count()).to.equal(1);
          expect(await noHorizontalOverflow(p), 'no horizontal overflow').to.equal(true);
          await p.screenshot({ path: `${MEDIA}run-stalled-${viewport.width}.png`, fullPage: false });
          expect(errors).to.deep.equal([]);
        } finally {
          await ctx.close();
        }
      });
    }

    for (const viewport of WIDTHS) {
      it(`at ${viewport.width}×${viewport.height}, a run that used up its executions says so in words, near the top`, async () => {
        const { runId } = await prepareExhaustedRun(orch.store);
        const { ctx, p, errors } = await pageAt(viewport);
        try {
          await p.goto(`${orch.url}/runs/${runId}`);
          await p.waitForSelector('body[data-run-status="failed"]');
          expect(await p.getAttribute('#run-failure', 'data-code')).to.equal('executions_exhausted');
          expect(await p.textContent('#run-failure')).to.equal(`Run failed: executions exhausted. ${EXHAUSTED_REASON}`);
          expect(await p.isVisible('#run-liveness'), 'no liveness line on a finished run').to.equal(false);
          expect(await p.$$eval('#run-executions li', (els) => els.map((el) => (el as unknown as PageElement).dataset.status))).to.deep.equal(['lost', 'lost', 'lost']);
          // Near the top: the reason is on screen without scrolling.
          const box = await p.locator('#run-failure').boundingBox();
          expect(box && box.y + box.height, 'the failure within the first screen').to.be.below(viewport.height);
          expect(await noHorizontalOverflow(p), 'no horizontal overflow').to.equal(true);
          await p.screenshot({ path: `${MEDIA}run-exhausted-${viewport.width}.png`, fullPage: false });
          expect(errors).to.deep.equal([]);
        } finally {
          await ctx.close();
        }
      });
    }

    it('the console marks the stalled run with a badge', async () => {
      const { ctx, p, errors } = await pageAt(VIEWPORT, new Date(Date.now() + PAGE_AHEAD_MS));
      try {
        await p.goto(`${orch.url}/`);
        await p.waitForSelector('body[data-ready="true"]');
        await p.fill('#api-key', OPERATOR_KEY);
        await p.click('#use-key');
        const row = `#runs-table tr[data-run-id="${stalled.runId}"]`;
        await p.waitForSelector(`${row} .badge[data-liveness="stalled"]`);
        expect(await p.textContent(`${row} td`)).to.match(/Running\s*⚠Stalled$/);
        expect(await p.getAttribute(`${row} .badge[data-liveness="stalled"]`, 'title')).to.match(/^Stalled since \d\d:\d\d:\d\d — recovering \(execution 3 of 3\)$/);
        // Finished runs never get one (a live run left requested and never started may: it is stalled too).
        expect(await p.locator('#runs-table tr[data-status="succeeded"] .badge[data-liveness], #runs-table tr[data-status="failed"] .badge[data-liveness]').count()).to.equal(0);
        expect(errors).to.deep.equal([]);
      } finally {
        await ctx.close();
      }
    });
  });

  it('the console lists the tenant\'s runs and shows the API\'s field errors on the build form', async () => {
    await page.goto(`${orch.url}/`);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#runs-body')).to.contain('Enter your API key');
    await page.fill('#api-key', OPERATOR_KEY);
    await page.click('#use-key');
    await page.waitForSelector(`#runs-table tr[data-run-id="${finishedRunId}"]`);
    expect(await page.textContent(`#runs-table tr[data-run-id="${finishedRunId}"]`)).to.contain('Succeeded');

    // Field-level messages come from the API's 400 details.
    await page.fill('#f-company', 'Acme Grid');
    await page.fill('#f-focalQuestion', 'Too short');
    await page.fill('#f-horizonYear', '1999');
    await page.click('#build-submit');
    await page.waitForSelector('#e-horizonYear:not([hidden])');
    expect(await page.getAttribute('#f-horizonYear', 'aria-invalid')).to.equal('true');
    expect(await page.isVisible('#e-focalQuestion')).to.equal(true);
    expect(await page.isVisible('#e-company')).to.equal(false);
    const keyedBuild = requests.find((r) => r.method === 'POST' && new URL(r.url).pathname === '/build');
    expect(keyedBuild?.headers['x-api-key']).to.equal(OPERATOR_KEY);

    await page.fill('#f-focalQuestion', 'What will Nordic ferry operators need to decarbonise by 2040?');
    await page.fill('#f-horizonYear', '2040');
    await page.fill('#f-label', 'Console build');
    await page.click('#build-submit');
    await page.waitForSelector('#build-run-link');
    const href = await page.getAttribute('#build-run-link', 'href');
    const runId = href?.split('/').pop() ?? '';
    await waitUntil(() => page.locator(`#runs-table tr[data-run-id="${runId}"]`).count(), 'the new run in the list');
    await waitForRunStatus(orch.url, runId, 'succeeded');
  });
});
