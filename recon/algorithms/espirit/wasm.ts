/**
 * WebAssembly SIMD (f64x2) kernels for the O(N³) part of dominantEigenspace
 * (subspace.ts, driven by tridiagonal-wasm.ts): the Householder
 * tridiagonalisation's trailing-matrix pass and the back-transformation.
 * Float64 throughout, results identical to the JS loops of tridiagonal.ts up
 * to rounding order.
 *
 * Each Householder step streams the trailing matrix once: the rank-2 update
 * of step j−1 is merged with the matrix-vector product of step j (whose
 * vector comes from column j, which the driver brings up to date ahead of the
 * rest). The product uses the elements as loaded, before the update, and the
 * driver subtracts the update's share (O(n)); so per element the update and
 * the product are independent chains of dependent operations. Vectors sit at
 * fixed addresses (constant offsets from one index register). The matrix is
 * split real/imaginary, row-major, lower triangle used; two consecutive
 * columns per f64x2 operation, the odd element of a row with a one-lane load.
 *
 * With the matrix in the last-level cache (N = 1152, 10.6 MB triangle, Zen 4)
 * the passes are bound by the f64x2 arithmetic (no FMA in WebAssembly SIMD):
 * one pass per step is then ~10 % faster than the former product + update
 * passes; beyond the cache (N = 2048) the whole subspace step is ~1.45×
 * faster. Unrolling, two rows per sweep, or keeping the row constants in
 * memory to free registers all measured slower (V8 spills).
 *
 * Memory layout (bytes), MAX_N ≥ n:
 *   [SLOT·s, SLOT·s + 8·n)  vector slot s: v, w (the pending rank-2 update),
 *                           u → p (matrix-vector product), c (captured column),
 *                           τ, each a Float64Array of n (split re/im)
 *   MATRIX                  the n×n matrix (re, then im: matrixLayout), then the
 *                           vectors of the back-transformation
 *
 *   pass{UH,U,H}(n, s0, aR, aI)   on the block [s0, n)², rows in order:
 *       H: p = A·u (A Hermitian from its lower triangle, before U)
 *       U: A[i][k] −= v_i·conj(w_k) + w_i·conj(v_k)          (s0 ≤ k ≤ i)
 *       always: c[i] = A[i][s0] (after U), i ≥ s0
 *   reflect(n, m, aR, aI, zR, zI, block)   z_q ← H_j·z_q for j = n−3 … 0
 *       (τ_j ≠ 0), q < m, H_j = I − τ_j·v_j·v_jᴴ with v_j in row j, columns
 *       j+1… of (aR, aI) (the unused upper triangle), z_q at zR + 8·q·n;
 *       `block` vectors at a time through all reflectors
 */

import { F64, Func, I32, V128, encodeModule } from '../../wasm/encoder.ts';
import { wasmApi, type WasmMemory } from '../../wasm/api.ts';

/** Largest n the kernels handle (the vector slots are this long). */
export const MAX_N = 8192;
// slots 5 cache lines apart modulo 4 KiB: with a power-of-two spacing all the
// streams of the inner loops share one L1 set (and 4K-alias): ~25 % slower
const SLOT = 8 * MAX_N + 320;
export const VR = 0, VI = SLOT, WR = 2 * SLOT, WI = 3 * SLOT, UR = 4 * SLOT, UI = 5 * SLOT;
export const PR = 6 * SLOT, PI = 7 * SLOT, CR = 8 * SLOT, CI = 9 * SLOT, TAU = 10 * SLOT;
export const MATRIX = 11 * SLOT;
/** Vectors per sweep of the back-transformation (shared loads of v_j; 3–6 spill). */
const REFLECT_GROUP = 2;

/**
 * Byte addresses of the matrix (re, im) and the first free byte after it; the
 * imaginary part is offset by a few cache lines for the same reason as SLOT.
 */
export function matrixLayout(n: number): { AR: number; AI: number; end: number } {
  const AR = MATRIX, AI = MATRIX + 8 * n * n + 320;
  return { AR, AI, end: AI + 8 * n * n };
}

const F64_NE = 0x62;
const I32_GE_S = 0x4e;
const I32_REM_S = 0x6f;

