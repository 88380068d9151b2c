/**
 * The WebAssembly SIMD Cholesky factorisation and solve (cholesky-wasm.ts,
 * cholesky-solve-wasm.ts) against the JS loops: the same factor and solution
 * up to rounding (relative difference ≤ 1e-10) for odd and even sizes and
 * right-hand-side counts around the kernels' tile sizes, the same errors
 * (code and message) for dead, duplicated and non-finite channels, and the
 * input kinds choleskyLower accepts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { choleskyLower, setCholeskyBackend, type CholeskyBackend } from '../../recon/linalg/cholesky.ts';
import { solveCholesky } from '../../recon/linalg/cholesky-solve.ts';
import { choleskyKernel } from '../../recon/linalg/cholesky-wasm.ts';
import { choleskySolveKernel } from '../../recon/linalg/cholesky-solve-wasm.ts';
import { frobeniusDiff, frobeniusNorm, matMul, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { isUhfError } from '../../shared/errors.ts';
import { randomComplexMatrix } from '../helpers/random.ts';

/** B·Bᴴ + shift·I with B random n×(n + 3): Hermitian positive definite. */
function randomHpd(n: number, seed: number, shift = 0.1): Float64Array {
  const b = randomComplexMatrix(n, n + 3, seed);
  const a = matMulConjTrans(b, b, n, n + 3, n);
  for (let i = 0; i < n; i++) a[2 * (i * n + i)]! += shift;
  return a;
}

function using<T>(b: CholeskyBackend, f: () => T): T {
  const prev = setCholeskyBackend(b);
  try {
    return f();
  } finally {
    setCholeskyBackend(prev);
  }
}

function relDiff(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return den > 0 ? num / den : num;
}

/** The error `f` throws (code and message), for comparing the two paths. */
function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (!isUhfError(e)) throw e;
    return `${e.code}: ${e.message}`;
  }
  throw new Error('expected an error');
}

describe('choleskyLower: wasm kernel vs JS', () => {
  afterEach(() => { setCholeskyBackend('auto'); });

  it('has a wasm kernel here (Node has WebAssembly SIMD)', () => {
    expect(choleskyKernel()).not.toBeNull();
    expect(choleskySolveKernel()).not.toBeNull();
  });

  it('the kernel itself succeeds on an HPD matrix and reports the first failing pivot (no silent JS fallback)', () => {
    const k = choleskyKernel()!;
    const n = 24;
    const load = (a: Float64Array): number => {
      k.ensure(16 * n * n + 8 * n);
      new Float64Array(k.memory.buffer).set(a);
      return k.factor(n, 0, 16 * n * n, 1e-12 * 100, 4);
    };
    const a = randomHpd(n, 9);
    expect(load(a)).toBe(-1);
    const L = new Float64Array(k.memory.buffer, 0, 2 * n * n).slice();
    const ref = using('js', () => choleskyLower(a, n));
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { L[2 * (i * n + j)] = 0; L[2 * (i * n + j) + 1] = 0; }
    expect(relDiff(L, ref)).toBeLessThanOrEqual(1e-10);
    a[2 * (13 * n + 13)] = 0;
    for (let j = 0; j < 13; j++) { a[2 * (13 * n + j)] = 0; a[2 * (13 * n + j) + 1] = 0; }
    expect(load(a)).toBe(13);
  });

  for (const n of [1, 2, 3, 4, 15, 16, 17, 33, 64, 101]) {
    it(`n = ${n}: same factor to 1e-10, A = L·Lᴴ, lower triangular with a real diagonal`, () => {
      const a = randomHpd(n, 400 + n);
      const js = using('js', () => choleskyLower(a, n));
      const wasm = using('wasm', () => choleskyLower(a, n));
      expect(relDiff(wasm, js)).toBeLessThanOrEqual(1e-10);
      expect(frobeniusDiff(matMulConjTrans(wasm, wasm, n, n, n), a) / frobeniusNorm(a)).toBeLessThan(1e-12);
      for (let i = 0; i < n; i++) {
        expect(wasm[2 * (i * n + i)]!).toBeGreaterThan(0);
        expect(wasm[2 * (i * n + i) + 1]).toBe(0);
        for (let j = i + 1; j < n; j++) expect(wasm[2 * (i * n + j)] === 0 && wasm[2 * (i * n + j) + 1] === 0).toBe(true);
      }
    });
  }

  it('reads only the lower triangle; accepts Float32Array and plain arrays', () => {
    const n = 37;
    const a = randomHpd(n, 5);
    const js = using('js', () => choleskyLower(a, n));
    const junk = a.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) { junk[2 * (i * n + j)] = NaN; junk[2 * (i * n + j) + 1] = 1e300; }
    junk[1] = 7; // imaginary part of the diagonal
    expect(relDiff(using('wasm', () => choleskyLower(junk, n)), js)).toBeLessThanOrEqual(1e-10);
    const a32 = Float32Array.from(a);
    expect(relDiff(using('wasm', () => choleskyLower(a32, n)), using('js', () => choleskyLower(a32, n)))).toBeLessThanOrEqual(1e-10);
    expect(relDiff(using('wasm', () => choleskyLower(Array.from(a), n)), js)).toBeLessThanOrEqual(1e-10);
  });

  it('the same errors: dead channel, duplicated channel, non-finite entries, indefinite', () => {
    const n = 40;
    const dead = randomHpd(n, 11);
    for (let k = 0; k < n; k++) {
      dead[2 * (23 * n + k)] = 0; dead[2 * (23 * n + k) + 1] = 0;
      dead[2 * (k * n + 23)] = 0; dead[2 * (k * n + 23) + 1] = 0;
    }
    // channel 30 = channel 9
    const b = randomComplexMatrix(n, n + 3, 12);
    b.copyWithin(2 * 30 * (n + 3), 2 * 9 * (n + 3), 2 * 10 * (n + 3));
    const dup = matMulConjTrans(b, b, n, n + 3, n);
    const nan = randomHpd(n, 13);
    nan[2 * (31 * n + 4)] = NaN;
    const inf = randomHpd(n, 14);
    inf[2 * (20 * n + 19) + 1] = Infinity;
    const badDiag = randomHpd(n, 15);
    badDiag[2 * (6 * n + 6)] = Infinity;
    const indefinite = randomHpd(n, 16);
    indefinite[2 * (n * n - 1)] = -1;
    const cases: [string, Float64Array, RegExp][] = [
      ['dead', dead, /channel 23 has no signal/],
      ['duplicate', dup, /channel 30 is a linear combination/],
      ['NaN', nan, /BAD_ARGUMENT: GRAPPA test: non-finite entry in row 31/],
      ['Infinity', inf, /BAD_ARGUMENT: GRAPPA test: non-finite entry in row 20/],
      ['non-finite diagonal', badDiag, /BAD_ARGUMENT: GRAPPA test: diagonal entry 6 is Infinity/],
      ['indefinite', indefinite, /UNSUPPORTED_DATA: .*channel 39/],
    ];
    for (const [, a, pattern] of cases) {
      const opts = { what: 'GRAPPA test', relativeTolerance: 1e-14 };
      const js = using('js', () => failure(() => choleskyLower(a, n, opts)));
      const wasm = using('wasm', () => failure(() => choleskyLower(a, n, opts)));
      expect(wasm).toBe(js);
      expect(wasm).toMatch(pattern);
    }
  });

  it('the odd-size padding never fails where the matrix does not (relative tolerance near 1)', () => {
    const n = 33;
    const a = randomHpd(n, 21);
    for (let i = 0; i < n; i++) a[2 * (i * n + i)] = 1e6; // strongly diagonal: every pivot ≈ the largest diagonal
    const opts = { relativeTolerance: 0.5 };
    expect(relDiff(using('wasm', () => choleskyLower(a, n, opts)), using('js', () => choleskyLower(a, n, opts)))).toBeLessThanOrEqual(1e-10);
  });
});

