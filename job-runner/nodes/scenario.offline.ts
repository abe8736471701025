/**
 * scenario_a..scenario_d's offline answer: each quadrant's world written from
 * a scenario archetype, with the poles, signposts and driving forces the node
 * sends in its data.
 */
import type { LibraryDriver } from './drivers.offline-library.ts';
import type { Setting } from './offline-answer.ts';
import type { Archetype, ArchetypeKey } from './scenario.offline-library.ts';
import type { Pole } from './scenario-quadrants.ts';
import type { BuildParams } from '../../shared/domain/params.ts';
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { libraryDriver } from './drivers.offline-library.ts';
import { arr, clip, fill, lowerFirst, obj, pick, requestRng, seededRng, setting, str, SYNTHETIC_NOTE } from './offline-answer.ts';
import { ARCHETYPE_ORDER, ARCHETYPES } from './scenario.offline-library.ts';
import { SCENARIO_NODES, SCENARIO_QUADRANTS } from './scenario-quadrants.ts';

const TAGLINE: Readonly<Record<ArchetypeKey, string>> = {
  growth: 'a boom that rewards speed and scale',
  collapse: 'a grinding, shock-prone decade that rewards resilience',
  discipline: 'an orderly, rules-bound market that rewards efficiency and trust',
  transformation: 'a rewiring of the industry that rewards reinvention',
};

/**
 * Archetypes go to quadrants by how kind their poles are to incumbents
 * (library tones): kindest → growth, harshest → collapse; ties broken by a
 * params-seeded draw, so all four scenario calls agree without talking.
 */
function archetypeFor(params: BuildParams, scenarioId: string, axis1: string, axis2: string): Archetype {
  const l1 = libraryDriver(axis1);
  const l2 = libraryDriver(axis2);
  const tie = seededRng(params, 'quadrant-archetypes', axis1, axis2);
  const tone = (lib: LibraryDriver | undefined, side: Pole) => (lib ? lib[side].tone : 0);
  const ranked = SCENARIO_NODES.map((id) => {
    const q = SCENARIO_QUADRANTS[id];
    return { id, score: tone(l1, q.axis1) + tone(l2, q.axis2) + tie() * 0.5 };
  }).sort((a, b) => b.score - a.score);
  const index = ranked.findIndex((r) => r.id === scenarioId);
  return ARCHETYPES[ARCHETYPE_ORDER[Math.max(0, index)] ?? 'discipline'];
}

function signpostsFor(lib: LibraryDriver | undefined, axisName: string, side: Pole, s: Setting, count: number) {
  if (lib) return lib.signposts.slice(0, count).map((p) => ({ indicator: p.indicator, threshold: fill(side === 'low' ? p.low : p.high, s) }));
  const generic = [
    { indicator: `Composite index of "${clip(axisName, 80)}" (0–100)`, threshold: side === 'low' ? `below 35 by ${s.mid}` : `above 65 by ${s.mid}` },
    { indicator: `Share of sector revenue exposed to "${clip(axisName, 80)}"`, threshold: side === 'low' ? `below 10% by ${s.mid}` : `above 30% by ${s.mid}` },
  ];
  return generic.slice(0, count);
}

export const scenarioOffline: OfflineResponder = (req) => {
  const rng = requestRng(req);
  const { params, inputs } = req.context;
  const s = setting(params);
  const sc = obj(inputs.scenario);
  const a1 = obj(sc.axis1);
  const a2 = obj(sc.axis2);
  const side1: Pole = str(a1.pole) === 'high' ? 'high' : 'low';
  const side2: Pole = str(a2.pole) === 'high' ? 'high' : 'low';
  const lib1 = libraryDriver(str(a1.name));
  const lib2 = libraryDriver(str(a2.name));
  const label1 = str(a1.label);
  const label2 = str(a2.label);
  const arch = archetypeFor(params, str(sc.id, req.node), str(a1.name), str(a2.name));
  const opposite1 = lib1 ? lib1[side1 === 'low' ? 'high' : 'low'].label : `the opposite of ${lowerFirst(label1)}`;
  const axisNames = new Set([str(a1.name), str(a2.name)].map((n) => n.toLowerCase()));
  const forces = arr(inputs.drivingForces)
    .map((f) => str(obj(f).name))
    .filter((n) => n !== '' && !axisNames.has(n.toLowerCase()))
    .slice(0, 2);
  const place = s.where ? s.where.slice(4) : `the markets ${s.company} serves`;
  const narrative = [
    `By ${s.horizon}, ${place} ${arch.opening}. ${str(a1.description)} ${str(a2.description)}`,
    `The turning point comes around ${s.mid}, when ${arch.turn}.` +
      (forces.length ? ` The predetermined forces — ${forces.map((f) => lowerFirst(f)).join(' and ')} — still play out, but here they ${arch.forces}.` : ''),
    `For ${s.industry}, ${arch.industry}. ${s.company} ${arch.company}.`,
    `(${SYNTHETIC_NOTE} A starting point for discussion, not a forecast.)`,
  ].join('\n\n');
  return {
    name: pick(rng, arch.names),
    axis1Pole: label1,
    axis2Pole: label2,
    logline: `${label1} meets ${lowerFirst(label2)}: ${TAGLINE[arch.key]}.`,
    narrative,
    winners: [...arch.winners.slice(0, 2), `Firms built for ${lowerFirst(label1)}`],
    losers: [...arch.losers.slice(0, 2), `Firms that bet on ${lowerFirst(opposite1)}`],
    signposts: [...signpostsFor(lib1, str(a1.name), side1, s, 2), ...signpostsFor(lib2, str(a2.name), side2, s, 2)],
    implications: [
      ...arch.implications.slice(0, 2),
      `Track the signposts for ${lowerFirst(label1)} and ${lowerFirst(label2)} quarterly and pre-agree the moves ${s.company} makes when they trip.`,
    ],
  };
};
