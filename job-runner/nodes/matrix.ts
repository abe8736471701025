/** matrix: the 2×2 as a deterministic SVG (`scenario-matrix.svg`): axes, poles, the four scenario names. */
import { z } from 'zod';
import type { NodeContext, PipelineNode } from './node.ts';
import type { ScenarioValue } from './scenario.ts';
import type { Axis } from './uncertainties.ts';
import { escapeXml } from './escape.ts';
import { readInput } from './model-call.ts';
import { NodeError } from './node.ts';
import { readScenarios, scenarioNameIssues } from './scenario.ts';
import { SCENARIO_QUADRANTS } from './scenario-quadrants.ts';
import { svgDocument, svgText, wrapText } from './svg.ts';
import { uncertaintiesValueSchema } from './uncertainties.ts';

export const MATRIX_FILE = 'scenario-matrix.svg';

export const matrixValueSchema = z.object({
  file: z.literal(MATRIX_FILE),
  axes: z.array(z.object({ id: z.string(), name: z.string(), low: z.string(), high: z.string() })),
  quadrants: z.array(z.object({ scenario: z.string(), name: z.string(), position: z.string(), axis1Pole: z.string(), axis2Pole: z.string() })),
  synthetic: z.boolean(),
});
export type MatrixValue = z.infer<typeof matrixValueSchema>;

const W = 960;
const H = 780;
const LEFT = 180;
const TOP = 100;
const SIZE = 560; // the square
const HALF = SIZE / 2;

export function renderMatrixSvg(axes: readonly [Axis, Axis], scenarios: readonly ScenarioValue[], synthetic: boolean): string {
  const [a1, a2] = axes;
  const cx = LEFT + HALF;
  const cy = TOP + HALF;
  const body: string[] = [];
  body.push(svgText(['Scenario matrix'], { x: W / 2, y: 40, size: 24, anchor: 'middle', weight: 'bold' }));
  const fills: Record<string, string> = { 'bottom-left': '#fde8e4', 'bottom-right': '#e4f0fd', 'top-left': '#fdf6e4', 'top-right': '#e6f6ea' };
  for (const s of scenarios) {
    const q = SCENARIO_QUADRANTS[s.id];
    const x = q.axis1 === 'low' ? LEFT : cx;
    const y = q.axis2 === 'high' ? TOP : cy;
    const mid = x + HALF / 2;
    const nameLines = wrapText(s.name, 24, 3);
    const label = `${s.name}: ${s.axis1Pole} / ${s.axis2Pole}`;
    body.push(
      `<g class="quadrant" data-scenario="${escapeXml(s.id)}" data-position="${q.position}" aria-label="${escapeXml(label)}">`,
      `<title>${escapeXml(s.name)}</title>`,
      `<rect x="${x}" y="${y}" width="${HALF}" height="${HALF}" fill="${fills[q.position] ?? '#f5f7fa'}" stroke="#9aa5b1" stroke-width="1"/>`,
      svgText([s.id.replace('scenario_', '').toUpperCase()], { x: x + 12, y: y + 24, size: 13, weight: 'bold', fill: '#7b8794' }),
      svgText(nameLines, { x: mid, y: y + 100, size: 20, anchor: 'middle', weight: 'bold', className: 'scenario-name' }),
      svgText(wrapText(`${s.axis1Pole} · ${s.axis2Pole}`, 38, 2), { x: mid, y: y + 100 + nameLines.length * 25 + 10, size: 12, anchor: 'middle', fill: '#52606d', className: 'scenario-poles' }),
      '</g>',
    );
  }
  // Axes through the centre, arrows at both ends.
  body.push(
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#323f4b"/></marker></defs>',
    `<line x1="${LEFT - 10}" y1="${cy}" x2="${LEFT + SIZE + 10}" y2="${cy}" stroke="#323f4b" stroke-width="2" marker-start="url(#arrow)" marker-end="url(#arrow)"/>`,
    `<line x1="${cx}" y1="${TOP + SIZE + 10}" x2="${cx}" y2="${TOP - 10}" stroke="#323f4b" stroke-width="2" marker-start="url(#arrow)" marker-end="url(#arrow)"/>`,
  );
  // Axis 1 poles left and right of the square, axis 2 poles above and below it; the axis names in a legend.
  body.push(
    `<g class="axis" data-axis="axis1">`,
    svgText(wrapText(a1.low.label, 16, 3), { x: LEFT - 16, y: cy + 22, size: 13, anchor: 'end', weight: 'bold', className: 'pole pole-low' }),
    svgText(wrapText(a1.high.label, 16, 3), { x: LEFT + SIZE + 16, y: cy + 22, size: 13, anchor: 'start', weight: 'bold', className: 'pole pole-high' }),
    svgText(wrapText(`Horizontal, axis 1 — ${a1.name}: ${a1.low.label} → ${a1.high.label}`, 120, 1), { x: LEFT - 150, y: TOP + SIZE + 62, size: 13, className: 'axis-name' }),
    '</g>',
    `<g class="axis" data-axis="axis2">`,
    svgText(wrapText(a2.high.label, 50, 1), { x: cx, y: TOP - 18, size: 13, anchor: 'middle', weight: 'bold', className: 'pole pole-high' }),
    svgText(wrapText(a2.low.label, 50, 1), { x: cx, y: TOP + SIZE + 28, size: 13, anchor: 'middle', weight: 'bold', className: 'pole pole-low' }),
    svgText(wrapText(`Vertical, axis 2 — ${a2.name}: ${a2.low.label} → ${a2.high.label}`, 120, 1), { x: LEFT - 150, y: TOP + SIZE + 82, size: 13, className: 'axis-name' }),
    '</g>',
  );
  if (synthetic) {
    body.push(svgText(['Synthetic demo content (offline model), not research.'], { x: W / 2, y: H - 12, size: 11, anchor: 'middle', fill: '#9aa5b1', className: 'synthetic-note' }));
  }
  const desc = `2×2 scenario matrix. Axis 1: ${a1.name} (${a1.low.label} to ${a1.high.label}). Axis 2: ${a2.name} (${a2.low.label} to ${a2.high.label}). ` +
    scenarios.map((s) => `${s.name} (${s.axis1Pole}, ${s.axis2Pole})`).join('; ') + '.';
  return svgDocument(W, H, 'Scenario matrix', desc, body);
}

async function run(ctx: NodeContext) {
  const { axes } = readInput(ctx, 'uncertainties', uncertaintiesValueSchema);
  const scenarios = readScenarios(ctx);
  const clash = scenarioNameIssues(scenarios);
  if (clash.length) {
    // A render cannot fix its inputs: an operator retry of one scenario node resets this one too.
    throw new NodeError('invalid_input', 'two scenarios share a name; re-run one of them', { retryable: false, issues: clash });
  }
  const synthetic = scenarios.some((s) => s.provenance.synthetic);
  const svg = renderMatrixSvg(axes, scenarios, synthetic);
  const value: MatrixValue = {
    file: MATRIX_FILE,
    axes: axes.map((a) => ({ id: a.id, name: a.name, low: a.low.label, high: a.high.label })),
    quadrants: scenarios.map((s) => ({ scenario: s.id, name: s.name, position: SCENARIO_QUADRANTS[s.id].position, axis1Pole: s.axis1Pole, axis2Pole: s.axis2Pole })),
    synthetic,
  };
  return { value, files: [{ name: MATRIX_FILE, body: svg, contentType: 'image/svg+xml' }] };
}

export const matrixNode: PipelineNode = { id: 'matrix', kind: 'render', run };
