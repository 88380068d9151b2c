/**
 * Cosine (DCT-II) drift basis for high-pass filtering, as SPM's spm_dctmtx
 * and nilearn: √(2/n)·cos(π k (i + ½) / n) for k = 1..K.
 *
 * 'spm': K = ⌊2·n·TR / cutoff⌋, every cosine whose period is ≥ the cut-off
 *        (SPM's fix(2·n·TR/HParam + 1) columns minus the DC term; nilearn ≥ 0.8).
 * 'nipy': nipy 0.5's _cosine_drift, which keeps one fewer (K − 1).
 */
import type { HrfConvention } from './hrf.ts';

export function cosineDriftCount(nFrames: number, tr: number, cutoffSec: number, convention: HrfConvention = 'spm'): number {
  if (!(cutoffSec > 0) || cutoffSec === Infinity) return 0;
  const order = Math.floor((2 * nFrames * tr) / cutoffSec);
  const k = convention === 'nipy' ? order - 1 : order;
  return Math.max(0, Math.min(k, nFrames - 1));
}

/** Drift columns (each of length nFrames) and their names drift_1..drift_K. */
export function cosineDrift(
  nFrames: number,
  tr: number,
  cutoffSec: number,
  convention: HrfConvention = 'spm',
): { names: string[]; columns: Float64Array[] } {
  const count = cosineDriftCount(nFrames, tr, cutoffSec, convention);
  const norm = Math.sqrt(2 / nFrames);
  const names: string[] = [];
  const columns: Float64Array[] = [];
  for (let k = 1; k <= count; k++) {
    const col = new Float64Array(nFrames);
    for (let i = 0; i < nFrames; i++) col[i] = norm * Math.cos((Math.PI / nFrames) * (i + 0.5) * k);
    columns.push(col);
    names.push(`drift_${k}`);
  }
  return { names, columns };
}
