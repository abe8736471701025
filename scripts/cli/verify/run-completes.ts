/** The run the build started succeeds within the timeout (run.json polled; a 503 while it is written is waited out). */
import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type RunState } from '../../../shared/domain/run-state.ts';
import { defineCheck, expectStatus, fail } from './check.ts';

export const runSucceeds = defineCheck({
  name: 'run: the build succeeds',
  needs: ['run'],
  async run({ client, options, pollMs }, { run }) {
    const started = Date.now();
    let state: RunState | null = null;
    for (;;) {
      const reply = await client.request('GET', run.links.runJson);
      if (reply.status === 200) {
        state = reply.json as RunState;
        if (isTerminal(state.status)) break;
      } else if (reply.status !== 503) expectStatus(reply, 200, 'GET run.json');
      if (Date.now() - started > options.timeoutMs) fail(`still ${state?.status ?? 'unknown'} after ${Math.round(options.timeoutMs / 1000)} s (${state?.progress.done ?? 0}/${state?.progress.total ?? '?'} nodes)`);
      await sleep(pollMs);
    }
    if (state.status !== 'succeeded') {
      const why = state.failure ? ` at ${state.failure.node ?? 'run'}: ${state.failure.reason}` : '';
      fail(`the run ${state.status}${why}`);
    }
    return { detail: `succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s, ${state.progress.done}/${state.progress.total} nodes`, facts: { succeeded: state } };
  },
});
