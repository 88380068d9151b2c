/**
 * Dominant eigenspace of a Hermitian positive semi-definite matrix (float64):
 * the eigenvectors whose eigenvalues exceed a fraction of the largest one.
 * Used for the ESPIRiT calibration matrix (N = kernel size × channels, e.g.
 * 6·6·8 = 288), where only the signal subspace (typically 10–30 % of N) is
 * needed, so a full eigendecomposition (Jacobi, recon/linalg/eigen.ts) would
 * be wasted work:
 *
 *  1. Householder reduction to tridiagonal form, A = Q·T·Qᴴ (LAPACK zhetrd,
 *     unblocked, lower triangle): (16/3)·N³ real flops, the only O(N³) step.
 *     T's complex sub-diagonal β_j is made real by a diagonal phase matrix D:
 *     T = D·T_r·Dᴴ with T_r real symmetric tridiagonal.
 *  2. All eigenvalues of T_r by the implicit QL method (no vectors, O(N²)).
 *  3. Eigenvectors of T_r for the selected eigenvalues only, by inverse
 *     iteration (Gaussian elimination with partial pivoting of T_r − λI, three
 *     steps from a fixed pseudo-random start), re-orthogonalised (modified
 *     Gram–Schmidt) against the vectors already found in the same cluster of
 *     eigenvalues (gaps ≤ 1e-3·‖T‖, LAPACK dstein's rule): O(N·K + N·K²).
 *  4. Back-transformation v = Q·D·z: O(N²·K).
 *
 * Steps 1 and 4 run in WebAssembly SIMD (tridiagonal-wasm.ts with the
 * kernels of wasm.ts: one pass over the trailing matrix per step); the JS
 * loops of tridiagonal.ts remain as the reference, the fallback and for
 * N < 32. N = 288 takes ~14 ms, N = 1152 ~0.55 s (one core, Zen 4).
 *
 * The input is not modified.
 */
import { UhfError } from '../../../shared/errors.ts';
import { reduceJs } from './tridiagonal.ts';
import { reduceWasm } from './tridiagonal-wasm.ts';
import { subspaceKernels } from './wasm.ts';

export type SubspaceBackend = 'auto' | 'js' | 'wasm';
let backend: SubspaceBackend = 'auto';

/**
 * Selects the implementation of the O(N³) steps: 'wasm' (WebAssembly SIMD
 * kernels of wasm.ts; JS if WebAssembly is unavailable), 'js', or 'auto'
 * (wasm for N ≥ 32). Results agree to rounding. Returns the previous setting.
 */
export function setSubspaceBackend(b: SubspaceBackend): SubspaceBackend {
  const prev = backend;
  backend = b;
  return prev;
}

export interface DominantEigenspace {
  /** All N eigenvalues, descending. */
  values: Float64Array;
  /** Number of selected eigenvectors K (values[0..K-1]). */
  count: number;
  /**
   * The K selected unit eigenvectors, vector k contiguous: component i of
   * vector k at [2·(k·N + i)] (re), [2·(k·N + i) + 1] (im). Orthonormal.
   */
  vectors: Float64Array;
}

/**
 * Eigenvectors of the Hermitian PSD matrix `a` (N×N, row-major interleaved as
 * in recon/linalg; only the lower triangle is read) for the eigenvalues
 * λ > relThreshold·λ_max (at least one vector unless λ_max ≤ 0).
 */
export function dominantEigenspace(a: ArrayLike<number>, n: number, relThreshold: number): DominantEigenspace {
  if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `dominantEigenspace: bad size ${n}`);
  if (a.length !== 2 * n * n) throw new UhfError('SHAPE_MISMATCH', `dominantEigenspace: ${a.length / 2} complex values, expected ${n}×${n}`);
  if (!(relThreshold >= 0)) throw new UhfError('BAD_ARGUMENT', `dominantEigenspace: threshold must be ≥ 0, got ${relThreshold}`);
  // (non-finite entries are reported by the reductions' copies of the matrix)
  const kernels = backend === 'js' || (backend === 'auto' && n < 32) ? null : subspaceKernels();
  const red = (kernels !== null ? reduceWasm(kernels, a, n) : null) ?? reduceJs(a, n);
  const { d, e } = red.tri;
  const values = d.slice();
  const off = new Float64Array(n);
  off.set(e.subarray(0, n - 1));
  tridiagonalEigenvalues(values, off, n);
  values.sort((x, y) => y - x);
  const top = values[0]!;
  let count = 0;
  if (top > 0) {
    while (count < n && values[count]! > relThreshold * top) count++;
    if (count === 0) count = 1;
  }
  const z = inverseIteration(d, e, n, values, count);
  const vectors = red.backTransform(z, count);
  return { values, count, vectors };
}

/**
 * Eigenvalues of the real symmetric tridiagonal matrix (d, e) by the implicit
 * QL method with Wilkinson shifts (tqli of Numerical Recipes without vectors).
 * e[i] couples i and i+1 (e[n-1] unused). d receives the eigenvalues
 * (unordered); e is destroyed.
 */
