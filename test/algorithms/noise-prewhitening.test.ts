/**
 * Noise prewhitening (Gadgetron NoiseAdjustGadget semantics):
 * - the covariance accumulator against numpy on the same readouts;
 * - correlated noise generated here from a known Ψ (own seeded PRNG +
 *   Box–Muller, n = L·w) whitens to E[y·yᴴ] = 2·I, unit variance per real
 *   component, with tolerances from the sample count;
 * - the dwell-time correction (noise scan 5 µs, imaging 2.5 µs);
 * - `bart whiten` on the same noise and data, whose normalisation differs from
 *   ours by the documented constant sqrt(2·N/(N − 1)).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  DEFAULT_RECEIVER_NOISE_BANDWIDTH,
  NoiseCovariance,
  applyPrewhitener,
  bandwidthScale,
  prewhitener,
} from '../../recon/algorithms/noise-prewhitening.ts';
import { choleskyLower } from '../../recon/linalg/cholesky.ts';
import { frobeniusDiff, identity, matMul, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { isUhfError } from '../../shared/errors.ts';
import { bartPath, readCfl, relL2, runBart, tempDir, writeCfl } from '../helpers/cfl.ts';
import { runPythonJson } from '../helpers/python.ts';
import { rngOpen } from '../helpers/random.ts';

/** mulberry32 uniforms in (0, 1) and standard normals by Box–Muller. */
class Gauss {
  readonly uniform: () => number;
  private spare: number | undefined;
  constructor(seed: number) {
    this.uniform = rngOpen(seed);
  }
  normal(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform())), phi = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(phi);
    return r * Math.cos(phi);
  }
}

/**
 * Ψ = Σ·P·K·Pᴴ·Σ: channel levels σ_c, KMS correlation ρ^|i−j| with a phase
 * e^{iθ(i−j)} (Hermitian positive definite for |ρ| < 1).
 */
function knownPsi(C: number, rho: number): Float64Array {
  const psi = new Float64Array(2 * C * C);
  const sigma = (c: number): number => 1.3 + 0.5 * Math.cos(1.7 * c);
  for (let i = 0; i < C; i++) {
    for (let j = 0; j < C; j++) {
      const m = sigma(i) * sigma(j) * rho ** Math.abs(i - j);
      psi[2 * (i * C + j)] = m * Math.cos(0.4 * (i - j));
      psi[2 * (i * C + j) + 1] = m * Math.sin(0.4 * (i - j));
    }
  }
  return psi;
}

/** One readout [channel][sample] of complex Gaussian noise with covariance gain²·Ψ (Ψ = L·Lᴴ): n = gain·L·w, w ~ CN(0, I). */
function noiseReadout(L: Float64Array, C: number, S: number, g: Gauss, gain = 1): Float32Array {
  const w = new Float64Array(2 * C * S);
  for (let i = 0; i < w.length; i++) w[i] = g.normal() * Math.SQRT1_2;
  const out = new Float32Array(2 * C * S);
  for (let k = 0; k < C; k++) {
    for (let c = 0; c <= k; c++) {
      const lr = gain * L[2 * (k * C + c)]!, li = gain * L[2 * (k * C + c) + 1]!;
      for (let s = 0; s < S; s++) {
        const wr = w[2 * (c * S + s)]!, wi = w[2 * (c * S + s) + 1]!;
        out[2 * (k * S + s)]! += lr * wr - li * wi;
        out[2 * (k * S + s) + 1]! += lr * wi + li * wr;
      }
    }
  }
  return out;
}

