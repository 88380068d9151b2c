/**
 * applyChannelMatrix (out[k] = Σ_c M[k][c]·in[c] on [channel][sample] data)
 * against the definition evaluated in float64 here: dense, lower-triangular,
 * sparse and rectangular matrices, odd sizes around the 128-sample block, in
 * place, and the argument checks.
 */
import { describe, expect, it } from 'vitest';
import { applyChannelMatrix } from '../../recon/linalg/apply.ts';
import { naiveMatMul } from '../helpers/dense.ts';
import { uhfErrorCode } from '../helpers/errors.ts';
import { rng } from '../helpers/random.ts';

/** out[k] = Σ_c M[k][c]·in[c], the definition in float64: M (K×C) times the [channel][sample] data (C×S). */
function reference(M: ArrayLike<number>, K: number, C: number, x: Float32Array, S: number): Float64Array {
  return naiveMatMul(M, x, K, C, S);
}

/** Every output equals the float64 result rounded once to float32 (≤ 1 ulp, plus cancellation slack). */
function expectClose(got: Float32Array, ref: Float64Array, M: ArrayLike<number>, x: Float32Array): void {
  let mmax = 0, xmax = 0;
  for (let i = 0; i < M.length; i++) mmax = Math.max(mmax, Math.abs(M[i]!));
  for (let i = 0; i < x.length; i++) xmax = Math.max(xmax, Math.abs(x[i]!));
  const floor = 1e-14 * mmax * xmax * M.length;
  for (let i = 0; i < ref.length; i++) {
    const tol = 1.2e-7 * Math.abs(ref[i]!) + floor;
    if (!(Math.abs(got[i]! - ref[i]!) <= tol)) throw new Error(`element ${i}: got ${got[i]}, expected ${ref[i]} (tol ${tol})`);
  }
}

function randomData(n: number, u: () => number): Float32Array {
  return Float32Array.from({ length: n }, () => 2 * u() - 1);
}

describe('applyChannelMatrix', () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1], [3, 3, 7], [8, 8, 300], [4, 16, 129], [5, 7, 128], [16, 16, 1000], [1, 5, 257], [6, 3, 50], [7, 7, 0], [32, 32, 384],
  ];
  for (const [K, C, S] of shapes) {
    it(`dense ${K}×${C} on ${S} samples (float64 M and float32 M)`, () => {
      const u = rng(K * 10000 + C * 100 + S);
      const M = Float64Array.from({ length: 2 * K * C }, () => 2 * u() - 1);
      const x = randomData(2 * C * S, u);
      const ref = reference(M, K, C, x, S);
      const y = applyChannelMatrix(M, K, C, x, S);
      expect(y.length).toBe(2 * K * S);
      expectClose(y, ref, M, x);
      const M32 = Float32Array.from(M);
      expectClose(applyChannelMatrix(M32, K, C, x, S), reference(M32, K, C, x, S), M32, x);
    });
  }

  it('lower-triangular, sparse and zero-row matrices (the skipped column ranges)', () => {
    const u = rng(99);
    for (const [K, C] of [[9, 9], [8, 8], [5, 9]] as const) {
      const S = 200;
      const x = randomData(2 * C * S, u);
      const tri = new Float64Array(2 * K * C);
      for (let k = 0; k < K; k++) for (let c = 0; c <= Math.min(k, C - 1); c++) { tri[2 * (k * C + c)] = 2 * u() - 1; tri[2 * (k * C + c) + 1] = 2 * u() - 1; }
      const sparse = new Float64Array(2 * K * C);
      for (let k = 0; k < K; k++) {
        if (k === 2) continue; // an all-zero row
        const c = (3 * k + 1) % C;
        sparse[2 * (k * C + c)] = 1 + k;
        sparse[2 * (k * C + C - 1)] = -0.5; // a far column: ranges spanning zeros
      }
      for (const M of [tri, sparse]) expectClose(applyChannelMatrix(M, K, C, x, S), reference(M, K, C, x, S), M, x);
      const zero = applyChannelMatrix(sparse, K, C, x, S);
      for (let s = 0; s < 2 * S; s++) expect(zero[2 * 2 * S + s]).toBe(0);
    }
  });

  it('in place: square (whitening) and fewer outputs (compression, result in the first rows)', () => {
    const u = rng(5);
    for (const [K, C, S] of [[6, 6, 300], [3, 8, 131]] as const) {
      const M = Float64Array.from({ length: 2 * K * C }, () => 2 * u() - 1);
      const x = randomData(2 * C * S, u);
      const ref = reference(M, K, C, x, S);
      const buf = x.slice();
      const y = applyChannelMatrix(M, K, C, buf, S, buf);
      expect(y).toBe(buf);
      expectClose(y.subarray(0, 2 * K * S), ref, M, x);
    }
  });

  it('writes into a supplied (longer) output and leaves the rest alone', () => {
    const u = rng(6);
    const M = Float64Array.from({ length: 2 * 2 * 3 }, () => 2 * u() - 1);
    const x = randomData(2 * 3 * 10, u);
    const out = new Float32Array(2 * 2 * 10 + 4).fill(7);
    expect(applyChannelMatrix(M, 2, 3, x, 10, out)).toBe(out);
    expectClose(out.subarray(0, 40), reference(M, 2, 3, x, 10), M, x);
    expect(Array.from(out.subarray(40))).toEqual([7, 7, 7, 7]);
  });

  it('rejects wrong lengths, partial overlap and in-place expansion', () => {
    const M = new Float64Array(2 * 4 * 4);
    const x = new Float32Array(2 * 4 * 8);
    expect(uhfErrorCode(() => applyChannelMatrix(M, 4, 4, x, 7))).toBe('SHAPE_MISMATCH');
    expect(uhfErrorCode(() => applyChannelMatrix(M, 2, 4, x, 8))).toBe('SHAPE_MISMATCH');
    expect(uhfErrorCode(() => applyChannelMatrix(M, 4, 4, x, 8, new Float32Array(10)))).toBe('SHAPE_MISMATCH');
    const big = new Float32Array(2 * 4 * 8 + 2);
    expect(uhfErrorCode(() => applyChannelMatrix(M, 4, 4, big.subarray(0, 64), 8, big.subarray(2)))).toBe('BAD_ARGUMENT');
    const wide = new Float64Array(2 * 8 * 4);
    const same = new Float32Array(2 * 4 * 8);
    expect(uhfErrorCode(() => applyChannelMatrix(wide, 8, 4, same, 8, same))).toBe('BAD_ARGUMENT');
    expect(uhfErrorCode(() => applyChannelMatrix(M, 0, 4, x, 8))).toBe('BAD_ARGUMENT');
  });

  it('is a hot path: a 32×32 matrix on 512 samples runs at ≥ 0.3 GFLOP/s (≈ 20× below a typical core)', () => {
    const u = rng(11);
    const K = 32, C = 32, S = 512;
    const M = Float64Array.from({ length: 2 * K * C }, () => 2 * u() - 1);
    const x = randomData(2 * C * S, u);
    const out = new Float32Array(2 * K * S);
    for (let i = 0; i < 5; i++) applyChannelMatrix(M, K, C, x, S, out);
    const reps = 40;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) applyChannelMatrix(M, K, C, x, S, out);
    const ms = (performance.now() - t0) / reps;
    const gflops = (8 * K * C * S) / (ms * 1e6);
    expect(gflops).toBeGreaterThan(0.3);
  });
});
