/**
 * The offline model: a deterministic ModelClient for demos, local runs and
 * tests. It answers each ScenarioForge node from the curated library in
 * offline-library.ts, combined with the build's company, region, industry and
 * horizon, reading the same data the node's prompt carries (`context.inputs`).
 * Same params → same answer, byte for byte; different params → different
 * content. Everything it writes is marked as synthetic. Nodes it does not know
 * get a minimal schema-valid instance of the schema they send.
 */
import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { BuildParams } from '../domain/params.ts';
import type { ModelClient, ModelRequest, ModelResponse } from './model-client.ts';
import type { Archetype, ArchetypeKey, LibraryDriver, LibraryPole, LibraryStrategy, SteepCategory } from './offline-library.ts';
import { sampleFromJsonSchema } from './json-schema-sample.ts';
import { ModelError } from './model-client.ts';
import { ARCHETYPE_ORDER, ARCHETYPES, DECISION_OWNERS, DRIVER_LIBRARY, STAKEHOLDERS, STRATEGY_LIBRARY } from './offline-library.ts';

export const OFFLINE_MODEL_ID = 'offline-library-v1';

export interface OfflineModelOptions {
  /** Simulated latency per call, abortable by the request's signal. Default 0. */
  latencyMs?: number;
}

export interface OfflineContext {
  params: BuildParams;
  inputs: Record<string, unknown>;
}

// ── determinism ─────────────────────────────────────────────────────────────

type Rng = () => number;

/** mulberry32 seeded from sha256(stable params + salt): deterministic, well spread. */
export function seededRng(params: BuildParams, ...salt: string[]): Rng {
  const digest = createHash('sha256').update(stableStringify(params)).update('\0').update(salt.join('\0')).digest();
  let a = digest.readUInt32BE(0);
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const int = (rng: Rng, n: number) => Math.floor(rng() * n);
function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[int(rng, items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}
function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = int(rng, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
const clamp = (n: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, n));

// ── reading the loosely typed inputs ────────────────────────────────────────

type Obj = Record<string, unknown>;
const obj = (x: unknown): Obj => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Obj) : {});
const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
const str = (x: unknown, fallback = ''): string => (typeof x === 'string' ? x : fallback);
const num = (x: unknown, fallback = 0): number => (typeof x === 'number' && Number.isFinite(x) ? x : fallback);

// ── text helpers ────────────────────────────────────────────────────────────

