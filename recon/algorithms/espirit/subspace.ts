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
 * Steps 1 and 4 run in WebAssembly SIMD (wasm.ts; ~4× faster than the JS
 * loops, which remain as the fallback and for N < 32): N = 288 takes ~15 ms.
 *
 * The input is not modified.
 */
import { UhfError } from '../../../shared/errors.ts';
import { subspaceKernels, type SubspaceKernels } from './wasm.ts';

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
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      const re = a[2 * (i * n + k)]!, im = a[2 * (i * n + k) + 1]!;
      if (!Number.isFinite(re) || !Number.isFinite(im)) throw new UhfError('BAD_ARGUMENT', `dominantEigenspace: non-finite entry (${i}, ${k})`);
    }
  }
  const kernels = backend === 'js' || (backend === 'auto' && n < 32) ? null : subspaceKernels();
  const wasm = kernels !== null ? new WasmTridiagonal(kernels, a, n) : null;
  let tri: Tridiagonal;
  let js: { ar: Float64Array; ai: Float64Array } | null = null;
  if (wasm !== null && wasm.ok) {
    tri = wasm.reduce();
  } else {
    // split storage of the lower triangle (row-major, full n×n arrays)
    const ar = new Float64Array(n * n), ai = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let k = 0; k <= i; k++) {
        ar[i * n + k] = a[2 * (i * n + k)]!;
        ai[i * n + k] = i === k ? 0 : a[2 * (i * n + k) + 1]!;
      }
    }
    tri = tridiagonalise(ar, ai, n);
    js = { ar, ai };
  }
  const { d, e, tau, phr, phi } = tri;
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
  const vectors = js !== null
    ? backTransform(z, js.ar, js.ai, tau, phr, phi, n, count)
    : wasm!.backTransform(z, tau, phr, phi, count);
  return { values, count, vectors };
}

/**
 * The tridiagonalisation and back-transformation with the WebAssembly kernels,
 * on a copy of the matrix in the module's memory (same algorithm and storage
 * as the JS `tridiagonalise`/`backTransform`).
 * Memory (bytes): AR, AI (n² doubles each), then u, p, w (split, n each),
 * then the back-transformed vectors.
 */
class WasmTridiagonal {
  readonly ok: boolean;
  private readonly AR = 0;
  private readonly AI: number;
  private readonly UR: number; private readonly UI: number;
  private readonly PR: number; private readonly PI: number;
  private readonly WR: number; private readonly WI: number;
  private readonly end: number;

