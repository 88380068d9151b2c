/**
 * dominantEigenspace (recon/algorithms/espirit/subspace.ts): the WebAssembly
 * path (one fused pass per Householder step, tridiagonal-wasm.ts, and the
 * blocked back-transformation) against the plain-JS reduction and the Jacobi
 * eigendecomposition, on random Hermitian PSD matrices chosen to reach every
 * branch: sizes from 1 (the kernels forced on) to past one block of the
 * back-transformation, odd and even, rank-deficient, repeated eigenvalues,
 * and block-diagonal matrices whose columns are already reduced (H_j = I,
 * with and without a pending update). Eigenvalues agree to 1e-10·λ_max and
 * the projectors onto the selected vectors to 1e-8.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { dominantEigenspace, setSubspaceBackend, type DominantEigenspace } from '../../recon/algorithms/espirit/subspace.ts';
import { subspaceKernels } from '../../recon/algorithms/espirit/wasm.ts';
import { hermitianEigen } from '../../recon/linalg/index.ts';
import { isUhfError } from '../../shared/errors.ts';
import { psdMatrix } from '../helpers/dense.ts';
import { rng } from '../helpers/random.ts';

/** Row-major interleaved complex n×n. */
type Complex = Float64Array;

/** Q·diag(λ)·Qᴴ with Q a random unitary (Gram–Schmidt of a random complex matrix, columns). */
function withSpectrum(lambda: readonly number[], seed: number): Complex {
  const n = lambda.length;
  const u = rng(seed);
  const Q = Float64Array.from({ length: 2 * n * n }, () => u() - 0.5); // column k: Q[2·(i·n + k)]
  for (let k = 0; k < n; k++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let l = 0; l < k; l++) {
        let re = 0, im = 0; // q_lᴴ·q_k
        for (let i = 0; i < n; i++) {
          const ar = Q[2 * (i * n + l)]!, ai = Q[2 * (i * n + l) + 1]!, br = Q[2 * (i * n + k)]!, bi = Q[2 * (i * n + k) + 1]!;
          re += ar * br + ai * bi; im += ar * bi - ai * br;
        }
        for (let i = 0; i < n; i++) {
          const ar = Q[2 * (i * n + l)]!, ai = Q[2 * (i * n + l) + 1]!;
          Q[2 * (i * n + k)] = Q[2 * (i * n + k)]! - (ar * re - ai * im);
          Q[2 * (i * n + k) + 1] = Q[2 * (i * n + k) + 1]! - (ar * im + ai * re);
        }
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += Q[2 * (i * n + k)]! ** 2 + Q[2 * (i * n + k) + 1]! ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) { Q[2 * (i * n + k)] = Q[2 * (i * n + k)]! * inv; Q[2 * (i * n + k) + 1] = Q[2 * (i * n + k) + 1]! * inv; }
  }
  const A = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let re = 0, im = 0;
      for (let k = 0; k < n; k++) {
        const ar = Q[2 * (i * n + k)]!, ai = Q[2 * (i * n + k) + 1]!, br = Q[2 * (j * n + k)]!, bi = Q[2 * (j * n + k) + 1]!;
        re += lambda[k]! * (ar * br + ai * bi);
        im += lambda[k]! * (ai * br - ar * bi);
      }
      A[2 * (i * n + j)] = re; A[2 * (i * n + j) + 1] = im;
    }
  }
  return A;
}

/** Block-diagonal matrix of the given blocks (each row-major interleaved). */
function blockDiagonal(blocks: readonly { a: Complex; n: number }[]): { a: Complex; n: number } {
  const n = blocks.reduce((s, b) => s + b.n, 0);
  const a = new Float64Array(2 * n * n);
  let o = 0;
  for (const b of blocks) {
    for (let i = 0; i < b.n; i++) for (let j = 0; j < b.n; j++) {
      a[2 * ((o + i) * n + o + j)] = b.a[2 * (i * b.n + j)]!;
      a[2 * ((o + i) * n + o + j) + 1] = b.a[2 * (i * b.n + j) + 1]!;
    }
    o += b.n;
  }
  return { a, n };
}

