/** The block kernel against a plain per-voxel least-squares reference (OLS, AR(1), t and F). */
import { describe, expect, it } from 'vitest';
import { compileContrast } from '../../recon/analysis/contrasts/parse.ts';
import { ChunkProcessor, type GlmSetup } from '../../recon/analysis/glm/chunk.ts';
import { ar1BiasCorrector } from '../../recon/analysis/glm/ar1.ts';
import { prepareModel, whitenRows } from '../../recon/analysis/glm/model.ts';
import { fToZ, tToZ } from '../../recon/analysis/inference/stats.ts';
import { makeGaussian, makeRng } from '../../recon/analysis/synthetic.ts';

const n = 40;
const gauss = makeGaussian(makeRng(9));

/** Design: two task-like columns, a slow drift and (optionally) a constant. */
function design(withConstant: boolean): { x: Float64Array; p: number; names: string[] } {
  const names = ['a', 'b', 'drift', ...(withConstant ? ['constant'] : [])];
  const p = names.length;
  const x = new Float64Array(n * p);
  for (let t = 0; t < n; t++) {
    x[t * p] = Math.floor(t / 5) % 2;
    x[t * p + 1] = Math.floor(t / 7) % 2;
    x[t * p + 2] = Math.cos((Math.PI * (t + 0.5)) / n);
    if (withConstant) x[t * p + 3] = 1;
  }
  return { x, p, names };
}

/** Reference fit of one series: solve the (whitened) normal equations directly. */
function reference(x: Float64Array, p: number, y: Float64Array, rho: number, c: Float64Array, q: number): { stat: number; effect: number; s2: number } {
  const xw = whitenRows(x, n, p, rho);
  const yw = whitenRows(y, n, 1, rho);
  const m = prepareModel(xw, n, p);
  const beta = new Float64Array(p);
  for (let j = 0; j < p; j++) for (let t = 0; t < n; t++) beta[j] = beta[j]! + m.pinv[j * n + t]! * yw[t]!;
  let rss = 0;
  for (let t = 0; t < n; t++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += xw[t * p + j]! * beta[j]!;
    rss += (yw[t]! - f) ** 2;
  }
  const s2 = rss / m.dof;
  const e = Array.from({ length: q }, (_, r) => c.subarray(r * p, (r + 1) * p).reduce((s, w, j) => s + w * beta[j]!, 0));
  // C cov Cᵀ
  const v = Array.from({ length: q * q }, (_, k) => {
    const a = Math.floor(k / q);
    const b = k % q;
    let s = 0;
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) s += c[a * p + i]! * m.cov[i * p + j]! * c[b * p + j]!;
    return s;
  });
  if (q === 1) return { stat: e[0]! / Math.sqrt(s2 * v[0]!), effect: e[0]!, s2 };
  // 2 × 2 inverse for the F test.
  const det = v[0]! * v[3]! - v[1]! * v[2]!;
  const quad = (e[0]! * (v[3]! * e[0]! - v[1]! * e[1]!) + e[1]! * (-v[2]! * e[0]! + v[0]! * e[1]!)) / det;
  return { stat: quad / (q * s2), effect: NaN, s2 };
}

describe.each([true, false])('block kernel (constant column: %s)', (withConstant) => {
  const { x, p, names } = design(withConstant);
  const m = 300;
  const y = new Float32Array(n * m);
  for (let v = 0; v < m; v++) {
    let e = 0;
    const rho = (v % 7) / 10 - 0.2; // includes ρ near 0, so some voxels fall in the OLS bin
    for (let t = 0; t < n; t++) {
      e = t === 0 ? gauss() : rho * e + gauss();
      y[t * m + v] = 500 + (v % 3) * x[t * p]! + 0.5 * x[t * p + 1]! + 3 * e;
    }
  }
  const t = compileContrast('d', 'a - 0.5 b', names);
  const f = compileContrast('f', 'F(a, b)', names);

  it.each(['ols', 'ar1'] as const)('%s: t, F, effects, σ² and z match the per-voxel reference', (noise) => {
    const setup: GlmSetup = { design: x, n, p, noise, arSteps: 100, arBiasCorrection: true, contrasts: [t, f] };
    const proc = new ChunkProcessor(setup);
    const out = proc.process(y, m);
    let zeroBin = 0;
    for (let v = 0; v < m; v++) {
      // The processor whitens with k/100 (nipy's quantisation); out.rho holds it as float32.
      const rho = noise === 'ar1' ? Math.round(out.rho[v]! * 100) / 100 : 0;
      if (noise === 'ar1' && rho === 0) zeroBin++;
      const series = Float64Array.from({ length: n }, (_, k) => y[k * m + v]!);
      const rt = reference(x, p, series, rho, t.weights, 1);
      const rf = reference(x, p, series, rho, f.weights, 2);
      expect(out.stat[0]![v]!).toBeCloseTo(rt.stat, 4);
      expect(out.effect[0]![v]!).toBeCloseTo(rt.effect, 4);
      expect(out.sigma2[v]! / rt.s2).toBeCloseTo(1, 5);
      expect(out.stat[1]![v]! / rf.stat).toBeCloseTo(1, 4);
      expect(out.z[0]![v]!).toBeCloseTo(tToZ(rt.stat, n - p), 4);
      expect(out.z[1]![v]!).toBeCloseTo(fToZ(rf.stat, 2, n - p), 4);
    }
    // With a constant, some voxels land in the ρ = 0 bin, which reuses the OLS fit.
    if (noise === 'ar1' && withConstant) expect(zeroBin).toBeGreaterThan(0);
  });
});

describe('AR(1) bias correction', () => {
  it('undoes the downward bias of the OLS-residual autocorrelation', () => {
    const { x, p } = design(true);
    const model = prepareModel(x, n, p);
    const correct = ar1BiasCorrector(model);
    // Average raw estimate over many AR(1) series with ρ = 0.4.
    let raw = 0;
    const reps = 2000;
    for (let r = 0; r < reps; r++) {
      const y = new Float64Array(n);
      let e = 0;
      for (let k = 0; k < n; k++) y[k] = e = k === 0 ? gauss() / Math.sqrt(1 - 0.16) : 0.4 * e + gauss();
      const qy = new Float64Array(p);
      const res = new Float64Array(y);
      for (let j = 0; j < p; j++) for (let k = 0; k < n; k++) qy[j] = qy[j]! + model.pinv[j * n + k]! * y[k]!;
      for (let k = 0; k < n; k++) for (let j = 0; j < p; j++) res[k] = res[k]! - x[k * p + j]! * qy[j]!;
      let num = 0;
      let den = res[0]! ** 2;
      for (let k = 1; k < n; k++) {
        num += res[k]! * res[k - 1]!;
        den += res[k]! ** 2;
      }
      raw += num / den / reps;
    }
    expect(raw).toBeLessThan(0.33); // biased low with 40 frames and 4 columns
    // The regression-induced part of the bias is removed (the ratio estimator's own remains).
    expect(correct(raw)).toBeGreaterThan(raw + 0.03);
    expect(correct(raw)).toBeLessThan(0.42);
  });
});