/** Sample statistics of readouts: covariance E[y·yᴴ], pseudo-covariance E[y·yᵀ], per-channel variance of re and im. */
function sampleStats(readouts: readonly Float32Array[], C: number, S: number): { cov: Float64Array; pseudo: Float64Array; varRe: Float64Array; varIm: Float64Array } {
  const cov = new Float64Array(2 * C * C), pseudo = new Float64Array(2 * C * C);
  const varRe = new Float64Array(C), varIm = new Float64Array(C);
  for (const y of readouts) {
    for (let i = 0; i < C; i++) {
      for (let s = 0; s < S; s++) {
        const ar = y[2 * (i * S + s)]!, ai = y[2 * (i * S + s) + 1]!;
        varRe[i]! += ar * ar;
        varIm[i]! += ai * ai;
        for (let j = 0; j < C; j++) {
          const br = y[2 * (j * S + s)]!, bi = y[2 * (j * S + s) + 1]!;
          cov[2 * (i * C + j)]! += ar * br + ai * bi;
          cov[2 * (i * C + j) + 1]! += ai * br - ar * bi;
          pseudo[2 * (i * C + j)]! += ar * br - ai * bi;
          pseudo[2 * (i * C + j) + 1]! += ai * br + ar * bi;
        }
      }
    }
  }
  const n = readouts.length * S;
  for (const a of [cov, pseudo, varRe, varIm]) for (let i = 0; i < a.length; i++) a[i]! /= n;
  return { cov, pseudo, varRe, varIm };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function scaledIdentity(C: number, s: number): Float64Array {
  return identity(C).map((x) => x * s);
}

function errorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isUhfError(e) ? e.code : `not a UhfError: ${String(e)}`;
  }
  return undefined;
}

describe('NoiseCovariance accumulator', () => {
  it('Ψ over several readouts equals numpy x @ x.conj().T / N on the same data', async () => {
    const C = 6;
    const g = new Gauss(1);
    const L = choleskyLower(knownPsi(C, 0.4), C);
    const sizes = [64, 100, 37];
    const readouts = sizes.map((S) => noiseReadout(L, C, S, g));
    const acc = new NoiseCovariance(C);
    readouts.forEach((r, i) => acc.add(r, C, sizes[i]!, 5));
    expect(acc.count).toBe(201);
    expect(acc.readoutCount).toBe(3);
    expect(acc.dwellUs).toBe(5);
    const np = await runPythonJson<{ re: number[]; im: number[] }>(
      `import numpy as np
C = INPUT['C']
parts = [np.array(r, dtype=np.float64).reshape(C, -1, 2) for r in INPUT['readouts']]
x = np.concatenate([p[..., 0] + 1j * p[..., 1] for p in parts], axis=1)
psi = x @ x.conj().T / x.shape[1]
emit({'re': psi.real.ravel(), 'im': psi.imag.ravel()})`,
      { C, readouts: readouts.map((r) => Array.from(r)) },
    );
    const psi = acc.covariance();
    const ref = new Float64Array(2 * C * C);
    np.re.forEach((v, i) => { ref[2 * i] = v; });
    np.im.forEach((v, i) => { ref[2 * i + 1] = v; });
    expect(maxAbsDiff(psi, ref)).toBeLessThan(1e-13);
    const sig = acc.channelSigmas();
    for (let c = 0; c < C; c++) expect(sig[c]!).toBeCloseTo(Math.sqrt(ref[2 * (c * C + c)]!), 12);
  });

  it('merge and fromCovariance give the same Ψ as one accumulator', () => {
    const C = 4;
    const g = new Gauss(2);
    const L = choleskyLower(knownPsi(C, 0.3), C);
    const r1 = noiseReadout(L, C, 50, g), r2 = noiseReadout(L, C, 70, g);
    const all = new NoiseCovariance(C);
    all.add(r1, C, 50, 3);
    all.add(r2, C, 70, 3);
    const a = new NoiseCovariance(C), b = new NoiseCovariance(C);
    a.add(r1, C, 50, 3);
    b.add(r2, C, 70);
    a.merge(b);
    expect(a.count).toBe(120);
    expect(maxAbsDiff(a.covariance(), all.covariance())).toBeLessThan(1e-15);
    const restored = NoiseCovariance.fromCovariance(all.covariance(), C, all.count, 3);
    expect(maxAbsDiff(restored.covariance(), all.covariance())).toBeLessThan(1e-15);
    expect(restored.dwellUs).toBe(3);
  });

  it('rejects other channel counts, mixed dwell times and an empty accumulator', () => {
    const acc = new NoiseCovariance(3);
    expect(errorCode(() => acc.covariance())).toBe('UNSUPPORTED_DATA');
    expect(errorCode(() => prewhitener(acc, { dataDwellUs: 5 }))).toBe('UNSUPPORTED_DATA');
    expect(errorCode(() => acc.add(new Float32Array(2 * 4 * 10), 4, 10, 5))).toBe('SHAPE_MISMATCH');
    acc.add(new Float32Array(2 * 3 * 10).fill(1), 3, 10, 5);
    expect(errorCode(() => acc.add(new Float32Array(2 * 3 * 10), 3, 10, 2.5))).toBe('UNSUPPORTED_DATA');
  });
});

