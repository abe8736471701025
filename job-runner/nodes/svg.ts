/** Small, deterministic SVG building blocks; every piece of text goes through escapeXml. */
import { escapeXml } from './escape.ts';

/** Greedy word wrap into at most `maxLines` lines of about `width` characters; an ellipsis marks a cut. */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const words = text.replace(/\s+/g, ' ').trim().split(' ').filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const w = word.length > width ? `${word.slice(0, width - 1)}…` : word;
    if (line === '') line = w;
    else if (line.length + 1 + w.length <= width) line = `${line} ${w}`;
    else {
      lines.push(line);
      line = w;
    }
  }
  if (line !== '') lines.push(line);
  if (lines.length <= maxLines) return lines;
  const kept = lines.slice(0, maxLines);
  const last = kept[maxLines - 1] ?? '';
  kept[maxLines - 1] = `${last.length >= width ? last.slice(0, width - 1) : last}…`;
  return kept;
}

export interface TextOptions {
  x: number;
  y: number;
  size: number;
  anchor?: 'start' | 'middle' | 'end';
  weight?: 'normal' | 'bold';
  fill?: string;
  className?: string;
  lineHeight?: number;
  transform?: string;
}

/** A <text> element; several lines become <tspan>s stacked from `y` downwards. */
export function svgText(lines: readonly string[], o: TextOptions): string {
  const lh = o.lineHeight ?? Math.round(o.size * 1.25);
  const attrs = [
    `x="${o.x}"`,
    `y="${o.y}"`,
    `font-size="${o.size}"`,
    `text-anchor="${o.anchor ?? 'start'}"`,
    o.weight === 'bold' ? 'font-weight="bold"' : '',
    `fill="${o.fill ?? '#1f2933'}"`,
    o.className ? `class="${escapeXml(o.className)}"` : '',
    o.transform ? `transform="${escapeXml(o.transform)}"` : '',
  ].filter(Boolean);
  const body = lines.map((l, i) => `<tspan x="${o.x}" dy="${i === 0 ? 0 : lh}">${escapeXml(l)}</tspan>`).join('');
  return `<text ${attrs.join(' ')}>${body}</text>`;
}

export function svgDocument(width: number, height: number, title: string, desc: string, body: readonly string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<desc>${escapeXml(desc)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
