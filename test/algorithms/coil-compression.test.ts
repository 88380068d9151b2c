/**
 * SVD coil compression: rank-4 data in 16 channels compresses losslessly to 4
 * virtual coils; the energy spectrum (singular values) equals `bart svd` of the
 * same [sample × channel] matrix; the compressed channels equal `bart cc -S -A`
 * output and the eigen-channels `bart cc -S -A -M`, up to one unit phase per
 * virtual coil (eigenvectors are defined up to a phase).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  calibrationCovariance,
  chooseVirtualCoils,
  coilCompression,
  coilCompressionFromCovariance,
  compressCoils,
} from '../../recon/algorithms/coil-compression.ts';
import { frobeniusDiff, identity, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { isUhfError } from '../../shared/errors.ts';
import { bartPath, readCfl, relL2, runBart, tempDir, writeCfl } from '../helpers/cfl.ts';
import { uhfErrorCode } from '../helpers/errors.ts';
import { rng } from '../helpers/random.ts';

/**
 * [channel][sample] data X = A·Z: A random C×rank coil mixing, Z rank sources
 * with amplitudes 4, 3, 2, 1, ... (distinct singular values), plus optional
 * white noise of the given amplitude (full rank).
 */
function lowRankData(C: number, rank: number, S: number, seed: number, noise = 0): Float32Array {
  const u = rng(seed);
  const A = Float64Array.from({ length: 2 * C * rank }, () => 2 * u() - 1);
  const Z = new Float64Array(2 * rank * S);
  for (let r = 0; r < rank; r++) for (let s = 0; s < 2 * S; s++) Z[2 * r * S + s] = (rank - r) * (2 * u() - 1);
  const X = new Float32Array(2 * C * S);
  for (let c = 0; c < C; c++) {
    for (let s = 0; s < S; s++) {
      let re = 0, im = 0;
      for (let r = 0; r < rank; r++) {
        const ar = A[2 * (c * rank + r)]!, ai = A[2 * (c * rank + r) + 1]!, zr = Z[2 * (r * S + s)]!, zi = Z[2 * (r * S + s) + 1]!;
        re += ar * zr - ai * zi;
        im += ar * zi + ai * zr;
      }
      X[2 * (c * S + s)] = re + noise * (2 * u() - 1);
      X[2 * (c * S + s) + 1] = im + noise * (2 * u() - 1);
    }
  }
  return X;
}

/** |⟨a_k, b_k⟩| / (‖a_k‖·‖b_k‖) for row k of two [row][sample] arrays: 1 when equal up to a phase. */
function rowCoherence(a: Float32Array, b: Float32Array, k: number, S: number): { coherence: number; energyA: number; energyB: number } {
  let re = 0, im = 0, ea = 0, eb = 0;
  for (let s = 0; s < S; s++) {
    const xr = a[2 * (k * S + s)]!, xi = a[2 * (k * S + s) + 1]!, yr = b[2 * (k * S + s)]!, yi = b[2 * (k * S + s) + 1]!;
    re += xr * yr + xi * yi;
    im += xi * yr - xr * yi;
    ea += xr * xr + xi * xi;
    eb += yr * yr + yi * yi;
  }
  return { coherence: Math.hypot(re, im) / Math.sqrt(ea * eb), energyA: ea, energyB: eb };
}

describe('chooseVirtualCoils', () => {
  it('fewest leading eigenvalues reaching the energy fraction', () => {
    expect(chooseVirtualCoils([4, 3, 2, 1], 0.4)).toBe(1);
    expect(chooseVirtualCoils([4, 3, 2, 1], 0.7)).toBe(2); // exactly 7/10
    expect(chooseVirtualCoils([4, 3, 2, 1], 0.71)).toBe(3);
    expect(chooseVirtualCoils([4, 3, 2, 1], 1)).toBe(4);
    expect(chooseVirtualCoils([1, 4, 2, 3], 0.7)).toBe(2); // sorted first
    expect(chooseVirtualCoils([5, 1e-20, -1e-15], 1)).toBe(1); // rounding ignored, negatives count as 0
    expect(chooseVirtualCoils([0, 0], 0.5)).toBe(1);
    for (const f of [0, -0.1, 1.5, NaN]) {
      let err: unknown;
      try {
        chooseVirtualCoils([1, 2], f);
      } catch (e) {
        err = e;
      }
      expect(isUhfError(err, 'BAD_ARGUMENT')).toBe(true);
    }
  });
});