/** Cuts at a word boundary so a long param never breaks a length limit. */
function clip(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t.length <= max) return t;
  const cut = t.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max / 2 ? cut.slice(0, space) : cut}…`;
}
const lowerFirst = (s: string) => (s.length > 1 && s[1] !== s[1]?.toUpperCase() ? s[0]?.toLowerCase() + s.slice(1) : s);

interface Setting {
  company: string;
  where: string;
  industry: string;
  horizon: number;
  mid: number;
}

function setting(params: BuildParams): Setting {
  const horizon = params.horizonYear;
  return {
    company: clip(params.company, 80),
    where: params.region ? ` in ${clip(params.region, 60)}` : '',
    industry: params.industry ? `the ${clip(params.industry, 60)} sector` : 'its industry',
    horizon,
    mid: Math.min(horizon, 2026 + Math.max(1, Math.round((horizon - 2026) / 2))),
  };
}

const fill = (template: string, s: Setting) => template.replace(/\{mid\}/g, String(s.mid)).replace(/\{horizon\}/g, String(s.horizon));

const byName = new Map(DRIVER_LIBRARY.map((d) => [d.name.toLowerCase(), d]));
const libraryDriver = (name: string): LibraryDriver | undefined => byName.get(name.trim().toLowerCase());

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

const SYNTHETIC_NOTE = 'Synthetic demo content from the offline model (curated library), not research.';

// ── the quadrant mapping (the same as job-runner/nodes/scenario-quadrants.ts) ─

type PoleSide = 'low' | 'high';
const QUADRANTS: Readonly<Record<string, readonly [PoleSide, PoleSide]>> = {
  scenario_a: ['low', 'low'],
  scenario_b: ['high', 'low'],
  scenario_c: ['low', 'high'],
  scenario_d: ['high', 'high'],
};

// ── the nodes ───────────────────────────────────────────────────────────────

function charter(ctx: OfflineContext, rng: Rng): unknown {
  const s = setting(ctx.params);
  const q = clip(ctx.params.focalQuestion.replace(/[?.!\s]+$/, ''), 380);
  const years = s.horizon - 2026;
  return {
    focalQuestion: `${q}? Specifically: which commitments should ${s.company} make now, and which should it keep as options, for the world of ${s.horizon}${s.where}?`,
    decisionOwner: `${pick(rng, DECISION_OWNERS)}, ${s.company}`,
    horizonYear: s.horizon,
    horizon: `${years > 0 ? `${years} years, ` : ''}to ${s.horizon}: ${pick(rng, [
      'long enough for the critical uncertainties to resolve, short enough to shape today\'s investment decisions',
      'about one investment cycle for the assets and capabilities the decision commits',
      'far enough to see structural shifts rather than business-cycle noise',
    ])}.`,
    scopeIn: [
      `${s.industry[0]?.toUpperCase()}${s.industry.slice(1)}${s.where}`,
      `${s.company}'s customers, products and value chain`,
      `External forces shaping demand, costs and regulation to ${s.horizon}`,
    ],
    scopeOut: shuffle(rng, ['Day-to-day operations and annual budgets', 'Company-specific financial forecasts', 'Individual personnel decisions']).slice(0, 2),
    stakeholders: shuffle(rng, STAKEHOLDERS).slice(0, 5),
    assumptions: [
      `${s.company} remains an independent company through ${s.horizon}.`,
      'No global catastrophe beyond what the scenarios themselves describe.',
      `Public data on the sector is taken at face value; no proprietary data on ${s.company} was used.`,
      `This charter is synthetic: ${SYNTHETIC_NOTE}`,
    ],
  };
}

const RELEVANCE: Readonly<Record<SteepCategory, readonly string[]>> = {
  social: ['shapes what customers want and who will work for it', 'changes demand and the talent the company can hire'],
  technological: ['changes how the company produces, sells and competes', 'can reset cost curves and who the competitors are'],
  economic: ['moves its costs, prices and ability to fund investment', 'sets the demand and margin environment for its plans'],
  environmental: ['changes its cost of operating and the resilience of its assets', 'alters what regulators, customers and investors expect of it'],
  political: ['sets the rules, incentives and market access it depends on', 'can open or close markets and change the economics of investment'],
};

function drivers(ctx: OfflineContext, rng: Rng): unknown {
  const s = setting(ctx.params);
  const boosted = boostedCategories(ctx.params);
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
}

interface AxisPick {
  id: string;
  name: string;
  category: string;
  score: number;
  lib: LibraryDriver | undefined;
}

function genericPole(name: string, side: PoleSide, horizon: number): LibraryPole {
  const label = `${side === 'low' ? 'Muted' : 'Dominant'} ${clip(name, 45)}`;
  return { label, description: `${name} ${side === 'low' ? 'stays weak and slow-moving' : 'becomes strong and fast-moving'} through ${horizon}.`, tone: 0 };
}

