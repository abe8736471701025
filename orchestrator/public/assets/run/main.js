/**
 * The run page: wires the live feed to the views. Nothing here needs a key;
 * the operator panel adds actions when the tab holds one.
 */
import { ApiError } from '../lib/api.js';
import { byId, h, replaceChildren } from '../lib/dom.js';
import { hasKey } from '../lib/key-store.js';
import { TERMINAL_RUN } from '../lib/status.js';
import { createDag } from './dag.js';
import { layoutOrder } from './dag-layout.js';
import { createRunFeed } from './feed.js';
import { renderHeader, renderLiveness } from './header.js';
import { createOperatorPanel } from './operator.js';
import { renderArtifacts } from './results/artifacts.js';
import { createResults } from './results/index.js';
import { createTimeline } from './timeline.js';

const runId = decodeURIComponent(location.pathname.split('/').filter(Boolean)[1] ?? '');

const STREAM_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Connection lost — retrying',
  ended: 'Finished',
};

let run = null;
let order = [];
let livenessTimer = null;

/** The liveness line, now and (while the run is live) once a second: a heartbeat's age moves on its own. */
function followLiveness() {
  renderLiveness(run);
  const live = !TERMINAL_RUN.has(run.status) && !run.deleted;
  if (live && livenessTimer === null) livenessTimer = setInterval(() => run && renderLiveness(run), 1000);
  else if (!live && livenessTimer !== null) {
    clearInterval(livenessTimer);
    livenessTimer = null;
  }
}

function setStream(state) {
  const el = byId('stream-state');
  el.dataset.state = state;
  el.textContent = STREAM_TEXT[state] ?? state;
  document.body.dataset.stream = state;
}

function showPageError(err) {
  const box = byId('page-error');
  box.hidden = false;
  if (err instanceof ApiError && (err.status === 404 || err.status === 410)) {
    replaceChildren(box, h('strong', {}, 'This run is not available. '), 'It may have been deleted. ', h('a', { href: '/' }, 'Open the console'));
    feed.stop();
    return;
  }
  replaceChildren(box, h('strong', {}, 'Could not update the page. '), err instanceof Error ? err.message : String(err));
}

const dag = createDag(byId('dag'), { onRetry: (node) => operatorPanel.retryNode(node) });
const timeline = createTimeline(byId('timeline-body'));
const results = createResults(runId);

const renderAll = () => {
  if (!run) return;
  renderHeader(run);
  followLiveness();
  dag.update(run, { canOperate: hasKey() && !run.deleted });
  order = layoutOrder(run.nodes ?? {});
  results.update(run);
  replaceChildren(byId('artifacts-body'), renderArtifacts(runId, run, feed.events, order));
  timeline.update(feed.events, order);
  operatorPanel.update(run);
};

const feed = createRunFeed(runId, {
  onEvents: (_fresh, all) => {
    // For tests and support: how far the page has applied the log, and how many events it holds.
    document.body.dataset.lastSeq = String(feed.lastSeq);
    document.body.dataset.eventCount = String(all.length);
    timeline.update(all, order);
  },
  onRun: (next) => {
    run = next;
    byId('page-error').hidden = true;
    renderAll();
  },
  onConnection: setStream,
  onError: showPageError,
});

const operatorPanel = createOperatorPanel({
  runId,
  feed,
  onKeyToggle: () => renderAll(),
  onDeleted: () => {
    setStream('ended');
    document.body.dataset.runDeleted = 'true';
  },
});

void feed.start().then(() => {
  document.body.dataset.ready = 'true';
});