describe('coilCompression', () => {
  it('rank-4 data in 16 channels: 4 virtual coils keep > 99.999 % of the energy and reconstruct the data', () => {
    const C = 16, S = 2000;
    const X = lowRankData(C, 4, S, 1);
    const cc = coilCompression(X, C, S, { energyFraction: 0.99999 });
    expect(cc.virtualCoils).toBe(4);
    expect(cc.channels).toBe(C);
    expect(cc.energyFraction).toBeGreaterThan(0.99999);
    expect(cc.eigenvalues[4]! / cc.eigenvalues[0]!).toBeLessThan(1e-10);
    // orthonormal rows: A·Aᴴ = I
    expect(frobeniusDiff(matMulConjTrans(cc.matrix, cc.matrix, 4, C, 4), identity(4))).toBeLessThan(1e-12);
    const y = compressCoils(cc, X, S);
    expect(y.length).toBe(2 * 4 * S);
    // virtual coil k carries σ_k² of the energy
    for (let k = 0; k < 4; k++) {
      const { energyA } = rowCoherence(y, y, k, S);
      expect(Math.abs(energyA - cc.singularValues[k]! ** 2) / cc.singularValues[0]! ** 2).toBeLessThan(1e-6);
    }
    // Aᴴ·y reproduces X
    const back = new Float32Array(X.length);
    for (let c = 0; c < C; c++) {
      for (let s = 0; s < S; s++) {
        let re = 0, im = 0;
        for (let k = 0; k < 4; k++) {
          const ar = cc.matrix[2 * (k * C + c)]!, ai = -cc.matrix[2 * (k * C + c) + 1]!, yr = y[2 * (k * S + s)]!, yi = y[2 * (k * S + s) + 1]!;
          re += ar * yr - ai * yi;
          im += ar * yi + ai * yr;
        }
        back[2 * (c * S + s)] = re;
        back[2 * (c * S + s) + 1] = im;
      }
    }
    expect(relL2(back, X)).toBeLessThan(1e-5);
    // and 3 virtual coils cannot: the test can fail
    const three = coilCompression(X, C, S, { virtualCoils: 3 });
    expect(three.energyFraction).toBeLessThan(0.99);
  });

  it('options: virtualCoils, energyFraction, default keeps all; covariance route; bad input', () => {
    const C = 6, S = 300;
    const X = lowRankData(C, 6, S, 2, 0.01);
    expect(coilCompression(X, C, S).virtualCoils).toBe(6);
    expect(coilCompression(X, C, S, { virtualCoils: 2, energyFraction: 1 }).virtualCoils).toBe(2);
    const byFraction = coilCompression(X, C, S, { energyFraction: 0.9 });
    expect(byFraction.virtualCoils).toBe(chooseVirtualCoils(byFraction.eigenvalues, 0.9));
    const viaCov = coilCompressionFromCovariance(calibrationCovariance(X, C, S), C, { virtualCoils: 3 }, S);
    const direct = coilCompression(X, C, S, { virtualCoils: 3 });
    expect(frobeniusDiff(viaCov.matrix, direct.matrix)).toBe(0);
    expect(frobeniusDiff(viaCov.singularValues, direct.singularValues)).toBe(0);
    expect(uhfErrorCode(() => coilCompression(X, C, S, { virtualCoils: 7 }))).toBe('BAD_ARGUMENT');
    expect(uhfErrorCode(() => coilCompression(new Float32Array(2 * C * S), C, S))).toBe('UNSUPPORTED_DATA');
    expect(uhfErrorCode(() => coilCompression(X, C, S + 1))).toBe('SHAPE_MISMATCH');
  });
});

