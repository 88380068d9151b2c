/**
 * Hermitian eigendecomposition (cyclic complex Jacobi) against closed forms,
 * matrices built from a known spectrum, random Hermitian matrices
 * (A = V·Λ·Vᴴ, Vᴴ·V = I to 1e-10) and numpy.linalg.eigvalsh.
 */
import { describe, expect, it } from 'vitest';
import { hermitianEigen } from '../../recon/linalg/eigen.ts';
import { conjTransMatMul, frobeniusDiff, frobeniusNorm, identity, matMul, matMulConjTrans } from '../../recon/linalg/dense.ts';
import { runPythonJson } from '../helpers/python.ts';
import { randomComplexMatrix } from '../helpers/random.ts';

function randomHermitian(n: number, seed: number): Float64Array {
  const b = randomComplexMatrix(n, n, seed);
  const a = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      a[2 * (i * n + j)] = 0.5 * (b[2 * (i * n + j)]! + b[2 * (j * n + i)]!);
      a[2 * (i * n + j) + 1] = 0.5 * (b[2 * (i * n + j) + 1]! - b[2 * (j * n + i) + 1]!);
    }
  }
  return a;
}

/** Random unitary n×n (modified Gram–Schmidt on the columns of a random matrix). */
function randomUnitary(n: number, seed: number): Float64Array {
  const q = randomComplexMatrix(n, n, seed);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < k; j++) {
      let re = 0, im = 0; // <q_j, q_k> = Σ conj(q_j)·q_k
      for (let i = 0; i < n; i++) {
        const ar = q[2 * (i * n + j)]!, ai = q[2 * (i * n + j) + 1]!, br = q[2 * (i * n + k)]!, bi = q[2 * (i * n + k) + 1]!;
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
      }
      for (let i = 0; i < n; i++) {
        const ar = q[2 * (i * n + j)]!, ai = q[2 * (i * n + j) + 1]!;
        q[2 * (i * n + k)]! -= re * ar - im * ai;
        q[2 * (i * n + k) + 1]! -= re * ai + im * ar;
      }
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[2 * (i * n + k)]! ** 2 + q[2 * (i * n + k) + 1]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) {
      q[2 * (i * n + k)]! /= norm;
      q[2 * (i * n + k) + 1]! /= norm;
    }
  }
  return q;
}

/** U·diag(λ)·Uᴴ. */
function fromSpectrum(u: Float64Array, lambda: readonly number[]): Float64Array {
  const n = lambda.length;
  const ul = new Float64Array(u);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      ul[2 * (i * n + k)]! *= lambda[k]!;
      ul[2 * (i * n + k) + 1]! *= lambda[k]!;
    }
  }
  return matMulConjTrans(ul, u, n, n, n);
}

/** ‖A − V·Λ·Vᴴ‖/‖A‖, ‖Vᴴ·V − I‖ and the checks every decomposition must pass. */
function checkDecomposition(a: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const { values, vectors } = hermitianEigen(a, n);
  for (let k = 1; k < n; k++) expect(values[k]!).toBeLessThanOrEqual(values[k - 1]!);
  const rec = fromSpectrum(vectors, Array.from(values));
  expect(frobeniusDiff(rec, a) / Math.max(frobeniusNorm(a), 1e-300)).toBeLessThan(1e-10);
  expect(frobeniusDiff(conjTransMatMul(vectors, vectors, n, n, n), identity(n))).toBeLessThan(1e-10);
  // A·v_k = λ_k·v_k column by column
  const av = matMul(a, vectors, n, n, n);
  for (let k = 0; k < n; k++) {
    let err = 0;
    for (let i = 0; i < n; i++) {
      err += (av[2 * (i * n + k)]! - values[k]! * vectors[2 * (i * n + k)]!) ** 2 + (av[2 * (i * n + k) + 1]! - values[k]! * vectors[2 * (i * n + k) + 1]!) ** 2;
    }
    expect(Math.sqrt(err)).toBeLessThan(1e-10 * Math.max(1, frobeniusNorm(a)));
  }
  // phase convention: the largest-magnitude component of each eigenvector is real and positive
  for (let k = 0; k < n; k++) {
    let best = -1, bi = 0;
    for (let i = 0; i < n; i++) {
      const m = Math.hypot(vectors[2 * (i * n + k)]!, vectors[2 * (i * n + k) + 1]!);
      if (m > best * (1 + 1e-9)) { best = m; bi = i; }
    }
    expect(vectors[2 * (bi * n + k) + 1]).toBe(0);
    expect(vectors[2 * (bi * n + k)]!).toBeGreaterThan(0);
  }
  return { values, vectors };
}

