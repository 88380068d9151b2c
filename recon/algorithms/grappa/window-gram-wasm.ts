/**
 * WebAssembly SIMD (f64x2) kernel for the lagged GRAPPA calibration Gram
 * matrix (lagged-gram.ts): channel-by-channel cross products of two
 * sets of k-space lines, summed over sliding readout windows and accumulated
 * line by line. Float64 throughout.
 *
 * Data layout in the module's memory (byte addresses, multiples of 16): the
 * samples are interleaved complex float64 (one sample = one f64x2 (re, im));
 * channel a of line l of X starts at X + l·lsx + a·csx, likewise for Y.
 * OUT holds one slot per line, slot = nw × ni × nj complex, row-major
 * [w][a][b]; the slot before OUT (OUT − slot bytes) is the running sum the
 * first line adds to (the caller zeroes it, or leaves the previous call's
 * last slot there to continue a sum). For line l, window w < nw, channels
 * a < ni, b < nj:
 *
 *   W_l,w[a][b] = Σ_{s = w}^{w + ns − 1} X_a,l[s]·conj(Y_b,l[s])
 *   OUT_l[w][a][b] = OUT_{l−1}[w][a][b] + W_l,w[a][b]
 *
 * so a window sum over any run of lines is the difference of two slots. ni
 * and nj are even (the caller pads the channels with zero rows).
 *
 * Per 2×2 channel tile the window w = 0 is a dot product over ns samples with
 * the register tile of the Gram kernel (gram-wasm.ts: with x = (xr, xi),
 * y = (yr, yi) in one f64x2, R += x·y and I += x·swap(y), re = R.0 + R.1,
 * im = I.1 − I.0); each further window slides by one sample (adds sample
 * w + ns − 1, subtracts sample w − 1), so nw windows cost ns + 2·(nw − 1)
 * products instead of nw·ns. Lines are the outer loop so that one line of
 * every channel of X and Y (≈ 2·channels·ns·16 bytes) stays in L2 while all
 * tiles visit it.
 *
 *   xwin(ni, nj, nl, ns, nw, X, Y, lsx, lsy, csx, csy, OUT)
 *
 * Built at run time with the shared encoder of recon/wasm/encoder.ts, like the
 * other kernels.
 */

import { Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';

/** Lane picks of two f64x2 (first operand bytes 0–15, second 16–31). */
const R0_I1 = [0, 1, 2, 3, 4, 5, 6, 7, 24, 25, 26, 27, 28, 29, 30, 31];
const R1_I0 = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];

