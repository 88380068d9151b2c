/**
 * WebAssembly SIMD (f64x2) kernel for the complex Cholesky factorisation of
 * cholesky.ts: A = L·Lᴴ, L lower triangular with a real positive diagonal,
 * float64 throughout, results equal to the JS loops up to rounding order.
 *
 * Data layout in the module's memory (byte addresses, multiples of 16): A is
 * np×np interleaved complex float64, row-major (one entry = one f64x2
 * (re, im)); only its lower triangle is read and L overwrites it in place
 * (the strict upper triangle is left as it was). D receives the np
 * reciprocals 1/L[j][j] (float64). np is even (the caller pads an odd size
 * with a zero row and column and a positive diagonal entry).
 *
 * Algorithm: row-oriented (Cholesky–Banachiewicz) in 2×2 tiles. A tile
 * (rows i, i+1; columns j, j+1) needs the dot products
 * Σ_{k<j} L[i+a][k]·conj(L[j+b][k]) of contiguous row prefixes — the register
 * tile of the Gram kernel (gram-wasm.ts): with x = (xr, xi), y = (yr, yi) in
 * one f64x2, R += x·y and I += x·swap(y), re = R.0 + R.1, im = I.1 − I.0 —
 * and then a scalar fix-up for the k = j term of column j+1 (and the square
 * roots on the diagonal tile). Rows are processed in blocks of `rb`, column
 * pair by column pair across the whole block, so the two column rows j, j+1
 * (≤ 2·np·16 bytes, L1) serve rb/2 row pairs before the next ones stream in:
 * the prefix traffic drops by rb/2 against the plain row-by-row order, whose
 * n³/6 entries would otherwise stream from L3 for matrices beyond L2.
 *
 *   chol(np, A, D, floor, rb) → −1, or the first column j whose pivot
 *     d_j = A[j][j] − Σ_{k<j} |L[j][k]|² is not > floor (NaN included, so
 *     non-finite input surfaces here too); L is then incomplete.
 *
 * Built at run time with the shared encoder of recon/wasm/encoder.ts, like the
 * Gram and GRAPPA kernels.
 */

import { F64, Func, I32, V128 } from '../wasm/encoder.ts';
import type { WasmMemory } from '../wasm/api.ts';
import { instantiateKernel } from '../wasm/kernel.ts';

// opcodes the shared encoder has no helper for
const F64_GT = 0x64, F64_DIV = 0xa3, F64_SQRT = 0x9f, SELECT = 0x1b, RETURN = 0x0f;