describe('solveCholesky: wasm kernel vs JS', () => {
  afterEach(() => { setCholeskyBackend('auto'); });

  for (const [n, m] of [[1, 1], [2, 3], [3, 4], [5, 5], [16, 8], [33, 1], [33, 7], [64, 64], [101, 13]] as const) {
    it(`n = ${n}, ${m} right-hand sides: same solution to 1e-10, (L·Lᴴ)·X = B`, () => {
      const a = randomHpd(n, 700 + n);
      const L = using('js', () => choleskyLower(a, n));
      const b = randomComplexMatrix(n, m, 800 + m);
      const js = b.slice(), wasm = b.slice();
      using('js', () => solveCholesky(L, n, js, m));
      using('wasm', () => solveCholesky(L, n, wasm, m));
      expect(relDiff(wasm, js)).toBeLessThanOrEqual(1e-10);
      expect(frobeniusDiff(matMul(a, wasm, n, n, m), b) / frobeniusNorm(b)).toBeLessThan(1e-10);
    });
  }

  it('does not read the upper triangle of L', () => {
    const n = 34, m = 6;
    const L = choleskyLower(randomHpd(n, 3), n);
    const junk = L.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) junk[2 * (i * n + j)] = NaN;
    const b = randomComplexMatrix(n, m, 4);
    const ref = b.slice(), x = b.slice();
    using('js', () => solveCholesky(L, n, ref, m));
    using('wasm', () => solveCholesky(junk, n, x, m));
    expect(relDiff(x, ref)).toBeLessThanOrEqual(1e-10);
  });

  it('rejects inconsistent sizes', () => {
    const L = choleskyLower(randomHpd(4, 1), 4);
    expect(failure(() => solveCholesky(L, 4, new Float64Array(2 * 4 * 3 - 2), 3))).toMatch(/^SHAPE_MISMATCH/);
    expect(failure(() => solveCholesky(L, 5, new Float64Array(2 * 5 * 3), 3))).toMatch(/^SHAPE_MISMATCH/);
  });
});
