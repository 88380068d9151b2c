/**
 * The GRAPPA calibration Gram matrix (calibration-gram.ts) over every
 * position of the anchor box, from lag sums instead of gathered rows.
 *
 * Every column of [A | B] is one channel's ACS data shifted by the column's
 * offset, so an entry G[s][s'] = Σ_p conj(x_c(p + o_s))·x_c'(p + o_s') depends
 * on the channel pair, the lag Δ = o_s' − o_s and its window (the anchor box
 * moved by o_s). Source–source entries of one channel pair and lag share
 * their products: per lag, the kernel of window-gram-wasm.ts forms every
 * channel pair's products once per ACS line, slides the readout windows one
 * sample at a time and keeps a running sum over the lines, so an entry is a
 * difference of two running sums (per e2 plane). That is about
 * lines·readout·cin² products per lag and (2·kro − 1)·(2·ke1 − 1)·(2·ke2 − 1)/2
 * lags, against rows·(kro·ke1·ke2·cin)²/2 for the gathered rows: ~5× fewer
 * for the 2D 5×4 kernel, far fewer in 3D. A source and a target never share
 * a lag (targets sit between the lattice lines), so the source–target and
 * target–target blocks are plain sums over the anchor box, in the same
 * kernel: rows·n·m products, as for gathered rows.
 *
 * The kernel's output runs over channel pairs for one lag and window, G's rows
 * over a channel's kernel positions: the blocks are collected compactly
 * (≈ K²/2 cin×cin blocks for K = kro·ke1·ke2 source positions per channel,
 * about half of the source–source part of G) and G is written row by row at
 * the end, instead of a scattered write per entry.
 */
import type { FitGeometry } from './calibration-gram.ts';
import { type WindowGramKernel, windowGramKernel } from './window-gram-wasm.ts';

/** The kernel, its memory (ACS block at 0, running-sum slots after it) and the box. */
interface Ctx {
  readonly k: WindowGramKernel;
  readonly mem: Float64Array;
  /** Byte address of slot 0 (the zero the first line's running sum starts from). */
  readonly outBytes: number;
  readonly nro: number;
  readonly n1: number;
  /** Samples per channel of the ACS block. */
  readonly vol: number;
  /** Channels padded to even counts (zero data beyond the real ones). */
  readonly cp: number;
  readonly op: number;
  readonly pr: number;
  readonly p1: number;
  readonly p2: number;
}

/** Byte address of ACS sample (ro, e1, e2) of channel 0. */
function at(c: Ctx, ro: number, e1: number, e2: number): number {
  return 16 * (ro + c.nro * (e1 + c.n1 * e2));
}

/**
 * G over every position of the anchor box (geo.start, geo.count). Null where
 * WebAssembly is unavailable or the kernel's memory cannot hold the ACS block
 * and the running sums.
 */
export function laggedGram(acs: Float32Array, geo: FitGeometry): Float64Array | null {
  const k = windowGramKernel();
  if (k === null) return null;
  const [nro, n1, n2, cin] = geo.dims;
  const { srcE1, srcE2, cout } = geo;
  const [pr, p1, p2] = geo.count;
  const cp = cin + (cin & 1), op = Math.min(cp, cout + (cout & 1));
  const vol = nro * n1 * n2;
  const acsBytes = 16 * vol * cp;
  // running sums: one slot per line of the largest lag region (lag 0: every
  // line the sources touch) or of the anchor box, plus the starting zero
  const lines = (srcE1[srcE1.length - 1]! - srcE1[0]! + p1) * (srcE2[srcE2.length - 1]! - srcE2[0]! + p2);
  const slotBytes = 16 * Math.max(geo.srcRo.length * cp * cp, op * cp);
  if (!k.ensure(acsBytes + slotBytes * (1 + Math.max(lines, p1 * p2)))) return null;
  const mem = new Float64Array(k.memory.buffer);
  mem.set(acs, 0); // float32 → float64, interleaved, channel slowest
  mem.fill(0, 2 * vol * cin, 2 * vol * cp);
  const ctx: Ctx = { k, mem, outBytes: acsBytes, nro, n1, vol, cp, op, pr, p1, p2 };
  const ss = sourceSourceBlocks(ctx, geo);
  return assemble(geo, ss.blockOf, ss.E, sourceTargetSums(ctx, geo), targetTargetSums(ctx, geo));
}

