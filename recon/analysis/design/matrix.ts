/**
 * First-level design matrix: one regressor per condition (boxcars on a fine
 * grid convolved with the HRF, then sampled at the frame times), optional
 * temporal derivatives, confounds, cosine drifts and a constant — in nipy's
 * column order: conditions (sorted), confounds, drift_1..K, constant.
 *
 * The fine grid, event sampling, convolution, linear resampling and the
 * orthogonalisation of derivatives follow nipy/nilearn's compute_regressor;
 * see hrf.ts and drift.ts for the 'spm' vs 'nipy' conventions.
 */
import { UhfError } from '../../../shared/errors.ts';
import { pseudoInverse } from '../linalg.ts';
import type { Confounds } from './confounds.ts';
import { cosineDrift } from './drift.ts';
import { conditionNames, type FmriEvent } from './events.ts';
import { hrfKernels, type HrfConvention } from './hrf.ts';

export type HrfModel = 'spm' | 'spm+derivative';
export type ColumnKind = 'condition' | 'derivative' | 'confound' | 'drift' | 'constant';

export interface DesignOptions {
  nFrames: number;
  tr: number;
  events: readonly FmriEvent[];
  hrf?: HrfModel;
  convention?: HrfConvention;
  /** Frame i is modelled at (i + sliceTimeRef)·TR; 0 = start of the frame (nilearn's default), 0.5 = middle. */
  sliceTimeRef?: number;
  /** High-pass cut-off period in seconds (default 128); 0 or Infinity: no drift terms. */
  highPassSec?: number;
  /** Fine-grid points per TR (default 16, as SPM and nipy). */
  oversampling?: number;
  /** Earliest modelled onset relative to the first frame (default −24 s). */
  minOnset?: number;
  confounds?: Confounds;
}

export interface DesignMatrix {
  nFrames: number;
  nColumns: number;
  names: string[];
  kinds: ColumnKind[];
  /** nFrames × nColumns, row-major. */
  values: Float64Array;
  frameTimes: Float64Array;
  /** Condition names (trial types), in column order. */
  conditions: string[];
  tr: number;
  hrf: HrfModel;
  convention: HrfConvention;
  highPassSec: number;
  sliceTimeRef: number;
  rank: number;
  condition: number;
}

function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  if (num > 1) out[num - 1] = stop;
  return out;
}

