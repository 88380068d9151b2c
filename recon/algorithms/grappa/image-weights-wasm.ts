/**
 * WebAssembly SIMD (f32x4) kernel for image-domain GRAPPA unmixing
 * (applyImageWeights in image-domain.ts): out[d][v] = Σ_c W[d + cout·c][v]·x[c][v],
 * complex, two voxels per vector, float32 throughout (the JS path sums in
 * float64; the difference is float32 rounding of a ≤ 64-term sum).
 *
 * With x = (xr0, xi0, xr1, xi1) and w likewise, x·w per voxel pair is
 * x·(wr0, wr0, wr1, wr1) + (xi0, xr0, xi1, xr1)·(−wi0, wi0, −wi1, wi1):
 * three shuffles and a sign flip (xor) for two complex products.
 *
 * The weights of a time series' slice are reused for every frame, so they
 * stay in the module's memory between calls (keyed by the caller), and only
 * the frame (x) is copied in per call. Voxels go in blocks of BLOCK, whose
 * accumulators stay in L1 while all channel pairs stream their runs of W.
 *
 * Memory: [0, 8·BLOCK) accumulators, then x ([cin][n]), out ([cout][n]),
 * then the cached weight sets.
 *
 *   apply(n, cin, cout, X, W, O)    byte addresses, multiples of 16; n even
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import { instantiateKernel, type WasmKernel } from '../../wasm/kernel.ts';

/** Voxels per block (accumulator bytes = 8·BLOCK). */
const BLOCK = 128;

const SIGN = [0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0]; // −0.0 in lanes 0 and 2 (little endian)

function buildApply(): Func {
  const f = new Func('apply', [I32, I32, I32, I32, I32, I32]);
  const NV = 0, CIN = 1, COUT = 2, X = 3, W = 4, O = 5;
  const row = f.local(I32), v0 = f.local(I32), nb = f.local(I32), d = f.local(I32), c = f.local(I32);
  const q = f.local(I32), qe = f.local(I32), px = f.local(I32), pw = f.local(I32), po = f.local(I32);
  const x = f.local(V128), w = f.local(V128), sign = f.local(V128);
  f.v128Const(SIGN).set(sign);
  f.get(NV).i32(3).shl().set(row); // bytes per channel row
  f.i32(0).set(v0);
  f.loopWhile(() => f.get(v0).get(NV).ltS(), () => {
    // nb = min(BLOCK, n − v0) voxels → bytes
    f.get(NV).get(v0).sub().set(nb);
    f.block();
    f.get(nb).i32(BLOCK).ltS().brIf(0);
    f.i32(BLOCK).set(nb);
    f.end();
    f.get(nb).i32(3).shl().set(qe);
    f.i32(0).set(d);
    f.loopWhile(() => f.get(d).get(COUT).ltS(), () => {
      f.i32(0).set(q);
      f.loopWhile(() => f.get(q).get(qe).ltS(), () => {
        f.get(q).v128Zero().v128Store(0, 4);
        f.get(q).i32(16).add().set(q);
      });
      f.i32(0).set(c);
      f.loopWhile(() => f.get(c).get(CIN).ltS(), () => {
        // px = X + c·row + 8·v0, pw = W + (d + cout·c)·row + 8·v0
        f.get(X).get(c).get(row).mul().add().get(v0).i32(3).shl().add().set(px);
        f.get(W).get(d).get(COUT).get(c).mul().add().get(row).mul().add().get(v0).i32(3).shl().add().set(pw);
        f.i32(0).set(q);
        f.loopWhile(() => f.get(q).get(qe).ltS(), () => {
          f.get(px).get(q).add().v128Load(0, 4).set(x);
          f.get(pw).get(q).add().v128Load(0, 4).set(w);
          // acc += x·(wr, wr) + swap(x)·(−wi, wi)
          f.get(q);
          f.get(q).v128Load(0, 4);
          f.get(x).get(w).get(w).shuffle([0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 8, 9, 10, 11]).f32x4Mul().f32x4Add();
          f.get(x).get(x).shuffle([4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11]);
          f.get(w).get(w).shuffle([4, 5, 6, 7, 4, 5, 6, 7, 12, 13, 14, 15, 12, 13, 14, 15]).get(sign).v128Xor();
          f.f32x4Mul().f32x4Add();
          f.v128Store(0, 4);
          f.get(q).i32(16).add().set(q);
        });
        f.get(c).i32(1).add().set(c);
      });
      // out[d][v0 …] = acc
      f.get(O).get(d).get(row).mul().add().get(v0).i32(3).shl().add().set(po);
      f.i32(0).set(q);
      f.loopWhile(() => f.get(q).get(qe).ltS(), () => {
        f.get(po).get(q).add().get(q).v128Load(0, 4).v128Store(0, 4);
        f.get(q).i32(16).add().set(q);
      });
      f.get(d).i32(1).add().set(d);
    });
    f.get(v0).i32(BLOCK).add().set(v0);
  });
  return f;
}