  constructor(private readonly k: SubspaceKernels, a: ArrayLike<number>, private readonly n: number) {
    this.AI = 8 * n * n;
    this.UR = 16 * n * n; this.UI = this.UR + 8 * n;
    this.PR = this.UI + 8 * n; this.PI = this.PR + 8 * n;
    this.WR = this.PI + 8 * n; this.WI = this.WR + 8 * n;
    this.end = this.WI + 8 * n;
    this.ok = k.ensure(this.end);
    if (!this.ok) return;
    const f = this.view();
    const ar = this.AR >> 3, ai = this.AI >> 3;
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < n; c++) {
        f[ar + i * n + c] = c <= i ? a[2 * (i * n + c)]! : 0;
        f[ai + i * n + c] = c < i ? a[2 * (i * n + c) + 1]! : 0;
      }
    }
  }

  private view(): Float64Array { return new Float64Array(this.k.memory.buffer); }

  reduce(): Tridiagonal {
    const n = this.n;
    const d = new Float64Array(n), e = new Float64Array(n), tau = new Float64Array(n);
    const phr = new Float64Array(n), phi = new Float64Array(n);
    const beta = new Float64Array(2 * n);
    const f = this.view();
    const ar = this.AR >> 3, ai = this.AI >> 3, ur = this.UR >> 3, ui = this.UI >> 3, pr = this.PR >> 3, pi = this.PI >> 3, wr = this.WR >> 3, wi = this.WI >> 3;
    for (let j = 0; j < n - 2; j++) {
      d[j] = f[ar + j * n + j]!;
      let s = 0;
      for (let i = j + 1; i < n; i++) {
        const r = f[ar + i * n + j]!, m = f[ai + i * n + j]!;
        s += r * r + m * m;
      }
      const x0r = f[ar + (j + 1) * n + j]!, x0i = f[ai + (j + 1) * n + j]!;
      const xn = Math.sqrt(s);
      const tail = s - (x0r * x0r + x0i * x0i);
      if (xn === 0 || tail <= 1e-300 * s) {
        beta[2 * j] = x0r; beta[2 * j + 1] = x0i; tau[j] = 0;
        continue;
      }
      const a0 = Math.hypot(x0r, x0i);
      const cr = a0 > 0 ? x0r / a0 : 1, ci = a0 > 0 ? x0i / a0 : 0;
      const br = -cr * xn, bi = -ci * xn;
      beta[2 * j] = br; beta[2 * j + 1] = bi;
      for (let i = j + 1; i < n; i++) { f[ur + i] = f[ar + i * n + j]!; f[ui + i] = f[ai + i * n + j]!; }
      f[ur + j + 1] = f[ur + j + 1]! - br;
      f[ui + j + 1] = f[ui + j + 1]! - bi;
      let vn = 0;
      for (let i = j + 1; i < n; i++) vn += f[ur + i]! * f[ur + i]! + f[ui + i]! * f[ui + i]!;
      const t = 2 / vn;
      tau[j] = t;
      for (let i = j + 1; i < n; i++) { f[ar + i * n + j] = f[ur + i]!; f[ai + i * n + j] = f[ui + i]!; }
      this.k.hemv(n, j + 1, this.AR, this.AI, this.UR, this.UI, this.PR, this.PI);
      let kr = 0, ki = 0;
      for (let i = j + 1; i < n; i++) {
        const qr = f[pr + i]! * t, qi = f[pi + i]! * t;
        f[pr + i] = qr; f[pi + i] = qi;
        kr += f[ur + i]! * qr + f[ui + i]! * qi;
        ki += f[ur + i]! * qi - f[ui + i]! * qr;
      }
      kr *= t / 2; ki *= t / 2;
      for (let i = j + 1; i < n; i++) {
        const vr = f[ur + i]!, vi = f[ui + i]!;
        f[wr + i] = f[pr + i]! - (kr * vr - ki * vi);
        f[wi + i] = f[pi + i]! - (kr * vi + ki * vr);
      }
      this.k.her2(n, j + 1, this.AR, this.AI, this.UR, this.UI, this.WR, this.WI);
    }
    if (n >= 2) {
      d[n - 2] = f[ar + (n - 2) * n + n - 2]!;
      beta[2 * (n - 2)] = f[ar + (n - 1) * n + n - 2]!;
      beta[2 * (n - 2) + 1] = f[ai + (n - 1) * n + n - 2]!;
    }
    d[n - 1] = f[ar + (n - 1) * n + n - 1]!;
    phasesAndMagnitudes(beta, e, phr, phi, n);
    return { d, e, tau, phr, phi };
  }

  backTransform(z: Float64Array, tau: Float64Array, phr: Float64Array, phi: Float64Array, count: number): Float64Array {
    const n = this.n;
    const ZR = this.end, ZI = ZR + 8 * count * n;
    if (!this.k.ensure(ZI + 8 * count * n)) throw new UhfError('INTERNAL', 'dominantEigenspace: out of WebAssembly memory');
    const f = this.view();
    const zr = ZR >> 3, zi = ZI >> 3, ar = this.AR >> 3, ai = this.AI >> 3, ur = this.UR >> 3, ui = this.UI >> 3;
    for (let q = 0; q < count * n; q++) {
      const i = q % n;
      f[zr + q] = phr[i]! * z[q]!;
      f[zi + q] = phi[i]! * z[q]!;
    }
    for (let j = n - 3; j >= 0; j--) {
      const t = tau[j]!;
      if (t === 0) continue;
      for (let i = j + 1; i < n; i++) { f[ur + i] = f[ar + i * n + j]!; f[ui + i] = f[ai + i * n + j]!; }
      this.k.reflect(n, j + 1, count, this.UR, this.UI, t, ZR, ZI);
    }
    const out = new Float64Array(2 * count * n);
    for (let q = 0; q < count * n; q++) {
      out[2 * q] = f[zr + q]!;
      out[2 * q + 1] = f[zi + q]!;
    }
    return out;
  }
}

