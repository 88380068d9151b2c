/**
 * Dense complex reference arithmetic for tests: definitions spelled out element
 * by element in float64, to check the engine's optimised kernels against.
 * Matrices are row-major with interleaved (re, im) entries.
 */

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
