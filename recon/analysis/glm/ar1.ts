/**
 * AR(1) prewhitening as nipy's GeneralLinearModel.fit(model='ar1') and
 * nilearn's run_glm(noise_model='ar1'): lag-1 autocorrelation of the OLS
 * residuals per voxel, truncated to steps of 1/100, then one whitened
 * refit per distinct value (whitened designs are cached by value).
 */
import { prepareModel, whitenRows, type LinearModel } from './model.ts';

/** Σ r_t r_{t−1} / Σ r_t² per voxel of a time-major residual block (0 where Σ r² = 0). */
export function ar1Coefficients(resid: Float64Array, n: number, m: number): Float64Array {
  const num = new Float64Array(m);
  const den = new Float64Array(m);
  for (let v = 0; v < m; v++) den[v] = resid[v]! * resid[v]!;
  for (let t = 1; t < n; t++) {
    const cur = t * m;
    const prev = (t - 1) * m;
    for (let v = 0; v < m; v++) {
      const r = resid[cur + v]!;
      num[v] = num[v]! + r * resid[prev + v]!;
      den[v] = den[v]! + r * r;
    }
  }
  const rho = new Float64Array(m);
  for (let v = 0; v < m; v++) rho[v] = den[v]! > 0 ? num[v]! / den[v]! : 0;
  return rho;
}

/** nipy: (ar1 * steps).astype(int) / steps, kept inside (−1, 1). */
export function quantizeAr1(rho: number, steps: number): number {
  const k = Math.trunc(rho * steps);
  return Math.max(-(steps - 1), Math.min(steps - 1, Number.isFinite(k) ? k : 0));
}

/** Whitened models by quantised step k (ρ = k / steps). */
export class WhitenedModels {
  private readonly cache = new Map<number, LinearModel>();
  constructor(
    private readonly x: Float64Array,
    private readonly n: number,
    private readonly p: number,
    readonly steps: number,
    ols: LinearModel,
  ) {
    this.cache.set(0, ols);
  }

  get(k: number): LinearModel {
    let model = this.cache.get(k);
    if (!model) {
      const rho = (k * 1) / this.steps;
      const ols = this.cache.get(0)!;
      const ones = ols.ones ? whitenRows(ols.ones, this.n, 1, rho) : undefined;
      model = ones
        ? prepareModel(whitenRows(this.x, this.n, this.p, rho), this.n, this.p, ones, true)
        : prepareModel(whitenRows(this.x, this.n, this.p, rho), this.n, this.p, new Float64Array(this.n), false);
      if (!ones) model.ones = undefined;
      this.cache.set(k, model);
    }
    return model;
  }
}

/** Whitened copy of the voxels `cols` of a time-major block y (n × m) → n × cols.length. */
export function gatherWhitened(y: Float64Array, n: number, m: number, cols: readonly number[], rho: number): Float64Array {
  const k = cols.length;
  const out = new Float64Array(n * k);
  for (let j = 0; j < k; j++) out[j] = y[cols[j]!]!;
  for (let t = 1; t < n; t++) {
    const cur = t * m;
    const prev = (t - 1) * m;
    const o = t * k;
    for (let j = 0; j < k; j++) {
      const v = cols[j]!;
      out[o + j] = y[cur + v]! - rho * y[prev + v]!;
    }
  }
  return out;
}

/**
 * Bias correction of the residual lag-1 autocorrelation (Worsley et al. 2002,
 * fmristat): residuals r = R y of an AR(1) series have
 *   E[r'D r] / E[r'r] ≈ (m01 + 2ρ m11) / (m00 + 2ρ m01),
 * with D the symmetric lag-1 matrix, m00 = tr R, m01 = tr RD, m11 = tr RDRD;
 * solved here for ρ. Without it the OLS-residual estimate is biased towards
 * zero by about (p + 1)/n, which inflates t in short runs.
 */
export function ar1BiasCorrector(model: LinearModel): (a: number) => number {
  const { n, p, x, pinv } = model;
  // R = I − X X⁺ (n × n).
  const r = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let h = 0;
      for (let k = 0; k < p; k++) h += x[i * p + k]! * pinv[k * n + j]!;
      r[i * n + j] = (i === j ? 1 : 0) - h;
    }
  }
  // RD: (RD)_{ij} = ½ (R_{i,j−1} + R_{i,j+1}).
  const rd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      rd[i * n + j] = 0.5 * ((j > 0 ? r[i * n + j - 1]! : 0) + (j < n - 1 ? r[i * n + j + 1]! : 0));
    }
  }
  let m00 = 0;
  let m01 = 0;
  let m11 = 0;
  for (let i = 0; i < n; i++) {
    m00 += r[i * n + i]!;
    m01 += rd[i * n + i]!;
    for (let j = 0; j < n; j++) m11 += rd[i * n + j]! * rd[j * n + i]!;
  }
  return (a: number) => {
    const den = 2 * (m11 - a * m01);
    const rho = den !== 0 ? (a * m00 - m01) / den : a;
    return Number.isFinite(rho) ? Math.max(-0.99, Math.min(0.99, rho)) : 0;
  };
}
