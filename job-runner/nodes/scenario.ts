/**
 * scenario_a..scenario_d: one narrative per quadrant of the 2×2 (see
 * scenario-quadrants.ts for which node owns which poles).
 */
import { z } from 'zod';
import type { NodeContext, PipelineNode } from './node.ts';
import type { Pole, ScenarioNodeId } from './scenario-quadrants.ts';
import type { Axis } from './uncertainties.ts';
import { askModel, provenanceSchema, readInput, toModelSchema } from './model-call.ts';
import { scenarioOffline } from './scenario.offline.ts';
import { SCENARIO_NODES, SCENARIO_QUADRANTS } from './scenario-quadrants.ts';
import { hasNumber, normalise } from './text.ts';
import { uncertaintiesValueSchema } from './uncertainties.ts';

export const MIN_SIGNPOSTS = 3;

export const signpostSchema = z.object({
  indicator: z.string().min(5).max(300).describe('An observable, measurable indicator'),
  threshold: z.string().min(2).max(200).describe('The numeric level (and date) that would signal this scenario is unfolding, e.g. "above 40% by 2030"'),
});
export type Signpost = z.infer<typeof signpostSchema>;

export const scenarioOutputSchema = z.object({
  name: z.string().min(3).max(60).describe('A memorable, evocative name of 2–5 words, not just the pole labels'),
  axis1Pole: z.string().min(2).max(60).describe('Exactly the label of this quadrant\'s pole on axis 1'),
  axis2Pole: z.string().min(2).max(60).describe('Exactly the label of this quadrant\'s pole on axis 2'),
  logline: z.string().min(10).max(240).describe('One sentence that captures the scenario'),
  narrative: z.string().min(300).max(5000).describe('The story from today to the horizon: how it unfolds, key events, what the world looks like'),
  winners: z.array(z.string().min(2).max(200)).min(2).max(6),
  losers: z.array(z.string().min(2).max(200)).min(2).max(6),
  signposts: z.array(signpostSchema).min(MIN_SIGNPOSTS).max(6).describe('Early indicators that this scenario is unfolding'),
  implications: z.array(z.string().min(10).max(400)).min(2).max(6).describe('What this world means for the company'),
});
export type ScenarioOutput = z.infer<typeof scenarioOutputSchema>;

export const scenarioValueSchema = scenarioOutputSchema.extend({
  id: z.enum(SCENARIO_NODES),
  quadrant: z.object({ axis1: z.enum(['low', 'high']), axis2: z.enum(['low', 'high']) }),
  provenance: provenanceSchema,
});
export type ScenarioValue = z.infer<typeof scenarioValueSchema>;

const jsonSchema = toModelSchema(scenarioOutputSchema);

const poleOf = (axis: Axis, pole: Pole) => (pole === 'low' ? axis.low : axis.high);

export function checkScenario(out: ScenarioOutput, axes: readonly [Axis, Axis], id: ScenarioNodeId): string[] {
  const issues: string[] = [];
  const q = SCENARIO_QUADRANTS[id];
  const want1 = poleOf(axes[0], q.axis1).label;
  const want2 = poleOf(axes[1], q.axis2).label;
  if (normalise(out.axis1Pole) !== normalise(want1)) issues.push(`axis1Pole is "${out.axis1Pole}", this quadrant is "${want1}"`);
  if (normalise(out.axis2Pole) !== normalise(want2)) issues.push(`axis2Pole is "${out.axis2Pole}", this quadrant is "${want2}"`);
  const poleLabels = axes.flatMap((a) => [a.low.label, a.high.label]).map(normalise);
  if (poleLabels.includes(normalise(out.name))) issues.push(`name "${out.name}" is only a pole label; give the scenario a name of its own`);
  out.signposts.forEach((s, i) => {
    if (!hasNumber(s.threshold)) issues.push(`signpost ${i + 1}: threshold "${s.threshold}" has no number to observe`);
  });
  const indicators = out.signposts.map((s) => normalise(s.indicator));
  if (new Set(indicators).size !== indicators.length) issues.push('signposts repeat an indicator');
  const winners = new Set(out.winners.map(normalise));
  for (const l of out.losers) if (winners.has(normalise(l))) issues.push(`"${l}" is both a winner and a loser`);
  return issues;
}

