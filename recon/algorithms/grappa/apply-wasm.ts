/**
 * WebAssembly SIMD (f64x2) kernel for the GRAPPA k-space application of
 * apply-kspace.ts: for two readout points at once and every output channel,
 * out[d][r] = Σ_k W[d][k]·G[k][r] (complex, float64 throughout).
 *
 * Data layout in the module's memory (byte addresses, multiples of 16):
 *   G: nk sources × 2 readout points, one complex f64x2 (re, im) each,
 *      source k at G + 32k (point 0) and G + 32k + 16 (point 1);
 *   W: nd rows of nk weights, each weight stored as two f64x2
 *      (wr, wr), (−wi, wi) at W + 32·(d·nk + k), so that
 *      w·y = (wr, wr)·y + (−wi, wi)·swap(y);
 *   O: nd × 2 complex f64x2 results at O + 32d (point 0) and O + 32d + 16.
 * nd is even (the caller pads an odd channel count with a zero row).
 *
 *   apply(nd, nk, G, W, O)
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';

function buildApply(): Func {
  const f = new Func('apply', [I32, I32, I32, I32, I32]);
  const ND = 0, NK = 1, G = 2, W = 3, O = 4;
  const d = f.local(I32), pg = f.local(I32), pw0 = f.local(I32), pw1 = f.local(I32), e = f.local(I32), rs = f.local(I32), po = f.local(I32);
  const p0 = f.local(V128), p1 = f.local(V128), q0 = f.local(V128), q1 = f.local(V128);
  const a = f.local(V128), sa = f.local(V128), b = f.local(V128), sb = f.local(V128), wr = f.local(V128), wi = f.local(V128);
  /** acc += wr·y + wi·sy */
  const mac = (acc: number, y: number, sy: number): void => {
    f.get(acc).get(wr).get(y).f64x2Mul().f64x2Add().get(wi).get(sy).f64x2Mul().f64x2Add().set(acc);
  };
  f.get(NK).i32(5).shl().set(rs); // bytes per weight row
  f.i32(0).set(d);
  f.loopWhile(() => f.get(d).get(ND).ltS(), () => {
    for (const acc of [p0, p1, q0, q1]) f.v128Zero().set(acc);
    f.get(W).get(d).get(rs).mul().add().tee(pw0).get(rs).add().set(pw1);
    f.get(G).tee(pg).get(rs).add().set(e);
    f.loopWhile(() => f.get(pg).get(e).ltS(), () => {
      f.get(pg).v128Load(0, 4).tee(a).get(a).swapLanes().set(sa);
      f.get(pg).v128Load(16, 4).tee(b).get(b).swapLanes().set(sb);
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
  new Float64Array(k.memory.buffer).fill(0, 0, (ob + 4 * 32) / 8);
  for (let r = 0; r < WARMUP_CALLS; r++) k.fn(4, WARMUP_SOURCES, 0, wb, ob);
  cached = { memory: k.memory, ensure: k.ensure, apply: k.fn };
  return cached;
}
