/** drivers' offline answer: 13–15 forces from the library across all five STEEP categories, weighted by the build's industry. */
import type { BuildParams } from '../../shared/domain/params.ts';
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import type { SteepCategory } from './drivers.offline-library.ts';
import { DRIVER_LIBRARY } from './drivers.offline-library.ts';
import { clamp, int, pick, requestRng, setting, shuffle } from './offline-answer.ts';

// Industry words that make some STEEP categories bite harder.
const INDUSTRY_WEIGHTS: readonly [RegExp, readonly SteepCategory[]][] = [
  [/energy|electric|utilit|grid|power|oil|gas|renewable/i, ['environmental', 'political']],
  [/bank|financ|insur|asset|capital|pension/i, ['economic', 'political']],
  [/software|tech|digital|telecom|data|cloud|semiconductor/i, ['technological', 'political']],
  [/health|pharma|hospital|care|biotech/i, ['social', 'political']],
  [/retail|consumer|food|grocery|fashion|hospitality/i, ['social', 'economic']],
  [/manufactur|automotive|industrial|logistics|chemical|steel|shipping|aviation/i, ['economic', 'technological']],
  [/agri|farm|forest|water/i, ['environmental', 'economic']],
];

function boostedCategories(params: BuildParams): Set<SteepCategory> {
  const text = `${params.industry ?? ''} ${params.focalQuestion}`;
  const out = new Set<SteepCategory>();
  for (const [re, cats] of INDUSTRY_WEIGHTS) if (re.test(text)) cats.forEach((c) => out.add(c));
  return out;
}

const RELEVANCE: Readonly<Record<SteepCategory, readonly string[]>> = {
  social: ['shapes what customers want and who will work for it', 'changes demand and the talent the company can hire'],
  technological: ['changes how the company produces, sells and competes', 'can reset cost curves and who the competitors are'],
  economic: ['moves its costs, prices and ability to fund investment', 'sets the demand and margin environment for its plans'],
  environmental: ['changes its cost of operating and the resilience of its assets', 'alters what regulators, customers and investors expect of it'],
  political: ['sets the rules, incentives and market access it depends on', 'can open or close markets and change the economics of investment'],
};

export const driversOffline: OfflineResponder = (req) => {
  const rng = requestRng(req);
  const { params } = req.context;
  const s = setting(params);
  const boosted = boostedCategories(params);
  const categories: SteepCategory[] = ['social', 'technological', 'economic', 'environmental', 'political'];
  let chosen = categories.flatMap((c) => shuffle(rng, DRIVER_LIBRARY.filter((d) => d.category === c)).slice(0, 3));
  chosen = shuffle(rng, chosen).slice(0, 15 - int(rng, 3)); // 13–15 forces, all five categories
  const jitter = () => pick(rng, [-1, 0, 0, 1]);
  return {
    drivers: chosen.map((d) => ({
      name: d.name,
      category: d.category,
      description: `${d.description} For ${s.company}${s.where}, it ${pick(rng, RELEVANCE[d.category])}.`,
      impact: clamp(d.impact + (boosted.has(d.category) ? 1 : 0) + jitter(), 1, 5),
      uncertainty: clamp(d.uncertainty + jitter(), 1, 5),
      evidence: d.evidence,
      indicators: d.indicators,
    })),
  };
};