/** Σ_k v_k·v_kᴴ over the first `count` vectors; vectors contiguous (stride n) or as columns. */
function projector(vectors: Float64Array, n: number, count: number, columns = false): Float64Array {
  const P = new Float64Array(2 * n * n);
  const at = (k: number, i: number): number => (columns ? 2 * (i * n + k) : 2 * (k * n + i));
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < n; i++) {
      const xr = vectors[at(k, i)]!, xi = vectors[at(k, i) + 1]!;
      for (let j = 0; j < n; j++) {
        const yr = vectors[at(k, j)]!, yi = vectors[at(k, j) + 1]!;
        P[2 * (i * n + j)] = P[2 * (i * n + j)]! + xr * yr + xi * yi;
        P[2 * (i * n + j) + 1] = P[2 * (i * n + j) + 1]! + xi * yr - xr * yi;
      }
    }
  }
  return P;
}

function frobeniusDiff(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

function run(backend: 'js' | 'wasm', a: Complex, n: number, t: number): DominantEigenspace {
  setSubspaceBackend(backend);
  return dominantEigenspace(a, n, t);
}

/** The WebAssembly and JS paths agree (and with Jacobi where `jacobi`). */
function expectAgreement(a: Complex, n: number, t: number, jacobi: boolean): DominantEigenspace {
  const js = run('js', a, n, t), wasm = run('wasm', a, n, t);
  const top = Math.max(js.values[0]!, Number.MIN_VALUE);
  expect(wasm.count).toBe(js.count);
  for (let i = 0; i < n; i++) expect(Math.abs(wasm.values[i]! - js.values[i]!)).toBeLessThan(1e-10 * top);
  expect(frobeniusDiff(projector(wasm.vectors, n, wasm.count), projector(js.vectors, n, js.count))).toBeLessThan(1e-8);
  if (jacobi) {
    const ref = hermitianEigen(a, n);
    for (let i = 0; i < n; i++) expect(Math.abs(wasm.values[i]! - ref.values[i]!)).toBeLessThan(1e-10 * top);
    expect(frobeniusDiff(projector(wasm.vectors, n, wasm.count), projector(ref.vectors, n, wasm.count, true))).toBeLessThan(1e-8);
  }
  return wasm;
}

describe('dominantEigenspace: WebAssembly path against the JS path and Jacobi', () => {
  afterEach(() => { setSubspaceBackend('auto'); });

  it('has the WebAssembly kernels in this environment', () => {
    expect(subspaceKernels()).not.toBeNull();
  });

  it.each([1, 2, 3, 4, 5, 8, 17, 32, 33, 64, 97])('random full-rank matrix, n = %i', (n) => {
    const res = expectAgreement(psdMatrix(n, n, 0.85, 100 + n), n, 1e-3, true);
    expect(res.count).toBeGreaterThan(0);
  });

  it('n = 150 and 200 (JS path as the reference)', () => {
    for (const n of [150, 200]) {
      const res = expectAgreement(psdMatrix(n, n, 0.95, n), n, 1e-3, false);
      expect(res.count).toBeGreaterThan(10);
      expect(res.count).toBeLessThan(n);
    }
  });

  it('rank-deficient: exactly the rank is selected, the null space is ≈ 0', () => {
    const n = 120, r = 30;
    const res = expectAgreement(psdMatrix(n, r, 0.9, 11), n, 1e-4, true);
    for (let i = r; i < n; i++) expect(Math.abs(res.values[i]!)).toBeLessThan(1e-12 * res.values[0]!);
  });

  it('repeated eigenvalues (the projector onto a multiple eigenvalue is still unique)', () => {
    const lambda = [...Array<number>(5).fill(10), ...Array<number>(7).fill(3), 1, 1, ...Array<number>(26).fill(1e-5), 0, 0, 0];
    const res = expectAgreement(withSpectrum(lambda, 5), lambda.length, 1e-2, true);
    expect(res.count).toBe(14);
    for (let i = 0; i < 5; i++) expect(res.values[i]!).toBeCloseTo(10, 10);
    for (let i = 5; i < 12; i++) expect(res.values[i]!).toBeCloseTo(3, 10);
  });

  it('block-diagonal matrices: already-reduced columns, with and without a pending update', () => {
    // blocks of 1 (no pending update at the skip) and of 2–3 (a skip right after a reflector)
    const sizes = [3, 1, 5, 2, 1, 1, 40, 3, 2];
    const { a, n } = blockDiagonal(sizes.map((m, b) => ({ a: psdMatrix(m, m, 0.9, 7 + b), n: m })));
    expectAgreement(a, n, 1e-3, true);
    // diagonal: every column already reduced
    const d = blockDiagonal([4, 1, 9, 2, 7, 3].map((v) => ({ a: Float64Array.of(v, 0), n: 1 })));
    const res = expectAgreement(d.a, d.n, 0.3, true);
    expect(Array.from(res.values)).toEqual([9, 7, 4, 3, 2, 1]);
    expect(res.count).toBe(4);
  });

  it('all n vectors of n = 257 (several blocks of the back-transformation, odd tails): eigenpairs and orthonormality', () => {
    const n = 257;
    const A = psdMatrix(n, n, 0.97, 3);
    const res = run('wasm', A, n, 0);
    expect(res.count).toBe(n);
    const top = res.values[0]!;
    const V = res.vectors;
    for (let k = 0; k < n; k += 16) {
      let err = 0;
      for (let i = 0; i < n; i++) {
        let re = -res.values[k]! * V[2 * (k * n + i)]!, im = -res.values[k]! * V[2 * (k * n + i) + 1]!;
        for (let j = 0; j < n; j++) {
          const ar = A[2 * (i * n + j)]!, ai = A[2 * (i * n + j) + 1]!, vr = V[2 * (k * n + j)]!, vi = V[2 * (k * n + j) + 1]!;
          re += ar * vr - ai * vi;
          im += ar * vi + ai * vr;
        }
        err = Math.max(err, Math.hypot(re, im));
      }
      expect(err).toBeLessThan(1e-10 * top);
    }
    let worst = 0;
    for (let k = 0; k < n; k += 7) {
      for (let l = 0; l < n; l++) {
        let re = 0, im = 0;
        for (let i = 0; i < n; i++) {
          const ar = V[2 * (l * n + i)]!, ai = V[2 * (l * n + i) + 1]!, br = V[2 * (k * n + i)]!, bi = V[2 * (k * n + i) + 1]!;
          re += ar * br + ai * bi;
          im += ar * bi - ai * br;
        }
        worst = Math.max(worst, Math.hypot(re - (l === k ? 1 : 0), im));
      }
    }
    expect(worst).toBeLessThan(1e-10);
    const js = run('js', A, n, 0);
    for (let i = 0; i < n; i++) expect(Math.abs(res.values[i]! - js.values[i]!)).toBeLessThan(1e-10 * top);
  });

  it('rejects non-finite entries of the lower triangle on both paths', () => {
    const n = 40;
    for (const backend of ['js', 'wasm'] as const) {
      for (const [i, k, part] of [[7, 3, 1], [12, 12, 1], [39, 0, 0]] as const) {
        const A = psdMatrix(n, n, 0.8, 1);
        A[2 * (i * n + k) + part] = part === 0 ? Infinity : NaN;
        let err: unknown;
        try { run(backend, A, n, 1e-3); } catch (e) { err = e; }
        expect(isUhfError(err) && err.code === 'BAD_ARGUMENT' && err.message.includes(`(${i}, ${k})`)).toBe(true);
      }
    }
  });
});