describe('prewhitener', () => {
  it('W is lower triangular with W·Ψ·Wᴴ = s²·I; s = sqrt(2·dataDwell/noiseDwell·rnb), 1 when a dwell is unknown', () => {
    const C = 8;
    const psi = knownPsi(C, 0.6);
    for (const [opts, s] of [
      [{ noiseDwellUs: 5, dataDwellUs: 5, receiverNoiseBandwidth: 1 }, Math.SQRT2],
      [{ noiseDwellUs: 5, dataDwellUs: 2.5, receiverNoiseBandwidth: 1 }, 1],
      [{ noiseDwellUs: 5, dataDwellUs: 5 }, Math.sqrt(2 * 0.793)],
      [{ noiseDwellUs: 4, dataDwellUs: 10, receiverNoiseBandwidth: 0.5 }, Math.sqrt(2.5)],
      [{ noiseDwellUs: 0, dataDwellUs: 5, receiverNoiseBandwidth: 1 }, 1],
      [{ noiseDwellUs: 5, dataDwellUs: 0, receiverNoiseBandwidth: 1 }, 1],
    ] as const) {
      const W = prewhitener({ psi, channels: C }, opts);
      expect(W.scale).toBeCloseTo(s, 14);
      expect(W.channels).toBe(C);
      const wpw = matMulConjTrans(matMul(W.matrix, psi, C, C, C), W.matrix, C, C, C);
      expect(frobeniusDiff(wpw, scaledIdentity(C, s * s))).toBeLessThan(1e-12);
      for (let i = 0; i < C; i++) for (let j = i + 1; j < C; j++) expect(Math.hypot(W.matrix[2 * (i * C + j)]!, W.matrix[2 * (i * C + j) + 1]!)).toBe(0);
    }
    expect(DEFAULT_RECEIVER_NOISE_BANDWIDTH).toBe(0.793);
    expect(bandwidthScale(5, 5)).toBeCloseTo(Math.sqrt(2 * 0.793), 14);
    expect(errorCode(() => bandwidthScale(-1, 5))).toBe('BAD_ARGUMENT');
    expect(errorCode(() => bandwidthScale(5, 5, 0))).toBe('BAD_ARGUMENT');
  });

  it('takes the noise dwell time from the accumulator', () => {
    const C = 2;
    const acc = NoiseCovariance.fromCovariance(knownPsi(C, 0.2), C, 100, 5);
    expect(prewhitener(acc, { dataDwellUs: 2.5, receiverNoiseBandwidth: 1 }).scale).toBeCloseTo(1, 14);
  });

  it('a dead channel in the noise scan is UNSUPPORTED_DATA naming the channel', () => {
    const C = 5, S = 400;
    const g = new Gauss(3);
    const noise = noiseReadout(choleskyLower(knownPsi(C, 0.3), C), C, S, g);
    noise.fill(0, 2 * 3 * S, 2 * 4 * S); // channel 3 silent
    const acc = new NoiseCovariance(C);
    acc.add(noise, C, S, 5);
    let err: unknown;
    try {
      prewhitener(acc, { dataDwellUs: 5 });
    } catch (e) {
      err = e;
    }
    expect(isUhfError(err, 'UNSUPPORTED_DATA')).toBe(true);
    expect((err as Error).message).toMatch(/noise covariance is not positive definite: channel 3/);
  });
});

