/**
 * report's offline answer: the judgement written from the wind tunnel's
 * numbers the node sends (robust options first, the hardest scenario named),
 * with a signpost per scenario from its own list.
 */
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { arr, clip, lowerFirst, num, obj, setting, str, SYNTHETIC_NOTE } from './offline-answer.ts';

export const reportOffline: OfflineResponder = (req) => {
  const { params, inputs } = req.context;
  const s = setting(params);
  const ch = obj(inputs.charter);
  const axes = arr(inputs.axes).map(obj);
  const scenarios = arr(inputs.scenarios).map(obj);
  const wt = obj(inputs.windTunnel);
  const robustness = arr(wt.robustness).map(obj);
  const cells = arr(wt.cells).map(obj);
  const byMean = [...robustness].sort((a, b) => num(b.mean) - num(a.mean));
  const robust = byMean.filter((r) => r.classification === 'robust');
  const notFragile = byMean.filter((r) => r.classification !== 'fragile');
  const recommended = (robust.length ? robust : notFragile.length ? notFragile : byMean).slice(0, 3);
  const worstScenario = [...scenarios]
    .map((sc) => {
      const scores = cells.filter((c) => c.scenarioId === sc.id).map((c) => num(c.score));
      return { sc, mean: scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length) };
    })
    .sort((a, b) => a.mean - b.mean)[0];
  const axisText = axes.map((a) => `${str(a.name)} (${str(a.low)} to ${str(a.high)})`).join(' and ');
  const names = scenarios.map((sc) => `${str(sc.name)} (${str(sc.axis1Pole)}, ${lowerFirst(str(sc.axis2Pole))})`);
  const top = recommended[0];
  const owner = clip(str(ch.decisionOwner, 'Executive committee'), 110);
  return {
    title: `${clip(params.company, 100)}: scenarios to ${s.horizon}`,
    executiveSummary: [
      `Focal question: ${clip(str(ch.focalQuestion, params.focalQuestion), 500)}`,
      `Four scenarios span two critical uncertainties, ${axisText}: ${names.join('; ')}.`,
      top
        ? `In the wind tunnel, ${recommended.map((r) => `"${clip(str(r.name), 80)}"`).join(', ')} ${recommended.length === 1 ? 'performs' : 'perform'} best across all four worlds (${str(top.classification)}, mean ${num(top.mean).toFixed(2)}).`
        : '',
      worstScenario ? `${str(worstScenario.sc.name)} is the hardest test for the current options.` : '',
      SYNTHETIC_NOTE,
    ].filter(Boolean).join('\n\n'),
    insights: [
      `The future of ${s.industry}${s.where} turns on ${axisText}; forces outside these two play out similarly in every scenario and are no-regret preparation.`,
      top ? `"${clip(str(top.name), 100)}" is the most robust option (mean ${num(top.mean).toFixed(2)}, worst case ${num(top.min)}); strategies that shine in one world fail in another.` : 'No option is robust on its own; the portfolio must be staged.',
      worstScenario ? `${str(worstScenario.sc.name)} is where most options struggle (mean ${worstScenario.mean.toFixed(2)}); it deserves a contingency plan rather than hope.` : 'Each scenario stresses different options.',
      `Signposts on both axes will show which quadrant is unfolding well before ${s.horizon}; reviewing them around ${s.mid} keeps the plan honest.`,
    ],
    robustStrategies: recommended.map((r) => ({
      strategyId: str(r.strategyId),
      why: `${str(r.classification)} in the wind tunnel: mean ${num(r.mean).toFixed(2)}, worst case ${num(r.min)}, best case ${num(r.max)}.`,
    })),
    // A different signpost per scenario where there are enough, so the watch list covers both axes.
    signpostsToWatch: scenarios.map((sc, i) => {
      const list = arr(sc.signposts);
      const sp = obj(list[list.length ? i % list.length : 0]);
      return {
        scenarioId: str(sc.id),
        indicator: str(sp.indicator, `Leading indicator for ${str(sc.name)}`),
        threshold: str(sp.threshold, `crosses its trigger level by ${s.mid}`),
        action: `Treat ${str(sc.name)} as unfolding: ${lowerFirst(clip(str(arr(sc.implications)[0], 'switch to its playbook'), 300))}`,
      };
    }),
    recommendedActions: [
      { action: top ? `Commit to "${clip(str(top.name), 200)}" now as the backbone of the strategy.` : 'Stage the strategy portfolio in reversible steps.', timing: 'Next 6 months', owner },
      { action: 'Run a quarterly signpost review covering every indicator in this report.', timing: 'From next quarter', owner: 'Strategy team' },
      { action: `Prepare a contingency playbook for ${str(worstScenario?.sc.name, 'the hardest scenario')} that can launch within 90 days of a trigger.`, timing: 'Within 12 months', owner: 'Business unit heads' },
      { action: `Refresh these scenarios by ${s.mid}, or sooner if two signposts of one scenario trip.`, timing: `By ${s.mid}`, owner: 'Board strategy committee' },
    ],
  };
};