/** The shared encoder plus f64x2 loads/stores of a pair or of one lane. */
class Fn extends Func {
  /** Pair at an 8-byte-aligned address, or (single) lane 0 with lane 1 zero. */
  ld(single: boolean, offset = 0): this { return single ? this.v128Load64Zero(offset) : this.v128Load(offset, 3); }
  st(single: boolean, offset = 0): this { return single ? this.v128Store64Lane(0, offset) : this.v128Store(offset, 3); }
  /** local += delta (i32). */
  inc(local: number, delta: number | { local: number }): this {
    this.get(local);
    if (typeof delta === 'number') this.i32(delta); else this.get(delta.local);
    return this.add().set(local);
  }
}

/**
 * One pass over the trailing block [s0, n)²: the pending rank-2 update (if
 * `update`), the matrix-vector product with u of the matrix as it was before
 * that update (if `hemv`; independent of the update, so the two chains of
 * dependent operations per element overlap), and the capture of column s0
 * after the update.
 */
function buildPass(name: string, update: boolean, hemv: boolean): Fn {
  const f = new Fn(name, [I32, I32, I32, I32]);
  const N = 0, S0 = 1, AR = 2, AI = 3;
  const i = f.local(I32), i8 = f.local(I32), k8 = f.local(I32), lim = f.local(I32), ra = f.local(I32), ri = f.local(I32);
  const dI = f.local(I32), rs = f.local(I32), n8 = f.local(I32), s08 = f.local(I32);
  const vir = f.local(F64), vii = f.local(F64), wir = f.local(F64), wii = f.local(F64), uir = f.local(F64), uii = f.local(F64);
  const dg = f.local(F64), dgI = f.local(F64), ndg = f.local(F64), ndgI = f.local(F64);
  const VIR = f.local(V128), VII = f.local(V128), WIR = f.local(V128), WII = f.local(V128), UIR = f.local(V128), UII = f.local(V128);
  const accR = f.local(V128), accI = f.local(V128), aR = f.local(V128), aI = f.local(V128), nR = f.local(V128), nI = f.local(V128);
  const xVr = f.local(V128), xVi = f.local(V128), xWr = f.local(V128), xWi = f.local(V128), xUr = f.local(V128), xUi = f.local(V128);
  /** the updated element(s), for the capture */
  const newR = update ? nR : aR, newI = update ? nI : aI;

  /** Element(s) k8 of row i (A at ra). */
  const element = (single: boolean): void => {
    f.get(ra).get(dI).add().set(ri);
    f.get(ra).ld(single).set(aR);
    f.get(ri).ld(single).set(aI);
    if (update) {
      f.get(k8).ld(single, VR).set(xVr);
      f.get(k8).ld(single, VI).set(xVi);
      f.get(k8).ld(single, WR).set(xWr);
      f.get(k8).ld(single, WI).set(xWi);
      f.get(ra).get(aR)
        .get(VIR).get(xWr).f64x2Mul().get(VII).get(xWi).f64x2Mul().f64x2Add().get(WIR).get(xVr).f64x2Mul().get(WII).get(xVi).f64x2Mul().f64x2Add().f64x2Add()
        .f64x2Sub().tee(nR).st(single);
      f.get(ri).get(aI)
        .get(VII).get(xWr).f64x2Mul().get(VIR).get(xWi).f64x2Mul().f64x2Sub().get(WII).get(xVr).f64x2Mul().get(WIR).get(xVi).f64x2Mul().f64x2Sub().f64x2Add()
        .f64x2Sub().tee(nI).st(single);
    }
    if (hemv) {
      f.get(k8).ld(single, UR).set(xUr);
      f.get(k8).ld(single, UI).set(xUi);
      // one add per iteration on the accumulators' dependency chains
      f.get(accR).get(aR).get(xUr).f64x2Mul().get(aI).get(xUi).f64x2Mul().f64x2Sub().f64x2Add().set(accR);
      f.get(accI).get(aR).get(xUi).f64x2Mul().get(aI).get(xUr).f64x2Mul().f64x2Add().f64x2Add().set(accI);
      f.get(k8).get(k8).ld(single, PR).get(aR).get(UIR).f64x2Mul().get(aI).get(UII).f64x2Mul().f64x2Add().f64x2Add().st(single, PR);
      f.get(k8).get(k8).ld(single, PI).get(aR).get(UII).f64x2Mul().get(aI).get(UIR).f64x2Mul().f64x2Sub().f64x2Add().st(single, PI);
    }
  };
  const advance = (bytes: number): void => { f.inc(k8, bytes).inc(ra, bytes); };

  f.get(AI).get(AR).sub().set(dI);
  f.get(N).i32(3).shl().set(n8);
  f.get(S0).i32(3).shl().set(s08);
  f.get(AR).get(S0).get(N).mul().get(S0).add().i32(3).shl().add().set(rs);
  if (hemv) {
    f.get(s08).set(k8);
    f.loopWhile(() => f.get(k8).get(n8).ltS(), () => {
      f.get(k8).f64(0).f64Store(PR);
      f.get(k8).f64(0).f64Store(PI);
      f.inc(k8, 8);
    });
  }
  f.get(S0).set(i);
  f.loopWhile(() => f.get(i).get(N).ltS(), () => {
    f.get(i).i32(3).shl().set(i8);
    if (update) {
      f.get(i8).f64Load(VR).tee(vir).f64x2Splat().set(VIR);
      f.get(i8).f64Load(VI).tee(vii).f64x2Splat().set(VII);
      f.get(i8).f64Load(WR).tee(wir).f64x2Splat().set(WIR);
      f.get(i8).f64Load(WI).tee(wii).f64x2Splat().set(WII);
    }
    if (hemv) {
      f.get(i8).f64Load(UR).tee(uir).f64x2Splat().set(UIR);
      f.get(i8).f64Load(UI).tee(uii).f64x2Splat().set(UII);
      f.v128Zero().set(accR);
      f.v128Zero().set(accI);
    }
    f.get(rs).set(ra);
    f.get(s08).set(k8);
    f.ifThen(() => f.get(k8).get(i8).ltS(), () => {
      // column s0 (single, so that the pairs below start right after it)
      element(true);
      f.get(i8).get(newR).v128Store64Lane(0, CR);
      f.get(i8).get(newI).v128Store64Lane(0, CI);
      advance(8);
      // pairs (k, k+1), k + 1 < i (unrolling does not pay: register spills)
      f.get(i8).i32(8).sub().set(lim);
      f.ifThen(() => f.get(k8).get(lim).ltS(), () => {
        f.loop();
        element(false);
        advance(16);
        f.get(k8).get(lim).ltS().brIf(0);
        f.end();
      });
      f.ifThen(() => f.get(k8).get(i8).ltS(), () => {
        element(true);
        advance(8);
      });
    });
    // diagonal (ra → A[i][i]); its imaginary part is rounding only and unused by H
    f.get(ra).get(dI).add().set(ri);
    f.get(ra).f64Load().set(dg);
    f.get(ri).f64Load().set(dgI);
    if (update) {
      f.get(ra).get(dg)
        .get(vir).get(wir).f64Mul().get(vii).get(wii).f64Mul().f64Add().get(wir).get(vir).f64Mul().f64Add().get(wii).get(vii).f64Mul().f64Add()
        .f64Sub().tee(ndg).f64Store();
      f.get(ri).get(dgI)
        .get(vii).get(wir).f64Mul().get(vir).get(wii).f64Mul().f64Sub().get(wii).get(vir).f64Mul().f64Add().get(wir).get(vii).f64Mul().f64Sub()
        .f64Sub().tee(ndgI).f64Store();
    }
    f.ifThen(() => f.get(i).get(S0).eq(), () => {
      f.get(i8).get(update ? ndg : dg).f64Store(CR);
      f.get(i8).get(update ? ndgI : dgI).f64Store(CI);
    });
    if (hemv) {
      f.get(i8).get(i8).f64Load(PR).get(accR).f64x2ExtractLane(0).get(accR).f64x2ExtractLane(1).f64Add().f64Add().get(dg).get(uir).f64Mul().f64Add().f64Store(PR);
      f.get(i8).get(i8).f64Load(PI).get(accI).f64x2ExtractLane(0).get(accI).f64x2ExtractLane(1).f64Add().f64Add().get(dg).get(uii).f64Mul().f64Add().f64Store(PI);
    }
    f.inc(rs, { local: n8 });
    f.inc(i, 1);
  });
  return f;
}