describe('whitening correlated noise from a known Ψ', () => {
  const C = 8, S = 512, R = 64; // 32768 samples per channel for the noise scan and for the imaging noise
  const N = S * R;
  // entries of a sample covariance of unit-variance data fluctuate by ~1–2/sqrt(N), and Ψ̂ adds as much: ±6σ
  const tol = 12 / Math.sqrt(N);
  const psi = knownPsi(C, 0.6);
  const L = choleskyLower(psi, C);

  function scan(seed: number, dwellUs: number): NoiseCovariance {
    const g = new Gauss(seed);
    const acc = new NoiseCovariance(C);
    for (let r = 0; r < R; r++) acc.add(noiseReadout(L, C, S, g), C, S, dwellUs);
    return acc;
  }

  it('equal dwell times, rnb = 1: independent noise whitens to E[y·yᴴ] = 2·I, variance 1 per real component', () => {
    const acc = scan(10, 5);
    const W = prewhitener(acc, { dataDwellUs: 5, receiverNoiseBandwidth: 1 });
    const g = new Gauss(11);
    const raw = Array.from({ length: R }, () => noiseReadout(L, C, S, g));
    const rawStats = sampleStats(raw, C, S);
    // the test can fail: unwhitened noise is far from 2·I
    expect(maxAbsDiff(rawStats.cov, scaledIdentity(C, 2))).toBeGreaterThan(10 * tol);
    const white = raw.map((r) => applyPrewhitener(W, r.slice(), C, S));
    const { cov, pseudo, varRe, varIm } = sampleStats(white, C, S);
    expect(maxAbsDiff(cov, scaledIdentity(C, 2))).toBeLessThan(tol);
    expect(maxAbsDiff(pseudo, new Float64Array(pseudo.length))).toBeLessThan(tol);
    for (let c = 0; c < C; c++) {
      expect(Math.abs(varRe[c]! - 1)).toBeLessThan(tol);
      expect(Math.abs(varIm[c]! - 1)).toBeLessThan(tol);
    }
  });

  it('whitening the noise scan itself gives exactly 2·I (float32 rounding only)', () => {
    const g = new Gauss(20);
    const readouts = Array.from({ length: 16 }, () => noiseReadout(L, C, S, g));
    const acc = new NoiseCovariance(C);
    for (const r of readouts) acc.add(r, C, S, 5);
    const W = prewhitener(acc, { dataDwellUs: 5, receiverNoiseBandwidth: 1 });
    const out = readouts.map((r) => applyPrewhitener(W, r, C, S, new Float32Array(r.length)));
    expect(maxAbsDiff(sampleStats(out, C, S).cov, scaledIdentity(C, 2))).toBeLessThan(1e-5);
  });

  it('dwell-time correction: noise scan at 5 µs, imaging noise at 2.5 µs (variance ×2) still whitens to unit variance per component', () => {
    const acc = scan(30, 5);
    const g = new Gauss(31);
    // half the dwell time → twice the bandwidth → twice the noise power
    const imaging = Array.from({ length: R }, () => noiseReadout(L, C, S, g, Math.SQRT2));
    const W = prewhitener(acc, { dataDwellUs: 2.5, receiverNoiseBandwidth: 1 });
    expect(W.scale).toBeCloseTo(1, 14);
    const { cov, varRe, varIm } = sampleStats(imaging.map((r) => applyPrewhitener(W, r.slice(), C, S)), C, S);
    expect(maxAbsDiff(cov, scaledIdentity(C, 2))).toBeLessThan(tol);
    for (let c = 0; c < C; c++) {
      expect(Math.abs(varRe[c]! - 1)).toBeLessThan(tol);
      expect(Math.abs(varIm[c]! - 1)).toBeLessThan(tol);
    }
    // ignoring the dwell times (as if both were 5 µs) would leave variance 2 per component
    const naive = prewhitener(acc, { dataDwellUs: 5, receiverNoiseBandwidth: 1 });
    const wrong = sampleStats(imaging.slice(0, 8).map((r) => applyPrewhitener(naive, r.slice(), C, S)), C, S);
    expect(Math.abs(wrong.varRe[0]! - 2)).toBeLessThan(0.2);
  });

  it('applyPrewhitener works in place by default and checks the channel count', () => {
    const W = prewhitener({ psi, channels: C }, { noiseDwellUs: 5, dataDwellUs: 5 });
    const g = new Gauss(40);
    const x = noiseReadout(L, C, 10, g);
    const keep = x.slice();
    const y = applyPrewhitener(W, keep.slice(), C, 10, new Float32Array(x.length));
    const z = applyPrewhitener(W, x, C, 10);
    expect(z).toBe(x);
    expect(Array.from(z)).toEqual(Array.from(y));
    expect(Array.from(applyPrewhitener(W.matrix, keep.slice(), C, 10))).toEqual(Array.from(y));
    expect(errorCode(() => applyPrewhitener(W, new Float32Array(2 * 4 * 10), 4, 10))).toBe('SHAPE_MISMATCH');
  });
});

