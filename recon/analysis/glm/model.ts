/**
 * A linear model ready for voxelwise fitting. From the thin SVD X = U Σ Vᵀ:
 * Q (the r columns of U with σ above numpy's pinv cut-off) spans the design,
 * B = V_r Σ_r⁻¹ maps Qᵀy to β = X⁺y, the unscaled parameter covariance is
 * X⁺X⁺ᵀ (nipy's normalized_cov_beta) and the residual dof n − r. Contrasts
 * are prepared against it (variance factors, F-matrix inverses,
 * estimability), as weights on Qᵀy.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { ContrastDef } from '../contrasts/parse.ts';
import { matMul, pinvSymmetric, svdJacobi, transpose } from '../linalg.ts';

export interface LinearModel {
  n: number;
  p: number;
  /** n × p design (whitened where the noise model asks for it). */
  x: Float64Array;
  /** r × n, rows are an orthonormal basis of the design's column space. */
  qt: Float64Array;
  /** p × r: β = B·(Qᵀy). */
  b: Float64Array;
  /** p × n pseudo-inverse (B Qᵀ). */
  pinv: Float64Array;
  /** p × p, X⁺ X⁺ᵀ. */
  cov: Float64Array;
  rank: number;
  dof: number;
  /**
   * The series the data's temporal mean maps to under this model (the
   * all-ones vector, whitened like the design), when it lies in the design's
   * column space: then data can be centred before fitting without changing
   * residuals, and effects are corrected by mean × (C X⁺ ones).
   */
  ones: Float64Array | undefined;
}

/**
 * `ones`: what a constant series becomes under this model (default all ones);
 * `trustOnes`: take it as in the column space without checking (whitened
 * models of a design that has been checked).
 */
export function prepareModel(x: Float64Array, n: number, p: number, ones: Float64Array = new Float64Array(n).fill(1), trustOnes = false): LinearModel {
  if (p > n) throw new UhfError('BAD_ARGUMENT', `the design has ${p} columns but only ${n} frames`);
  const { u, s, v } = svdJacobi(x, n, p);
  let smax = 0;
  for (const x of s) smax = Math.max(smax, x);
  const keep: number[] = [];
  for (let k = 0; k < p; k++) if (s[k]! > 1e-15 * smax) keep.push(k);
  const rank = keep.length;
  const dof = n - rank;
  if (dof < 1) throw new UhfError('BAD_ARGUMENT', `no residual degrees of freedom: ${n} frames, design rank ${rank}`);
  const qt = new Float64Array(rank * n);
  const b = new Float64Array(p * rank);
  keep.forEach((k, c) => {
    for (let t = 0; t < n; t++) qt[c * n + t] = u[t * p + k]!;
    for (let j = 0; j < p; j++) b[j * rank + c] = v[j * p + k]! / s[k]!;
  });
  const pinv = matMul(b, qt, p, rank, n);
  const cov = matMul(pinv, transpose(pinv, p, n), p, n, p);
  // Is `ones` in the column space? Compare it with its projection QQᵀ·ones.
  const proj = matMul(transpose(qt, rank, n), matMul(qt, ones, rank, n, 1), n, rank, 1);
  let err = 0;
  let norm = 0;
  for (let t = 0; t < n; t++) {
    err += (ones[t]! - proj[t]!) ** 2;
    norm += ones[t]! ** 2;
  }
  return { n, p, x, qt, b, pinv, cov, rank, dof, ones: trustOnes || err <= 1e-20 * norm ? ones : undefined };
}

/** AR(1) whitening as nipy/nilearn's ARModel: row 0 kept, row t − ρ·row t−1 after. */
export function whitenRows(x: Float64Array, n: number, cols: number, rho: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let j = 0; j < cols; j++) out[j] = x[j]!;
  for (let t = 1; t < n; t++) {
    for (let j = 0; j < cols; j++) out[t * cols + j] = x[t * cols + j]! - rho * x[(t - 1) * cols + j]!;
  }
  return out;
}

export interface PreparedContrast {
  kind: 't' | 'F';
  q: number;
  weights: Float64Array;
  /** q × r: contrast rows acting on Qᵀy (C·B). */
  onQ: Float64Array;
  /** q: C·X⁺·ones, the effect of a unit temporal mean (see LinearModel.ones). */
  meanEffect: Float64Array;
  /** t: c·cov·cᵀ (the effect's variance is σ² times this). */
  varianceFactor: number;
  /** F: pinv(C cov Cᵀ), q × q, and its rank (the F numerator's dof). */
  fInverse: Float64Array;
  fRank: number;
}

export function prepareContrast(model: LinearModel, c: ContrastDef): PreparedContrast {
  const { p, cov, rank, n } = model;
  const q = c.q;
  const onQ = matMul(c.weights, model.b, q, p, rank);
  const meanEffect = model.ones ? matMul(matMul(c.weights, model.pinv, q, p, n), model.ones, q, n, 1) : new Float64Array(q);
  const m = matMul(matMul(c.weights, cov, q, p, p), transpose(c.weights, q, p), q, p, q);
  if (c.kind === 't') {
    return { kind: 't', q, weights: c.weights, onQ, meanEffect, varianceFactor: m[0]!, fInverse: new Float64Array(0), fRank: 1 };
  }
  const { inv, rank: fRank } = pinvSymmetric(m, q);
  return { kind: 'F', q, weights: c.weights, onQ, meanEffect, varianceFactor: NaN, fInverse: inv, fRank };
}

/**
 * Whether each row of the contrast lies in the row space of X (c·X⁺X = c):
 * otherwise its value depends on the arbitrary part of a rank-deficient fit.
 */
export function isEstimable(model: LinearModel, c: ContrastDef, tol = 1e-8): boolean {
  const { n, p, x, pinv } = model;
  const proj = matMul(pinv, x, p, n, p); // X⁺X, p × p
  for (let r = 0; r < c.q; r++) {
    const row = c.weights.subarray(r * p, (r + 1) * p);
    const back = matMul(row, proj, 1, p, p);
    let err = 0;
    let norm = 0;
    for (let j = 0; j < p; j++) {
      err = Math.max(err, Math.abs(back[j]! - row[j]!));
      norm = Math.max(norm, Math.abs(row[j]!));
    }
    if (err > tol * norm) return false;
  }
  return true;
}
