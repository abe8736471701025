/**
 * Strategic options the offline model proposes, each with how it fares in
 * every scenario archetype: strategies picks from it, wind_tunnel reads the
 * affinities back to score the options it recognises by name.
 */
import type { ArchetypeKey } from './scenario.offline-library.ts';

/** Strategic options with how they fare in each archetype (−2..+2). */
export interface LibraryStrategy {
  name: string;
  description: string;
  affinity: Readonly<Record<ArchetypeKey, number>>;
}

export const STRATEGY_LIBRARY: readonly LibraryStrategy[] = [
  {
    name: 'AI-first operating model',
    description: 'Rebuild core processes around AI and automation, retrain the workforce and redeploy the savings into growth.',
    affinity: { growth: 2, collapse: -1, discipline: 1, transformation: 2 },
  },
  {
    name: 'Regional dual sourcing',
    description: 'Qualify a second, in-region supplier for every critical input and hold strategic buffers.',
    affinity: { growth: -1, collapse: 2, discipline: 0, transformation: 0 },
  },
  {
    name: 'Capital-light partnership network',
    description: 'Grow through alliances, licensing and shared assets instead of owning capacity, keeping fixed costs flexible.',
    affinity: { growth: 1, collapse: 1, discipline: 1, transformation: 1 },
  },
  {
    name: 'Premium sustainability leadership',
    description: 'Position as the verified low-carbon, high-trust provider and charge for it.',
    affinity: { growth: 1, collapse: -2, discipline: 2, transformation: 1 },
  },
  {
    name: 'Cost leadership at scale',
    description: 'Consolidate operations, standardise the offer and become the lowest-cost provider.',
    affinity: { growth: 0, collapse: 1, discipline: 1, transformation: -2 },
  },
  {
    name: 'Staged option portfolio',
    description: 'Place small, staged bets on several futures with clear triggers to scale up or exit.',
    affinity: { growth: 1, collapse: 0, discipline: 1, transformation: 1 },
  },
  {
    name: 'Vertical integration of critical inputs',
    description: 'Acquire or build the scarcest upstream capabilities to secure supply and capture margin.',
    affinity: { growth: -1, collapse: 2, discipline: 0, transformation: -1 },
  },
  {
    name: 'Platform and ecosystem orchestration',
    description: 'Open the company\'s channels and data to third parties and take a share of the ecosystem\'s value.',
    affinity: { growth: 2, collapse: -1, discipline: -1, transformation: 2 },
  },
  {
    name: 'Counter-cyclical acquisitions',
    description: 'Build a war chest and buy distressed competitors and assets when valuations fall.',
    affinity: { growth: -1, collapse: 2, discipline: 1, transformation: -1 },
  },
  {
    name: 'Outcome-based service contracts',
    description: 'Shift from selling products to guaranteeing outcomes under long-term service contracts.',
    affinity: { growth: 1, collapse: 1, discipline: 2, transformation: 0 },
  },
];
