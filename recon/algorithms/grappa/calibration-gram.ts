/**
 * The Gram matrix of the GRAPPA calibration system [A | B] (calibrate.ts):
 *
 *   G[s][s'] = Σ_p conj(x_s(p))·x_s'(p),   x_s(p) = acs_c(p + o_s),
 *
 * over the fit positions (anchors) p, for the n source columns
 * s = c·K + (l·ke1 + j)·kro + i (channel c at offset o_s = (srcRo[i],
 * srcE1[j], srcE2[l]), K = kro·ke1·ke2) followed by the m target columns
 * n + t·cout + d (channel d at (0, t1, t2)); N = n + m. G is Hermitian with a
 * real diagonal.
 *
 * Two ways to the same numbers (equal up to rounding): laggedGram
 * (lagged-gram.ts) from shared lag sums when the fit positions are the whole
 * anchor box and WebAssembly is there (measured 3–5× faster for the 2D 5×4
 * kernel, 3–8× for the 3D 5×4×4 one), else directGram, which gathers blocks
 * of rows of [A | B] and accumulates their Gram matrix (linalg/gram.ts):
 * rows·N²/2 complex multiply-adds, for any subset of the positions.
 */
import { accumulateGram } from '../../linalg/gram.ts';
import { laggedGram } from './lagged-gram.ts';

/** Where the columns of [A | B] sit and which anchors are fit positions. */
export interface FitGeometry {
  /** [ro, e1, e2, cha] of the ACS block. */
  readonly dims: readonly [number, number, number, number];
  /** Target channels: the first `cout` channels. */
  readonly cout: number;
  /** Source offsets (see kernel.ts); srcRo is −⌊kro/2⌋ … kro − 1 − ⌊kro/2⌋. */
  readonly srcRo: Int32Array;
  readonly srcE1: Int32Array;
  readonly srcE2: Int32Array;
  /** Target offsets [t1, t2] pairs. */
  readonly targets: Int32Array;
  /** First anchor [ro, e1, e2] of the box of fit positions. */
  readonly start: readonly [number, number, number];
  /** Anchors per axis [pr, p1, p2]: the box holds pr·p1·p2 positions. */
  readonly count: readonly [number, number, number];
}

function columns(geo: FitGeometry): { n: number; m: number } {
  const cin = geo.dims[3];
  return { n: geo.srcRo.length * geo.srcE1.length * geo.srcE2.length * cin, m: (geo.targets.length / 2) * geo.cout };
}

export type GramMethod = 'auto' | 'direct' | 'lagged';
let method: GramMethod = 'auto';

/**
 * Selects how grappaGram forms G: 'lagged' (lag sums where they apply,
 * direct otherwise), 'direct', or 'auto' (= 'lagged'). Results agree to
 * rounding. Returns the previous setting.
 */
export function setGrappaGramMethod(m: GramMethod): GramMethod {
  const prev = method;
  method = m;
  return prev;
}

/**
 * G over `rows` fit positions: the box positions ⌊k·step⌋, k < rows,
 * step = box size / rows (every position when rows is the box size).
 */
export function grappaGram(acs: Float32Array, geo: FitGeometry, rows: number): Float64Array {
  const [pr, p1, p2] = geo.count;
  const whole = rows === pr * p1 * p2;
  return (whole && method !== 'direct' ? laggedGram(acs, geo) : null) ?? directGram(acs, geo, rows);
}

/** Complex samples (n + m) × rows per Gram block of directGram (≈ 16 MB of float64). */
const BLOCK_VALUES = 1 << 20;

/**
 * G by gathering rows of [A | B]: the fit positions are the box positions
 * ⌊k·step⌋, k < rows, in the box's ro-fastest order (step = box size / rows,
 * 1 for all positions).
 */
export function directGram(acs: Float32Array, geo: FitGeometry, rows: number): Float64Array {
  const [nro, n1, n2, cin] = geo.dims;
  const { srcRo, srcE1, srcE2, targets, cout } = geo;
  const kro = srcRo.length, ke1 = srcE1.length, ke2 = srcE2.length, T = targets.length / 2;
  const [pr, p1, p2] = geo.count;
  const { n, m } = columns(geo);
  const step = (pr * p1 * p2) / rows;
  // offsets (complex index) of every source / target relative to the anchor
  const plane = nro * n1, vol = plane * n2;
  const off = new Int32Array(n + m);
  for (let c = 0; c < cin; c++) {
    for (let l = 0; l < ke2; l++) {
      for (let j = 0; j < ke1; j++) {
        for (let i = 0; i < kro; i++) {
          off[((c * ke2 + l) * ke1 + j) * kro + i] = srcRo[i]! + nro * srcE1[j]! + plane * srcE2[l]! + vol * c;
        }
      }
    }
  }
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < cout; d++) off[n + t * cout + d] = nro * targets[2 * t]! + plane * targets[2 * t + 1]! + vol * d;
  }
  // Gram matrix of conj([A | B]): G[i][j] = Σ_r conj(X_ri)·X_rj
  const N = n + m;
  const G = new Float64Array(2 * N * N);
  const B = Math.max(16, Math.min(rows, Math.floor(BLOCK_VALUES / N)));
  const block = new Float64Array(2 * N * B);
  const base = new Int32Array(B);
  const [s0, s1, s2] = geo.start;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const cnt = Math.min(B, rows - r0);
    for (let r = 0; r < cnt; r++) {
      const q = Math.floor((r0 + r) * step);
      const ir = q % pr, rest = (q - ir) / pr;
      const i1 = rest % p1, i2 = (rest - i1) / p1;
      base[r] = (ir + s0) + nro * (i1 + s1) + plane * (i2 + s2);
    }
    const bl = cnt === B ? block : block.subarray(0, 2 * N * cnt);
    for (let s = 0; s < N; s++) {
      const o = off[s]!;
      const row = 2 * s * cnt;
      for (let r = 0; r < cnt; r++) {
        const idx = 2 * (base[r]! + o);
        bl[row + 2 * r] = acs[idx]!;
        bl[row + 2 * r + 1] = -acs[idx + 1]!;
      }
    }
    accumulateGram(G, bl, N, cnt);
  }
  return G;
}