/**
 * Source–source blocks: per lag Δ = (dx, dj, dl) of each ± pair
 * ((dl, dj, dx) ≥ 0 lexicographically) and per source position ℓ whose
 * partner ℓ' = ℓ + Δ exists, the cin×cin block P[a][b] = Σ x_a(ℓ)·conj(x_b(ℓ'))
 * = G[b·K + ℓ'][a·K + ℓ], in E at block blockOf[ℓ·K + ℓ'] (−1 for the
 * negative lags, whose entries are the mirrored ones).
 */
function sourceSourceBlocks(c: Ctx, geo: FitGeometry): { E: Float64Array; blockOf: Int32Array } {
  const { srcE1, srcE2 } = geo;
  const kro = geo.srcRo.length, ke1 = srcE1.length, ke2 = srcE2.length, K = kro * ke1 * ke2;
  const cin = geo.dims[3], cc = cin * cin, cp = c.cp;
  const [, b1, b2] = geo.start;
  const blockOf = new Int32Array(K * K).fill(-1);
  let blocks = 0;
  forEachLag(kro, ke1, ke2, (dx, dj, dl, iLo, iHi, jLo, jHi) => {
    for (let l = 0; l < ke2 - dl; l++) {
      for (let j = jLo; j < jHi; j++) {
        for (let i = iLo; i < iHi; i++) blockOf[((l * ke1 + j) * kro + i) * K + ((l + dl) * ke1 + j + dj) * kro + i + dx] = blocks++;
      }
    }
  });
  const E = new Float64Array(2 * cc * blocks);
  const lineBytes = 16 * c.nro, chanBytes = 16 * c.vol;
  forEachLag(kro, ke1, ke2, (dx, dj, dl, iLo, iHi, jLo, jHi) => {
    const nw = iHi - iLo, lHi = ke2 - dl;
    // lines / planes the windows of this lag cover, and the partner's shift
    const y0 = b1 + srcE1[jLo]!, ny = srcE1[jHi - 1]! - srcE1[jLo]! + c.p1, dy = srcE1[jLo + dj]! - srcE1[jLo]!;
    const z0 = b2 + srcE2[0]!, nz = srcE2[lHi - 1]! - srcE2[0]! + c.p2, dz = srcE2[dl]! - srcE2[0]!;
    const slot = nw * cp * cp;
    c.mem.fill(0, c.outBytes / 8, c.outBytes / 8 + 2 * slot);
    for (let z = 0; z < nz; z++) {
      c.k.xwin(cp, cp, ny, c.pr, nw, at(c, iLo, y0, z0 + z), at(c, iLo + dx, y0 + dy, z0 + z + dz),
        lineBytes, lineBytes, chanBytes, chanBytes, c.outBytes + 16 * slot * (1 + z * ny));
    }
    for (let l = 0; l < lHi; l++) {
      const zb = srcE2[l]! - srcE2[0]!;
      for (let j = jLo; j < jHi; j++) {
        const yb = srcE1[j]! - srcE1[jLo]!;
        for (let i = iLo; i < iHi; i++) {
          const ell = (l * ke1 + j) * kro + i;
          const block = blockOf[ell * K + ell + (dl * ke1 + dj) * kro + dx]!;
          for (let zz = 0; zz < c.p2; zz++) {
            // running sum after the window's last line − before its first, in plane zb + zz
            const q = (zb + zz) * ny + yb;
            windowSum(c.mem, c.outBytes / 8 + 2 * (q * slot + (i - iLo) * cp * cp), 2 * c.p1 * slot, cin, cp, E, 2 * cc * block);
          }
        }
      }
    }
  });
  return { E, blockOf };
}