function uncertainties(ctx: OfflineContext): unknown {
  const s = setting(ctx.params);
  const driverList = arr(ctx.inputs.drivers).map(obj);
  const info = new Map(driverList.map((d) => [str(d.id), d]));
  const ranking: AxisPick[] = arr(ctx.inputs.ranking).map((r) => {
    const o = obj(r);
    const d = info.get(str(o.driverId)) ?? {};
    return { id: str(o.driverId), name: str(o.name), category: str(d.category), score: num(o.score), lib: libraryDriver(str(o.name)) };
  });
  const uncertain = (p: AxisPick) => num(info.get(p.id)?.uncertainty, 3) >= 3;
  const top = ranking.slice(0, Math.ceil(ranking.length / 2));
  const first = top.find(uncertain) ?? ranking[0];
  if (!first) throw new ModelError('bad_request', 'offline uncertainties: the prompt data carries no ranked drivers', { retryable: false });
  const second =
    top.find((p) => p !== first && uncertain(p) && p.category !== first.category) ??
    top.find((p) => p !== first && uncertain(p)) ??
    ranking.find((p) => p !== first);
  if (!second) throw new ModelError('bad_request', 'offline uncertainties: fewer than two ranked drivers', { retryable: false });
  const axis = (p: AxisPick) => {
    const low = p.lib?.low ?? genericPole(p.name, 'low', s.horizon);
    const high = p.lib?.high ?? genericPole(p.name, 'high', s.horizon);
    return {
      name: p.name,
      question: p.lib?.question ?? `How far will "${clip(p.name, 100)}" go by ${s.horizon}?`,
      driverIds: [p.id],
      low: { label: low.label, description: low.description },
      high: { label: high.label, description: high.description },
    };
  };
  const predetermined = ranking.find((p) => num(info.get(p.id)?.uncertainty, 3) <= 2);
  return {
    axes: [axis(first), axis(second)],
    rationale:
      `"${first.name}" and "${second.name}" rank at the top of the impact × uncertainty ranking (scores ${first.score} and ${second.score}) ` +
      `and come from ${first.category === second.category ? 'the same STEEP category but move independently' : `different STEEP categories (${first.category}, ${second.category}), so they vary independently`}. ` +
      (predetermined ? `High-impact but predictable forces such as "${predetermined.name}" are treated as predetermined elements common to all four scenarios. ` : '') +
      SYNTHETIC_NOTE,
  };
}

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
function archetypeFor(ctx: OfflineContext, scenarioId: string, axis1: string, axis2: string): Archetype {
  const l1 = libraryDriver(axis1);
  const l2 = libraryDriver(axis2);
  const tie = seededRng(ctx.params, 'quadrant-archetypes', axis1, axis2);
  const tone = (lib: LibraryDriver | undefined, side: PoleSide) => (lib ? lib[side].tone : 0);
  const ranked = Object.entries(QUADRANTS)
    .map(([id, [p1, p2]]) => ({ id, score: tone(l1, p1) + tone(l2, p2) + tie() * 0.5 }))
    .sort((a, b) => b.score - a.score);
  const index = ranked.findIndex((r) => r.id === scenarioId);
  return ARCHETYPES[ARCHETYPE_ORDER[Math.max(0, index)] ?? 'discipline'];
}

function signpostsFor(lib: LibraryDriver | undefined, axisName: string, side: PoleSide, s: Setting, count: number) {
  if (lib) return lib.signposts.slice(0, count).map((p) => ({ indicator: p.indicator, threshold: fill(side === 'low' ? p.low : p.high, s) }));
  const generic = [
    { indicator: `Composite index of "${clip(axisName, 80)}" (0–100)`, threshold: side === 'low' ? `below 35 by ${s.mid}` : `above 65 by ${s.mid}` },
    { indicator: `Share of sector revenue exposed to "${clip(axisName, 80)}"`, threshold: side === 'low' ? `below 10% by ${s.mid}` : `above 30% by ${s.mid}` },
  ];
  return generic.slice(0, count);
}

function scenario(ctx: OfflineContext, rng: Rng, node: string): unknown {
  const s = setting(ctx.params);
  const sc = obj(ctx.inputs.scenario);
  const a1 = obj(sc.axis1);
  const a2 = obj(sc.axis2);
  const side1: PoleSide = str(a1.pole) === 'high' ? 'high' : 'low';
  const side2: PoleSide = str(a2.pole) === 'high' ? 'high' : 'low';
  const lib1 = libraryDriver(str(a1.name));
  const lib2 = libraryDriver(str(a2.name));
  const label1 = str(a1.label);
  const label2 = str(a2.label);
  const arch = archetypeFor(ctx, str(sc.id, node), str(a1.name), str(a2.name));
  const opposite1 = lib1 ? lib1[side1 === 'low' ? 'high' : 'low'].label : `the opposite of ${lowerFirst(label1)}`;
  const axisNames = new Set([str(a1.name), str(a2.name)].map((n) => n.toLowerCase()));
  const forces = arr(ctx.inputs.drivingForces)
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
}

