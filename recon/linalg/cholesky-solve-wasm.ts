/**
 * WebAssembly SIMD (f64x2) kernel for solveCholesky (cholesky-solve.ts):
 * (L·Lᴴ)·X = B for many right-hand sides, a forward (L·Y = B) and a backward
 * (Lᴴ·X = Y) substitution, float64 throughout, results equal to the JS loops
 * up to rounding order.
 *
 * Data layout in the module's memory (byte addresses, multiples of 16): L is
 * np×np interleaved complex float64, row-major (only the lower triangle is
 * read); B is np×mp, row-major, the right-hand sides of one row contiguous,
 * overwritten by X; D holds the np reciprocals 1/L[i][i] (float64); S is
 * 2·np complex scratch. np is even and mp a multiple of 4 (the caller pads
 * with zero rows / columns and a unit diagonal).
 *
 * Both passes work on two rows (i, i+1) × four right-hand sides at a time:
 * eight f64x2 accumulators of Σ_k ℓ_k·y_k, with ℓ splatted once per k as
 * (ℓr, ℓr) and (∓ℓi, ±ℓi) so that ℓ·y = (ℓr, ℓr)·y + (−ℓi, ℓi)·swap(y)
 * (conj(ℓ)·y with the signs flipped), then a fix-up for the coupling of the
 * two rows through L[i+1][i]. The forward pass reads the rows of L
 * (contiguous); the backward pass needs columns i, i+1 of L, which are
 * gathered once per row pair into S (two entries per k, contiguous) so the
 * loop over the right-hand sides re-reads them from L1 instead of striding
 * through L.
 *
 *   solve(np, mp, L, B, D, S)
 *
 * Built at run time with the shared encoder of recon/wasm/encoder.ts, like the
 * Gram and GRAPPA kernels.
 */

import { Func, I32, V128 } from '../wasm/encoder.ts';
import type { WasmMemory } from '../wasm/api.ts';
import { instantiateKernel } from '../wasm/kernel.ts';

/** Right-hand sides per register tile (the caller pads mp to a multiple). */
export const SOLVE_RHS_BLOCK = 4;

const LANE0 = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];
const LANE1 = [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15];

function f64Pair(a: number, b: number): number[] {
  return Array.from(new Uint8Array(new Float64Array([a, b]).buffer));
}

