/**
 * The Householder tridiagonalisation and back-transformation of
 * tridiagonal.ts with the WebAssembly kernels of wasm.ts, on a copy of the
 * matrix in the module's memory. Same reflectors as the JS reduction; the
 * order of the work differs so that each step streams the trailing matrix
 * once:
 *
 *   step j  (column j of A⁽ʲ⁾ is at hand in the c slot; the trailing block
 *            still lacks the rank-2 update of step j−1, "pending")
 *     v_j, τ_j from column j                                     O(n), JS
 *     one pass over [j+1, n)²: apply the pending update (v, w), p = A·v_j
 *       with the elements before it, capture column j+1           kernel
 *     p −= v·(wᴴv_j) + w·(vᴴv_j), so that p = A⁽ʲ⁾·v_j            O(n), JS
 *     w_j = τ_j·p − (τ_j²/2)(v_jᴴp)·v_j                          O(n), JS
 *     column j+1 of A⁽ʲ⁺¹⁾ = captured − v_j·conj(w_j[j+1]) − w_j·conj(v_j[j+1])
 *     (v_j, w_j) becomes the pending update of [j+2, n)²
 *
 * v_j is stored in row j of the (otherwise unused) upper triangle, where the
 * back-transformation kernel reads it contiguously.
 */
import { UhfError } from '../../../shared/errors.ts';
import { phasesAndMagnitudes, throwNonFinite, type Reduction, type Tridiagonal } from './tridiagonal.ts';
import { CI, CR, MAX_N, matrixLayout, PI, PR, TAU, UI, UR, VI, VR, WI, WR, type SubspaceKernels } from './wasm.ts';

const cr = CR >> 3, ci = CI >> 3, ur = UR >> 3, ui = UI >> 3, pr = PR >> 3, pi = PI >> 3;
const vr = VR >> 3, vi = VI >> 3, wr = WR >> 3, wi = WI >> 3;

/** The reduction of `a` (row-major interleaved, lower triangle read), or null if it does not fit the kernels' memory. */
export function reduceWasm(k: SubspaceKernels, a: ArrayLike<number>, n: number): Reduction | null {
  const { AR, AI, end } = matrixLayout(n);
  if (n > MAX_N || !k.ensure(end)) return null;
  let f = new Float64Array(k.memory.buffer);
  const ar = AR >> 3, ai = AI >> 3;
  let check = 0;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    for (let c = 0; c <= i; c++) {
      const re = a[2 * (row + c)]!, im = a[2 * (row + c) + 1]!;
      check += re * 0 + im * 0;
      f[ar + row + c] = re;
      f[ai + row + c] = c < i ? im : 0;
    }
  }
  if (check !== 0) throwNonFinite(a, n);
  for (let i = 0; i < n; i++) { f[cr + i] = f[ar + i * n]!; f[ci + i] = f[ai + i * n]!; }
  const tri = reduce(k, f, n, AR, AI);
  return {
    tri,
    backTransform(z: Float64Array, count: number): Float64Array {
      const ZR = end, ZI = ZR + 8 * count * n;
      if (!k.ensure(ZI + 8 * count * n)) throw new UhfError('INTERNAL', 'dominantEigenspace: out of WebAssembly memory');
      f = new Float64Array(k.memory.buffer);
      const zr = ZR >> 3, zi = ZI >> 3;
      f.set(tri.tau, TAU >> 3);
      for (let q = 0; q < count * n; q++) {
        const i = q % n;
        f[zr + q] = tri.phr[i]! * z[q]!;
        f[zi + q] = tri.phi[i]! * z[q]!;
      }
      k.reflect(n, count, AR, AI, ZR, ZI, reflectBlock(n));
      const out = new Float64Array(2 * count * n);
      for (let q = 0; q < count * n; q++) {
        out[2 * q] = f[zr + q]!;
        out[2 * q + 1] = f[zi + q]!;
      }
      return out;
    },
  };
}

/**
 * Vectors per block of the back-transformation: ~512 KiB of them, so that a
 * block stays in L2 through all n reflectors rather than all the vectors
 * being streamed from L3 (or memory) once per reflector. (Smaller blocks
 * cost more in re-reading the reflectors than they gain.)
 */
function reflectBlock(n: number): number {
  return Math.max(2, Math.floor(524288 / (16 * n)));
}

