/**
 * Complex Cholesky factorisation and lower-triangular inverse (float64,
 * row-major interleaved, see dense.ts). Large factorisations run in the
 * WebAssembly SIMD kernel of cholesky-wasm.ts (see setCholeskyBackend); the
 * solve with the factor is in cholesky-solve.ts.
 */
import { UhfError } from '../../shared/errors.ts';
import { choleskyKernel } from './cholesky-wasm.ts';

export type CholeskyBackend = 'auto' | 'js' | 'wasm';
/** Smallest n for the wasm kernels under 'auto'. */
const WASM_MIN_SIZE = 32;
/** Rows per block of the wasm factorisation (see cholesky-wasm.ts). */
const WASM_ROW_BLOCK = 16;
let backend: CholeskyBackend = 'auto';

/**
 * Selects the implementation of choleskyLower and solveCholesky: 'wasm' (the
 * WebAssembly SIMD kernels of cholesky-wasm.ts / cholesky-solve-wasm.ts; JS if
 * WebAssembly is unavailable), 'js', or 'auto' (wasm from n = 32 on, where
 * copying the matrix into the module's memory stops mattering). Results agree
 * to rounding. Returns the previous setting.
 */
export function setCholeskyBackend(b: CholeskyBackend): CholeskyBackend {
  const prev = backend;
  backend = b;
  return prev;
}

/** Whether an n×n problem goes to the wasm kernels under the current setting. */
export function choleskyUsesWasm(n: number): boolean {
  return backend === 'wasm' || (backend === 'auto' && n >= WASM_MIN_SIZE);
}

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
  if (maxDiag > 0 && choleskyUsesWasm(n)) {
    const L = choleskyLowerWasm(a, n, floor, maxDiag);
    if (L) return L;
  }
  return choleskyLowerJs(a, n, floor, maxDiag, what);
}

/**
 * The wasm path. Null where the kernel is unavailable, its memory cannot hold
 * the matrix, or a pivot fails: the JS path then reports the error exactly
 * as it always has (or, at a pivot that only rounding separates from the
 * floor, returns its factor).
 */
function choleskyLowerWasm(a: ArrayLike<number>, n: number, floor: number, maxDiag: number): Float64Array | null {
  const k = choleskyKernel();
  if (k === null) return null;
  const np = n + (n & 1);
  const dBytes = 16 * np * np;
  if (!k.ensure(dBytes + 8 * np)) return null;
  const mem = new Float64Array(k.memory.buffer);
  const typed = a instanceof Float64Array || a instanceof Float32Array ? a : null;
  for (let i = 0; i < n; i++) {
    const src = 2 * i * n, dst = 2 * i * np;
    if (typed) mem.set(typed.subarray(src, src + 2 * (i + 1)), dst);
    else for (let q = 0; q < 2 * (i + 1); q++) mem[dst + q] = a[src + q]!;
  }
  if (np > n) {
    // padding: an uncoupled unit of the largest diagonal's size, never the failing pivot
    const dst = 2 * n * np;
    mem.fill(0, dst, dst + 2 * np);
    mem[dst + 2 * n] = maxDiag;
  }
  if (k.factor(np, 0, dBytes, floor, WASM_ROW_BLOCK) >= 0) return null;
  const L = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) L.set(mem.subarray(2 * i * np, 2 * i * np + 2 * (i + 1)), 2 * i * n);
  return L;
}

function choleskyLowerJs(a: ArrayLike<number>, n: number, floor: number, maxDiag: number, what: string): Float64Array {
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
