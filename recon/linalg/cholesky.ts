/**
 * Complex Cholesky factorisation and lower-triangular inverse (float64,
 * row-major interleaved, see dense.ts).
 */
import { UhfError } from '../../shared/errors.ts';

export interface CholeskyOptions {
  /**
   * A pivot d_j (the Schur complement of the leading block, i.e. the part of
   * channel j's variance that the channels before it do not explain) must
   * exceed `relativeTolerance · max_i A[i][i]`. Default 1e-12: a channel
   * 60 dB (amplitude 10⁻⁶) below the loudest, or a linear combination of the
   * others to that precision, is reported as singular rather than amplified
   * by 10⁶ in the whitened data.
   */
  relativeTolerance?: number;
  /** Used in the error message: what the matrix is ("noise covariance", ...). */
  what?: string;
}

/**
 * Lower Cholesky factor L of a Hermitian positive-definite n×n matrix:
 * A = L·Lᴴ, L lower triangular with a real positive diagonal (upper part 0).
 * Only the lower triangle (and the real part of the diagonal) of A is read.
 *
 * Throws UhfError('UNSUPPORTED_DATA') naming the channel index when A is not
 * (numerically) positive definite — a dead channel (zero row/column) or a
 * channel that duplicates others — and 'BAD_ARGUMENT' on non-finite input.
 */
export function choleskyLower(a: ArrayLike<number>, n: number, options: CholeskyOptions = {}): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `choleskyLower: bad size ${n}`);
  if (a.length !== 2 * n * n) throw new UhfError('SHAPE_MISMATCH', `choleskyLower: ${a.length / 2} complex values, expected ${n}×${n}`);
  const what = options.what ?? 'matrix';
  const rtol = options.relativeTolerance ?? 1e-12;
  let maxDiag = 0;
  for (let i = 0; i < n; i++) {
    const d = a[2 * (i * n + i)]!;
    if (!Number.isFinite(d)) throw new UhfError('BAD_ARGUMENT', `${what}: diagonal entry ${i} is ${d}`);
    maxDiag = Math.max(maxDiag, d);
  }
  const floor = rtol * maxDiag;
  const L = new Float64Array(2 * n * n);
  for (let j = 0; j < n; j++) {
    const rj = 2 * j * n;
    let d = a[2 * (j * n + j)]!;
    for (let k = 0; k < j; k++) {
      const x = L[rj + 2 * k]!, y = L[rj + 2 * k + 1]!;
      d -= x * x + y * y;
    }
    if (!(d > floor) || !(maxDiag > 0)) {
      const raw = a[2 * (j * n + j)]!;
      const why = !(raw > floor) || !(maxDiag > 0)
        ? `channel ${j} has ${raw <= 0 ? 'no' : 'negligible'} signal (diagonal ${raw.toExponential(3)}, largest ${maxDiag.toExponential(3)}): a dead channel?`
        : `channel ${j} is a linear combination of channels 0..${j - 1} (pivot ${d.toExponential(3)}, diagonal ${raw.toExponential(3)}): a duplicated or shorted channel?`;
      throw new UhfError('UNSUPPORTED_DATA', `${what} is not positive definite: ${why}`);
    }
    const ljj = Math.sqrt(d);
    L[rj + 2 * j] = ljj;
    const inv = 1 / ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = 2 * i * n;
      let re = a[ri + 2 * j]!, im = a[ri + 2 * j + 1]!;
      for (let k = 0; k < j; k++) {
        // − L[i][k] · conj(L[j][k])
        const xr = L[ri + 2 * k]!, xi = L[ri + 2 * k + 1]!;
        const yr = L[rj + 2 * k]!, yi = L[rj + 2 * k + 1]!;
        re -= xr * yr + xi * yi;
        im -= xi * yr - xr * yi;
      }
      if (!Number.isFinite(re) || !Number.isFinite(im)) throw new UhfError('BAD_ARGUMENT', `${what}: non-finite entry in row ${i}`);
      L[ri + 2 * j] = re * inv;
      L[ri + 2 * j + 1] = im * inv;
    }
  }
  return L;
}

/**
 * Inverse of a lower-triangular n×n complex matrix (only the lower triangle is
 * read; the result is lower triangular). Forward substitution, float64.
 * Throws UhfError('UNSUPPORTED_DATA') on a zero diagonal entry.
 */
export function invertLowerTriangular(L: ArrayLike<number>, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `invertLowerTriangular: bad size ${n}`);
  if (L.length !== 2 * n * n) throw new UhfError('SHAPE_MISMATCH', `invertLowerTriangular: ${L.length / 2} complex values, expected ${n}×${n}`);
  const X = new Float64Array(2 * n * n);
  // 1 / L[i][i] for every i
  const dr = new Float64Array(n), di = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = L[2 * (i * n + i)]!, m = L[2 * (i * n + i) + 1]!;
    const q = r * r + m * m;
    if (!(q > 0) || !Number.isFinite(q)) throw new UhfError('UNSUPPORTED_DATA', `invertLowerTriangular: singular matrix (diagonal ${i} is ${r}${m >= 0 ? '+' : ''}${m}i)`);
    dr[i] = r / q;
    di[i] = -m / q;
  }
  for (let j = 0; j < n; j++) {
    X[2 * (j * n + j)] = dr[j]!;
    X[2 * (j * n + j) + 1] = di[j]!;
    for (let i = j + 1; i < n; i++) {
      // X[i][j] = −(1/L[i][i]) Σ_{k=j}^{i−1} L[i][k]·X[k][j]
      let re = 0, im = 0;
      const ri = 2 * i * n;
      for (let k = j; k < i; k++) {
        const lr = L[ri + 2 * k]!, li = L[ri + 2 * k + 1]!;
        const xr = X[2 * (k * n + j)]!, xi = X[2 * (k * n + j) + 1]!;
        re += lr * xr - li * xi;
        im += lr * xi + li * xr;
      }
      const ur = dr[i]!, ui = di[i]!;
      X[ri + 2 * j] = -(re * ur - im * ui);
      X[ri + 2 * j + 1] = -(re * ui + im * ur);
    }
  }
  return X;
}