describe('agreement with bart whiten', () => {
  let dir = '';
  let cleanup = (): void => {};
  beforeAll(() => {
    bartPath(); // fails loudly without BART
    ({ dir, cleanup } = tempDir('uhf-whiten-bart-'));
  });
  afterAll(() => cleanup());

  it('same whitened data, matrix and covariance up to BART\'s normalisation sqrt(2·N/(N − 1))', () => {
    const C = 6, N = 4000, S = 300;
    const g = new Gauss(50);
    const L = choleskyLower(knownPsi(C, 0.5), C);
    const noise = noiseReadout(L, C, N, g);
    // imaging data: a correlated signal plus noise
    const data = noiseReadout(L, C, S, g);
    for (let i = 0; i < data.length; i++) data[i]! += 3 * Math.sin(0.01 * i * i);
    // BART: [readout, 1, 1, coil] — our [channel][sample] is exactly that column-major order
    writeCfl(join(dir, 'noise'), [N, 1, 1, C], noise);
    writeCfl(join(dir, 'data'), [S, 1, 1, C], data);
    runBart(['whiten', join(dir, 'data'), join(dir, 'noise'), join(dir, 'out'), join(dir, 'optmat'), join(dir, 'covar')]);

    const acc = new NoiseCovariance(C);
    acc.add(noise, C, N, 5);
    const W = prewhitener(acc, { dataDwellUs: 5, receiverNoiseBandwidth: 1 }); // s = √2
    const ours = applyPrewhitener(W, data.slice(), C, S);
    // BART: Ψ_b = Σ n·nᴴ/(N − 1) and no √2 → W_bart = W_ours·sqrt((N − 1)/N)/√2
    const k = Math.sqrt((2 * N) / (N - 1));
    const bOut = readCfl(join(dir, 'out'));
    expect(bOut.dims).toEqual([S, 1, 1, C]);
    expect(relL2(ours, bOut.data.map((x) => x * k))).toBeLessThan(1e-5);
    // optmat (coil, map) column-major = our row-major W[map][coil]
    const bW = readCfl(join(dir, 'optmat'));
    expect(bW.dims).toEqual([1, 1, 1, C, C]);
    expect(relL2(Float32Array.from(W.matrix), bW.data.map((x) => x * k))).toBeLessThan(1e-5);
    // covar (coil i, map j) column-major = Ψ[i][j]·N/(N − 1), i.e. Ψᵀ read row-major
    const bCov = readCfl(join(dir, 'covar'));
    const psi = acc.covariance();
    const psiT = new Float32Array(2 * C * C);
    for (let i = 0; i < C; i++) {
      for (let j = 0; j < C; j++) {
        psiT[2 * (j * C + i)] = (psi[2 * (i * C + j)]! * N) / (N - 1);
        psiT[2 * (j * C + i) + 1] = (psi[2 * (i * C + j) + 1]! * N) / (N - 1);
      }
    }
    expect(relL2(bCov.data, psiT)).toBeLessThan(1e-5);
  });
});
