/**
 * Dense complex helpers and the channel Gram matrix, against definitions
 * written out element by element here and small analytic cases.
 */
import { describe, expect, it } from 'vitest';
import { conjTranspose, conjTransMatMul, frobeniusDiff, frobeniusNorm, hermitianDefect, identity, matMul, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { accumulateGram } from '../../recon/linalg/gram.ts';
import { isUhfError } from '../../shared/errors.ts';
import { naiveMatMul } from '../helpers/dense.ts';
import { randomComplexMatrix, rng } from '../helpers/random.ts';

describe('dense complex helpers', () => {
  it('analytic: [1, i]·[1, i]ᵀ = 0 and [1, i]·[1, i]ᴴ = 2', () => {
    const row = Float64Array.from([1, 0, 0, 1]);
    const col = Float64Array.from([1, 0, 0, 1]);
    expect(Array.from(matMul(row, col, 1, 2, 1))).toEqual([0, 0]);
    expect(Array.from(matMulConjTrans(row, row, 1, 2, 1))).toEqual([2, 0]);
    expect(Array.from(conjTransMatMul(col, col, 2, 1, 1))).toEqual([2, 0]);
    // conjTranspose of a 1×2 row [1, i] is the 2×1 column [1, −i]
    expect(Array.from(conjTranspose(row, 1, 2), (x) => x + 0)).toEqual([1, 0, 0, -1]); // + 0: −0 → 0
  });

  it('matMul, matMulConjTrans, conjTransMatMul agree with the definition (random, rectangular)', () => {
    for (const [n, k, m] of [[1, 1, 1], [3, 5, 2], [7, 4, 9], [16, 16, 16]] as const) {
      const a = randomComplexMatrix(n, k, n * 100 + k), b = randomComplexMatrix(k, m, m * 7 + 3);
      const ref = naiveMatMul(a, b, n, k, m);
      expect(frobeniusDiff(matMul(a, b, n, k, m), ref)).toBeLessThan(1e-13 * frobeniusNorm(ref));
      const bt = conjTranspose(b, k, m); // m×k
      expect(frobeniusDiff(matMulConjTrans(a, bt, n, k, m), ref)).toBeLessThan(1e-13 * frobeniusNorm(ref));
      const at = conjTranspose(a, n, k); // k×n
      expect(frobeniusDiff(conjTransMatMul(at, b, k, n, m), ref)).toBeLessThan(1e-13 * frobeniusNorm(ref));
    }
  });

  it('A·Aᴴ is Hermitian, A·I = A, and shape errors are reported', () => {
    const a = randomComplexMatrix(6, 4, 5);
    expect(hermitianDefect(matMulConjTrans(a, a, 6, 4, 6), 6)).toBeLessThan(1e-15);
    expect(hermitianDefect(randomComplexMatrix(3, 3, 1), 3)).toBeGreaterThan(0.1);
    expect(frobeniusDiff(matMul(a, identity(4), 6, 4, 4), a)).toBe(0);
    let err: unknown;
    try {
      matMul(a, identity(3), 6, 4, 3);
    } catch (e) {
      err = e;
    }
    expect(isUhfError(err, 'SHAPE_MISMATCH')).toBe(true);
  });
});

describe('accumulateGram', () => {
  it('equals Σ_s x_i·conj(x_j) over several calls, Hermitian, for odd sizes and blocks', () => {
    for (const [C, S] of [[1, 3], [2, 1], [5, 257], [8, 600], [3, 0]] as const) {
      const u = rng(C * 1000 + S);
      const acc = new Float64Array(2 * C * C);
      const ref = new Float64Array(2 * C * C);
      for (let call = 0; call < 3; call++) {
        const x = Float32Array.from({ length: 2 * C * S }, () => 2 * u() - 1);
        accumulateGram(acc, x, C, S);
        for (let i = 0; i < C; i++) {
          for (let j = 0; j < C; j++) {
            for (let s = 0; s < S; s++) {
              const ar = x[2 * (i * S + s)]!, ai = x[2 * (i * S + s) + 1]!, br = x[2 * (j * S + s)]!, bi = x[2 * (j * S + s) + 1]!;
              ref[2 * (i * C + j)]! += ar * br + ai * bi;
              ref[2 * (i * C + j) + 1]! += ai * br - ar * bi;
            }
          }
        }
      }
      expect(frobeniusDiff(acc, ref)).toBeLessThanOrEqual(1e-12 * Math.max(1, frobeniusNorm(ref)));
      expect(hermitianDefect(acc, C)).toBe(0);
    }
  });

  it('rejects mismatched lengths', () => {
    expect(() => accumulateGram(new Float64Array(8), new Float32Array(10), 2, 3)).toThrow(/expected 2×3/);
    expect(() => accumulateGram(new Float64Array(6), new Float32Array(12), 2, 3)).toThrow(/accumulator/);
  });
});