/** The steps of the file comment, on the matrix at (AR, AI) with column 0 in the c slot. */
function reduce(k: SubspaceKernels, f: Float64Array, n: number, AR: number, AI: number): Tridiagonal {
  const d = new Float64Array(n), e = new Float64Array(n), tau = new Float64Array(n);
  const phr = new Float64Array(n), phi = new Float64Array(n);
  const beta = new Float64Array(2 * n);
  const ar = AR >> 3, ai = AI >> 3;
  let pending = false;
  for (let j = 0; j < n - 2; j++) {
    d[j] = f[cr + j]!;
    let s = 0;
    for (let i = j + 1; i < n; i++) s += f[cr + i]! * f[cr + i]! + f[ci + i]! * f[ci + i]!;
    const x0r = f[cr + j + 1]!, x0i = f[ci + j + 1]!;
    const xn = Math.sqrt(s);
    const tail = s - (x0r * x0r + x0i * x0i);
    if (xn === 0 || tail <= 1e-300 * s) {
      // already reduced: H_j = I, and column j+1 is that of A⁽ʲ⁾
      beta[2 * j] = x0r; beta[2 * j + 1] = x0i; tau[j] = 0;
      if (pending) {
        k.passU(n, j + 1, AR, AI);
        pending = false;
      } else {
        for (let i = j + 1; i < n; i++) { f[cr + i] = f[ar + i * n + j + 1]!; f[ci + i] = f[ai + i * n + j + 1]!; }
      }
      continue;
    }
    const a0 = Math.hypot(x0r, x0i);
    const sr = a0 > 0 ? x0r / a0 : 1, si = a0 > 0 ? x0i / a0 : 0;
    const br = -sr * xn, bi = -si * xn;
    beta[2 * j] = br; beta[2 * j + 1] = bi;
    // u = v_j = x − β·e_1; ‖u‖² = ‖x‖² − |x0|² + |x0 − β|² (the last term
    // ≥ ‖x‖², so no cancellation)
    f.copyWithin(ur + j + 1, cr + j + 1, cr + n);
    f.copyWithin(ui + j + 1, ci + j + 1, ci + n);
    const u0r = x0r - br, u0i = x0i - bi;
    f[ur + j + 1] = u0r; f[ui + j + 1] = u0i;
    const t = 2 / (tail + (u0r * u0r + u0i * u0i));
    tau[j] = t;
    f.copyWithin(ar + j * n + j + 1, ur + j + 1, ur + n);
    f.copyWithin(ai + j * n + j + 1, ui + j + 1, ui + n);
    // the pass multiplies by the matrix before the pending update (v, w):
    // p −= v·(wᴴu) + w·(vᴴu)
    let awr = 0, awi = 0, avr = 0, avi = 0;
    if (pending) {
      k.passUH(n, j + 1, AR, AI);
      for (let i = j + 1; i < n; i++) {
        const xur = f[ur + i]!, xui = f[ui + i]!, xvr = f[vr + i]!, xvi = f[vi + i]!, xwr = f[wr + i]!, xwi = f[wi + i]!;
        awr += xwr * xur + xwi * xui; awi += xwr * xui - xwi * xur;
        avr += xvr * xur + xvi * xui; avi += xvr * xui - xvi * xur;
      }
    } else {
      k.passH(n, j + 1, AR, AI);
    }
    // p ← τ·p, κ = (τ/2)·uᴴp
    let kr = 0, ki = 0;
    for (let i = j + 1; i < n; i++) {
      const xvr = f[vr + i]!, xvi = f[vi + i]!, xwr = f[wr + i]!, xwi = f[wi + i]!, xur = f[ur + i]!, xui = f[ui + i]!;
      const qr = (f[pr + i]! - (xvr * awr - xvi * awi + xwr * avr - xwi * avi)) * t;
      const qi = (f[pi + i]! - (xvr * awi + xvi * awr + xwr * avi + xwi * avr)) * t;
      f[pr + i] = qr; f[pi + i] = qi;
      kr += xur * qr + xui * qi;
      ki += xur * qi - xui * qr;
    }
    kr *= t / 2; ki *= t / 2;
    // (v, w) = (u, p − κ·u), and column j+1 of A⁽ʲ⁺¹⁾ (the kernels' update
    // expression) from the captured column j+1 of A⁽ʲ⁾
    const vkr = u0r, vki = u0i;
    const wkr = f[pr + j + 1]! - (kr * u0r - ki * u0i), wki = f[pi + j + 1]! - (kr * u0i + ki * u0r);
    for (let i = j + 1; i < n; i++) {
      const xvr = f[ur + i]!, xvi = f[ui + i]!;
      const xwr = f[pr + i]! - (kr * xvr - ki * xvi), xwi = f[pi + i]! - (kr * xvi + ki * xvr);
      f[vr + i] = xvr; f[vi + i] = xvi;
      f[wr + i] = xwr; f[wi + i] = xwi;
      f[cr + i] = f[cr + i]! - (xvr * wkr + xvi * wki + xwr * vkr + xwi * vki);
      f[ci + i] = f[ci + i]! - (xvi * wkr - xvr * wki + xwi * vkr - xwr * vki);
    }
    pending = true;
  }
  if (n >= 2) {
    d[n - 2] = f[cr + n - 2]!;
    beta[2 * (n - 2)] = f[cr + n - 1]!;
    beta[2 * (n - 2) + 1] = f[ci + n - 1]!;
  }
  let last = f[ar + (n - 1) * n + n - 1]!;
  if (pending) {
    const xvr = f[vr + n - 1]!, xvi = f[vi + n - 1]!, xwr = f[wr + n - 1]!, xwi = f[wi + n - 1]!;
    last -= xvr * xwr + xvi * xwi + xwr * xvr + xwi * xvi;
  }
  d[n - 1] = last;
  phasesAndMagnitudes(beta, e, phr, phi, n);
  return { d, e, tau, phr, phi };
}