function buildWindowGram(): Func {
  const f = new Func('xwin', [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32]);
  const NI = 0, NJ = 1, NL = 2, NS = 3, NW = 4, X = 5, Y = 6, LSX = 7, LSY = 8, CSX = 9, CSY = 10, OUT = 11;
  const l = f.local(I32), i0 = f.local(I32), j0 = f.local(I32), k = f.local(I32), e = f.local(I32), w = f.local(I32);
  const xl = f.local(I32), yl = f.local(I32), ol = f.local(I32), slot = f.local(I32), wstep = f.local(I32), rowb = f.local(I32), o = f.local(I32);
  const px0 = f.local(I32), px1 = f.local(I32), py0 = f.local(I32), py1 = f.local(I32);
  const r00 = f.local(V128), i00 = f.local(V128), r01 = f.local(V128), i01 = f.local(V128);
  const r10 = f.local(V128), i10 = f.local(V128), r11 = f.local(V128), i11 = f.local(V128);
  const a0 = f.local(V128), a1 = f.local(V128), b = f.local(V128), sbv = f.local(V128), sgn = f.local(V128);

  const load = (p: number): void => { f.get(p).get(k).add().v128Load(0, 4); };
  /** acc ±= x·y */
  const mac = (acc: number, x: number, y: number, sub = false): void => {
    f.get(acc).get(x).get(y).f64x2Mul();
    if (sub) f.f64x2Sub(); else f.f64x2Add();
    f.set(acc);
  };
  /** the 2×2 tile's products at sample offset k (bytes), added or subtracted */
  const sample = (sub: boolean): void => {
    load(px0); f.set(a0);
    load(px1); f.set(a1);
    load(py0); f.tee(b).get(b).swapLanes().set(sbv);
    mac(r00, a0, b, sub); mac(i00, a0, sbv, sub); mac(r10, a1, b, sub); mac(i10, a1, sbv, sub);
    load(py1); f.tee(b).get(b).swapLanes().set(sbv);
    mac(r01, a0, b, sub); mac(i01, a0, sbv, sub); mac(r11, a1, b, sub); mac(i11, a1, sbv, sub);
  };
  /** OUT[addr] = OUT[addr − slot] + (R.0 + R.1, I.1 − I.0) */
  const flush = (addr: () => void, R: number, I: number): void => {
    addr();
    addr(); f.get(slot).sub().v128Load(0, 4);
    f.get(R).get(I).shuffle(R0_I1);
    f.get(R).get(I).shuffle(R1_I0).get(sgn).f64x2Mul().f64x2Add();
    f.f64x2Add().v128Store(0, 4);
  };
  const flushTile = (): void => {
    flush(() => f.get(o), r00, i00);
    flush(() => f.get(o).i32(16).add(), r01, i01);
    flush(() => f.get(o).get(rowb).add(), r10, i10);
    flush(() => f.get(o).get(rowb).add().i32(16).add(), r11, i11);
  };

  f.v128Const(Array.from(new Uint8Array(new Float64Array([1, -1]).buffer))).set(sgn);
  f.get(NS).i32(4).shl().set(e);
  f.get(NJ).i32(4).shl().set(rowb);
  f.get(NI).get(rowb).mul().set(wstep);
  f.get(NW).get(wstep).mul().set(slot);
  f.i32(0).set(l);
  f.loopWhile(() => f.get(l).get(NL).ltS(), () => {
    f.get(X).get(l).get(LSX).mul().add().set(xl);
    f.get(Y).get(l).get(LSY).mul().add().set(yl);
    f.get(OUT).get(l).get(slot).mul().add().set(ol);
    f.i32(0).set(i0);
    f.loopWhile(() => f.get(i0).get(NI).ltS(), () => {
      f.get(xl).get(i0).get(CSX).mul().add().tee(px0).get(CSX).add().set(px1);
      f.i32(0).set(j0);
      f.loopWhile(() => f.get(j0).get(NJ).ltS(), () => {
        f.get(yl).get(j0).get(CSY).mul().add().tee(py0).get(CSY).add().set(py1);
        for (const acc of [r00, i00, r01, i01, r10, i10, r11, i11]) f.v128Zero().set(acc);
        f.i32(0).set(k);
        f.loopWhile(() => f.get(k).get(e).ltS(), () => {
          sample(false);
          f.get(k).i32(16).add().set(k);
        });
        // o = ol + (i0·nj + j0)·16
        f.get(ol).get(i0).get(rowb).mul().add().get(j0).i32(4).shl().add().set(o);
        flushTile();
        f.i32(1).set(w);
        f.loopWhile(() => f.get(w).get(NW).ltS(), () => {
          f.get(w).get(NS).add().i32(1).sub().i32(4).shl().set(k);
          sample(false);
          f.get(w).i32(1).sub().i32(4).shl().set(k);
          sample(true);
          f.get(o).get(wstep).add().set(o);
          flushTile();
          f.get(w).i32(1).add().set(w);
        });
        f.get(j0).i32(2).add().set(j0);
      });
      f.get(i0).i32(2).add().set(i0);
    });
    f.get(l).i32(1).add().set(l);
  });
  return f;
}

export interface WindowGramKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  xwin(ni: number, nj: number, nl: number, ns: number, nw: number, x: number, y: number,
    lsx: number, lsy: number, csx: number, csy: number, out: number): void;
}

const WARMUP_SAMPLES = 32;
const WARMUP_CALLS = 300;

let cached: WindowGramKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function windowGramKernel(): WindowGramKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildWindowGram(), 'xwin', 16);
  if (!k) return null;
  // warm-up (see gram-wasm.ts): queue the optimising compiler early; zero
  // data, 4 channels × 1 line × 32 samples, 3 windows
  const data = 16 * 4 * WARMUP_SAMPLES, slot = 16 * 3 * 4 * 4;
  new Float64Array(k.memory.buffer).fill(0, 0, (data + 2 * slot) / 8);
  for (let r = 0; r < WARMUP_CALLS; r++) k.fn(4, 4, 1, WARMUP_SAMPLES - 2, 3, 0, 0, 0, 0, 16 * WARMUP_SAMPLES, 16 * WARMUP_SAMPLES, data + slot);
  cached = { memory: k.memory, ensure: k.ensure, xwin: k.fn };
  return cached;
}