function buildSolve(): Func {
  const f = new Func('solve', [I32, I32, I32, I32, I32, I32]);
  const NP = 0, MP = 1, L = 2, B = 3, D = 4, S = 5;
  const rs = f.local(I32), bs = f.local(I32), i = f.local(I32), q = f.local(I32), kk = f.local(I32), e = f.local(I32);
  const pl0 = f.local(I32), pl1 = f.local(I32), pb = f.local(I32), pi = f.local(I32);
  const acc = [0, 1, 2, 3, 4, 5, 6, 7].map(() => f.local(V128)); // acc[r·4 + c]: row i+r, rhs q+c
  const lr0 = f.local(V128), li0 = f.local(V128), lr1 = f.local(V128), li1 = f.local(V128), y = f.local(V128), sy = f.local(V128);
  const sgn = f.local(V128), cr = f.local(V128), cim = f.local(V128), d0 = f.local(V128), d1 = f.local(V128), t = f.local(V128);

  /** (lr, li) ← splats of the f64x2 on the stack: (ℓr, ℓr), (ℓi, ℓi)·sgn */
  const splat = (lr: number, li: number): void => {
    f.tee(t).get(t).shuffle(LANE0).set(lr);
    f.get(t).get(t).shuffle(LANE1).get(sgn).f64x2Mul().set(li);
  };
  /** acc[r][c] += ℓ_r·y_c for the 4 right-hand sides at byte address pb */
  const tile = (): void => {
    for (let c = 0; c < SOLVE_RHS_BLOCK; c++) {
      f.get(pb).v128Load(16 * c, 4).tee(y).get(y).swapLanes().set(sy);
      for (const [r, lr, li] of [[0, lr0, li0], [1, lr1, li1]] as const) {
        const a = acc[r * 4 + c]!;
        f.get(a).get(lr).get(y).f64x2Mul().f64x2Add().get(li).get(sy).f64x2Mul().f64x2Add().set(a);
      }
    }
  };
  /** value on the stack + (cr·v + cim·swap(v)) with v in local `v` */
  const coupling = (v: number): void => {
    f.get(cr).get(v).f64x2Mul().get(cim).get(v).get(v).swapLanes().f64x2Mul().f64x2Add();
  };
  const zero = (): void => { for (const a of acc) f.v128Zero().set(a); };
  const loadD = (row: () => void, into: number): void => {
    f.get(D); row(); f.i32(3).shl().add().f64Load(0).f64x2Splat().set(into);
  };

  f.get(NP).i32(4).shl().set(rs);
  f.get(MP).i32(4).shl().set(bs);

  // forward: Y[i] = (B[i] − Σ_{k<i} L[i][k]·Y[k]) / L[i][i]
  f.v128Const(f64Pair(-1, 1)).set(sgn);
  f.i32(0).set(i);
  f.loopWhile(() => f.get(i).get(NP).ltS(), () => {
    f.get(L).get(i).get(rs).mul().add().tee(pl0).get(rs).add().set(pl1);
    f.get(i).i32(4).shl().set(e);
    loadD(() => f.get(i), d0);
    loadD(() => f.get(i).i32(1).add(), d1);
    f.get(pl1).get(e).add().v128Load(0, 4);
    splat(cr, cim); // L[i+1][i]
    f.get(B).get(i).get(bs).mul().add().set(pi);
    f.i32(0).set(q);
    f.loopWhile(() => f.get(q).get(bs).ltS(), () => {
      zero();
      f.get(B).get(q).add().set(pb);
      f.i32(0).set(kk);
      f.loopWhile(() => f.get(kk).get(e).ltS(), () => {
        f.get(pl0).get(kk).add().v128Load(0, 4);
        splat(lr0, li0);
        f.get(pl1).get(kk).add().v128Load(0, 4);
        splat(lr1, li1);
        tile();
        f.get(pb).get(bs).add().set(pb);
        f.get(kk).i32(16).add().set(kk);
      });
      for (let c = 0; c < SOLVE_RHS_BLOCK; c++) {
        // y0 = (B[i] − acc0)·d0; B[i+1] ← (B[i+1] − acc1 − L[i+1][i]·y0)·d1
        f.get(pi).get(q).add().tee(pb);
        f.get(pb).v128Load(16 * c, 4).get(acc[c]!).f64x2Sub().get(d0).f64x2Mul().tee(y).v128Store(16 * c, 4);
        f.get(pb).get(bs).add();
        f.get(pb).get(bs).add().v128Load(16 * c, 4).get(acc[4 + c]!).f64x2Sub();
        coupling(y);
        f.f64x2Sub().get(d1).f64x2Mul().v128Store(16 * c, 4);
      }
      f.get(q).i32(16 * SOLVE_RHS_BLOCK).add().set(q);
    });
    f.get(i).i32(2).add().set(i);
  });

  // backward: X[i] = (Y[i] − Σ_{k>i} conj(L[k][i])·X[k]) / L[i][i]
  f.v128Const(f64Pair(1, -1)).set(sgn);
  f.get(NP).i32(2).sub().set(i);
  f.loopWhile(() => f.i32(-1).get(i).ltS(), () => {
    // S[k] ← (L[k][i], L[k][i+1]), k = i+2 … np−1
    f.get(i).i32(2).add().i32(5).shl().set(kk);
    f.get(NP).i32(5).shl().set(e);
    f.get(L).get(i).i32(2).add().get(rs).mul().add().get(i).i32(4).shl().add().set(pl0);
    f.loopWhile(() => f.get(kk).get(e).ltS(), () => {
      f.get(S).get(kk).add().get(pl0).v128Load(0, 4).v128Store(0, 4);
      f.get(S).get(kk).add().get(pl0).v128Load(16, 4).v128Store(16, 4);
      f.get(pl0).get(rs).add().set(pl0);
      f.get(kk).i32(32).add().set(kk);
    });
    loadD(() => f.get(i), d0);
    loadD(() => f.get(i).i32(1).add(), d1);
    f.get(L).get(i).i32(1).add().get(rs).mul().add().get(i).i32(4).shl().add().v128Load(0, 4);
    splat(cr, cim); // conj(L[i+1][i])
    f.get(B).get(i).get(bs).mul().add().set(pi);
    f.i32(0).set(q);
    f.loopWhile(() => f.get(q).get(bs).ltS(), () => {
      zero();
      f.get(pi).get(bs).add().get(bs).add().get(q).add().set(pb);
      f.get(i).i32(2).add().i32(5).shl().set(kk);
      f.loopWhile(() => f.get(kk).get(e).ltS(), () => {
        f.get(S).get(kk).add().v128Load(0, 4);
        splat(lr0, li0);
        f.get(S).get(kk).add().v128Load(16, 4);
        splat(lr1, li1);
        tile();
        f.get(pb).get(bs).add().set(pb);
        f.get(kk).i32(32).add().set(kk);
      });
      for (let c = 0; c < SOLVE_RHS_BLOCK; c++) {
        // x1 = (Y[i+1] − acc1)·d1; X[i] ← (Y[i] − acc0 − conj(L[i+1][i])·x1)·d0
        f.get(pi).get(q).add().tee(pb).get(bs).add();
        f.get(pb).get(bs).add().v128Load(16 * c, 4).get(acc[4 + c]!).f64x2Sub().get(d1).f64x2Mul().tee(y).v128Store(16 * c, 4);
        f.get(pb);
        f.get(pb).v128Load(16 * c, 4).get(acc[c]!).f64x2Sub();
        coupling(y);
        f.f64x2Sub().get(d0).f64x2Mul().v128Store(16 * c, 4);
      }
      f.get(q).i32(16 * SOLVE_RHS_BLOCK).add().set(q);
    });
    f.get(i).i32(2).sub().set(i);
  });
  return f;
}

export interface CholeskySolveKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  solve(np: number, mp: number, l: number, b: number, d: number, s: number): void;
}

const WARMUP_SIZE = 8;
const WARMUP_CALLS = 300;

let cached: CholeskySolveKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function choleskySolveKernel(): CholeskySolveKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildSolve(), 'solve', 16);
  if (!k) return null;
  // warm-up (see gram-wasm.ts): queue the optimising compiler early (identity
  // L, zero right-hand sides: every call leaves the memory as it was)
  const n = WARMUP_SIZE, mp = SOLVE_RHS_BLOCK;
  const lb = 0, bb = 16 * n * n, db = bb + 16 * n * mp, sb = db + 8 * n;
  const mem = new Float64Array(k.memory.buffer);
  mem.fill(0, 0, (sb + 32 * n) / 8);
  for (let i = 0; i < n; i++) { mem[2 * (i * n + i)] = 1; mem[db / 8 + i] = 1; }
  for (let r = 0; r < WARMUP_CALLS; r++) k.fn(n, mp, lb, bb, db, sb);
  cached = { memory: k.memory, ensure: k.ensure, solve: k.fn };
  return cached;
}