/**
 * The back-transformation: every reflector, last first, on m vectors, G
 * vectors per sweep over v_j (shared loads of v, G independent dot-product
 * chains), then the remaining m mod G one by one.
 */
function buildReflect(G: number): Fn {
  const f = new Fn('reflect', [I32, I32, I32, I32, I32, I32, I32]);
  const N = 0, M = 1, AR = 2, AI = 3, ZR = 4, ZI = 5, QB = 6;
  const j = f.local(I32), q = f.local(I32), k8 = f.local(I32), j18 = f.local(I32), n8 = f.local(I32), lim = f.local(I32), mG = f.local(I32);
  const q0 = f.local(I32), qEnd = f.local(I32), blockR = f.local(I32), blockI = f.local(I32), stride = f.local(I32);
  const src = f.local(I32), srcI = f.local(I32), zb = f.local(I32), zbI = f.local(I32), pz = f.local(I32), pzI = f.local(I32);
  const t = f.local(F64);
  const a = f.local(V128), b = f.local(V128), c = f.local(V128), d = f.local(V128);
  const zr: number[] = [], zi: number[] = [], accR: number[] = [], accI: number[] = [], SR: number[] = [], SI: number[] = [];
  for (let g = 0; g < G; g++) {
    zr.push(f.local(I32)); zi.push(f.local(I32));
    accR.push(f.local(V128)); accI.push(f.local(V128)); SR.push(f.local(V128)); SI.push(f.local(V128));
  }

  /** z ← z − τ·v·(vᴴz) for the g vectors at zr[0..g), zi[0..g) */
  const group = (g: number): void => {
    const address = (h: number): void => {
      f.get(zr[h]!).get(k8).add().set(pz);
      f.get(zi[h]!).get(k8).add().set(pzI);
    };
    const dot = (single: boolean): void => {
      f.get(k8).ld(single, VR).set(a);
      f.get(k8).ld(single, VI).set(b);
      for (let h = 0; h < g; h++) {
        address(h);
        f.get(pz).ld(single).set(c);
        f.get(pzI).ld(single).set(d);
        f.get(accR[h]!).get(a).get(c).f64x2Mul().get(b).get(d).f64x2Mul().f64x2Add().f64x2Add().set(accR[h]!);
        f.get(accI[h]!).get(a).get(d).f64x2Mul().get(b).get(c).f64x2Mul().f64x2Sub().f64x2Add().set(accI[h]!);
      }
    };
    const axpy = (single: boolean): void => {
      f.get(k8).ld(single, VR).set(a);
      f.get(k8).ld(single, VI).set(b);
      for (let h = 0; h < g; h++) {
        address(h);
        f.get(pz).get(pz).ld(single).get(a).get(SR[h]!).f64x2Mul().get(b).get(SI[h]!).f64x2Mul().f64x2Sub().f64x2Sub().st(single);
        f.get(pzI).get(pzI).ld(single).get(a).get(SI[h]!).f64x2Mul().get(b).get(SR[h]!).f64x2Mul().f64x2Add().f64x2Sub().st(single);
      }
    };
    /** body over k8 ∈ [j18, n8): pairs, then the odd one */
    const sweep = (body: (single: boolean) => void): void => {
      f.get(j18).set(k8);
      f.ifThen(() => f.get(k8).get(lim).ltS(), () => {
        f.loop();
        body(false);
        f.inc(k8, 16);
        f.get(k8).get(lim).ltS().brIf(0);
        f.end();
      });
      f.ifThen(() => f.get(k8).get(n8).ltS(), () => body(true));
    };
    for (let h = 0; h < g; h++) {
      f.v128Zero().set(accR[h]!);
      f.v128Zero().set(accI[h]!);
    }
    sweep(dot);
    for (let h = 0; h < g; h++) {
      f.get(accR[h]!).f64x2ExtractLane(0).get(accR[h]!).f64x2ExtractLane(1).f64Add().get(t).f64Mul().f64x2Splat().set(SR[h]!);
      f.get(accI[h]!).f64x2ExtractLane(0).get(accI[h]!).f64x2ExtractLane(1).f64Add().get(t).f64Mul().f64x2Splat().set(SI[h]!);
    }
    sweep(axpy);
  };
  /** the g vectors from q on: their bases, then q += g */
  const vectors = (g: number): void => {
    for (let h = 0; h < g; h++) {
      f.get(zb).set(zr[h]!).get(zbI).set(zi[h]!);
      f.inc(zb, { local: n8 }).inc(zbI, { local: n8 });
    }
    f.inc(q, g);
  };

  f.get(N).i32(3).shl().set(n8);
  f.get(n8).i32(8).sub().set(lim);
  f.get(n8).get(QB).mul().set(stride);
  f.get(ZR).set(blockR);
  f.get(ZI).set(blockI);
  // blocks of QB vectors, each taken through all reflectors while it stays in cache
  f.i32(0).set(q0);
  f.loopWhile(() => f.get(q0).get(M).ltS(), () => {
    f.get(q0).get(QB).add().set(qEnd);
    f.ifThen(() => f.get(M).get(qEnd).ltS(), () => { f.get(M).set(qEnd); });
    f.get(qEnd).get(qEnd).get(q0).sub().i32(G).op(I32_REM_S).sub().set(mG);
    f.get(N).i32(3).sub().set(j);
    f.loopWhile(() => f.get(j).i32(0).op(I32_GE_S), () => {
      f.get(j).i32(3).shl().f64Load(TAU).set(t);
      f.ifThen(() => f.get(t).f64(0).op(F64_NE), () => {
        f.get(j).i32(1).add().i32(3).shl().set(j18);
        // v_j into the v slot, for constant-offset loads below
        f.get(AR).get(j).get(N).mul().i32(3).shl().add().set(src);
        f.get(AI).get(j).get(N).mul().i32(3).shl().add().set(srcI);
        f.get(j18).set(k8);
        f.loopWhile(() => f.get(k8).get(n8).ltS(), () => {
          f.get(k8).get(src).get(k8).add().f64Load().f64Store(VR);
          f.get(k8).get(srcI).get(k8).add().f64Load().f64Store(VI);
          f.inc(k8, 8);
        });
        f.get(blockR).set(zb);
        f.get(blockI).set(zbI);
        f.get(q0).set(q);
        f.loopWhile(() => f.get(q).get(mG).ltS(), () => {
          vectors(G);
          group(G);
        });
        f.loopWhile(() => f.get(q).get(qEnd).ltS(), () => {
          vectors(1);
          group(1);
        });
      });
      f.inc(j, -1);
    });
    f.get(blockR).get(stride).add().set(blockR);
    f.get(blockI).get(stride).add().set(blockI);
    f.get(qEnd).set(q0);
  });
  return f;
}

