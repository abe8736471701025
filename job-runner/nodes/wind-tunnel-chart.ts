/** wind_tunnel_chart: the wind tunnel as a deterministic SVG heatmap (`wind-tunnel.svg`). */
import { z } from 'zod';
import type { NodeContext, PipelineNode } from './node.ts';
import type { WindTunnelValue } from './wind-tunnel.ts';
import { escapeXml } from './escape.ts';
import { readInput } from './model-call.ts';
import { svgDocument, svgText, wrapText } from './svg.ts';
import { windTunnelValueSchema } from './wind-tunnel.ts';

export const WIND_TUNNEL_FILE = 'wind-tunnel.svg';

export const windTunnelChartValueSchema = z.object({
  file: z.literal(WIND_TUNNEL_FILE),
  rows: z.number(),
  columns: z.number(),
});

const COLOURS: Record<string, string> = { '-2': '#c62828', '-1': '#ef9a9a', '0': '#eceff1', '1': '#a5d6a7', '2': '#2e7d32' };
const TEXT_ON: Record<string, string> = { '-2': '#ffffff', '2': '#ffffff' };
const CLASS_FILL: Record<string, string> = { robust: '#2e7d32', contingent: '#b26a00', fragile: '#c62828' };

const LABEL_W = 300;
const CELL_W = 150;
const CELL_H = 56;
const HEAD_H = 80;
const TOP = 70;
const CLASS_W = 150;

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

export function renderWindTunnelSvg(wt: WindTunnelValue, synthetic: boolean): string {
  const cols = wt.scenarios.length;
  const width = 20 + LABEL_W + cols * CELL_W + CLASS_W + 20;
  const height = TOP + HEAD_H + wt.strategies.length * CELL_H + 90;
  const x0 = 20 + LABEL_W;
  const y0 = TOP + HEAD_H;
  const body: string[] = [];
  body.push(svgText(['Wind tunnel: strategies × scenarios'], { x: width / 2, y: 38, size: 22, anchor: 'middle', weight: 'bold' }));
  wt.scenarios.forEach((sc, j) => {
    const x = x0 + j * CELL_W + CELL_W / 2;
    body.push(
      `<g class="column" data-scenario="${escapeXml(sc.id)}"><title>${escapeXml(sc.name)}</title>`,
      svgText(wrapText(sc.name, 18, 3), { x, y: TOP + 20, size: 13, anchor: 'middle', weight: 'bold', className: 'scenario-name' }),
      '</g>',
    );
  });
  body.push(svgText(['Robustness'], { x: x0 + cols * CELL_W + CLASS_W / 2, y: TOP + 20, size: 13, anchor: 'middle', weight: 'bold' }));
  const cell = new Map(wt.cells.map((c) => [`${c.strategyId}×${c.scenarioId}`, c]));
  const robust = new Map(wt.robustness.map((r) => [r.strategyId, r]));
  wt.strategies.forEach((s, i) => {
    const y = y0 + i * CELL_H;
    body.push(
      `<g class="row" data-strategy="${escapeXml(s.id)}"><title>${escapeXml(`${s.id}: ${s.name}`)}</title>`,
      svgText(wrapText(`${s.id} · ${s.name}`, 40, 2), { x: 20 + LABEL_W - 12, y: y + 24, size: 13, anchor: 'end', className: 'strategy-name' }),
      '</g>',
    );
    wt.scenarios.forEach((sc, j) => {
      const c = cell.get(`${s.id}×${sc.id}`);
      const x = x0 + j * CELL_W;
      const key = c ? String(c.score) : 'none';
      const label = c ? signed(c.score) : '–';
      body.push(
        `<g class="cell" data-strategy="${escapeXml(s.id)}" data-scenario="${escapeXml(sc.id)}" data-score="${c ? c.score : ''}">`,
        `<title>${escapeXml(c ? `${s.name} in ${sc.name}: ${label}. ${c.rationale}` : `${s.name} in ${sc.name}: not scored`)}</title>`,
        `<rect x="${x}" y="${y}" width="${CELL_W}" height="${CELL_H}" fill="${COLOURS[key] ?? '#ffffff'}" stroke="#ffffff" stroke-width="2"/>`,
        svgText([label], { x: x + CELL_W / 2, y: y + CELL_H / 2 + 7, size: 20, anchor: 'middle', weight: 'bold', fill: TEXT_ON[key] ?? '#1f2933', className: 'score' }),
        '</g>',
      );
    });
    const r = robust.get(s.id);
    if (r) {
      body.push(
        svgText([r.classification], { x: x0 + cols * CELL_W + CLASS_W / 2, y: y + 24, size: 14, anchor: 'middle', weight: 'bold', fill: CLASS_FILL[r.classification] ?? '#1f2933', className: `classification ${r.classification}` }),
        svgText([`mean ${r.mean.toFixed(2)}`], { x: x0 + cols * CELL_W + CLASS_W / 2, y: y + 42, size: 11, anchor: 'middle', fill: '#52606d' }),
      );
    }
  });
  const legendY = y0 + wt.strategies.length * CELL_H + 30;
  [-2, -1, 0, 1, 2].forEach((v, k) => {
    const x = x0 + k * 70;
    body.push(
      `<rect x="${x}" y="${legendY}" width="22" height="16" fill="${COLOURS[String(v)]}"/>`,
      svgText([signed(v)], { x: x + 28, y: legendY + 13, size: 12 }),
    );
  });
  body.push(svgText(['score: −2 fails badly … +2 thrives'], { x: x0 - 12, y: legendY + 13, size: 12, anchor: 'end', fill: '#52606d' }));
  if (synthetic) {
    body.push(svgText(['Synthetic demo content (offline model), not research.'], { x: width / 2, y: height - 14, size: 11, anchor: 'middle', fill: '#9aa5b1', className: 'synthetic-note' }));
  }
  const desc = `Heatmap of ${wt.strategies.length} strategies against ${cols} scenarios (${wt.scenarios.map((s) => s.name).join(', ')}), scores from −2 to +2.`;
  return svgDocument(width, height, 'Wind tunnel', desc, body);
}

async function run(ctx: NodeContext) {
  const wt = readInput(ctx, 'wind_tunnel', windTunnelValueSchema);
  const svg = renderWindTunnelSvg(wt, wt.provenance.synthetic);
  return {
    value: { file: WIND_TUNNEL_FILE, rows: wt.strategies.length, columns: wt.scenarios.length },
    files: [{ name: WIND_TUNNEL_FILE, body: svg, contentType: 'image/svg+xml' }],
  };
}

export const windTunnelChartNode: PipelineNode = { id: 'wind_tunnel_chart', kind: 'render', run };