describe('agreement with BART (bart svd, bart cc -S -A)', () => {
  let dir = '';
  let cleanup = (): void => {};
  beforeAll(() => {
    bartPath();
    ({ dir, cleanup } = tempDir('uhf-cc-bart-'));
  });
  afterAll(() => cleanup());

  it('singular values equal bart svd of the [sample × channel] matrix (rank 4 + noise, and exact rank 4)', () => {
    const C = 16, S = 1500;
    for (const [name, X] of [['noisy', lowRankData(C, 4, S, 3, 0.05)], ['rank4', lowRankData(C, 4, S, 4)]] as const) {
      writeCfl(join(dir, name), [S, C], X); // column-major [S, C]: column c = channel c
      runBart(['svd', '-e', join(dir, name), join(dir, `${name}_U`), join(dir, `${name}_S`), join(dir, `${name}_VH`)]);
      const bS = readCfl(join(dir, `${name}_S`));
      expect(bS.dims).toEqual([C]);
      const cc = coilCompression(X, C, S);
      const s0 = cc.singularValues[0]!;
      for (let k = 0; k < C; k++) {
        expect(Math.abs(bS.data[2 * k + 1]!)).toBe(0);
        // float32 SVD in BART: agreement to ~1e-6 of the largest singular value
        expect(Math.abs(cc.singularValues[k]! - bS.data[2 * k]!) / s0).toBeLessThan(1e-5);
      }
      if (name === 'noisy') {
        // the noise floor is resolved, not just the signal: σ_4.. are ~1e-2 of σ_0
        for (let k = 4; k < C; k++) expect(Math.abs(cc.singularValues[k]! - bS.data[2 * k]!) / bS.data[2 * k]!).toBeLessThan(1e-3);
      }
    }
  });

  it('compressed channels match bart cc -S -A -p 6 and eigen-channels match -M, up to a phase per virtual coil', () => {
    const C = 16, S = 1000, K = 6;
    const X = lowRankData(C, 5, S, 5, 0.05);
    writeCfl(join(dir, 'ks'), [S, 1, 1, C], X);
    runBart(['cc', '-S', '-A', '-p', String(K), join(dir, 'ks'), join(dir, 'ccd')]);
    runBart(['cc', '-S', '-A', '-M', join(dir, 'ks'), join(dir, 'ccm')]);
    const cc = coilCompression(X, C, S, { virtualCoils: K });
    const ours = compressCoils(cc, X, S);
    const bData = readCfl(join(dir, 'ccd'));
    expect(bData.dims).toEqual([S, 1, 1, K]);
    for (let k = 0; k < K; k++) {
      const { coherence, energyA, energyB } = rowCoherence(ours, bData.data, k, S);
      // k = 5 is a noise eigen-channel: its energy is defined, but its direction is
      // ill-conditioned (neighbouring noise eigenvalues are close) in BART's float32
      if (k < 5) expect(coherence).toBeGreaterThan(1 - 1e-5);
      expect(Math.abs(energyA - energyB) / energyB).toBeLessThan(1e-4);
    }
    // -M: C×C matrix, (coil c, map k) column-major = eigenvector k (ours: column k of eigenvectors)
    const bM = readCfl(join(dir, 'ccm'));
    expect(bM.dims).toEqual([1, 1, 1, C, C]);
    for (let k = 0; k < 5; k++) {
      let re = 0, im = 0;
      for (let c = 0; c < C; c++) {
        const ar = cc.eigenvectors[2 * (c * C + k)]!, ai = cc.eigenvectors[2 * (c * C + k) + 1]!, br = bM.data[2 * (c + C * k)]!, bi = bM.data[2 * (c + C * k) + 1]!;
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      expect(Math.abs(Math.hypot(re, im) - 1)).toBeLessThan(1e-5);
    }
  });
});