export interface SubspaceKernels {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  /** Rank-2 update and matrix-vector product (see the file comment). */
  passUH(n: number, s0: number, aR: number, aI: number): void;
  /** Rank-2 update only. */
  passU(n: number, s0: number, aR: number, aI: number): void;
  /** Matrix-vector product only. */
  passH(n: number, s0: number, aR: number, aI: number): void;
  /** The back-transformation, blocks of `block` vectors at a time. */
  reflect(n: number, m: number, aR: number, aI: number, zR: number, zI: number, block: number): void;
}

let cached: SubspaceKernels | null | undefined;

/** The kernels, or null where WebAssembly SIMD is unavailable. Built once. */
export function subspaceKernels(): SubspaceKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  const api = wasmApi();
  if (api === undefined) return null;
  try {
    const bytes = encodeModule([buildPass('passUH', true, true), buildPass('passU', true, false), buildPass('passH', false, true), buildReflect(REFLECT_GROUP)]);
    if (!api.validate(bytes)) return null;
    const memory = new api.Memory({ initial: Math.ceil(MATRIX / 65536) });
    const inst = new api.Instance(new api.Module(bytes), { env: { memory } });
    const e = inst.exports as Record<string, ((...args: number[]) => void) | undefined>;
    const passUH = e['passUH'], passU = e['passU'], passH = e['passH'], reflect = e['reflect'];
    if (!passUH || !passU || !passH || !reflect) return null;
    cached = {
      memory,
      ensure(bytes: number): boolean {
        if (bytes > 2 ** 31 - 65536) return false;
        const have = memory.buffer.byteLength;
        if (bytes <= have) return true;
        try { memory.grow(Math.ceil((bytes - have) / 65536)); } catch { return false; }
        return true;
      },
      passUH, passU, passH, reflect,
    };
  } catch {
    cached = null;
  }
  return cached;
}
