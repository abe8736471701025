/**
 * The scenario archetypes the offline model writes the four worlds from. The
 * scenario answers pick one per quadrant; wind_tunnel recognises a scenario's
 * archetype by its name, and strategies' library scores options against them.
 */

export type ArchetypeKey = 'growth' | 'collapse' | 'discipline' | 'transformation';

export interface Archetype {
  key: ArchetypeKey;
  names: readonly string[];
  opening: string;
  turn: string;
  forces: string;
  industry: string;
  company: string;
  winners: readonly string[];
  losers: readonly string[];
  implications: readonly string[];
}

export const ARCHETYPES: Readonly<Record<ArchetypeKey, Archetype>> = {
  growth: {
    key: 'growth',
    names: ['Open Throttle', 'Tailwind Decade', 'Gold Rush', 'Rising Tide', 'Fast Lane'],
    opening: 'is in a long upswing: investment is flowing, demand outruns supply and optimism is the prevailing mood',
    turn: 'early successes attract a flood of capital and new entrants, and the race shifts from proving ideas to scaling them',
    forces: 'reinforce one another and amplify the boom',
    industry: 'capacity, talent and speed of execution become the binding constraints, and first movers lock in customers',
    company: 'can grow fast if it commits early, but risks overextending and being caught out when the cycle turns',
    winners: ['Fast-scaling challengers', 'Owners of scarce capacity', 'Growth investors'],
    losers: ['Cautious incumbents that wait', 'Firms locked into legacy contracts'],
    implications: [
      'Pre-commit capacity and talent before competitors do; scarcity, not demand, limits growth.',
      'Use the strong market to fund capabilities that would be unaffordable in a downturn.',
      'Put guard-rails on leverage so a sudden turn does not become a crisis.',
    ],
  },
  collapse: {
    key: 'collapse',
    names: ['Brownout', 'Slow Burn', 'Cold Harbour', 'Long Winter', 'Rust and Ration'],
    opening: 'is under strain: shocks pile up faster than institutions can absorb them and every plan carries a crisis premium',
    turn: 'a cascade of failures — financial, physical or political — forces triage, and short-term survival crowds out long-term investment',
    forces: 'compound one another, turning manageable risks into disruption',
    industry: 'demand contracts, weaker players exit, and customers prize reliability and price over innovation',
    company: 'must protect cash and core customers, and can pick up assets and talent cheaply if it stays solvent',
    winners: ['Balance-sheet-strong consolidators', 'Providers of resilience and essentials'],
    losers: ['Highly leveraged growth plays', 'Firms with single points of failure', 'Discretionary premium offers'],
    implications: [
      'Stress-test liquidity and covenants against a multi-year downturn, not a single bad year.',
      'Redesign the footprint for resilience: redundancy over peak efficiency.',
      'Prepare an acquisition playbook for distressed assets.',
    ],
  },
  discipline: {
    key: 'discipline',
    names: ['Rules of the Road', 'Tight Ship', 'Managed Lanes', 'Ledger and Licence', 'Steady Hand'],
    opening: 'is orderly but demanding: rules are clear, enforcement is real and capital goes only where returns are proven',
    turn: 'regulators, investors and customers converge on standards, and compliance and efficiency become the basis of competition',
    forces: 'are channelled by rules and prices rather than left to run',
    industry: 'margins compress, scale and operational excellence pay, and licence to operate depends on a verifiable track record',
    company: 'wins by being the most efficient and trusted operator, not the boldest',
    winners: ['Efficient, well-governed operators', 'Compliance and assurance specialists'],
    losers: ['Corner-cutting low-cost players', 'Unproven disruptors that need cheap capital'],
    implications: [
      'Invest in measurement, reporting and assurance as competitive assets.',
      'Drive cost-to-serve down relentlessly; price discipline will not rescue inefficiency.',
      'Shape standards early so they fit the company\'s operating model.',
    ],
  },
  transformation: {
    key: 'transformation',
    names: ['Great Rewiring', 'Leapfrog', 'New Operating System', 'Quantum Leap', 'Phase Shift'],
    opening: 'is being rebuilt: new technologies and business models are rewriting how value is created, faster than incumbents expected',
    turn: 'a breakthrough in cost or capability tips customers over, and adoption jumps from early adopters to the mainstream within a few years',
    forces: 'are overtaken by the new model, which redraws who competes with whom',
    industry: 'value migrates to those who own the new platforms, data and customer interfaces, while legacy assets lose value',
    company: 'faces a choice between cannibalising its own model and being disrupted by someone else',
    winners: ['Platform builders and orchestrators', 'Adaptive, digitally native firms'],
    losers: ['Owners of stranded legacy assets', 'Intermediaries the new model bypasses'],
    implications: [
      'Create a separately governed unit to build the new model, even at the expense of the old one.',
      'Treat legacy assets as a portfolio to harvest, convert or exit on a schedule.',
      'Secure the data and partnerships the new model needs before they become scarce.',
    ],
  },
};

export const ARCHETYPE_ORDER: readonly ArchetypeKey[] = ['growth', 'transformation', 'discipline', 'collapse'];
