/**
 * design.svg: the design matrix as a grayscale image (frames down, columns
 * across, each column scaled to its own range, as nipy/nilearn's plots) with
 * the column names on top. Runs of equal gray in a column become one rect.
 */
import type { DesignMatrix } from './matrix.ts';

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

export function designSvg(d: DesignMatrix, options: { cellWidth?: number; height?: number; levels?: number } = {}): string {
  const cellW = options.cellWidth ?? 28;
  const plotH = options.height ?? 480;
  const levels = options.levels ?? 64;
  const top = 110;
  const left = 48;
  const { nFrames: n, nColumns: p, values } = d;
  const rowH = plotH / n;
  const width = left + p * cellW + 16;
  const height = top + plotH + 24;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
  ];
  for (let j = 0; j < p; j++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = values[i * p + j]!;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const level = (v: number) => (hi > lo ? Math.round(((v - lo) / (hi - lo)) * (levels - 1)) : levels - 1);
    const x = left + j * cellW;
    let start = 0;
    for (let i = 1; i <= n; i++) {
      if (i < n && level(values[i * p + j]!) === level(values[start * p + j]!)) continue;
      const g = Math.round((level(values[start * p + j]!) / (levels - 1)) * 255);
      const y = top + start * rowH;
      parts.push(`<rect x="${x}" y="${y.toFixed(2)}" width="${cellW}" height="${((i - start) * rowH + 0.01).toFixed(2)}" fill="rgb(${g},${g},${g})"/>`);
      start = i;
    }
    const cx = x + cellW / 2;
    parts.push(`<text x="${cx}" y="${top - 6}" transform="rotate(-60 ${cx} ${top - 6})">${escapeXml(d.names[j]!)}</text>`);
  }
  parts.push(`<rect x="${left}" y="${top}" width="${p * cellW}" height="${plotH}" fill="none" stroke="black"/>`);
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const i = Math.round(frac * (n - 1));
    parts.push(`<text x="${left - 4}" y="${(top + (i + 0.5) * rowH + 4).toFixed(2)}" text-anchor="end">${i}</text>`);
  }
  parts.push(`<text x="12" y="${top + plotH / 2}" transform="rotate(-90 12 ${top + plotH / 2})" text-anchor="middle">frame</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
