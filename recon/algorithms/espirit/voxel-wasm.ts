/**
 * WebAssembly SIMD (f64x2) kernel for step 4 of ESPIRiT (espirit.ts): the
 * matrix-vector product y = G·v of the per-voxel power iteration (G the
 * channels×channels matrix, row-major interleaved complex float64, v and y
 * interleaved complex float64). Results equal to the JS loop up to rounding
 * order.
 *
 *   matvec(c, G, V, Y, S)   byte addresses (multiples of 16); S: scratch of c
 *                         samples (swapped v)
 *
 * With g = (gr, gi), v = (vr, vi) in one f64x2: R += g·v, I += g·swap(v);
 * re(g·v) = R.0 − R.1, im = I.0 + I.1. Built at run time with the shared
 * encoder of recon/wasm/encoder.ts, like the other kernels.
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';

function buildMatvec(): Func {
  const f = new Func('matvec', [I32, I32, I32, I32, I32]);
  const C = 0, G = 1, V = 2, Y = 3, S = 4;
  const a = f.local(I32), b = f.local(I32), row = f.local(I32), end = f.local(I32), lim2 = f.local(I32);
  const R0 = f.local(V128), I0 = f.local(V128), R1 = f.local(V128), I1 = f.local(V128), g = f.local(V128);
  f.get(C).i32(4).shl().set(end);
  f.get(C).i32(-2).op(0x71 /* i32.and */).i32(4).shl().set(lim2);
  // S = swap(V)
  f.i32(0).set(b);
  f.loopWhile(() => f.get(b).get(end).ltS(), () => {
    f.get(S).get(b).add();
    f.get(V).get(b).add().v128Load(0, 4);
    f.get(V).get(b).add().v128Load(0, 4);
    f.swapLanes().v128Store(0, 4);
    f.get(b).i32(16).add().set(b);
  });
  const mac = (R: number, I: number, offset: number): void => {
    f.get(row).get(b).add().v128Load(offset, 4).set(g);
    f.get(R).get(g).get(V).get(b).add().v128Load(offset, 4).f64x2Mul().f64x2Add().set(R);
    f.get(I).get(g).get(S).get(b).add().v128Load(offset, 4).f64x2Mul().f64x2Add().set(I);
  };
  f.i32(0).set(a);
  f.get(G).set(row);
  f.loopWhile(() => f.get(a).get(end).ltS(), () => {
    for (const v of [R0, I0, R1, I1]) f.v128Zero().set(v);
    f.i32(0).set(b);
    f.loopWhile(() => f.get(b).get(lim2).ltS(), () => {
      mac(R0, I0, 0);
      mac(R1, I1, 16);
      f.get(b).i32(32).add().set(b);
    });
    f.ifThen(() => f.get(b).get(end).ltS(), () => { mac(R0, I0, 0); });
    f.get(R0).get(R1).f64x2Add().set(R0);
    f.get(I0).get(I1).f64x2Add().set(I0);
    f.get(Y).get(a).add().get(R0).f64x2ExtractLane(0).get(R0).f64x2ExtractLane(1).f64Sub().f64Store(0);
    f.get(Y).get(a).add().get(I0).f64x2ExtractLane(0).get(I0).f64x2ExtractLane(1).f64Add().f64Store(8);
    f.get(row).get(end).add().set(row);
    f.get(a).i32(16).add().set(a);
  });
  return f;
}

export interface VoxelKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  matvec(c: number, g: number, v: number, y: number, s: number): void;
}

let cached: VoxelKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function voxelKernel(): VoxelKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildMatvec(), 'matvec', 1);
  if (!k) return null;
  cached = { memory: k.memory, ensure: k.ensure, matvec: k.fn };
  return cached;
}
