/**
 * The live feed of one run: its event log (for the timeline) and its
 * run.json projection (for everything else), kept current from the SSE stream.
 *
 * Guarantees:
 * - every event is applied exactly once and in `seq` order: anything at or
 *   below the last applied seq is dropped (a reconnect may replay), and a gap
 *   is filled from the JSONL route before later events are applied;
 * - a reconnect resumes after the last applied seq (the browser sends
 *   Last-Event-ID; a manual reconnect passes `?after=`);
 * - run.json is not fetched per event: a burst of events is followed by one
 *   revalidation (debounced, at most one in flight, `If-None-Match`), so a
 *   busy run never causes a request storm.
 */
import { fetchEvents, fetchRun, runPath } from '../lib/api.js';
import { TERMINAL_RUN } from '../lib/status.js';

const REFRESH_QUIET_MS = 120;
const REFRESH_MAX_WAIT_MS = 800;
const LAG_RETRY_MS = 250;
const LAG_RETRIES = 20;
const RECONNECT_MIN_MS = 1000;
const RECONNECT_MAX_MS = 30_000;

/**
 * @param {string} runId
 * @param {{
 *   onEvents?: (fresh: object[], all: object[]) => void,
 *   onRun?: (run: object) => void,
 *   onConnection?: (state: 'connecting'|'live'|'reconnecting'|'ended'|'offline') => void,
 *   onError?: (err: Error) => void,
 * }} handlers
 */
export function createRunFeed(runId, handlers = {}) {
  const { onEvents = () => {}, onRun = () => {}, onConnection = () => {}, onError = () => {} } = handlers;
  const events = [];
  let lastSeq = 0;
  let run = null;
  let etag = null;
  let source = null;
  let stopped = false;
  let reconnectTimer = null;
  let reconnectDelay = RECONNECT_MIN_MS;
  let chain = Promise.resolve();
  let refreshTimer = null;
  let refreshDeadline = 0;
  let refreshing = false;
  let refreshAgain = false;
  let lagRetries = 0;

  /** Serialises every change to the event list, so backfills and stream messages never interleave. */
  const serial = (task) => {
    chain = chain.then(task).catch((err) => onError(err));
    return chain;
  };

  const applyContiguous = (batch) => {
    const fresh = [];
    for (const e of [...batch].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= lastSeq) continue; // already applied: a replay after reconnect
      if (e.seq !== lastSeq + 1) break; // a gap: the caller backfills first
      events.push(e);
      lastSeq = e.seq;
      fresh.push(e);
    }
    if (fresh.length > 0) {
      onEvents(fresh, events);
      scheduleRefresh();
    }
  };

  const backfill = async () => {
    applyContiguous(await fetchEvents(runId, lastSeq));
  };

  const ingest = (event) =>
    serial(async () => {
      if (event.seq <= lastSeq) return;
      if (event.seq > lastSeq + 1) await backfill();
      applyContiguous([event]);
    });

  function scheduleRefresh(delay = REFRESH_QUIET_MS) {
    const now = performance.now();
    if (refreshTimer === null) refreshDeadline = now + REFRESH_MAX_WAIT_MS;
    else clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refreshNow, Math.max(0, Math.min(delay, refreshDeadline - now)));
  }

  async function refreshNow() {
    if (refreshTimer !== null) clearTimeout(refreshTimer);
    refreshTimer = null;
    if (refreshing) {
      refreshAgain = true;
      return;
    }
    refreshing = true;
    try {
      const r = await fetchRun(runId, etag);
      if (!r.notModified) {
        run = r.run;
        etag = r.etag;
        onRun(run);
      }
      // run.json may trail the log for a moment; converge without hammering.
      if (run && run.lastSeq < lastSeq && lagRetries < LAG_RETRIES) {
        lagRetries += 1;
        refreshAgain = false;
        setTimeout(() => scheduleRefresh(0), LAG_RETRY_MS);
      } else {
        lagRetries = 0;
      }
    } catch (err) {
      onError(err);
    } finally {
      refreshing = false;
      if (refreshAgain) {
        refreshAgain = false;
        scheduleRefresh();
      }
    }
  }

  const closeSource = () => {
    if (source) source.close();
    source = null;
  };

  const scheduleReconnect = () => {
    if (stopped || reconnectTimer !== null) return;
    onConnection('offline');
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      open();
    }, reconnectDelay);
    reconnectDelay = Math.min(RECONNECT_MAX_MS, reconnectDelay * 2);
  };

  function open() {
    if (stopped || source) return;
    const es = new EventSource(runPath(runId, `/events?after=${lastSeq}`));
    source = es;
    onConnection('connecting');
    es.addEventListener('open', () => {
      reconnectDelay = RECONNECT_MIN_MS;
      onConnection('live');
    });
    es.addEventListener('message', (m) => {
      let event;
      try {
        event = JSON.parse(m.data);
      } catch {
        return;
      }
      if (event && Number.isInteger(event.seq)) void ingest(event);
    });
    es.addEventListener('end', () => {
      // The run is terminal: close before the browser reconnects on its own.
      closeSource();
      onConnection('ended');
      void serial(backfill).then(() => refreshNow());
    });
    es.addEventListener('error', () => {
      if (source !== es) return;
      if (es.readyState === EventSource.CLOSED) {
        // The browser gave up (e.g. an HTTP error): reconnect ourselves, after the last applied seq.
        closeSource();
        scheduleReconnect();
      } else {
        onConnection('reconnecting'); // the browser retries with Last-Event-ID
      }
    });
  }

  return {
    get run() {
      return run;
    },
    get events() {
      return events;
    },
    get lastSeq() {
      return lastSeq;
    },
    /** Loads the log and run.json, then follows the stream unless the run is already over. */
    async start() {
      await serial(backfill);
      await refreshNow();
      if (!run || !TERMINAL_RUN.has(run.status)) open();
      else onConnection('ended');
    },
    /** After an operator action: catch up now and follow the stream again. */
    async follow() {
      if (reconnectTimer !== null) {
        clearTimeout(reconnectTimer);
        reconnectTimer = null;
      }
      await serial(backfill);
      await refreshNow();
      open();
    },
    stop() {
      stopped = true;
      closeSource();
      if (reconnectTimer !== null) clearTimeout(reconnectTimer);
      if (refreshTimer !== null) clearTimeout(refreshTimer);
    },
  };
}
