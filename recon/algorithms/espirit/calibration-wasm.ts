/**
 * WebAssembly SIMD (f64x2) kernel for step 1 of calibrationGram
 * (calibration.ts): per row of the ACS block, the sliding-window sums along x
 * of the product image a[x]·conj(b[x]) for consecutive window starts.
 * Float64 throughout; the ACS block is copied into the module's memory as
 * interleaved complex float64 (one sample = one f64x2 (re, im)).
 *
 *   rowwin(rows, A, B, stride, rx, ntx, OUT, outStride)
 *     for r < rows:  a = A + r·stride, b = B + r·stride (byte addresses)
 *       W_0 = Σ_{x < rx} a[x]·conj(b[x])          (two independent chains)
 *       W_t = W_{t−1} + a[rx−1+t]·conj(b[rx−1+t]) − a[t−1]·conj(b[t−1]),  t < ntx
 *       OUT + r·outStride + 16·t ← W_t (re, im)
 *
 * With a = (ar, ai), b = (br, bi) in one f64x2: R += a·b, I += a·swap(b),
 * re = R.0 + R.1, im = I.1 − I.0. Built at run time with the shared encoder
 * of recon/wasm/encoder.ts, like the other kernels.
 */

import { F64, Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';

function buildRowWin(): Func {
  const f = new Func('rowwin', [I32, I32, I32, I32, I32, I32, I32, I32]);
  const ROWS = 0, A = 1, B = 2, STRIDE = 3, RX = 4, NTX = 5, OUT = 6, OSTRIDE = 7;
  const r = f.local(I32), pa = f.local(I32), pb = f.local(I32), po = f.local(I32), x = f.local(I32), lim2 = f.local(I32), end = f.local(I32), t = f.local(I32);
  const qa = f.local(I32), qb = f.local(I32);
  const sr = f.local(F64), si = f.local(F64), ar = f.local(F64), ai = f.local(F64), br = f.local(F64), bi = f.local(F64);
  const R0 = f.local(V128), I0 = f.local(V128), R1 = f.local(V128), I1 = f.local(V128), a = f.local(V128), b = f.local(V128);
  const mac = (R: number, I: number, offset: number): void => {
    f.get(pa).get(x).add().v128Load(offset, 4).set(a);
    f.get(pb).get(x).add().v128Load(offset, 4).set(b);
    f.get(R).get(a).get(b).f64x2Mul().f64x2Add().set(R);
    f.get(I).get(a).get(b).get(b).swapLanes().f64x2Mul().f64x2Add().set(I);
  };
  /** sr ±= re(a·conj(b)), si ±= im(a·conj(b)) for the samples at byte addresses qa, qb */
  const slide = (sub: boolean): void => {
    f.get(qa).f64Load(0).set(ar); f.get(qa).f64Load(8).set(ai);
    f.get(qb).f64Load(0).set(br); f.get(qb).f64Load(8).set(bi);
    f.get(sr).get(ar).get(br).f64Mul().get(ai).get(bi).f64Mul().f64Add();
    if (sub) f.f64Sub(); else f.f64Add();
    f.set(sr);
    f.get(si).get(ai).get(br).f64Mul().get(ar).get(bi).f64Mul().f64Sub();
    if (sub) f.f64Sub(); else f.f64Add();
    f.set(si);
  };
  // lim2 = 16·(rx & ~1), end = 16·rx
  f.get(RX).i32(-2).op(0x71 /* i32.and */).i32(4).shl().set(lim2);
  f.get(RX).i32(4).shl().set(end);
  f.i32(0).set(r);
  f.loopWhile(() => f.get(r).get(ROWS).ltS(), () => {
    f.get(A).get(r).get(STRIDE).mul().add().set(pa);
    f.get(B).get(r).get(STRIDE).mul().add().set(pb);
    f.get(OUT).get(r).get(OSTRIDE).mul().add().set(po);
    for (const v of [R0, I0, R1, I1]) f.v128Zero().set(v);
    f.i32(0).set(x);
    f.loopWhile(() => f.get(x).get(lim2).ltS(), () => {
      mac(R0, I0, 0);
      mac(R1, I1, 16);
      f.get(x).i32(32).add().set(x);
    });
    f.ifThen(() => f.get(x).get(end).ltS(), () => { mac(R0, I0, 0); });
    f.get(R0).get(R1).f64x2Add().set(R0);
    f.get(I0).get(I1).f64x2Add().set(I0);
    f.get(R0).f64x2ExtractLane(0).get(R0).f64x2ExtractLane(1).f64Add().set(sr);
    f.get(I0).f64x2ExtractLane(1).get(I0).f64x2ExtractLane(0).f64Sub().set(si);
    f.get(po).get(sr).f64Store(0);
    f.get(po).get(si).f64Store(8);
    f.i32(1).set(t);
    f.loopWhile(() => f.get(t).get(NTX).ltS(), () => {
      // + sample rx − 1 + t
      f.get(pa).get(end).add().get(t).i32(4).shl().add().i32(16).sub().set(qa);
      f.get(pb).get(end).add().get(t).i32(4).shl().add().i32(16).sub().set(qb);
      slide(false);
      // − sample t − 1
      f.get(pa).get(t).i32(4).shl().add().i32(16).sub().set(qa);
      f.get(pb).get(t).i32(4).shl().add().i32(16).sub().set(qb);
      slide(true);
      f.get(po).get(t).i32(4).shl().add().tee(qa).get(sr).f64Store(0);
      f.get(qa).get(si).f64Store(8);
      f.get(t).i32(1).add().set(t);
    });
    f.get(r).i32(1).add().set(r);
  });
  return f;
}

export interface RowWindowKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  rowwin(rows: number, a: number, b: number, stride: number, rx: number, ntx: number, out: number, outStride: number): void;
}

let cached: RowWindowKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function rowWindowKernel(): RowWindowKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildRowWin(), 'rowwin', 16);
  if (!k) return null;
  cached = { memory: k.memory, ensure: k.ensure, rowwin: k.fn };
  return cached;
}
