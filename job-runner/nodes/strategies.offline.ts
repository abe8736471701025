/** strategies' offline answer: five options from the library, one of them robust in every archetype, applied to the build. */
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { pick, requestRng, setting, shuffle } from './offline-answer.ts';
import { STRATEGY_LIBRARY } from './strategies.offline-library.ts';

const ROBUST_SEEDS = STRATEGY_LIBRARY.filter((st) => Object.values(st.affinity).every((v) => v >= 0));

export const strategiesOffline: OfflineResponder = (req) => {
  const rng = requestRng(req);
  const s = setting(req.context.params);
  const anchor = pick(rng, ROBUST_SEEDS);
  const rest = shuffle(rng, STRATEGY_LIBRARY.filter((st) => st !== anchor)).slice(0, 4);
  return {
    strategies: shuffle(rng, [anchor, ...rest]).map((st) => ({
      name: st.name,
      description: `${st.description} Applied to ${s.company}'s position in ${s.industry}${s.where}.`,
    })),
  };
};