function tridiagonalEigenvalues(d: Float64Array, e: Float64Array, n: number): void {
  e[n - 1] = 0;
  // absolute deflation floor: eigenvalues are wanted to ±ε·‖T‖ only (the
  // relative test alone never deflates among the (near) zero eigenvalues of a
  // rank-deficient matrix)
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0));
  const floor = Number.EPSILON * norm;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    let m: number;
    do {
      for (m = l; m < n - 1; m++) {
        const dd = Math.abs(d[m]!) + Math.abs(d[m + 1]!);
        if (Math.abs(e[m]!) <= Number.EPSILON * dd || Math.abs(e[m]!) <= floor) break;
      }
      if (m !== l) {
        if (iter++ === 60) throw new UhfError('INTERNAL', 'dominantEigenspace: QL iteration did not converge');
        let g = (d[l + 1]! - d[l]!) / (2 * e[l]!);
        let r = hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1, c = 1, p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!, b = c * e[i]!;
          r = hypot(f, g);
          e[i + 1] = r;
          if (r === 0) {
            d[i + 1] = d[i + 1]! - p;
            e[m] = 0;
            underflow = true;
            break;
          }
          s = f / r; c = g / r;
          g = d[i + 1]! - p;
          r = (d[i]! - g) * s + 2 * c * b;
          p = s * r;
          d[i + 1] = g + p;
          g = c * r - b;
        }
        if (underflow) continue;
        d[l] = d[l]! - p;
        e[l] = g;
        e[m] = 0;
      }
    } while (m !== l);
  }
}

/**
 * √(a² + b²): Math.hypot is a slow variadic builtin in V8 and was most of
 * the QL sweeps' time; it stays the fallback where a² + b² would lose range.
 */
function hypot(a: number, b: number): number {
  const s = a * a + b * b;
  return s > 1e-290 && s < 1e290 ? Math.sqrt(s) : Math.hypot(a, b);
}

/**
 * Eigenvectors z_k of T_r (diag d, off-diagonal e) for values[0..count-1],
 * returned as count vectors of length n, vector k contiguous.
 */
function inverseIteration(d: Float64Array, e: Float64Array, n: number, values: Float64Array, count: number): Float64Array {
  const z = new Float64Array(count * n);
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!) + (i > 0 ? e[i - 1]! : 0) + (i < n - 1 ? e[i]! : 0));
  const tiny = Math.max(norm, Number.MIN_VALUE) * Number.EPSILON;
  const u0 = new Float64Array(n), u1 = new Float64Array(n), u2 = new Float64Array(n), mult = new Float64Array(n);
  const swap = new Uint8Array(n);
  const x = new Float64Array(n);
  let seed = 0x2545f491;
  // eigenvalues closer than this form a cluster (dstein: 1e-3·‖T‖)
  const ortol = 1e-3 * norm;
  let cluster = 0;
  for (let k = 0; k < count; k++) {
    const sigma = values[k]!;
    if (k > 0 && values[k - 1]! - sigma > ortol) cluster = k;
    // LU with partial pivoting of T_r − σI
    let p0 = d[0]! - sigma, p1 = n > 1 ? e[0]! : 0, p2 = 0;
    for (let i = 0; i < n - 1; i++) {
      const ci = e[i]!;
      const a1 = d[i + 1]! - sigma, b1 = i + 1 < n - 1 ? e[i + 1]! : 0;
      if (Math.abs(p0) >= Math.abs(ci)) {
        if (p0 === 0) p0 = tiny;
        const mu = ci / p0;
        u0[i] = p0; u1[i] = p1; u2[i] = p2; mult[i] = mu; swap[i] = 0;
        p0 = a1 - mu * p1; p1 = b1 - mu * p2; p2 = 0;
      } else {
        const mu = p0 / ci;
        u0[i] = ci; u1[i] = a1; u2[i] = b1; mult[i] = mu; swap[i] = 1;
        const q0 = p1 - mu * a1, q1 = p2 - mu * b1;
        p0 = q0; p1 = q1; p2 = 0;
      }
    }
    u0[n - 1] = p0 === 0 ? tiny : p0;
    // pseudo-random start
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      x[i] = (seed / 4294967296) - 0.5;
    }
    for (let it = 0; it < 3; it++) {
      // forward elimination on x
      for (let i = 0; i < n - 1; i++) {
        if (swap[i] === 1) {
          const t = x[i]!;
          x[i] = x[i + 1]!;
          x[i + 1] = t - mult[i]! * x[i]!;
        } else {
          x[i + 1] = x[i + 1]! - mult[i]! * x[i]!;
        }
      }
      // back substitution
      x[n - 1] = x[n - 1]! / u0[n - 1]!;
      if (n >= 2) x[n - 2] = (x[n - 2]! - u1[n - 2]! * x[n - 1]!) / u0[n - 2]!;
      for (let i = n - 3; i >= 0; i--) x[i] = (x[i]! - u1[i]! * x[i + 1]! - u2[i]! * x[i + 2]!) / u0[i]!;
      // re-orthogonalise against the vectors of the same cluster found so far
      // (twice is enough); vectors of other clusters are orthogonal to
      // O(ε‖T‖/gap) ≤ 1e-13 already (LAPACK dstein's rule)
      for (let pass = 0; pass < 2; pass++) {
        for (let j = cluster; j < k; j++) {
          let s = 0;
          const o = j * n;
          for (let i = 0; i < n; i++) s += z[o + i]! * x[i]!;
          for (let i = 0; i < n; i++) x[i] = x[i]! - s * z[o + i]!;
        }
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let i = 0; i < n; i++) x[i] = x[i]! * inv;
    }
    z.set(x, k * n);
  }
  return z;
}
