/**
 * Dense complex reference arithmetic for tests: definitions spelled out element
 * by element in float64, to check the engine's optimised kernels against.
 * Matrices are row-major with interleaved (re, im) entries.
 */
import { rng } from './random.ts';

/** (A·B)[i][j] = Σ_l A[i][l]·B[l][j] for A n×k and B k×m, spelled out in float64. */
export function naiveMatMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const c = new Float64Array(2 * n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let re = 0, im = 0;
      for (let l = 0; l < k; l++) {
        const ar = a[2 * (i * k + l)]!, ai = a[2 * (i * k + l) + 1]!, br = b[2 * (l * m + j)]!, bi = b[2 * (l * m + j) + 1]!;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      c[2 * (i * m + j)] = re;
      c[2 * (i * m + j) + 1] = im;
    }
  }
  return c;
}

/** Hermitian PSD n×n = B·Bᴴ with B n×r, column k scaled by decay^k (row-major interleaved). */
export function psdMatrix(n: number, r: number, decay: number, seed: number): Float64Array {
  const u = rng(seed);
  const B = new Float64Array(2 * n * r);
  for (let i = 0; i < n; i++) for (let k = 0; k < r; k++) { B[2 * (i * r + k)] = (u() - 0.5) * decay ** k; B[2 * (i * r + k) + 1] = (u() - 0.5) * decay ** k; }
  const A = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let re = 0, im = 0;
      for (let k = 0; k < r; k++) {
        const ar = B[2 * (i * r + k)]!, ai = B[2 * (i * r + k) + 1]!, br = B[2 * (j * r + k)]!, bi = -B[2 * (j * r + k) + 1]!;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      A[2 * (i * n + j)] = re; A[2 * (i * n + j) + 1] = im;
    }
  }
  return A;
}