let cached: WasmKernel | null | undefined;
/** Cached weight sets: key → byte address (after the x/out region). */
const sets = new Map<string, { at: number; bytes: number }>();
let ioBytes = 0;
let top = 0;
/** Bytes of weight sets kept; beyond it the cache starts again. */
const CACHE_BYTES = 768 * 1024 * 1024;

function kernel(): WasmKernel | null {
  if (cached === undefined) cached = instantiateKernel(buildApply(), 'apply', 1);
  return cached;
}

const align16 = (b: number): number => (b + 15) & ~15;

/**
 * out = unmixed `aliased` ([cin][n] complex) with weights `W` ([cout·cin][n]).
 * `key` names W for reuse across calls (a calibration id); null: not kept.
 * Returns false (nothing done) where the kernel or its memory is unavailable.
 */
export function applyImageWeightsWasm(aliased: Float32Array, W: Float32Array, n: number, cin: number, cout: number, out: Float32Array, key: string | null): boolean {
  const k = kernel();
  if (k === null) return false;
  const np = n + (n & 1); // whole voxel pairs: a zero voxel pads an odd count
  const need = align16(8 * BLOCK) + align16(8 * np * cin) + align16(8 * np * cout);
  if (need > ioBytes) {
    // the frame region grows: drop the cached sets that sit behind it
    sets.clear();
    ioBytes = need;
    top = ioBytes;
  }
  const wBytes = 8 * np * cout * cin;
  let entry = key !== null ? sets.get(key) : undefined;
  if (!entry) {
    if (top + wBytes > ioBytes + CACHE_BYTES || key === null) {
      sets.clear();
      top = ioBytes;
    }
    if (!k.ensure(top + wBytes)) {
      sets.clear();
      top = ioBytes;
      return false;
    }
    entry = { at: top, bytes: wBytes };
    const mem = new Float32Array(k.memory.buffer);
    for (let r = 0; r < cout * cin; r++) {
      mem.set(W.subarray(2 * n * r, 2 * n * (r + 1)), (entry.at >> 2) + 2 * np * r);
      if (np > n) mem.fill(0, (entry.at >> 2) + 2 * np * r + 2 * n, (entry.at >> 2) + 2 * np * (r + 1));
    }
    top = align16(top + wBytes);
    if (key !== null) sets.set(key, entry);
  }
  if (!k.ensure(ioBytes)) return false;
  const xAt = align16(8 * BLOCK), oAt = xAt + align16(8 * np * cin);
  const mem = new Float32Array(k.memory.buffer);
  for (let c = 0; c < cin; c++) {
    mem.set(aliased.subarray(2 * n * c, 2 * n * (c + 1)), (xAt >> 2) + 2 * np * c);
    if (np > n) mem.fill(0, (xAt >> 2) + 2 * np * c + 2 * n, (xAt >> 2) + 2 * np * (c + 1));
  }
  k.fn(np, cin, cout, xAt, entry.at, oAt);
  for (let d = 0; d < cout; d++) out.set(mem.subarray((oAt >> 2) + 2 * np * d, (oAt >> 2) + 2 * np * d + 2 * n), 2 * n * d);
  return true;
}
