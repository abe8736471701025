/** charter's offline answer: the question sharpened around the build's company, region and horizon, with stock owners and stakeholders. */
import type { OfflineResponder } from '../../shared/llm/offline-model.ts';
import { clip, pick, requestRng, setting, shuffle, SYNTHETIC_NOTE } from './offline-answer.ts';

const STAKEHOLDERS: readonly { name: string; interest: string }[] = [
  { name: 'Customers', interest: 'Reliable, affordable offers that keep pace with their own changing needs.' },
  { name: 'Employees and unions', interest: 'Secure jobs, fair pay and a say in how technology changes work.' },
  { name: 'Investors and lenders', interest: 'Resilient returns and a credible plan for the transition.' },
  { name: 'Regulators', interest: 'Compliance, consumer protection and system stability.' },
  { name: 'Suppliers and partners', interest: 'Predictable volumes and fair terms through the cycle.' },
  { name: 'Local communities', interest: 'Jobs, environmental quality and a voice in local decisions.' },
  { name: 'Policy makers', interest: 'Delivery of industrial, climate and social goals.' },
  { name: 'Competitors and new entrants', interest: 'Access to customers, talent and infrastructure on equal terms.' },
];

const DECISION_OWNERS: readonly string[] = [
  'Executive committee, chaired by the CEO',
  'Chief Strategy Officer, on behalf of the board',
  'Board strategy committee',
  'CEO and CFO jointly, with board approval',
];

export const charterOffline: OfflineResponder = (req) => {
  const rng = requestRng(req);
  const { params } = req.context;
  const s = setting(params);
  const q = clip(params.focalQuestion.replace(/[?.!\s]+$/, ''), 380);
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
};