/** Calls f for each lag (dx, dj, dl) ≥ 0 with the window ranges of its source positions. */
function forEachLag(kro: number, ke1: number, ke2: number,
  f: (dx: number, dj: number, dl: number, iLo: number, iHi: number, jLo: number, jHi: number) => void): void {
  for (let dl = 0; dl < ke2; dl++) {
    for (let dj = dl > 0 ? 1 - ke1 : 0; dj < ke1; dj++) {
      for (let dx = dl > 0 || dj > 0 ? 1 - kro : 0; dx < kro; dx++) {
        f(dx, dj, dl, Math.max(0, -dx), Math.min(kro, kro - dx), Math.max(0, -dj), Math.min(ke1, ke1 - dj));
      }
    }
  }
}

/** E[e + (a·cin + b)] += mem[lo + span + (a·cp + b)] − mem[lo + (a·cp + b)] (complex, a, b < cin). */
function windowSum(mem: Float64Array, lo: number, span: number, cin: number, cp: number, E: Float64Array, e: number): void {
  for (let a = 0; a < cin; a++) {
    const s = lo + 2 * a * cp, h = s + span, d = e + 2 * a * cin;
    for (let b = 0; b < 2 * cin; b++) E[d + b]! += mem[h + b]! - mem[s + b]!;
  }
}

/**
 * Σ over the anchor box of X_a·conj(Y_b), ni×nj channels, X and Y at the box
 * moved to start at (xr, x1, x2) and (yr, y1, y2): the float64 index of the
 * [a][b] result (row stride nj) in the kernel's memory.
 */
function boxSum(c: Ctx, ni: number, nj: number, xr: number, x1: number, x2: number, yr: number, y1: number, y2: number): number {
  const slot = ni * nj, lineBytes = 16 * c.nro, chanBytes = 16 * c.vol;
  c.mem.fill(0, c.outBytes / 8, c.outBytes / 8 + 2 * slot);
  for (let z = 0; z < c.p2; z++) {
    c.k.xwin(ni, nj, c.p1, c.pr, 1, at(c, xr, x1, x2 + z), at(c, yr, y1, y2 + z), lineBytes, lineBytes, chanBytes, chanBytes, c.outBytes + 16 * slot * (1 + z * c.p1));
  }
  return c.outBytes / 8 + 2 * slot * c.p1 * c.p2;
}

/** EST[t][ℓ][d][c] = G[c·K + ℓ][n + t·cout + d]: X = target channels d at (0, t1, t2), Y = source channels c at o_ℓ. */
function sourceTargetSums(c: Ctx, geo: FitGeometry): Float64Array {
  const { srcRo, srcE1, srcE2, targets, cout } = geo;
  const kro = srcRo.length, ke1 = srcE1.length, ke2 = srcE2.length, K = kro * ke1 * ke2, T = targets.length / 2;
  const cin = geo.dims[3];
  const [r0, b1, b2] = geo.start;
  const EST = new Float64Array(2 * T * K * cout * cin);
  for (let t = 0; t < T; t++) {
    const t1 = targets[2 * t]!, t2 = targets[2 * t + 1]!;
    for (let l = 0; l < ke2; l++) {
      for (let j = 0; j < ke1; j++) {
        for (let i = 0; i < kro; i++) {
          const sum = boxSum(c, c.op, c.cp, r0, b1 + t1, b2 + t2, r0 + srcRo[i]!, b1 + srcE1[j]!, b2 + srcE2[l]!);
          const e = 2 * (t * K + (l * ke1 + j) * kro + i) * cout * cin;
          for (let d = 0; d < cout; d++) EST.set(c.mem.subarray(sum + 2 * d * c.cp, sum + 2 * (d * c.cp + cin)), e + 2 * d * cin);
        }
      }
    }
  }
  return EST;
}

