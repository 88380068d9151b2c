/**
 * WebAssembly SIMD (f64x2) kernel for the channel Gram matrix of gram.ts:
 * G[i][j] += Σ_s x_i[s]·conj(x_j[s]) for i ≤ j (the upper triangle; gram.ts
 * mirrors it), float64 throughout, results equal to the JS loops up to
 * rounding order.
 *
 * Data layout in the module's memory: X is `np` channels × `ns` samples,
 * channel slowest, interleaved complex float64 (one sample = one f64x2
 * (re, im)); G is np×np interleaved complex float64, row-major. np is even
 * (the caller pads an odd channel count with a zero row).
 *
 * With a = (ar, ai) and b = (br, bi) in one f64x2, a·conj(b) =
 * (ar·br + ai·bi, ai·br − ar·bi): two accumulators per entry, R += a·b and
 * I += a·swap(b), reduced at the end as re = R.0 + R.1, im = I.1 − I.0.
 * Register tile 2×2 entries (8 accumulators, 4 loads and 2 lane swaps per
 * sample for 8 multiplies and 8 adds). One call handles one block of `ns`
 * samples (the caller blocks the samples so that the rows of a block stay in
 * L2 while every pair visits them; many short calls also let V8 tier the
 * kernel up from its baseline compiler early).
 *
 *   gram(np, ns, X, G, stride)   X, G byte addresses (multiples of 16),
 *                                stride: bytes from one channel row of X to the next
 *
 * Built at run time with the shared encoder of recon/wasm/encoder.ts, like the
 * FFT and ESPIRiT kernels.
 */

import { Func, I32, V128 } from '../wasm/encoder.ts';
import type { WasmMemory } from '../wasm/api.ts';
import { instantiateKernel } from '../wasm/kernel.ts';

function buildGram(): Func {
  const f = new Func('gram', [I32, I32, I32, I32, I32]);
  const NP = 0, NS = 1, X = 2, G = 3, STRIDE = 4;
  const e = f.local(I32), i0 = f.local(I32), j0 = f.local(I32), k = f.local(I32);
  const pa0 = f.local(I32), pa1 = f.local(I32), pb0 = f.local(I32), pb1 = f.local(I32), g = f.local(I32), gs = f.local(I32);
  const r00 = f.local(V128), i00 = f.local(V128), r01 = f.local(V128), i01 = f.local(V128);
  const r10 = f.local(V128), i10 = f.local(V128), r11 = f.local(V128), i11 = f.local(V128);
  const a0 = f.local(V128), a1 = f.local(V128), b = f.local(V128), sbv = f.local(V128);
  const load = (p: number): void => { f.get(p).get(k).add().v128Load(0, 4); };
  /** acc += x·y */
  const mac = (acc: number, x: number, y: number): void => { f.get(acc).get(x).get(y).f64x2Mul().f64x2Add().set(acc); };
  /** G[addr] += R.0 + R.1; G[addr + 8] += I.1 − I.0 */
  const flush = (addr: () => void, R: number, I: number): void => {
    addr(); addr(); f.f64Load(0).get(R).f64x2ExtractLane(0).get(R).f64x2ExtractLane(1).f64Add().f64Add().f64Store(0);
    addr(); addr(); f.f64Load(8).get(I).f64x2ExtractLane(1).get(I).f64x2ExtractLane(0).f64Sub().f64Add().f64Store(8);
  };

  f.get(NS).i32(4).shl().set(e);
  f.get(NP).i32(4).shl().set(gs);
  f.i32(0).set(i0);
  f.loopWhile(() => f.get(i0).get(NP).ltS(), () => {
    f.get(X).get(i0).get(STRIDE).mul().add().tee(pa0).get(STRIDE).add().set(pa1);
    f.get(i0).set(j0);
    f.loopWhile(() => f.get(j0).get(NP).ltS(), () => {
      f.get(X).get(j0).get(STRIDE).mul().add().tee(pb0).get(STRIDE).add().set(pb1);
      for (const acc of [r00, i00, r01, i01, r10, i10, r11, i11]) f.v128Zero().set(acc);
      f.i32(0).set(k);
      f.loopWhile(() => f.get(k).get(e).ltS(), () => {
        load(pa0); f.set(a0);
        load(pa1); f.set(a1);
        load(pb0); f.tee(b).get(b).swapLanes().set(sbv);
        mac(r00, a0, b); mac(i00, a0, sbv); mac(r10, a1, b); mac(i10, a1, sbv);
        load(pb1); f.tee(b).get(b).swapLanes().set(sbv);
        mac(r01, a0, b); mac(i01, a0, sbv); mac(r11, a1, b); mac(i11, a1, sbv);
        f.get(k).i32(16).add().set(k);
      });
      // g = G + (i0·np + j0)·16
      f.get(G).get(i0).get(gs).mul().add().get(j0).i32(4).shl().add().set(g);
      flush(() => f.get(g), r00, i00);
      flush(() => f.get(g).i32(16).add(), r01, i01);
      flush(() => f.get(g).get(gs).add(), r10, i10);
      flush(() => f.get(g).get(gs).add().i32(16).add(), r11, i11);
      f.get(j0).i32(2).add().set(j0);
    });
    f.get(i0).i32(2).add().set(i0);
  });
  return f;
}

export interface GramKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  gram(np: number, ns: number, x: number, g: number, stride: number): void;
}

const WARMUP_SAMPLES = 64;
const WARMUP_CALLS = 300;

let cached: GramKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function gramKernel(): GramKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildGram(), 'gram', 16);
  if (!k) return null;
  // warm-up: many short calls spend V8's tier-up budget, so that the
  // optimising compiler's code (~2-3× faster than the baseline's) is
  // queued before the first real call, which would otherwise run whole in
  // the baseline code (wasm has no on-stack replacement)
  new Float64Array(k.memory.buffer).fill(0, 0, 2 * (8 * 8 + 8 * WARMUP_SAMPLES));
  for (let r = 0; r < WARMUP_CALLS; r++) k.fn(8, WARMUP_SAMPLES, 16 * 8 * 8, 0, 16 * WARMUP_SAMPLES);
  cached = { memory: k.memory, ensure: k.ensure, gram: k.fn };
  return cached;
}