/** e_j = |β_j|; D_0 = 1, D_{j+1} = D_j·β_j/|β_j| (T = D·T_r·Dᴴ). */
function phasesAndMagnitudes(beta: Float64Array, e: Float64Array, phr: Float64Array, phi: Float64Array, n: number): void {
  phr[0] = 1; phi[0] = 0;
  for (let j = 0; j < n - 1; j++) {
    const br = beta[2 * j]!, bi = beta[2 * j + 1]!;
    const m = Math.hypot(br, bi);
    e[j] = m;
    const cr = m > 0 ? br / m : 1, ci = m > 0 ? bi / m : 0;
    phr[j + 1] = phr[j]! * cr - phi[j]! * ci;
    phi[j + 1] = phr[j]! * ci + phi[j]! * cr;
  }
}

interface Tridiagonal {
  /** Diagonal of T (real). */
  d: Float64Array;
  /** |β_j| (sub-diagonal of T_r), j = 0..n-2. */
  e: Float64Array;
  /** Householder scalars: H_j = I − τ_j·v_j·v_jᴴ (v_j is kept in column j, rows j+1..n-1, of the reduced matrix). */
  tau: Float64Array;
  /** Unit phases D_j (T = D·T_r·Dᴴ). */
  phr: Float64Array;
  phi: Float64Array;
}

/**
 * In place on the lower triangle (ar, ai). Step j zeroes column j below the
 * sub-diagonal with H_j acting on rows/columns j+1..n-1; v_j (v_j[j+1..n-1])
 * is left in column j rows j+1..n-1.
 */
