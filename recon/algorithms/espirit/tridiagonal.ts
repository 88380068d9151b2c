/**
 * Householder reduction of a Hermitian matrix to real symmetric tridiagonal
 * form and the back-transformation of eigenvectors, in plain JS (the
 * reference implementation and the fallback of tridiagonal-wasm.ts):
 * A = Q·T·Qᴴ (LAPACK zhetrd, unblocked, lower triangle), T = D·T_r·Dᴴ with D a
 * diagonal phase matrix and T_r real, so eigenvectors of A are Q·D·z for the
 * eigenvectors z of T_r.
 */
import { UhfError } from '../../../shared/errors.ts';

export interface Tridiagonal {
  /** Diagonal of T (real). */
  d: Float64Array;
  /** |β_j| (sub-diagonal of T_r), j = 0..n-2. */
  e: Float64Array;
  /** Householder scalars: H_j = I − τ_j·v_j·v_jᴴ (v_j, rows j+1..n-1, is kept by the reduction). */
  tau: Float64Array;
  /** Unit phases D_j (T = D·T_r·Dᴴ). */
  phr: Float64Array;
  phi: Float64Array;
}

/** A reduced matrix and the way back to eigenvectors of the original. */
export interface Reduction {
  tri: Tridiagonal;
  /**
   * v_k = Q·D·z_k for `count` eigenvectors z_k of T_r (vector k contiguous,
   * length n); returns interleaved complex vectors, vector k contiguous.
   */
  backTransform(z: Float64Array, count: number): Float64Array;
}

/**
 * Throws for the first non-finite entry of the lower triangle of `a`. The
 * copies into the reductions' storage check as they go, by summing 0·x over
 * the entries (NaN exactly when one is not finite), and call this only then.
 */
export function throwNonFinite(a: ArrayLike<number>, n: number): never {
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      if (!Number.isFinite(a[2 * (i * n + k)]!) || !Number.isFinite(a[2 * (i * n + k) + 1]!)) {
        throw new UhfError('BAD_ARGUMENT', `dominantEigenspace: non-finite entry (${i}, ${k})`);
      }
    }
  }
  throw new UhfError('INTERNAL', 'dominantEigenspace: non-finite checksum of finite entries');
}

/** The JS reduction of `a` (row-major interleaved, lower triangle read). */
export function reduceJs(a: ArrayLike<number>, n: number): Reduction {
  // split storage of the lower triangle (row-major, full n×n arrays)
  const ar = new Float64Array(n * n), ai = new Float64Array(n * n);
  let check = 0;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= i; k++) {
      const re = a[2 * (i * n + k)]!, im = a[2 * (i * n + k) + 1]!;
      check += re * 0 + im * 0;
      ar[i * n + k] = re;
      ai[i * n + k] = i === k ? 0 : im;
    }
  }
  if (check !== 0) throwNonFinite(a, n);
  const tri = tridiagonalise(ar, ai, n);
  return { tri, backTransform: (z, count) => backTransform(z, ar, ai, tri.tau, tri.phr, tri.phi, n, count) };
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

/** e_j = |β_j|; D_0 = 1, D_{j+1} = D_j·β_j/|β_j| (T = D·T_r·Dᴴ). */
export function phasesAndMagnitudes(beta: Float64Array, e: Float64Array, phr: Float64Array, phi: Float64Array, n: number): void {
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
