/**
 * The soak's two tenants: their API keys (fresh in every process, so no soak
 * reuses another's) and the build params they post.
 */
import { randomBytes } from 'node:crypto';
import type { BuildParams } from '../../shared/domain/params.ts';

export const API_KEY_OF = { acme: `acme-soak-${randomBytes(6).toString('hex')}`, globex: `globex-soak-${randomBytes(6).toString('hex')}` } as const;
export type Tenant = keyof typeof API_KEY_OF;
export const TENANTS: readonly Tenant[] = ['acme', 'globex'];

/** The tenant a stored run names (anything else is charged to acme). */
export const tenantOf = (tenant: string): Tenant => (tenant === 'globex' ? 'globex' : 'acme');

const COMPANIES = ['Acme Grid', 'Nordlicht Netz AG', 'Harbour & Vine Grocers', 'Kestrel Freight', 'Orbis Water', 'Lumen Rail', 'Tessellate Health', 'Polaris Ports'];
const QUESTIONS = [
  'How will European grid operators fund the 2035 transition?',
  'What will Australian grocery shoppers value most by then?',
  'How will freight networks adapt to carbon border taxes?',
  'Who will pay for resilient urban water systems?',
];

/** A pool of distinct, already normalised build params (identical picks are identical builds). */
export function paramsPool(n: number): BuildParams[] {
  return Array.from({ length: n }, (_, i) => ({
    company: COMPANIES[i % COMPANIES.length] as string,
    focalQuestion: QUESTIONS[Math.floor(i / COMPANIES.length) % QUESTIONS.length] as string,
    horizonYear: 2030 + (i % 40),
    region: `Region ${Math.floor(i / (COMPANIES.length * QUESTIONS.length))}`,
  }));
}