export function scenarioNode(id: ScenarioNodeId): PipelineNode {
  const q = SCENARIO_QUADRANTS[id];
  return {
    id,
    kind: 'model',
    offline: scenarioOffline,
    async run(ctx) {
      const { axes, ranking } = readInput(ctx, 'uncertainties', uncertaintiesValueSchema);
      const side = (axis: Axis, pole: Pole) => ({ name: axis.name, question: axis.question, pole, label: poleOf(axis, pole).label, description: poleOf(axis, pole).description });
      const inputs = {
        scenario: { id, position: q.position, axis1: side(axes[0], q.axis1), axis2: side(axes[1], q.axis2) },
        otherScenarios: SCENARIO_NODES.filter((s) => s !== id).map((s) => ({
          id: s,
          axis1Pole: poleOf(axes[0], SCENARIO_QUADRANTS[s].axis1).label,
          axis2Pole: poleOf(axes[1], SCENARIO_QUADRANTS[s].axis2).label,
        })),
        drivingForces: ranking.slice(0, 10).map((r) => ({ name: r.name, category: r.category, impact: r.impact, uncertainty: r.uncertainty })),
      };
      const { output, usage, provenance } = await askModel(ctx, {
        node: id,
        task:
          // Only fixed text outside the data block: axis names and labels are upstream output, so they stay inside it.
          `Write the scenario for quadrant ${id} of the 2×2: the world where axis 1 sits at its ${q.axis1} pole ` +
          `and axis 2 at its ${q.axis2} pole (names and exact pole labels in data.scenario). ` +
          'Give it a memorable name, a narrative from today to the horizon, winners and losers, signposts and implications for the company.',
        rules: [
          'axis1Pole and axis2Pole must repeat the pole labels of data.scenario exactly.',
          'The name must be distinctive: the other three quadrants (data.otherScenarios) get their own names, so evoke this combination of poles.',
          `At least ${MIN_SIGNPOSTS} signposts, each an observable indicator with a numeric threshold.`,
          'Weave the driving forces in; predetermined forces play out the same way in every scenario.',
          'Plausible and internally consistent; neither utopia nor catastrophe for its own sake.',
        ],
        inputs,
        schema: scenarioOutputSchema,
        jsonSchema,
        check: (output) => checkScenario(output, axes, id),
      });
      const value: ScenarioValue = {
        id,
        quadrant: { axis1: q.axis1, axis2: q.axis2 },
        ...output,
        // The canonical labels, so every artifact spells the poles the same way.
        axis1Pole: poleOf(axes[0], q.axis1).label,
        axis2Pole: poleOf(axes[1], q.axis2).label,
        provenance,
      };
      return { value, files: [], usage };
    },
  };
}

/** Reads the four scenario values from a node's inputs, in quadrant order. */
export function readScenarios(ctx: NodeContext): ScenarioValue[] {
  return SCENARIO_NODES.map((id) => readInput(ctx, id, scenarioValueSchema));
}

/** Scenario names must tell the four worlds apart; checked where all four meet. */
export function scenarioNameIssues(scenarios: readonly { id: string; name: string }[]): string[] {
  const issues: string[] = [];
  for (let i = 0; i < scenarios.length; i += 1) {
    for (let j = i + 1; j < scenarios.length; j += 1) {
      const a = scenarios[i];
      const b = scenarios[j];
      if (a && b && normalise(a.name) === normalise(b.name)) issues.push(`${a.id} and ${b.id} are both named "${a.name}"`);
    }
  }
  return issues;
}