function tridiagonalise(ar: Float64Array, ai: Float64Array, n: number): Tridiagonal {
  const d = new Float64Array(n), e = new Float64Array(n), tau = new Float64Array(n);
  const phr = new Float64Array(n), phi = new Float64Array(n);
  const vr = new Float64Array(n), vi = new Float64Array(n), pr = new Float64Array(n), pi = new Float64Array(n);
  const beta = new Float64Array(2 * n); // complex sub-diagonal β_j
  for (let j = 0; j < n - 2; j++) {
    d[j] = ar[j * n + j]!;
    let s = 0;
    for (let i = j + 1; i < n; i++) {
      const r = ar[i * n + j]!, m = ai[i * n + j]!;
      s += r * r + m * m;
    }
    const x0r = ar[(j + 1) * n + j]!, x0i = ai[(j + 1) * n + j]!;
    const xn = Math.sqrt(s);
    const tail = s - (x0r * x0r + x0i * x0i);
    if (xn === 0 || tail <= 1e-300 * s) {
      // already reduced: H_j = I
      beta[2 * j] = x0r;
      beta[2 * j + 1] = x0i;
      tau[j] = 0;
      continue;
    }
    const a0 = Math.hypot(x0r, x0i);
    const ur = a0 > 0 ? x0r / a0 : 1, ui = a0 > 0 ? x0i / a0 : 0;
    // β = −e^{i·arg x0}·‖x‖, v = x − β·e1
    const br = -ur * xn, bi = -ui * xn;
    beta[2 * j] = br;
    beta[2 * j + 1] = bi;
    for (let i = j + 1; i < n; i++) { vr[i] = ar[i * n + j]!; vi[i] = ai[i * n + j]!; }
    vr[j + 1] = vr[j + 1]! - br;
    vi[j + 1] = vi[j + 1]! - bi;
    let vn = 0;
    for (let i = j + 1; i < n; i++) vn += vr[i]! * vr[i]! + vi[i]! * vi[i]!;
    const t = 2 / vn;
    tau[j] = t;
    for (let i = j + 1; i < n; i++) { ar[i * n + j] = vr[i]!; ai[i * n + j] = vi[i]!; }
    // p = τ·A·v over the trailing block (Hermitian, lower triangle)
    for (let i = j + 1; i < n; i++) { pr[i] = 0; pi[i] = 0; }
    for (let i = j + 1; i < n; i++) {
      const row = i * n;
      const vir = vr[i]!, vii = vi[i]!;
      let sr = ar[row + i]! * vir, si = ar[row + i]! * vii;
      for (let k = j + 1; k < i; k++) {
        const mr = ar[row + k]!, mi = ai[row + k]!;
        const vkr = vr[k]!, vki = vi[k]!;
        sr += mr * vkr - mi * vki;
        si += mr * vki + mi * vkr;
        pr[k] = pr[k]! + mr * vir + mi * vii;
        pi[k] = pi[k]! + mr * vii - mi * vir;
      }
      pr[i] = pr[i]! + sr;
      pi[i] = pi[i]! + si;
    }
    // w = p − (τ/2)(vᴴp)·v
    let kr = 0, ki = 0;
    for (let i = j + 1; i < n; i++) {
      pr[i] = pr[i]! * t; pi[i] = pi[i]! * t;
      kr += vr[i]! * pr[i]! + vi[i]! * pi[i]!;
      ki += vr[i]! * pi[i]! - vi[i]! * pr[i]!;
    }
    kr *= t / 2; ki *= t / 2;
    for (let i = j + 1; i < n; i++) {
      const wr = pr[i]! - (kr * vr[i]! - ki * vi[i]!);
      const wi = pi[i]! - (kr * vi[i]! + ki * vr[i]!);
      pr[i] = wr; pi[i] = wi;
    }
    // A ← A − v·wᴴ − w·vᴴ (lower triangle of the trailing block)
    for (let i = j + 1; i < n; i++) {
      const row = i * n;
      const vir = vr[i]!, vii = vi[i]!, wir = pr[i]!, wii = pi[i]!;
      for (let k = j + 1; k <= i; k++) {
        const wkr = pr[k]!, wki = pi[k]!, vkr = vr[k]!, vki = vi[k]!;
        ar[row + k] = ar[row + k]! - (vir * wkr + vii * wki + wir * vkr + wii * vki);
        ai[row + k] = ai[row + k]! - (vii * wkr - vir * wki + wii * vkr - wir * vki);
      }
    }
  }
  if (n >= 2) {
    d[n - 2] = ar[(n - 2) * n + n - 2]!;
    beta[2 * (n - 2)] = ar[(n - 1) * n + n - 2]!;
    beta[2 * (n - 2) + 1] = ai[(n - 1) * n + n - 2]!;
  }
  d[n - 1] = ar[(n - 1) * n + n - 1]!;
  phasesAndMagnitudes(beta, e, phr, phi, n);
  return { d, e, tau, phr, phi };
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
        let r = Math.hypot(g, 1);
        g = d[m]! - d[l]! + e[l]! / (g + (g >= 0 ? Math.abs(r) : -Math.abs(r)));
        let s = 1, c = 1, p = 0;
        let i: number;
        let underflow = false;
        for (i = m - 1; i >= l; i--) {
          const f = s * e[i]!, b = c * e[i]!;
          r = Math.hypot(f, g);
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

/** v_k = Q·D·z_k with Q = H_0·H_1·…·H_{n-3}; returns interleaved complex vectors. */
function backTransform(z: Float64Array, ar: Float64Array, ai: Float64Array, tau: Float64Array, phr: Float64Array, phi: Float64Array, n: number, count: number): Float64Array {
  const wr = new Float64Array(count * n), wi = new Float64Array(count * n);
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < n; i++) {
      const zz = z[k * n + i]!;
      wr[k * n + i] = phr[i]! * zz;
      wi[k * n + i] = phi[i]! * zz;
    }
  }
  const vr = new Float64Array(n), vi = new Float64Array(n);
  for (let j = n - 3; j >= 0; j--) {
    const t = tau[j]!;
    if (t === 0) continue;
    for (let i = j + 1; i < n; i++) { vr[i] = ar[i * n + j]!; vi[i] = ai[i * n + j]!; }
    for (let k = 0; k < count; k++) {
      const o = k * n;
      // s = vᴴ·w
      let sr = 0, si = 0;
      for (let i = j + 1; i < n; i++) {
        const a = vr[i]!, b = vi[i]!, c = wr[o + i]!, dd = wi[o + i]!;
        sr += a * c + b * dd;
        si += a * dd - b * c;
      }
      sr *= t; si *= t;
      for (let i = j + 1; i < n; i++) {
        const a = vr[i]!, b = vi[i]!;
        wr[o + i] = wr[o + i]! - (a * sr - b * si);
        wi[o + i] = wi[o + i]! - (a * si + b * sr);
      }
    }
  }
  const out = new Float64Array(2 * count * n);
  for (let q = 0; q < count * n; q++) {
    out[2 * q] = wr[q]!;
    out[2 * q + 1] = wi[q]!;
  }
  return out;
}
