/**
 * uncertainties' offline answer: the two axes from the top of the ranking the
 * node sends, preferring uncertain forces from different STEEP categories;
 * poles from the driver library, or generic ones for forces it does not know.
 */
import type { LibraryDriver, LibraryPole } from './drivers.offline-library.ts';
import type { Pole } from './scenario-quadrants.ts';
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { ModelError } from '../../shared/llm/model-client.ts';
import { libraryDriver } from './drivers.offline-library.ts';
import { arr, clip, num, obj, setting, str, SYNTHETIC_NOTE } from './offline-answer.ts';

interface AxisPick {
  id: string;
  name: string;
  category: string;
  score: number;
  lib: LibraryDriver | undefined;
}

function genericPole(name: string, side: Pole, horizon: number): LibraryPole {
  const label = `${side === 'low' ? 'Muted' : 'Dominant'} ${clip(name, 45)}`;
  return { label, description: `${name} ${side === 'low' ? 'stays weak and slow-moving' : 'becomes strong and fast-moving'} through ${horizon}.`, tone: 0 };
}

export const uncertaintiesOffline: OfflineResponder = (req) => {
  const { params, inputs } = req.context;
  const s = setting(params);
  const driverList = arr(inputs.drivers).map(obj);
  const info = new Map(driverList.map((d) => [str(d.id), d]));
  const ranking: AxisPick[] = arr(inputs.ranking).map((r) => {
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
};