describe('hermitianEigen', () => {
  it('2×2 closed form: [[3, 1+2i], [1−2i, 1]] has eigenvalues 2 ± √6', () => {
    const a = Float64Array.from([3, 0, 1, 2, 1, -2, 1, 0]);
    const { values } = checkDecomposition(a, 2);
    expect(Math.abs(values[0]! - (2 + Math.sqrt(6)))).toBeLessThan(1e-14);
    expect(Math.abs(values[1]! - (2 - Math.sqrt(6)))).toBeLessThan(1e-14);
  });

  it('diagonal input: eigenvalues sorted descending, eigenvectors the permuted unit vectors', () => {
    const lambda = [1, -4, 7, 0, 2.5];
    const n = lambda.length;
    const a = new Float64Array(2 * n * n);
    lambda.forEach((l, i) => { a[2 * (i * n + i)] = l; });
    const { values, vectors } = checkDecomposition(a, n);
    expect(Array.from(values)).toEqual([7, 2.5, 1, 0, -4]);
    const expectedRow = [2, 4, 0, 3, 1]; // column k is the unit vector e_{expectedRow[k]}
    for (let k = 0; k < n; k++) expect(vectors[2 * (expectedRow[k]! * n + k)]).toBe(1);
  });

  it('known spectra (repeated, zero and negative eigenvalues) are recovered to 1e-12 of the largest', () => {
    const spectra = [
      [10, 5, 5, 5, 1, 0, 0, -3],
      [1, 1, 1, 1, 1, 1],
      [1e3, 1, 1e-3, 1e-6, 0, 0, 0, 0, 0, 0, 0, 0],
      Array.from({ length: 24 }, (_, i) => Math.cos(i)),
    ];
    spectra.forEach((lambda, t) => {
      const n = lambda.length;
      const a = fromSpectrum(randomUnitary(n, 77 + t), lambda);
      const { values } = checkDecomposition(a, n);
      const sorted = [...lambda].sort((x, y) => y - x);
      const scale = Math.max(...lambda.map(Math.abs));
      for (let k = 0; k < n; k++) expect(Math.abs(values[k]! - sorted[k]!)).toBeLessThan(1e-12 * scale);
    });
  });

  it('random Hermitian matrices up to 128×128: A = V·Λ·Vᴴ and Vᴴ·V = I to 1e-10', () => {
    for (const n of [1, 3, 8, 16, 33, 64, 128]) checkDecomposition(randomHermitian(n, 500 + n), n);
  });

  it('eigenvalues agree with numpy.linalg.eigvalsh', async () => {
    const n = 12;
    const a = randomHermitian(n, 4242);
    const np = await runPythonJson<number[]>(
      `import numpy as np
a = np.array(INPUT['a']).reshape(${n}, ${n}, 2)
m = a[..., 0] + 1j * a[..., 1]
emit(np.sort(np.linalg.eigvalsh(m, UPLO='L'))[::-1])`,
      { a: Array.from(a) },
    );
    const { values } = hermitianEigen(a, n);
    expect(np).toHaveLength(n);
    for (let k = 0; k < n; k++) expect(Math.abs(values[k]! - np[k]!)).toBeLessThan(1e-12);
  });

  it('does not modify its input and rejects bad shapes', () => {
    const a = randomHermitian(6, 9);
    const copy = a.slice();
    hermitianEigen(a, 6);
    expect(Array.from(a)).toEqual(Array.from(copy));
    expect(() => hermitianEigen(a, 5)).toThrow(/expected 5×5/);
    expect(() => hermitianEigen(Float64Array.from([NaN, 0]), 1)).toThrow(/non-finite/);
  });
});