/** First index i with grid[i] ≥ value (numpy searchsorted, side='left'). */
function searchLeft(grid: Float64Array, value: number): number {
  let lo = 0;
  let hi = grid.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (grid[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The fine grid of nipy/nilearn's _sample_condition. */
export function fineGrid(frameTimes: Float64Array, oversampling: number, minOnset: number, convention: HrfConvention): Float64Array {
  const n = frameTimes.length;
  const fmin = frameTimes[0]!;
  const fmax = frameTimes[n - 1]!;
  const nHr = ((n - 1) * 1) / (fmax - fmin) * (fmax * (1 + 1 / (n - 1)) - fmin - minOnset) * oversampling + 1;
  const count = convention === 'nipy' ? Math.trunc(nHr) : Math.round(nHr);
  return linspace(fmin + minOnset, fmax * (1 + 1 / (n - 1)), count);
}

/** Boxcar (or one-sample impulse for duration 0) of each event on the grid, scaled by its modulation. */
export function sampleCondition(events: readonly FmriEvent[], grid: Float64Array): Float64Array {
  const tmax = grid.length;
  const reg = new Float64Array(tmax);
  for (const e of events) {
    const on = Math.min(searchLeft(grid, e.onset), tmax - 1);
    let off = Math.min(searchLeft(grid, e.onset + e.duration), tmax - 1);
    if (off < tmax - 1 && off === on) off++;
    reg[on] = reg[on]! + e.modulation;
    reg[off] = reg[off]! - e.modulation;
  }
  for (let i = 1; i < tmax; i++) reg[i] = reg[i]! + reg[i - 1]!;
  return reg;
}

/** np.convolve(signal, kernel)[:signal.length]. */
export function causalConvolve(signal: Float64Array, kernel: Float64Array): Float64Array {
  const n = signal.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = signal[i]!;
    if (s === 0) continue;
    const kmax = Math.min(kernel.length, n - i);
    for (let k = 0; k < kmax; k++) out[i + k] = out[i + k]! + s * kernel[k]!;
  }
  return out;
}

/** Linear interpolation at `at` (scipy interp1d, kind='linear'). */
export function resampleLinear(x: Float64Array, y: Float64Array, at: Float64Array): Float64Array {
  const out = new Float64Array(at.length);
  for (let i = 0; i < at.length; i++) {
    const t = at[i]!;
    const idx = Math.min(Math.max(searchLeft(x, t), 1), x.length - 1);
    const x0 = x[idx - 1]!;
    const y0 = y[idx - 1]!;
    const slope = (y[idx]! - y0) / (x[idx]! - x0);
    out[i] = slope * (t - x0) + y0;
  }
  return out;
}

/** Remove from `col` its projection on `onto` (nipy's _orthogonalize for two columns). */
function orthogonalise(col: Float64Array, onto: Float64Array): void {
  let dot = 0;
  let nn = 0;
  for (let i = 0; i < col.length; i++) {
    dot += col[i]! * onto[i]!;
    nn += onto[i]! * onto[i]!;
  }
  if (nn === 0) return;
  const k = dot / nn;
  for (let i = 0; i < col.length; i++) col[i] = col[i]! - k * onto[i]!;
}

export function frameTimesFor(nFrames: number, tr: number, sliceTimeRef = 0): Float64Array {
  const ft = new Float64Array(nFrames);
  for (let i = 0; i < nFrames; i++) ft[i] = (i + sliceTimeRef) * tr;
  return ft;
}

export function buildDesign(options: DesignOptions): DesignMatrix {
  const { nFrames, tr, events } = options;
  const hrf = options.hrf ?? 'spm';
  const convention = options.convention ?? 'spm';
  const sliceTimeRef = options.sliceTimeRef ?? 0;
  const highPassSec = options.highPassSec ?? 128;
  const oversampling = options.oversampling ?? 16;
  const minOnset = options.minOnset ?? -24;
  if (!(nFrames >= 2)) throw new UhfError('BAD_ARGUMENT', `a design needs at least 2 frames, got ${nFrames}`);
  if (!(tr > 0) || !Number.isFinite(tr)) throw new UhfError('BAD_ARGUMENT', `TR must be a positive number of seconds, got ${tr}`);
  if (!(sliceTimeRef >= 0 && sliceTimeRef <= 1)) throw new UhfError('BAD_ARGUMENT', `slice-time reference must be in [0, 1], got ${sliceTimeRef}`);

  const frameTimes = frameTimesFor(nFrames, tr, sliceTimeRef);
  const names: string[] = [];
  const kinds: ColumnKind[] = [];
  const columns: Float64Array[] = [];

  const conditions = conditionNames(events);
  if (conditions.length > 0) {
    const grid = fineGrid(frameTimes, oversampling, minOnset, convention);
    const dtKernel = tr / oversampling;
    const kernels = hrfKernels(hrf, dtKernel, convention);
    for (const cond of conditions) {
      const neural = sampleCondition(events.filter((e) => e.trialType === cond), grid);
      const regs = kernels.map((k) => resampleLinear(grid, causalConvolve(neural, k), frameTimes));
      for (let j = 1; j < regs.length; j++) orthogonalise(regs[j]!, regs[0]!);
      regs.forEach((r, j) => {
        columns.push(r);
        names.push(j === 0 ? cond : `${cond}_derivative`);
        kinds.push(j === 0 ? 'condition' : 'derivative');
      });
    }
  }
  if (options.confounds) {
    const { names: cn, columns: cc } = options.confounds;
    cc.forEach((c, j) => {
      if (c.length !== nFrames) throw new UhfError('SHAPE_MISMATCH', `confound '${cn[j]}' has ${c.length} values for ${nFrames} frames`);
      columns.push(c);
      names.push(cn[j]!);
      kinds.push('confound');
    });
  }
  const drift = cosineDrift(nFrames, tr, highPassSec, convention);
  drift.columns.forEach((c, j) => {
    columns.push(c);
    names.push(drift.names[j]!);
    kinds.push('drift');
  });
  columns.push(new Float64Array(nFrames).fill(1));
  names.push('constant');
  kinds.push('constant');

  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new UhfError('BAD_ARGUMENT', `design column name '${dup}' is used twice`);
  const p = columns.length;
  const values = new Float64Array(nFrames * p);
  columns.forEach((c, j) => {
    for (let i = 0; i < nFrames; i++) values[i * p + j] = c[i]!;
  });
  const { rank, condition } = p <= nFrames ? pseudoInverse(values, nFrames, p) : { rank: nFrames, condition: Infinity };
  return {
    nFrames,
    nColumns: p,
    names,
    kinds,
    values,
    frameTimes,
    conditions,
    tr,
    hrf,
    convention,
    highPassSec,
    sliceTimeRef,
    rank,
    condition,
  };
}

/** One column of the design as a new array. */
export function designColumn(d: DesignMatrix, j: number): Float64Array {
  const out = new Float64Array(d.nFrames);
  for (let i = 0; i < d.nFrames; i++) out[i] = d.values[i * d.nColumns + j]!;
  return out;
}

/** design.tsv: a header of column names, then one row per frame. */
export function formatDesignTsv(d: DesignMatrix): string {
  const lines = [d.names.join('\t')];
  for (let i = 0; i < d.nFrames; i++) {
    const row: string[] = [];
    for (let j = 0; j < d.nColumns; j++) row.push(String(d.values[i * d.nColumns + j]));
    lines.push(row.join('\t'));
  }
  return `${lines.join('\n')}\n`;
}