/** ETT[t][u][d2][d] = G[n + t·cout + d][n + u·cout + d2] for t ≤ u. */
function targetTargetSums(c: Ctx, geo: FitGeometry): Float64Array {
  const { targets, cout } = geo;
  const T = targets.length / 2;
  const [r0, b1, b2] = geo.start;
  const ETT = new Float64Array(2 * T * T * cout * cout);
  for (let t = 0; t < T; t++) {
    for (let u = t; u < T; u++) {
      const sum = boxSum(c, c.op, c.op, r0, b1 + targets[2 * u]!, b2 + targets[2 * u + 1]!, r0, b1 + targets[2 * t]!, b2 + targets[2 * t + 1]!);
      const e = 2 * (t * T + u) * cout * cout;
      for (let d2 = 0; d2 < cout; d2++) ETT.set(c.mem.subarray(sum + 2 * d2 * c.op, sum + 2 * (d2 * c.op + cout)), e + 2 * d2 * cout);
    }
  }
  return ETT;
}

/** G from the blocks, row by row. */
function assemble(geo: FitGeometry, blockOf: Int32Array, E: Float64Array, EST: Float64Array, ETT: Float64Array): Float64Array {
  const kro = geo.srcRo.length, ke1 = geo.srcE1.length, ke2 = geo.srcE2.length, K = kro * ke1 * ke2;
  const cin = geo.dims[3], cout = geo.cout, T = geo.targets.length / 2;
  const n = K * cin, N = n + T * cout;
  const G = new Float64Array(2 * N * N);
  for (let a = 0; a < cin; a++) {
    for (let ell = 0; ell < K; ell++) {
      const row = 2 * (a * K + ell) * N;
      sourceRow(G, row, E, blockOf, ell, a, K, cin);
      for (let t = 0; t < T; t++) {
        const e = 2 * ((t * K + ell) * cout * cin + a), g = row + 2 * (n + t * cout);
        for (let d = 0; d < cout; d++) {
          G[g + 2 * d] = EST[e + 2 * d * cin]!;
          G[g + 2 * d + 1] = EST[e + 2 * d * cin + 1]!;
        }
      }
    }
  }
  for (let t = 0; t < T; t++) {
    for (let d = 0; d < cout; d++) {
      const row = 2 * (n + t * cout + d) * N;
      for (let c = 0; c < cin; c++) {
        const e = 2 * (t * K * cout * cin + d * cin + c), g = row + 2 * c * K;
        for (let ell = 0; ell < K; ell++) {
          G[g + 2 * ell] = EST[e + 2 * ell * cout * cin]!;
          G[g + 2 * ell + 1] = -EST[e + 2 * ell * cout * cin + 1]!;
        }
      }
      for (let u = 0; u < T; u++) {
        for (let d2 = 0; d2 < cout; d2++) {
          const g = row + 2 * (n + u * cout + d2);
          // below the block diagonal: the mirror of G[τ(u, d2)][τ(t, d)]
          const e = t <= u ? 2 * ((t * T + u) * cout * cout + d2 * cout + d) : 2 * ((u * T + t) * cout * cout + d * cout + d2);
          G[g] = ETT[e]!;
          G[g + 1] = t <= u ? ETT[e + 1]! : -ETT[e + 1]!;
        }
      }
    }
  }
  return G;
}

/** The source–source part of row a·K + ℓ of G. */
function sourceRow(G: Float64Array, row: number, E: Float64Array, blockOf: Int32Array, ell: number, a: number, K: number, cin: number): void {
  const cc = cin * cin;
  for (let el2 = 0; el2 < K; el2++) {
    const fwd = blockOf[ell * K + el2]!;
    if (fwd >= 0) {
      // G[a·K + ℓ][b·K + ℓ'] = conj(P[a][b]) of the lag ℓ' − ℓ ≥ 0
      let e = 2 * (fwd * cc + a * cin), g = row + 2 * el2;
      for (let b = 0; b < cin; b++, e += 2, g += 2 * K) {
        G[g] = E[e]!;
        G[g + 1] = -E[e + 1]!;
      }
    } else {
      // … = P[b][a] of the opposite lag, window ℓ'
      let e = 2 * (blockOf[el2 * K + ell]! * cc + a), g = row + 2 * el2;
      for (let b = 0; b < cin; b++, e += 2 * cin, g += 2 * K) {
        G[g] = E[e]!;
        G[g + 1] = E[e + 1]!;
      }
    }
  }
}