function buildCholesky(): Func {
  const f = new Func('chol', [I32, I32, I32, F64, I32], [I32]);
  const NP = 0, A = 1, D = 2, FLOOR = 3, RB = 4;
  const rs = f.local(I32), ib = f.local(I32), ie = f.local(I32), j = f.local(I32), i = f.local(I32), k = f.local(I32), e = f.local(I32);
  const pa0 = f.local(I32), pa1 = f.local(I32), pb0 = f.local(I32), pb1 = f.local(I32), p = f.local(I32);
  const r00 = f.local(V128), i00 = f.local(V128), r01 = f.local(V128), i01 = f.local(V128);
  const r10 = f.local(V128), i10 = f.local(V128), r11 = f.local(V128), i11 = f.local(V128);
  const a0 = f.local(V128), a1 = f.local(V128), b = f.local(V128), sbv = f.local(V128);
  const xr = f.local(F64), xi = f.local(F64), cr = f.local(F64), ci = f.local(F64), d0 = f.local(F64), d1 = f.local(F64), piv = f.local(F64);

  const load = (ptr: number): void => { f.get(ptr).get(k).add().v128Load(0, 4); };
  /** acc += x·y */
  const mac = (acc: number, x: number, y: number): void => { f.get(acc).get(x).get(y).f64x2Mul().f64x2Add().set(acc); };
  const re = (R: number): void => { f.get(R).f64x2ExtractLane(0).get(R).f64x2ExtractLane(1).f64Add(); };
  const im = (I: number): void => { f.get(I).f64x2ExtractLane(1).get(I).f64x2ExtractLane(0).f64Sub(); };
  /** return `col` unless piv > floor */
  const check = (col: () => void): void => {
    f.ifThen(() => { f.get(piv).get(FLOOR).op(F64_GT).eqz(); }, () => { col(); f.op(RETURN); });
  };
  /** p ← L[i+a][j] = (A − Σ_a0)·d0; then L[i+a][j+1] = (A − Σ_a1 − L[i+a][j]·conj(c))·d1 */
  const offTile = (R0: number, I0: number, R1: number, I1: number): void => {
    f.get(p).f64Load(0); re(R0); f.f64Sub().get(d0).f64Mul().set(xr);
    f.get(p).f64Load(8); im(I0); f.f64Sub().get(d0).f64Mul().set(xi);
    f.get(p).get(xr).f64Store(0);
    f.get(p).get(xi).f64Store(8);
    f.get(p);
    f.get(p).f64Load(16); re(R1); f.f64Sub().get(xr).get(cr).f64Mul().get(xi).get(ci).f64Mul().f64Add().f64Sub();
    f.get(d1).f64Mul().f64Store(16);
    f.get(p);
    f.get(p).f64Load(24); im(I1); f.f64Sub().get(xi).get(cr).f64Mul().get(xr).get(ci).f64Mul().f64Sub().f64Sub();
    f.get(d1).f64Mul().f64Store(24);
  };

  f.get(NP).i32(4).shl().set(rs);
  f.i32(0).set(ib);
  f.loopWhile(() => f.get(ib).get(NP).ltS(), () => {
    // ie = min(ib + rb, np)
    f.get(ib).get(RB).add().tee(ie).get(NP).get(ie).get(NP).ltS().op(SELECT).set(ie);
    f.i32(0).set(j);
    f.loopWhile(() => f.get(j).get(ie).ltS(), () => {
      f.get(A).get(j).get(rs).mul().add().tee(pb0).get(rs).add().set(pb1);
      f.get(j).i32(4).shl().set(e);
      // i = max(ib, j)
      f.get(ib).get(j).get(j).get(ib).ltS().op(SELECT).set(i);
      f.loopWhile(() => f.get(i).get(ie).ltS(), () => {
        f.get(A).get(i).get(rs).mul().add().tee(pa0).get(rs).add().set(pa1);
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
        f.get(pa0).get(e).add().set(p); // &A[i][j]
        f.ifThen(() => { f.get(i).get(j).eq(); }, () => {
          // diagonal tile: L[j][j], L[j+1][j], L[j+1][j+1]
          f.get(p).f64Load(0); re(r00); f.f64Sub().set(piv);
          check(() => { f.get(j); });
          f.get(piv).op(F64_SQRT).set(piv);
          f.get(p).get(piv).f64Store(0);
          f.get(p).f64(0).f64Store(8);
          f.get(D).get(j).i32(3).shl().add().f64(1).get(piv).op(F64_DIV).tee(d0).f64Store(0);
          f.get(p).get(rs).add().set(p); // &A[j+1][j]
          f.get(p).f64Load(0); re(r10); f.f64Sub().get(d0).f64Mul().set(xr);
          f.get(p).f64Load(8); im(i10); f.f64Sub().get(d0).f64Mul().set(xi);
          f.get(p).get(xr).f64Store(0);
          f.get(p).get(xi).f64Store(8);
          f.get(p).f64Load(16); re(r11); f.f64Sub().get(xr).get(xr).f64Mul().get(xi).get(xi).f64Mul().f64Add().f64Sub().set(piv);
          check(() => { f.get(j).i32(1).add(); });
          f.get(piv).op(F64_SQRT).set(piv);
          f.get(p).get(piv).f64Store(16);
          f.get(p).f64(0).f64Store(24);
          f.get(D).get(j).i32(3).shl().add().f64(1).get(piv).op(F64_DIV).f64Store(8);
        });
        f.ifThen(() => { f.get(i).get(j).eq().eqz(); }, () => {
          f.get(D).get(j).i32(3).shl().add().tee(p).f64Load(0).set(d0);
          f.get(p).f64Load(8).set(d1);
          f.get(pb1).get(e).add().tee(p).f64Load(0).set(cr); // c = L[j+1][j]
          f.get(p).f64Load(8).set(ci);
          f.get(pa0).get(e).add().set(p);
          offTile(r00, i00, r01, i01);
          f.get(pa1).get(e).add().set(p);
          offTile(r10, i10, r11, i11);
        });
        f.get(i).i32(2).add().set(i);
      });
      f.get(j).i32(2).add().set(j);
    });
    f.get(ib).get(RB).add().set(ib);
  });
  f.i32(-1);
  return f;
}

export interface CholeskyKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  /** −1 on success, else the first column whose pivot is not > floor. */
  factor(np: number, a: number, d: number, floor: number, rb: number): number;
}

const WARMUP_SIZE = 8;
const WARMUP_CALLS = 300;

let cached: CholeskyKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function choleskyKernel(): CholeskyKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildCholesky(), 'chol', 16);
  if (!k) return null;
  const fn = k.fn as unknown as (np: number, a: number, d: number, floor: number, rb: number) => number;
  // warm-up (see gram-wasm.ts): queue the optimising compiler early; the
  // identity factors in place into itself, so one fill serves every call
  const n = WARMUP_SIZE, mem = new Float64Array(k.memory.buffer);
  mem.fill(0, 0, 2 * n * n + n);
  for (let i = 0; i < n; i++) mem[2 * (i * n + i)] = 1;
  for (let r = 0; r < WARMUP_CALLS; r++) fn(n, 0, 16 * n * n, 0.5, 4);
  cached = { memory: k.memory, ensure: k.ensure, factor: fn };
  return cached;
}
