/**
 * The plots (plotly.js, SVG traces): the time course at the crosshair with the
 * GLM fit and the conditions shaded; the design matrix; the histogram of the
 * statistic with the threshold lines; the reconstruction time per stage.
 */
import Plotly from 'plotly.js-dist-min';
import type { DesignSummary, GlmEvent } from '../../shared/api/types.ts';

/** Plotly sizes itself from the container only at creation; give it the size every time. */
function size(el: HTMLElement): { width: number; height: number } {
  return { width: Math.max(200, el.clientWidth), height: Math.max(150, el.clientHeight) };
}

const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ['select2d', 'lasso2d', 'toImage'] };
const DARK = {
  paper_bgcolor: '#14171c',
  plot_bgcolor: '#14171c',
  font: { color: '#c9d1d9', size: 11 },
  margin: { l: 52, r: 12, t: 26, b: 36 },
  xaxis: { gridcolor: '#2a2f37', zerolinecolor: '#2a2f37' },
  yaxis: { gridcolor: '#2a2f37', zerolinecolor: '#2a2f37' },
};
const CONDITION_COLORS = ['rgba(255,160,40,0.18)', 'rgba(80,170,255,0.18)', 'rgba(120,220,120,0.18)', 'rgba(230,100,230,0.18)'];

export interface TimecourseInput {
  times: ArrayLike<number>;
  values: ArrayLike<number>;
  fit: ArrayLike<number> | null;
  events: GlmEvent[];
  title: string;
  frame: number;
}

export function plotTimecourse(el: HTMLElement, d: TimecourseInput): Promise<unknown> {
  const kinds = [...new Set(d.events.map((e) => e.trialType))];
  const shapes: Record<string, unknown>[] = d.events.map((e) => ({
    type: 'rect',
    xref: 'x',
    yref: 'paper',
    x0: e.onset,
    x1: e.onset + e.duration,
    y0: 0,
    y1: 1,
    fillcolor: CONDITION_COLORS[kinds.indexOf(e.trialType) % CONDITION_COLORS.length],
    line: { width: 0 },
    layer: 'below',
  }));
  const t = d.times[d.frame];
  if (t !== undefined) shapes.push({ type: 'line', xref: 'x', yref: 'paper', x0: t, x1: t, y0: 0, y1: 1, line: { color: '#8b949e', width: 1, dash: 'dot' } });
  const traces: Record<string, unknown>[] = [
    { type: 'scatter', mode: 'lines+markers', name: 'data', x: Array.from(d.times), y: Array.from(d.values), line: { color: '#d0d7de', width: 1.5 }, marker: { size: 3 } },
  ];
  if (d.fit) traces.push({ type: 'scatter', mode: 'lines', name: 'GLM fit', x: Array.from(d.times), y: Array.from(d.fit), line: { color: '#ff7b39', width: 2 } });
  // Legend entries for the shaded conditions.
  for (const [i, k] of kinds.entries()) {
    traces.push({ type: 'scatter', mode: 'markers', name: k, x: [null], y: [null], marker: { size: 10, symbol: 'square', color: CONDITION_COLORS[i % CONDITION_COLORS.length]!.replace('0.18', '0.6') } });
  }
  return Plotly.react(el, traces, {
    ...DARK,
    ...size(el),
    title: { text: d.title, font: { size: 12 }, x: 0.01, xanchor: 'left' },
    xaxis: { ...DARK.xaxis, type: 'linear', title: { text: 'time (s)' }, range: [Math.min(0, d.times[0] ?? 0), (d.times[d.times.length - 1] ?? 1) + (d.times.length > 1 ? d.times[1]! - d.times[0]! : 1)] },
    yaxis: { ...DARK.yaxis, type: 'linear', title: { text: 'signal' } },
    shapes,
    showlegend: true,
    legend: { orientation: 'h', y: 1.1, x: 1, xanchor: 'right', font: { size: 10 } },
  }, CONFIG);
}

export function plotDesign(el: HTMLElement, d: DesignSummary): Promise<unknown> {
  // Each column scaled to [-1, 1] for display, as SPM and nilearn draw it.
  const z: number[][] = [];
  const scale = d.names.map((_, j) => {
    let m = 0;
    for (let t = 0; t < d.nFrames; t++) m = Math.max(m, Math.abs(d.values[t * d.nColumns + j]!));
    return m || 1;
  });
  for (let t = 0; t < d.nFrames; t++) z.push(d.names.map((_, j) => d.values[t * d.nColumns + j]! / scale[j]!));
  return Plotly.react(el, [{ type: 'heatmap', z, x: d.names, y: Array.from(d.frameTimes), colorscale: 'Greys', reversescale: true, showscale: false, zmin: -1, zmax: 1 }], {
    ...DARK,
    ...size(el),
    title: { text: `design matrix (${d.nFrames} × ${d.nColumns})`, font: { size: 12 } },
    yaxis: { ...DARK.yaxis, title: { text: 'time (s)' }, autorange: 'reversed' },
  }, CONFIG);
}

export function plotHistogram(el: HTMLElement, values: Float32Array, thresholds: { positive: number; negative: number | null }, title: string): Promise<unknown> {
  const v: number[] = [];
  for (const x of values) if (x !== 0 && Number.isFinite(x)) v.push(x);
  const line = (x: number, color: string) => ({ type: 'line', xref: 'x', yref: 'paper', x0: x, x1: x, y0: 0, y1: 1, line: { color, width: 2 } });
  const shapes = [line(thresholds.positive, '#ff5a36')];
  if (thresholds.negative !== null) shapes.push(line(-thresholds.negative, '#36a3ff'));
  return Plotly.react(el, [{ type: 'histogram', x: v, nbinsx: 80, marker: { color: '#8b949e' } }], {
    ...DARK,
    ...size(el),
    title: { text: title, font: { size: 12 } },
    xaxis: { ...DARK.xaxis, title: { text: 'z' } },
    yaxis: { ...DARK.yaxis, title: { text: 'voxels' }, type: 'log' },
    shapes,
    bargap: 0.02,
  }, CONFIG);
}

export function plotReconTimes(el: HTMLElement, timingsMs: Record<string, number>): Promise<unknown> {
  const entries = Object.entries(timingsMs).filter(([k]) => k !== 'total').sort((a, b) => b[1] - a[1]);
  return Plotly.react(el, [{ type: 'bar', orientation: 'h', x: entries.map(([, v]) => v / 1000), y: entries.map(([k]) => k), marker: { color: '#58a6ff' } }], {
    ...DARK,
    ...size(el),
    margin: { ...DARK.margin, l: 150 },
    title: { text: `reconstruction time per stage${timingsMs['total'] ? ` (total ${(timingsMs['total'] / 1000).toFixed(1)} s)` : ''}`, font: { size: 12 } },
    xaxis: { ...DARK.xaxis, title: { text: 'seconds' } },
    yaxis: { ...DARK.yaxis, autorange: 'reversed' },
  }, CONFIG);
}

export function resizePlot(el: HTMLElement): void {
  if (el.offsetParent !== null && el.querySelector('.plot-container')) void Plotly.relayout(el, size(el));
}