const ROBUST_SEEDS = STRATEGY_LIBRARY.filter((st) => Object.values(st.affinity).every((v) => v >= 0));

function strategies(ctx: OfflineContext, rng: Rng): unknown {
  const s = setting(ctx.params);
  const anchor = pick(rng, ROBUST_SEEDS);
  const rest = shuffle(rng, STRATEGY_LIBRARY.filter((st) => st !== anchor)).slice(0, 4);
  return {
    strategies: shuffle(rng, [anchor, ...rest]).map((st) => ({
      name: st.name,
      description: `${st.description} Applied to ${s.company}'s position in ${s.industry}${s.where}.`,
    })),
  };
}

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

function windTunnel(ctx: OfflineContext): unknown {
  const strategyList = arr(ctx.inputs.strategies).map(obj);
  const scenarioList = arr(ctx.inputs.scenarios).map(obj);
  const cells = strategyList.flatMap((st) =>
    scenarioList.map((sc) => {
      const stName = str(st.name);
      const scName = str(sc.name);
      const known = strategyByName.get(stName.toLowerCase());
      const arch = archetypeByName.get(scName.toLowerCase());
      const score = known && arch ? known.affinity[arch] : pick(seededRng(ctx.params, 'wind_tunnel', stName, scName), [-2, -1, 0, 1, 1, 2]);
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
}

function report(ctx: OfflineContext): unknown {
  const s = setting(ctx.params);
  const ch = obj(ctx.inputs.charter);
  const axes = arr(ctx.inputs.axes).map(obj);
  const scenarios = arr(ctx.inputs.scenarios).map(obj);
  const wt = obj(ctx.inputs.windTunnel);
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
    title: `${clip(ctx.params.company, 100)}: scenarios to ${s.horizon}`,
    executiveSummary: [
      `Focal question: ${clip(str(ch.focalQuestion, ctx.params.focalQuestion), 500)}`,
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
}

/** The offline answer for a node, as plain JSON; unknown nodes get a minimal instance of `schema`. */
export function offlineAnswer(node: string, ctx: OfflineContext, schema: Record<string, unknown>): unknown {
  const rng = seededRng(ctx.params, node);
  switch (node) {
    case 'charter':
      return charter(ctx, rng);
    case 'drivers':
      return drivers(ctx, rng);
    case 'uncertainties':
      return uncertainties(ctx);
    case 'scenario_a':
    case 'scenario_b':
    case 'scenario_c':
    case 'scenario_d':
      return scenario(ctx, rng, node);
    case 'strategies':
      return strategies(ctx, rng);
    case 'wind_tunnel':
      return windTunnel(ctx);
    case 'report':
      return report(ctx);
    default:
      return sampleFromJsonSchema(schema);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancelled = () => new ModelError('cancelled', 'the model call was cancelled', { retryable: false });
    if (signal.aborted) return reject(cancelled());
    if (ms <= 0) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

const tokens = (text: string) => Math.ceil(text.length / 4);

export function getOfflineModel(options: OfflineModelOptions = {}): ModelClient {
  const latencyMs = Math.max(0, options.latencyMs ?? 0);
  return {
    provider: 'offline',
    model: OFFLINE_MODEL_ID,
    async generate(req: ModelRequest): Promise<ModelResponse> {
      await sleep(latencyMs, req.signal);
      const json = offlineAnswer(req.node, req.context, req.schema);
      return { json, usage: { promptTokens: tokens(req.prompt), outputTokens: tokens(JSON.stringify(json)) }, model: OFFLINE_MODEL_ID };
    },
  };
}
