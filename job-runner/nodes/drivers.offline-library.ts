/**
 * The driving forces the offline model draws from: real forces across STEEP,
 * the two poles each could resolve to (for uncertainties' axes), and
 * signposts with thresholds (for the scenarios). The drivers answer picks
 * from it; the nodes downstream recognise those forces by name and read
 * their poles and signposts back.
 *
 * Thresholds may use `{mid}` (a year halfway to the horizon) and `{horizon}`.
 */

export type SteepCategory = 'social' | 'technological' | 'economic' | 'environmental' | 'political';

/** How a pole tends to treat incumbent businesses: headwind −1, neutral 0, tailwind +1. */
export type Tone = -1 | 0 | 1;

export interface LibraryPole {
  label: string;
  description: string;
  tone: Tone;
}

export interface LibrarySignpost {
  indicator: string;
  low: string;
  high: string;
}

export interface LibraryDriver {
  name: string;
  category: SteepCategory;
  question: string;
  description: string;
  evidence: string[];
  indicators: string[];
  impact: number;
  uncertainty: number;
  low: LibraryPole;
  high: LibraryPole;
  signposts: [LibrarySignpost, LibrarySignpost];
}

export const DRIVER_LIBRARY: readonly LibraryDriver[] = [
  // ── Social ────────────────────────────────────────────────────────────────
  {
    name: 'Demographic ageing and labour supply',
    category: 'social',
    question: 'Will ageing leave the workforce short, or will migration and participation fill the gap?',
    description: 'Working-age populations are shrinking across most advanced economies as baby-boomer cohorts retire, tightening labour markets and shifting demand towards health, care and accessible services.',
    evidence: ['Old-age dependency ratios rising in the EU, Japan, Korea and China', 'Record vacancy-to-unemployment ratios after 2021'],
    indicators: ['Working-age population growth', 'Job vacancy rate', 'Labour-force participation of over-55s'],
    impact: 4,
    uncertainty: 2,
    low: { label: 'Ample labour', description: 'Migration, later retirement and participation gains keep labour available and wage growth moderate.', tone: 1 },
    high: { label: 'Acute labour scarcity', description: 'Shortages in skilled and frontline roles become chronic, pushing wages up and forcing automation.', tone: -1 },
    signposts: [
      { indicator: 'Job vacancy rate in the sector', low: 'stays below 2.5% through {mid}', high: 'above 4% for four consecutive quarters by {mid}' },
      { indicator: 'Real wage growth for frontline roles', low: 'below 1% a year through {mid}', high: 'above 4% a year for two years by {mid}' },
    ],
  },
  {
    name: 'Trust in institutions and business',
    category: 'social',
    question: 'Will public trust in business and institutions recover or erode further?',
    description: 'Trust in governments, media and large companies has been volatile, shaping licence to operate, regulation and how customers respond to corporate claims.',
    evidence: ['Annual trust surveys show wide gaps between informed public and mass population', 'Greenwashing enforcement actions rising'],
    indicators: ['Trust index scores for business', 'Share of consumers boycotting brands'],
    impact: 3,
    uncertainty: 4,
    low: { label: 'Trust collapse', description: 'Scandals and polarisation leave business claims disbelieved; licence to operate must be earned case by case.', tone: -1 },
    high: { label: 'Renewed trust', description: 'Transparent, verifiable conduct rebuilds trust and gives credible firms room to lead.', tone: 1 },
    signposts: [
      { indicator: 'Trust-in-business index (0–100)', low: 'falls below 45 by {mid}', high: 'rises above 65 by {mid}' },
      { indicator: 'Consumer complaints escalated to regulators', low: 'up more than 30% on today by {mid}', high: 'down more than 20% on today by {mid}' },
    ],
  },
  {
    name: 'Consumer values shift to sustainability',
    category: 'social',
    question: 'Will customers pay for sustainability, or revert to price first?',
    description: 'Younger cohorts say they prefer sustainable products, but the gap between stated and revealed preference is wide and sensitive to the cost of living.',
    evidence: ['Survey majorities state willingness to pay more for sustainable goods', 'Private-label share gains during inflation'],
    indicators: ['Price premium achieved by certified products', 'Market share of sustainable product lines'],
    impact: 3,
    uncertainty: 4,
    low: { label: 'Price-first customers', description: 'Budgets stay tight and customers buy on price; sustainability premiums evaporate.', tone: 0 },
    high: { label: 'Values-first customers', description: 'Customers reward verified sustainability and punish laggards, at scale.', tone: 0 },
    signposts: [
      { indicator: 'Price premium for certified sustainable products', low: 'below 3% by {mid}', high: 'above 12% by {mid}' },
      { indicator: 'Sustainable lines as a share of category sales', low: 'below 10% by {mid}', high: 'above 30% by {mid}' },
    ],
  },
  {
    name: 'Hybrid work and urban patterns',
    category: 'social',
    question: 'Will work and life re-concentrate in cities, or stay distributed?',
    description: 'Hybrid work has reshaped commuting, office demand and where people live, with knock-on effects on real estate, transport and local services.',
    evidence: ['Office occupancy in major cities well below 2019 levels', 'Persistent share of remote-capable jobs done hybrid'],
    indicators: ['Office occupancy rate', 'Share of workdays worked from home'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Back to the city', description: 'Employers pull work back to offices; city centres and commuter flows recover.', tone: 0 },
    high: { label: 'Distributed living', description: 'Work-from-anywhere becomes the norm; demand spreads to suburbs and smaller towns.', tone: 0 },
    signposts: [
      { indicator: 'Average office occupancy in the ten largest cities', low: 'above 75% by {mid}', high: 'below 50% by {mid}' },
      { indicator: 'Share of paid workdays done from home', low: 'below 15% by {mid}', high: 'above 35% by {mid}' },
    ],
  },
  {
    name: 'Skills gap and reskilling',
    category: 'social',
    question: 'Will education and reskilling keep pace with technological change?',
    description: 'Digital, data and green skills are in short supply; whether training systems and employers close the gap decides how fast new technologies can be deployed.',
    evidence: ['Employers report digital and green skills as top hiring constraints', 'Rising public funding for adult learning'],
    indicators: ['Adult participation in training', 'Time to fill technical roles'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Widening skills gap', description: 'Training lags demand; projects stall for want of people who can run them.', tone: -1 },
    high: { label: 'Reskilling at scale', description: 'Employers, colleges and platforms retrain workers quickly; talent stops being the bottleneck.', tone: 1 },
    signposts: [
      { indicator: 'Median days to fill technical roles', low: 'above 90 days by {mid}', high: 'below 40 days by {mid}' },
      { indicator: 'Adults in job-related training in the past year', low: 'below 35% by {mid}', high: 'above 55% by {mid}' },
    ],
  },
  {
    name: 'Inequality and social polarisation',
    category: 'social',
    question: 'Will societies grow more cohesive or more polarised?',
    description: 'Income and wealth gaps, regional divides and culture wars feed polarisation, shaping policy volatility, demand patterns and employee expectations.',
    evidence: ['Top-decile income shares near historic highs', 'Rising affective polarisation in many democracies'],
    indicators: ['Gini coefficient of disposable income', 'Share of voters for anti-system parties'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Cohesive societies', description: 'Broad-based growth and redistribution narrow divides; consensus politics returns.', tone: 1 },
    high: { label: 'Polarised societies', description: 'Divides harden; policy swings with each election and markets fragment along social lines.', tone: -1 },
    signposts: [
      { indicator: 'Vote share of anti-system parties', low: 'below 15% at the next national elections before {mid}', high: 'above 30% at the next national elections before {mid}' },
      { indicator: 'Gini coefficient of disposable income', low: 'falls by 0.02 or more by {mid}', high: 'rises by 0.02 or more by {mid}' },
    ],
  },
  // ── Technological ─────────────────────────────────────────────────────────
  {
    name: 'Pace of AI adoption',
    category: 'technological',
    question: 'Will AI be woven into core operations, or stay at the pilot stage?',
    description: 'Generative and predictive AI promise large productivity gains, but adoption depends on data readiness, reliability, regulation and change management.',
    evidence: ['Rapid growth in enterprise AI spending since 2023', 'Many pilots fail to reach production'],
    indicators: ['Share of firms using AI in core processes', 'AI share of IT budgets'],
    impact: 5,
    uncertainty: 4,
    low: { label: 'Patchy AI adoption', description: 'AI stays in pilots and niches; reliability, cost and regulation slow deployment.', tone: 0 },
    high: { label: 'Pervasive AI automation', description: 'AI runs large parts of operations, service and design; productivity and competitive gaps widen fast.', tone: 1 },
    signposts: [
      { indicator: 'Share of firms in the sector using AI in core processes', low: 'below 25% by {mid}', high: 'above 60% by {mid}' },
      { indicator: 'AI share of total IT spend', low: 'below 8% by {mid}', high: 'above 20% by {mid}' },
    ],
  },
  {
    name: 'Cyber threat level',
    category: 'technological',
    question: 'Will cyber risk stay containable, or become systemic?',
    description: 'Ransomware, state-backed attacks and AI-assisted intrusion raise the stakes of digital dependence; outages can cascade across supply chains.',
    evidence: ['Ransomware payments and incident counts at record levels', 'New mandatory incident-reporting regimes'],
    indicators: ['Reported major incidents per year', 'Cyber insurance premium rates'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Contained cyber risk', description: 'Defences, insurance and regulation keep incidents costly but local.', tone: 1 },
    high: { label: 'Systemic cyber crises', description: 'Repeated attacks take down critical services; resilience trumps efficiency.', tone: -1 },
    signposts: [
      { indicator: 'Sector incidents causing outages over 24 hours', low: 'fewer than 5 a year by {mid}', high: 'more than 20 a year by {mid}' },
      { indicator: 'Cyber insurance premium change', low: 'flat or falling (0% or less) by {mid}', high: 'up more than 50% by {mid}' },
    ],
  },
  {
    name: 'Energy storage cost curve',
    category: 'technological',
    question: 'Will storage become cheap enough to firm renewables everywhere?',
    description: 'Battery and long-duration storage costs determine how far variable renewables can go and how electricity prices behave hour by hour.',
    evidence: ['Lithium-ion pack prices fell roughly 90% over the last decade', 'Grid-scale storage deployments growing fast'],
    indicators: ['Battery pack price per kWh', 'Installed grid storage capacity'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Costly storage', description: 'Storage costs plateau; firm power stays scarce and prices spike at night and in calm weather.', tone: -1 },
    high: { label: 'Cheap storage everywhere', description: 'Storage becomes cheap and ubiquitous; renewables supply firm, low-cost power.', tone: 1 },
    signposts: [
      { indicator: 'Battery pack price', low: 'above $120/kWh in {mid}', high: 'below $70/kWh by {mid}' },
      { indicator: 'Grid storage as a share of peak demand', low: 'below 5% by {mid}', high: 'above 15% by {mid}' },
    ],
  },
  {
    name: 'Digital platform concentration',
    category: 'technological',
    question: 'Will a few platforms control access to customers and data?',
    description: 'Cloud, app-store, marketplace and AI-model platforms concentrate market power; interoperability rules and open alternatives may or may not check them.',
    evidence: ['Three hyperscalers hold about two thirds of cloud infrastructure', 'Platform competition cases on both sides of the Atlantic'],
    indicators: ['Top-3 platform share of the channel', 'Platform take rates'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Open platform landscape', description: 'Interoperability and competition keep channels open; switching is cheap.', tone: 1 },
    high: { label: 'Platform lock-in', description: 'A few gatekeepers own the customer interface and set the terms.', tone: -1 },
    signposts: [
      { indicator: 'Top-3 platforms\' share of the sector\'s digital sales', low: 'below 40% by {mid}', high: 'above 70% by {mid}' },
      { indicator: 'Average platform take rate', low: 'below 10% by {mid}', high: 'above 25% by {mid}' },
    ],
  },
  {
    name: 'Robotics and physical automation',
    category: 'technological',
    question: 'How far will robots take over physical work in operations?',
    description: 'Cheaper sensors, better grasping and AI-driven control bring automation to warehouses, plants, fields and construction sites.',
    evidence: ['Industrial robot installations at record highs', 'Falling cost of autonomous mobile robots'],
    indicators: ['Robot density per 10,000 workers', 'Share of automated warehouse capacity'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Manual operations persist', description: 'Automation stays in niches; physical work remains labour-intensive.', tone: 0 },
    high: { label: 'Lights-out operations', description: 'Highly automated sites run with few people; capital replaces labour.', tone: 1 },
    signposts: [
      { indicator: 'Robot density per 10,000 workers in the sector', low: 'below 150 by {mid}', high: 'above 400 by {mid}' },
      { indicator: 'Share of capacity that is highly automated', low: 'below 15% by {mid}', high: 'above 40% by {mid}' },
    ],
  },
  {
    name: 'Data-sharing standards and interoperability',
    category: 'technological',
    question: 'Will data flow across firms through common standards, or stay siloed?',
    description: 'Data spaces, open APIs and digital product passports could make data shareable across value chains; legacy systems and mistrust hold them back.',
    evidence: ['EU data spaces and data act implementation', 'Open-banking style regimes spreading to other sectors'],
    indicators: ['Share of partners on common data standards', 'Number of live data-space participants'],
    impact: 3,
    uncertainty: 4,
    low: { label: 'Data silos', description: 'Every firm keeps its own data; integration is bespoke and slow.', tone: -1 },
    high: { label: 'Interoperable data commons', description: 'Common standards let data move with consent across the value chain.', tone: 1 },
    signposts: [
      { indicator: 'Share of value-chain partners exchanging data on a common standard', low: 'below 20% by {mid}', high: 'above 60% by {mid}' },
      { indicator: 'Products carrying a digital product passport', low: 'below 10% by {mid}', high: 'above 50% by {mid}' },
    ],
  },
  // ── Economic ──────────────────────────────────────────────────────────────
  {
    name: 'Interest rates and cost of capital',
    category: 'economic',
    question: 'Will capital be cheap again, or stay expensive?',
    description: 'After a decade of near-zero rates, higher policy and long-term rates have repriced assets and raised hurdle rates for long-lived investment.',
    evidence: ['Fastest tightening cycle in four decades in 2022–2023', 'Term premia rising with public debt'],
    indicators: ['10-year government bond yield', 'Corporate BBB credit spread'],
    impact: 5,
    uncertainty: 4,
    low: { label: 'Cheap capital', description: 'Rates fall back; long-duration projects and growth bets are easy to fund.', tone: 1 },
    high: { label: 'Expensive capital', description: 'Rates stay high; only projects with fast, certain payback get funded.', tone: -1 },
    signposts: [
      { indicator: '10-year government bond yield', low: 'below 2% by {mid}', high: 'above 4.5% through {mid}' },
      { indicator: 'BBB corporate credit spread', low: 'below 120 bp by {mid}', high: 'above 250 bp by {mid}' },
    ],
  },
  {
    name: 'Supply-chain regionalisation',
    category: 'economic',
    question: 'Will supply chains stay global, or regionalise around trade blocs?',
    description: 'Pandemic shocks, geopolitics and subsidies push firms to near-shore and friend-shore, trading efficiency for resilience.',
    evidence: ['Rising share of near-shored manufacturing announcements', 'Trade flows re-routing through connector economies'],
    indicators: ['Share of imports from the home region', 'Reshoring announcements'],
    impact: 4,
    uncertainty: 4,
    low: { label: 'Global supply chains', description: 'Efficiency wins; global sourcing stays the norm with modest buffers.', tone: 1 },
    high: { label: 'Regionalised supply chains', description: 'Production clusters within blocs; costs rise, resilience improves.', tone: -1 },
    signposts: [
      { indicator: 'Share of critical inputs sourced within the home region', low: 'below 40% by {mid}', high: 'above 65% by {mid}' },
      { indicator: 'Average inventory days held for critical inputs', low: 'back below 45 days by {mid}', high: 'above 90 days by {mid}' },
    ],
  },
  {
    name: 'Economic growth trajectory',
    category: 'economic',
    question: 'Will the economy expand steadily, or stagnate?',
    description: 'Productivity, demographics, debt and investment decide whether demand grows robustly or stays sluggish over the horizon.',
    evidence: ['Trend growth estimates revised down in many advanced economies', 'Productivity growth weak since 2008'],
    indicators: ['Real GDP growth', 'Labour productivity growth'],
    impact: 5,
    uncertainty: 3,
    low: { label: 'Stagnation', description: 'Growth hovers near zero; demand is flat and competition turns zero-sum.', tone: -1 },
    high: { label: 'Sustained expansion', description: 'Productivity gains lift growth; demand rises year after year.', tone: 1 },
    signposts: [
      { indicator: 'Real GDP growth (3-year average)', low: 'below 0.5% a year by {mid}', high: 'above 2.5% a year by {mid}' },
      { indicator: 'Labour productivity growth', low: 'below 0.3% a year by {mid}', high: 'above 1.5% a year by {mid}' },
    ],
  },
  {
    name: 'Commodity and energy price volatility',
    category: 'economic',
    question: 'Will input prices be stable or swing violently?',
    description: 'Energy, metals and agricultural prices are exposed to geopolitics, weather and underinvestment, feeding margins and inflation.',
    evidence: ['European gas prices rose more than tenfold in 2022', 'Critical-mineral prices highly cyclical'],
    indicators: ['Commodity price volatility index', 'Wholesale energy price'],
    impact: 4,
    uncertainty: 4,
    low: { label: 'Stable input prices', description: 'Ample supply and hedging keep input costs predictable.', tone: 1 },
    high: { label: 'Volatile input prices', description: 'Repeated price spikes whipsaw margins and planning.', tone: -1 },
    signposts: [
      { indicator: 'Annualised volatility of the main input price', low: 'below 20% by {mid}', high: 'above 45% by {mid}' },
      { indicator: 'Peak-to-trough swing in wholesale energy prices within a year', low: 'under 30% by {mid}', high: 'over 100% by {mid}' },
    ],
  },
  {
    name: 'Industry consolidation',
    category: 'economic',
    question: 'Will the industry consolidate into a few giants, or fragment?',
    description: 'Scale economies in data, capital and compliance favour consolidation; antitrust, new entrants and niche demand push the other way.',
    evidence: ['Merger activity concentrated in mature sectors', 'Competition authorities scrutinising serial acquisitions'],
    indicators: ['Top-5 market share', 'Number of active competitors'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Fragmented market', description: 'Many specialists compete; no one sets the terms.', tone: 0 },
    high: { label: 'Consolidated oligopoly', description: 'A handful of giants dominate; mid-sized players are squeezed.', tone: 0 },
    signposts: [
      { indicator: 'Top-5 players\' combined market share', low: 'below 35% by {mid}', high: 'above 60% by {mid}' },
      { indicator: 'Announced sector M&A value (per year)', low: 'down 30% on today by {mid}', high: 'up 50% on today by {mid}' },
    ],
  },
  {
    name: 'Persistence of inflation',
    category: 'economic',
    question: 'Will inflation settle at target, or stay sticky?',
    description: 'Tight labour markets, energy transition costs and fiscal deficits may keep inflation above target, eroding real incomes and pricing power.',
    evidence: ['Core inflation above target for several years after 2021', 'Wage-setting catching up with past inflation'],
    indicators: ['Core inflation rate', 'Inflation expectations'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Price stability', description: 'Inflation returns to about 2% and stays there.', tone: 1 },
    high: { label: 'Sticky inflation', description: 'Inflation runs well above target; pricing power decides winners.', tone: -1 },
    signposts: [
      { indicator: 'Core inflation rate', low: 'below 2.2% for four quarters by {mid}', high: 'above 3.5% for four quarters by {mid}' },
      { indicator: '5-year inflation expectations', low: 'below 2.3% by {mid}', high: 'above 3% by {mid}' },
    ],
  },
  // ── Environmental ─────────────────────────────────────────────────────────
  {
    name: 'Carbon pricing',
    category: 'environmental',
    question: 'Will carbon carry a high, broad price, or stay cheap and patchy?',
    description: 'Emissions trading and carbon taxes are spreading, with border adjustments extending them to imports; their level and coverage reshape cost curves.',
    evidence: ['EU ETS prices between €60 and €100 per tonne in recent years', 'Carbon border adjustment phasing in'],
    indicators: ['Carbon price per tonne', 'Share of emissions covered by pricing'],
    impact: 5,
    uncertainty: 4,
    low: { label: 'Cheap carbon', description: 'Prices stay low or schemes are diluted; emitting remains cheap.', tone: 0 },
    high: { label: 'High carbon price', description: 'Broad carbon prices above €150 make emissions a first-order cost.', tone: -1 },
    signposts: [
      { indicator: 'Carbon price in the main trading scheme', low: 'below €50/t in {mid}', high: 'above €150/t by {mid}' },
      { indicator: 'Share of global emissions covered by carbon pricing', low: 'below 25% by {mid}', high: 'above 50% by {mid}' },
    ],
  },
  {
    name: 'Physical climate impacts',
    category: 'environmental',
    question: 'Will extreme weather stay manageable, or disrupt operations routinely?',
    description: 'Heatwaves, floods, droughts and storms are becoming more frequent and severe, hitting assets, supply chains, insurance and productivity.',
    evidence: ['Insured catastrophe losses above $100 bn a year', 'Record global temperatures in recent years'],
    indicators: ['Insured catastrophe losses', 'Days of weather-related disruption'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Manageable climate impacts', description: 'Adaptation keeps disruption rare and insurable.', tone: 0 },
    high: { label: 'Frequent climate shocks', description: 'Disruptive weather events become routine; some assets become uninsurable.', tone: -1 },
    signposts: [
      { indicator: 'Weather-related disruption days at key sites', low: 'fewer than 3 a year by {mid}', high: 'more than 10 a year by {mid}' },
      { indicator: 'Global insured catastrophe losses', low: 'below $90 bn a year by {mid}', high: 'above $200 bn a year by {mid}' },
    ],
  },
  {
    name: 'Water scarcity',
    category: 'environmental',
    question: 'Will water stay plentiful where the company operates?',
    description: 'Droughts, groundwater depletion and competing demand from agriculture, cities and data centres put water permits and prices at risk.',
    evidence: ['Record droughts in Europe and North America', 'Data-centre water use under public scrutiny'],
    indicators: ['Water stress index of operating basins', 'Industrial water tariffs'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Water secure', description: 'Supplies and permits stay reliable; water remains a minor cost.', tone: 1 },
    high: { label: 'Water stressed', description: 'Restrictions and rising tariffs make water a strategic constraint.', tone: -1 },
    signposts: [
      { indicator: 'Water-use restriction days in operating basins', low: 'fewer than 5 a year by {mid}', high: 'more than 30 a year by {mid}' },
      { indicator: 'Industrial water tariff', low: 'up less than 10% in real terms by {mid}', high: 'up more than 40% in real terms by {mid}' },
    ],
  },
  {
    name: 'Circular-economy mandates',
    category: 'environmental',
    question: 'Will regulation force products and materials into closed loops?',
    description: 'Extended producer responsibility, recycled-content quotas and right-to-repair rules could make reuse and recovery mandatory across sectors.',
    evidence: ['EU ecodesign and packaging regulations adopted', 'Right-to-repair laws spreading'],
    indicators: ['Recycled-content requirements', 'Share of revenue from reuse, repair and recovery'],
    impact: 3,
    uncertainty: 3,
    low: { label: 'Linear economy', description: 'Take-make-dispose persists; circularity stays voluntary.', tone: 0 },
    high: { label: 'Circular mandates', description: 'Law requires recycled content, repairability and take-back.', tone: 0 },
    signposts: [
      { indicator: 'Mandatory recycled-content share in the sector', low: 'below 10% by {mid}', high: 'above 30% by {mid}' },
      { indicator: 'Share of revenue from reuse, repair and recovery', low: 'below 3% by {mid}', high: 'above 15% by {mid}' },
    ],
  },
  {
    name: 'Nature and biodiversity rules',
    category: 'environmental',
    question: 'Will nature loss become a regulated, priced risk?',
    description: 'Nature-related disclosure, deforestation-free supply rules and biodiversity net gain requirements are emerging alongside climate rules.',
    evidence: ['Global biodiversity framework targets for 2030', 'Deforestation-free product regulations'],
    indicators: ['Jurisdictions mandating nature disclosure', 'Cost of biodiversity offsets'],
    impact: 3,
    uncertainty: 4,
    low: { label: 'Nature off the agenda', description: 'Nature rules stall; biodiversity remains a voluntary reporting topic.', tone: 1 },
    high: { label: 'Nature-positive rules', description: 'Binding rules price land use and require verified nature-positive supply.', tone: -1 },
    signposts: [
      { indicator: 'Major economies mandating nature-related disclosure', low: 'fewer than 3 by {mid}', high: 'more than 10 by {mid}' },
      { indicator: 'Share of suppliers with verified deforestation-free status', low: 'below 30% by {mid}', high: 'above 80% by {mid}' },
    ],
  },
  {
    name: 'Pace of renewable build-out',
    category: 'environmental',
    question: 'Will clean power capacity be built fast enough?',
    description: 'Permitting, grids, supply chains and finance decide whether wind and solar additions keep accelerating or stall.',
    evidence: ['Record solar additions each year since 2020', 'Grid connection queues of several years in many markets'],
    indicators: ['Annual renewable capacity additions', 'Grid connection queue length'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Stalled build-out', description: 'Permits, grids and supply chains choke additions; targets are missed.', tone: -1 },
    high: { label: 'Rapid build-out', description: 'Permitting reform and finance unlock a wave of clean capacity.', tone: 1 },
    signposts: [
      { indicator: 'Renewable share of electricity generation', low: 'below 40% by {mid}', high: 'above 65% by {mid}' },
      { indicator: 'Average grid-connection wait for new projects', low: 'longer than 5 years in {mid}', high: 'shorter than 2 years by {mid}' },
    ],
  },
  // ── Political ─────────────────────────────────────────────────────────────
  {
    name: 'Geopolitical fragmentation',
    category: 'political',
    question: 'Will trade stay open, or split into rival blocs?',
    description: 'Strategic rivalry, sanctions and export controls split technology and trade into blocs, raising the cost of operating across them.',
    evidence: ['Export controls on advanced chips', 'Rising count of trade-restrictive measures each year'],
    indicators: ['New trade restrictions per year', 'Share of trade between rival blocs'],
    impact: 5,
    uncertainty: 4,
    low: { label: 'Open trade', description: 'Tensions are managed; goods, capital and technology keep flowing.', tone: 1 },
    high: { label: 'Rival trade blocs', description: 'The world splits into blocs with separate standards and supply chains.', tone: -1 },
    signposts: [
      { indicator: 'New trade-restrictive measures per year (global)', low: 'below 1,500 by {mid}', high: 'above 3,500 by {mid}' },
      { indicator: 'Share of trade between rival blocs', low: 'above 25% of world trade in {mid}', high: 'below 15% of world trade by {mid}' },
    ],
  },
  {
    name: 'Regulatory intensity on technology and data',
    category: 'political',
    question: 'Will regulation of AI, data and competition be light or heavy?',
    description: 'AI acts, data-protection enforcement and competition rules are multiplying; their weight determines compliance cost and speed to market.',
    evidence: ['EU AI Act obligations phasing in', 'Record data-protection fines'],
    indicators: ['Compliance cost as share of revenue', 'Enforcement actions per year'],
    impact: 4,
    uncertainty: 4,
    low: { label: 'Light-touch regulation', description: 'Rules are principles-based and enforcement is rare; speed wins.', tone: 1 },
    high: { label: 'Heavy regulation', description: 'Detailed rules, audits and liability make compliance a core capability.', tone: -1 },
    signposts: [
      { indicator: 'Compliance spend as a share of revenue', low: 'below 1% by {mid}', high: 'above 3% by {mid}' },
      { indicator: 'Sector enforcement actions per year', low: 'fewer than 5 by {mid}', high: 'more than 25 by {mid}' },
    ],
  },
  {
    name: 'Industrial policy and subsidies',
    category: 'political',
    question: 'Will states direct investment through subsidies, or leave it to markets?',
    description: 'Large subsidy programmes for clean tech, chips and strategic industries shift where and how investment happens.',
    evidence: ['Hundreds of billions in clean-tech and chip subsidies since 2022', 'Local-content requirements spreading'],
    indicators: ['Subsidy volumes for strategic sectors', 'Local-content rules'],
    impact: 4,
    uncertainty: 4,
    low: { label: 'Market-led investment', description: 'Subsidies wind down; capital follows returns, not policy.', tone: 0 },
    high: { label: 'State-directed investment', description: 'Governments steer capital with subsidies, mandates and local-content rules.', tone: 0 },
    signposts: [
      { indicator: 'Public subsidies for strategic sectors (share of GDP)', low: 'below 0.2% by {mid}', high: 'above 1% by {mid}' },
      { indicator: 'Tenders with local-content requirements', low: 'below 10% of tenders by {mid}', high: 'above 40% of tenders by {mid}' },
    ],
  },
  {
    name: 'Public fiscal capacity',
    category: 'political',
    question: 'Will governments invest heavily, or be forced into austerity?',
    description: 'High public debt and rising interest costs constrain budgets just as defence, ageing and transition needs grow.',
    evidence: ['Public debt above 100% of GDP in several large economies', 'Interest payments rising as a share of budgets'],
    indicators: ['Public investment as a share of GDP', 'Government interest costs'],
    impact: 4,
    uncertainty: 3,
    low: { label: 'Austerity', description: 'Budgets tighten; public contracts, incentives and services shrink.', tone: -1 },
    high: { label: 'Public investment boom', description: 'Governments borrow and spend on infrastructure, defence and transition.', tone: 1 },
    signposts: [
      { indicator: 'Public investment as a share of GDP', low: 'below 2.5% by {mid}', high: 'above 4% by {mid}' },
      { indicator: 'Government interest costs as a share of revenue', low: 'above 12% by {mid}', high: 'below 6% by {mid}' },
    ],
  },
  {
    name: 'Policy stability',
    category: 'political',
    question: 'Will policy stay consistent across election cycles?',
    description: 'Frequent reversals of targets, subsidies and rules raise the risk premium on long-term investment.',
    evidence: ['Reversals of climate and energy policies after elections', 'Retroactive changes to support schemes'],
    indicators: ['Number of major policy reversals', 'Investment-grade policy risk ratings'],
    impact: 4,
    uncertainty: 4,
    low: { label: 'Policy whiplash', description: 'Targets and incentives flip with each government; long bets are risky.', tone: -1 },
    high: { label: 'Policy continuity', description: 'Cross-party consensus locks in long-term frameworks.', tone: 1 },
    signposts: [
      { indicator: 'Major reversals of sector policy per parliamentary term', low: '2 or more reversals by {mid}', high: '0 reversals through {mid}' },
      { indicator: 'Share of long-term targets enshrined in law', low: 'below 30% by {mid}', high: 'above 70% by {mid}' },
    ],
  },
  {
    name: 'Data sovereignty and localisation',
    category: 'political',
    question: 'Will data flow freely across borders, or be kept at home?',
    description: 'Data-localisation laws, sovereign-cloud requirements and transfer restrictions raise the cost of running global digital operations.',
    evidence: ['Dozens of countries with data-localisation requirements', 'Sovereign-cloud offerings from major providers'],
    indicators: ['Countries with localisation mandates', 'Cross-border data transfer rulings'],
    impact: 3,
    uncertainty: 4,
    low: { label: 'Free data flows', description: 'Adequacy deals and trade rules keep data moving across borders.', tone: 1 },
    high: { label: 'Data localisation', description: 'Data must stay in-country; digital operations fragment by jurisdiction.', tone: -1 },
    signposts: [
      { indicator: 'Countries mandating local data storage in the sector', low: 'fewer than 20 by {mid}', high: 'more than 50 by {mid}' },
      { indicator: 'Share of workloads on sovereign-cloud infrastructure', low: 'below 10% by {mid}', high: 'above 35% by {mid}' },
    ],
  },
];

const byName = new Map(DRIVER_LIBRARY.map((d) => [d.name.toLowerCase(), d]));

/** The library entry of a force named in an upstream answer, if it came from the library. */
export const libraryDriver = (name: string): LibraryDriver | undefined => byName.get(name.trim().toLowerCase());
