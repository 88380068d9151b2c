/**
 * WebAssembly SIMD (f32x4) kernel for the GRAPPA k-space application of
 * apply-kspace.ts: for four readout points at once and every output channel,
 * out[d][r] = Σ_k W[d][k]·G[k][r] (complex, float32; a sum of ≤ a few hundred
 * float32 products, like the GPU kernel).
 *
 * Data layout in the module's memory (byte addresses, multiples of 16):
 *   G: nk sources × 4 readout points, 32 bytes per source: (re, im) of points
 *      0, 1 in the first vector, of points 2, 3 in the second;
 *   W: nd rows of nk weights, each weight as two f32x4 (wr, wr, wr, wr),
 *      (−wi, wi, −wi, wi) at W + 32·(d·nk + k), so that per point pair
 *      w·y = (wr…)·y + (−wi, wi…)·swap(y), swap exchanging re and im;
 *   O: nd × 4 complex results, 32 bytes per row.
 * nd is even (the caller pads an odd channel count with a zero row).
 * Four points per call halve the weight traffic of two (the weights stream
 * from L2 once per call) and f32x4 holds two complex points per vector.
 *
 *   apply(nd, nk, G, W, O)
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';

/** Readout points per call. */
export const APPLY_POINTS = 4;

const SWAP_PAIRS = [4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11];

function buildApply(): Func {
  const f = new Func('apply', [I32, I32, I32, I32, I32]);
  const ND = 0, NK = 1, G = 2, W = 3, O = 4;
  const d = f.local(I32), pg = f.local(I32), pw0 = f.local(I32), pw1 = f.local(I32), e = f.local(I32), rs = f.local(I32), po = f.local(I32);
  const p0 = f.local(V128), p1 = f.local(V128), q0 = f.local(V128), q1 = f.local(V128);
  const a = f.local(V128), sa = f.local(V128), b = f.local(V128), sb = f.local(V128), wr = f.local(V128), wi = f.local(V128);
  /** acc += wr·y + wi·sy */
  const mac = (acc: number, y: number, sy: number): void => {
    f.get(acc).get(wr).get(y).f32x4Mul().f32x4Add().get(wi).get(sy).f32x4Mul().f32x4Add().set(acc);
  };
  f.get(NK).i32(5).shl().set(rs); // bytes per weight row
  f.i32(0).set(d);
  f.loopWhile(() => f.get(d).get(ND).ltS(), () => {
    for (const acc of [p0, p1, q0, q1]) f.v128Zero().set(acc);
    f.get(W).get(d).get(rs).mul().add().tee(pw0).get(rs).add().set(pw1);
    f.get(G).tee(pg).get(rs).add().set(e);
    f.loopWhile(() => f.get(pg).get(e).ltS(), () => {
      f.get(pg).v128Load(0, 4).tee(a).get(a).shuffle(SWAP_PAIRS).set(sa);
      f.get(pg).v128Load(16, 4).tee(b).get(b).shuffle(SWAP_PAIRS).set(sb);
      f.get(pw0).v128Load(0, 4).set(wr);
      f.get(pw0).v128Load(16, 4).set(wi);
      mac(p0, a, sa); mac(p1, b, sb);
      f.get(pw1).v128Load(0, 4).set(wr);
      f.get(pw1).v128Load(16, 4).set(wi);
      mac(q0, a, sa); mac(q1, b, sb);
      f.get(pg).i32(32).add().set(pg);
      f.get(pw0).i32(32).add().set(pw0);
      f.get(pw1).i32(32).add().set(pw1);
    });
    f.get(O).get(d).i32(5).shl().add().set(po);
    f.get(po).get(p0).v128Store(0, 4);
    f.get(po).get(p1).v128Store(16, 4);
    f.get(po).get(q0).v128Store(32, 4);
    f.get(po).get(q1).v128Store(48, 4);
    f.get(d).i32(2).add().set(d);
  });
  return f;
}

export interface GrappaApplyKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  apply(nd: number, nk: number, g: number, w: number, o: number): void;
}

const WARMUP_SOURCES = 64;
const WARMUP_CALLS = 300;

let cached: GrappaApplyKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function grappaApplyKernel(): GrappaApplyKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildApply(), 'apply', 16);
  if (!k) return null;
  // warm-up (see gram-wasm.ts): queue the optimising compiler early
  const wb = 32 * WARMUP_SOURCES, ob = wb + 4 * 32 * WARMUP_SOURCES;
  new Float32Array(k.memory.buffer).fill(0, 0, (ob + 4 * 32) / 4);
  for (let r = 0; r < WARMUP_CALLS; r++) k.fn(4, WARMUP_SOURCES, 0, wb, ob);
  cached = { memory: k.memory, ensure: k.ensure, apply: k.fn };
  return cached;
}
