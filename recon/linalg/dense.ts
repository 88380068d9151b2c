/**
 * Small dense complex matrices in float64.
 *
 * Layout (every function in recon/linalg): a complex r×c matrix is a
 * `Float64Array` of length 2·r·c, row-major, interleaved:
 *   M[i][j] = m[2·(i·c + j)] + i·m[2·(i·c + j) + 1].
 * Vectors are c×1 matrices. "Columns = eigenvectors" therefore means the k-th
 * eigenvector is read with stride c: v_k[i] = m[2·(i·c + k)] (+1).
 *
 * These are O(n³) textbook loops meant for n ≤ a few hundred (channel counts);
 * the per-sample hot paths live in apply.ts and gram.ts.
 */
import { UhfError } from '../../shared/errors.ts';

/** A complex matrix in the layout above. */
export type CMatrix = Float64Array;

function checkLen(name: string, m: ArrayLike<number>, rows: number, cols: number): void {
  if (m.length !== 2 * rows * cols) {
    throw new UhfError('SHAPE_MISMATCH', `${name}: ${m.length / 2} complex values, expected ${rows}×${cols} = ${rows * cols}`);
  }
}

/** n×n identity. */
export function identity(n: number): CMatrix {
  const m = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) m[2 * (i * n + i)] = 1;
  return m;
}

/** Conjugate transpose Aᴴ (A is rows×cols, the result cols×rows). */
export function conjTranspose(a: ArrayLike<number>, rows: number, cols: number): CMatrix {
  checkLen('conjTranspose', a, rows, cols);
  const out = new Float64Array(2 * rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const s = 2 * (i * cols + j), d = 2 * (j * rows + i);
      out[d] = a[s]!;
      out[d + 1] = -a[s + 1]!;
    }
  }
  return out;
}

/** C = A·B with A n×k and B k×m (C n×m). */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): CMatrix {
  checkLen('matMul A', a, n, k);
  checkLen('matMul B', b, k, m);
  const c = new Float64Array(2 * n * m);
  for (let i = 0; i < n; i++) {
    const ci = 2 * i * m;
    for (let l = 0; l < k; l++) {
      const ar = a[2 * (i * k + l)]!, ai = a[2 * (i * k + l) + 1]!;
      if (ar === 0 && ai === 0) continue;
      const bl = 2 * l * m;
      for (let j = 0; j < 2 * m; j += 2) {
        const br = b[bl + j]!, bi = b[bl + j + 1]!;
        c[ci + j]! += ar * br - ai * bi;
        c[ci + j + 1]! += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** C = A·Bᴴ with A n×k and B m×k (C n×m). A·Aᴴ is Hermitian. */
export function matMulConjTrans(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): CMatrix {
  checkLen('matMulConjTrans A', a, n, k);
  checkLen('matMulConjTrans B', b, m, k);
  const c = new Float64Array(2 * n * m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let re = 0, im = 0;
      const ai0 = 2 * i * k, bj0 = 2 * j * k;
      for (let l = 0; l < 2 * k; l += 2) {
        const ar = a[ai0 + l]!, aim = a[ai0 + l + 1]!;
        const br = b[bj0 + l]!, bi = b[bj0 + l + 1]!;
        // a · conj(b)
        re += ar * br + aim * bi;
        im += aim * br - ar * bi;
      }
      c[2 * (i * m + j)] = re;
      c[2 * (i * m + j) + 1] = im;
    }
  }
  return c;
}

/** C = Aᴴ·B with A k×n and B k×m (C n×m). Aᴴ·A is Hermitian. */
export function conjTransMatMul(a: ArrayLike<number>, b: ArrayLike<number>, k: number, n: number, m: number): CMatrix {
  checkLen('conjTransMatMul A', a, k, n);
  checkLen('conjTransMatMul B', b, k, m);
  const c = new Float64Array(2 * n * m);
  for (let l = 0; l < k; l++) {
    for (let i = 0; i < n; i++) {
      // conj(A[l][i])
      const ar = a[2 * (l * n + i)]!, ai = -a[2 * (l * n + i) + 1]!;
      if (ar === 0 && ai === 0) continue;
      const ci = 2 * i * m, bl = 2 * l * m;
      for (let j = 0; j < 2 * m; j += 2) {
        const br = b[bl + j]!, bi = b[bl + j + 1]!;
        c[ci + j]! += ar * br - ai * bi;
        c[ci + j + 1]! += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** Frobenius norm ‖A‖_F of a complex matrix (any shape). */
export function frobeniusNorm(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
  return Math.sqrt(s);
}

/** ‖A − B‖_F (same shape). */
export function frobeniusDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new UhfError('SHAPE_MISMATCH', `frobeniusDiff: ${a.length} vs ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * Largest deviation from Hermitian symmetry, max |A[i][j] − conj(A[j][i])|,
 * relative to the largest |A[i][j]| (0 for the zero matrix).
 */
export function hermitianDefect(a: ArrayLike<number>, n: number): number {
  checkLen('hermitianDefect', a, n, n);
  let dev = 0, big = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = 2 * (i * n + j), q = 2 * (j * n + i);
      dev = Math.max(dev, Math.hypot(a[p]! - a[q]!, a[p + 1]! + a[q + 1]!));
      big = Math.max(big, Math.hypot(a[p]!, a[p + 1]!));
    }
  }
  return big === 0 ? 0 : dev / big;
}
