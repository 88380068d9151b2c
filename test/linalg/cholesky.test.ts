/**
 * Complex Cholesky and lower-triangular inverse against hand-computed factors
 * and random Hermitian positive-definite matrices (A = L·Lᴴ, L·L⁻¹ = I).
 */
import { describe, expect, it } from 'vitest';
import { choleskyLower, invertLowerTriangular } from '../../recon/linalg/cholesky.ts';
import { frobeniusDiff, frobeniusNorm, identity, matMul, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { isUhfError } from '../../shared/errors.ts';
import { randomComplexMatrix, rng } from '../helpers/random.ts';

/** B·Bᴴ + shift·I with B random n×n: Hermitian positive definite. */
function randomHpd(n: number, seed: number, shift = 0.1): Float64Array {
  const b = randomComplexMatrix(n, n, seed);
  const a = matMulConjTrans(b, b, n, n, n);
  for (let i = 0; i < n; i++) a[2 * (i * n + i)]! += shift;
  return a;
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

const C = (re: number, im: number): [number, number] => [re, im];

describe('choleskyLower', () => {
  it('2×2 analytic: [[4, 2+2i], [2−2i, 6]] = L·Lᴴ with L = [[2, 0], [1−i, 2]]', () => {
    const a = Float64Array.from([...C(4, 0), ...C(2, 2), ...C(2, -2), ...C(6, 0)]);
    const L = choleskyLower(a, 2);
    expect(Array.from(L, (x) => x + 0)).toEqual([2, 0, 0, 0, 1, -1, 2, 0]);
  });

  it('3×3 analytic: [[4, 2i, 0], [−2i, 5, 3], [0, 3, 10]]', () => {
    const a = Float64Array.from([...C(4, 0), ...C(0, 2), ...C(0, 0), ...C(0, -2), ...C(5, 0), ...C(3, 0), ...C(0, 0), ...C(3, 0), ...C(10, 0)]);
    const L = choleskyLower(a, 3);
    const expected = [...C(2, 0), ...C(0, 0), ...C(0, 0), ...C(0, -1), ...C(2, 0), ...C(0, 0), ...C(0, 0), ...C(1.5, 0), ...C(Math.sqrt(7.75), 0)];
    expect(frobeniusDiff(L, expected)).toBeLessThan(1e-15);
  });

  it('random HPD matrices: A = L·Lᴴ to 1e-10, L lower triangular with a real positive diagonal', () => {
    for (const n of [1, 2, 3, 8, 17, 32, 64]) {
      const a = randomHpd(n, 1000 + n);
      const L = choleskyLower(a, n);
      const rec = matMulConjTrans(L, L, n, n, n);
      expect(frobeniusDiff(rec, a) / frobeniusNorm(a)).toBeLessThan(1e-10);
      for (let i = 0; i < n; i++) {
        expect(L[2 * (i * n + i)]!).toBeGreaterThan(0);
        expect(L[2 * (i * n + i) + 1]!).toBe(0);
        for (let j = i + 1; j < n; j++) {
          expect(L[2 * (i * n + j)]).toBe(0);
          expect(L[2 * (i * n + j) + 1]).toBe(0);
        }
      }
    }
  });

  it('a dead channel (zero row and column) is UNSUPPORTED_DATA naming the channel', () => {
    const n = 5;
    const a = randomHpd(n, 7);
    for (let k = 0; k < n; k++) {
      a[2 * (2 * n + k)] = 0; a[2 * (2 * n + k) + 1] = 0;
      a[2 * (k * n + 2)] = 0; a[2 * (k * n + 2) + 1] = 0;
    }
    const e = thrown(() => choleskyLower(a, n, { what: 'noise covariance' }));
    expect(isUhfError(e, 'UNSUPPORTED_DATA')).toBe(true);
    expect(String((e as Error).message)).toMatch(/noise covariance is not positive definite: channel 2 .*dead channel/);
  });

  it('a duplicated channel (rank deficient) and an indefinite matrix are UNSUPPORTED_DATA', () => {
    // channel 3 = channel 1: rows/columns 1 and 3 equal
    const n = 4;
    const u = rng(3);
    const b = Float64Array.from({ length: 2 * n * 6 }, () => 2 * u() - 1);
    for (let s = 0; s < 6; s++) {
      b[2 * (3 * 6 + s)] = b[2 * (1 * 6 + s)]!;
      b[2 * (3 * 6 + s) + 1] = b[2 * (1 * 6 + s) + 1]!;
    }
    const a = matMulConjTrans(b, b, n, 6, n);
    const e = thrown(() => choleskyLower(a, n));
    expect(isUhfError(e, 'UNSUPPORTED_DATA')).toBe(true);
    expect(String((e as Error).message)).toMatch(/channel 3 is a linear combination/);
    const indefinite = Float64Array.from([...C(1, 0), ...C(2, 0), ...C(2, 0), ...C(1, 0)]);
    expect(isUhfError(thrown(() => choleskyLower(indefinite, 2)), 'UNSUPPORTED_DATA')).toBe(true);
    expect(isUhfError(thrown(() => choleskyLower(Float64Array.from([NaN, 0]), 1)), 'BAD_ARGUMENT')).toBe(true);
  });
});

describe('invertLowerTriangular', () => {
  it('2×2 analytic: [[a, 0], [c, d]]⁻¹ = [[1/a, 0], [−c/(a·d), 1/d]] (complex diagonal)', () => {
    // a = 1+i, c = 2, d = 2i:  1/a = (1−i)/2, 1/d = −i/2, −c/(a·d) = −2/(−2+2i) = (1+i)/2
    const L = Float64Array.from([...C(1, 1), ...C(0, 0), ...C(2, 0), ...C(0, 2)]);
    const X = invertLowerTriangular(L, 2);
    expect(frobeniusDiff(X, [0.5, -0.5, 0, 0, 0.5, 0.5, 0, -0.5])).toBeLessThan(1e-15);
  });

  it('random Cholesky factors and complex lower-triangular matrices: L·X = X·L = I to 1e-10, X lower triangular', () => {
    for (const n of [1, 2, 5, 16, 48]) {
      const factor = choleskyLower(randomHpd(n, 50 + n), n);
      const u = rng(n);
      const general = new Float64Array(2 * n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j <= i; j++) {
          general[2 * (i * n + j)] = 2 * u() - 1 + (i === j ? 3 : 0);
          general[2 * (i * n + j) + 1] = 2 * u() - 1;
        }
      }
      for (const L of [factor, general]) {
        const X = invertLowerTriangular(L, n);
        const I = identity(n);
        expect(frobeniusDiff(matMul(L, X, n, n, n), I) / Math.sqrt(n)).toBeLessThan(1e-10);
        expect(frobeniusDiff(matMul(X, L, n, n, n), I) / Math.sqrt(n)).toBeLessThan(1e-10);
        for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(Math.hypot(X[2 * (i * n + j)]!, X[2 * (i * n + j) + 1]!)).toBe(0);
      }
    }
  });

  it('ignores the upper triangle and rejects a zero diagonal', () => {
    const L = Float64Array.from([...C(2, 0), ...C(9, 9), ...C(1, 0), ...C(4, 0)]);
    const X = invertLowerTriangular(L, 2);
    expect(frobeniusDiff(X, [0.5, 0, 0, 0, -0.125, 0, 0.25, 0])).toBeLessThan(1e-15);
    const singular = Float64Array.from([...C(2, 0), ...C(0, 0), ...C(1, 0), ...C(0, 0)]);
    expect(isUhfError(thrown(() => invertLowerTriangular(singular, 2)), 'UNSUPPORTED_DATA')).toBe(true);
  });
});
