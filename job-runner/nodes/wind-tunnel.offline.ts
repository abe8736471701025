/**
 * wind_tunnel's offline answer: library options scored by their affinity to
 * the archetype each scenario was written from (both recognised by name);
 * anything it does not recognise gets a params-seeded score.
 */
import type { ArchetypeKey } from './scenario.offline-library.ts';
import type { LibraryStrategy } from './strategies.offline-library.ts';
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { arr, clip, obj, pick, seededRng, str, SYNTHETIC_NOTE } from './offline-answer.ts';
import { ARCHETYPES } from './scenario.offline-library.ts';
import { STRATEGY_LIBRARY } from './strategies.offline-library.ts';

const archetypeByName = new Map<string, ArchetypeKey>(
  Object.values(ARCHETYPES).flatMap((a) => a.names.map((n) => [n.toLowerCase(), a.key] as [string, ArchetypeKey])),
);
const strategyByName = new Map<string, LibraryStrategy>(STRATEGY_LIBRARY.map((st) => [st.name.toLowerCase(), st]));

const WHY: Readonly<Record<string, string>> = {
  '2': 'the scenario rewards exactly what this strategy builds, and the advantage compounds over the horizon',
  '1': 'it fits the scenario\'s logic, though competitors can copy the advantage',
  '0': 'its benefits and costs roughly cancel out in this world',
  '-1': 'it runs against the scenario\'s logic and ties up resources better used elsewhere',
  '-2': 'it bets on conditions this scenario removes, leaving stranded investment and exposure',
};

export const windTunnelOffline: OfflineResponder = (req) => {
  const { params, inputs } = req.context;
  const strategyList = arr(inputs.strategies).map(obj);
  const scenarioList = arr(inputs.scenarios).map(obj);
  const cells = strategyList.flatMap((st) =>
    scenarioList.map((sc) => {
      const stName = str(st.name);
      const scName = str(sc.name);
      const known = strategyByName.get(stName.toLowerCase());
      const arch = archetypeByName.get(scName.toLowerCase());
      const score = known && arch ? known.affinity[arch] : pick(seededRng(params, 'wind_tunnel', stName, scName), [-2, -1, 0, 1, 1, 2]);
      return { strategyId: str(st.id), scenarioId: str(sc.id), score, rationale: `In ${scName}, ${clip(stName, 120)} scores ${score > 0 ? '+' : ''}${score}: ${WHY[String(score)]}.` };
    }),
  );
  const summary = strategyList.map((st) => {
    const scores = cells.filter((c) => c.strategyId === str(st.id)).map((c) => c.score);
    const mean = scores.reduce((a, b) => a + b, 0) / Math.max(1, scores.length);
    return { name: str(st.name), mean, robust: Math.min(...scores) >= 0 && mean >= 0.5 };
  });
  const robust = summary.filter((x) => x.robust).map((x) => x.name);
  const best = [...summary].sort((a, b) => b.mean - a.mean)[0];
  return {
    cells,
    overview:
      (robust.length
        ? `${robust.map((n) => `"${clip(n, 80)}"`).join(', ')} hold${robust.length === 1 ? 's' : ''} up in every scenario. `
        : `No strategy holds up in every scenario; "${clip(best?.name ?? '', 80)}" comes closest. `) +
      'The others are bets on particular worlds and need signposts to tell when to scale them up or drop them. ' +
      SYNTHETIC_NOTE,
  };
};
