/**
 * ESPIRiT's per-voxel stage (steps 4–5 of espirit.ts) as one WebAssembly SIMD
 * (f64x2) function per row of voxels: unpacking G, the start vector, the power
 * iteration with its stopping test, the crop weight, the phase rotation and
 * the float32 writes of maps and eigenvalues — the algorithm of
 * voxel-common.ts, step for step as voxel-js.ts. Every reduction (trace, norms,
 * λ, the phase sums) adds in the JS order, and elementwise f64x2 operations
 * round as the scalar ones, so the two agree bit for bit given the same G·v;
 * only the matrix-vector product sums in another order (rounding only).
 *
 *   voxelRow(c, nx, src, maps, eig, ws, maxIt, level, crop, weightMode, phaseMode, ref)
 *     src   [x][pair] interleaved complex float32 (byte address, 8-aligned)
 *     maps  out: [channel][x] interleaved complex float32 (8-aligned)
 *     eig   out: [x] float32
 *     ws    workspace, 16-aligned: G (c×c), v, y, swap(v), u, two previous
 *           vectors (c each), interleaved complex float64; u preset
 *     level background level of trace(G); crop the eigenvalue crop
 *     weightMode 0: w = 1, 1: soft, 2: hard;  phaseMode 0: none, 1: u, 2: coil ref
 *
 * The matrix-vector product takes four rows at a time (each v, swap(v) load
 * serves four rows): with g = (gr, gi), v = (vr, vi) in one f64x2,
 * R += g·v, I += g·swap(v); re(g·v) = R.0 − R.1, im = I.0 + I.1. Built at run
 * time with the shared encoder of recon/wasm/encoder.ts, like the other
 * kernels.
 */

import { F64, Func, I32, V128 } from '../../wasm/encoder.ts';
import type { WasmMemory } from '../../wasm/api.ts';
import { instantiateKernel } from '../../wasm/kernel.ts';
import { backgroundLevel, type VoxelRowSolver, type VoxelStageConfig } from './voxel-common.ts';

/** The scalar operations this kernel needs beyond the shared encoder's. */
class VoxelFunc extends Func {
  f64Div(): this { return this.op(0xa3); }
  f64Sqrt(): this { return this.op(0x9f); }
  f64Max(): this { return this.op(0xa5); }
  f64Neg(): this { return this.op(0x9a); }
  f64Eq(): this { return this.op(0x61); }
  f64Gt(): this { return this.op(0x64); }
  f64Le(): this { return this.op(0x65); }
  f64Ge(): this { return this.op(0x66); }
  i32And(): this { return this.op(0x71); }
  i32Or(): this { return this.op(0x72); }
  i32Eq(): this { return this.op(0x46); }
  i32GeS(): this { return this.op(0x4e); }
  select(): this { return this.op(0x1b); }
  /** f32 load / store at a small constant offset (one-byte LEB), 4-byte aligned. */
  f32Load(offset = 0): this { return this.op(0x2a, 2, smallOffset(offset)); }
  f32Store(offset = 0): this { return this.op(0x38, 2, smallOffset(offset)); }
  f64PromoteF32(): this { return this.op(0xbb); }
  f32DemoteF64(): this { return this.op(0xb6); }
  /** `if (cond) then() else otherwise()`; cond leaves an i32 on the stack. */
  ifElse(cond: () => void, then: () => void, otherwise: () => void): void {
    cond();
    this.op(0x04, 0x40);
    then();
    this.op(0x05);
    otherwise();
    this.end();
  }
}

function smallOffset(offset: number): number {
  if (!(offset >= 0 && offset < 128)) throw new Error(`voxel-wasm: offset ${offset} needs a longer encoding`);
  return offset;
}

/** Lane 1's sign bit (conjugation of an (re, im) pair) and lane 0's (negated re). */
const SIGN_LANE1 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];
const SIGN_LANE0 = [0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0];

function buildVoxelRow(): Func {
  const f = new VoxelFunc('voxelRow', [I32, I32, I32, I32, I32, I32, I32, F64, F64, I32, I32, I32]);
  const C = 0, NX = 1, SRC = 2, MAPS = 3, EIG = 4, WS = 5, MAXIT = 6, LEVEL = 7, CROP = 8, WMODE = 9, PMODE = 10, REF = 11;
  const i32 = (): number => f.local(I32);
  const rowB = i32(), diagStep = i32(), mapStride = i32(), lim4 = i32();
  const G = i32(), V = i32(), Y = i32(), S = i32(), U = i32(), P1 = i32(), P2 = i32(), tmp = i32();
  const x = i32(), o = i32(), a = i32(), b = i32(), d = i32(), up = i32(), lo = i32(), m = i32();
  const it = i32(), steps = i32(), warm = i32(), bg = i32(), pm = i32(), mapX = i32();
  const row0 = i32(), row1 = i32(), row2 = i32(), row3 = i32();
  const f64 = (): number => f.local(F64);
  const trace = f64(), s = f64(), inv = f64(), best = f64(), t = f64(), lr = f64(), yy = f64(), lambda = f64(), res2 = f64();
  const tr = f64(), ti = f64(), mag = f64(), cr = f64(), ci = f64(), w = f64();
  const v128 = (): number => f.local(V128);
  const vv = v128(), ss = v128(), g = v128(), q = v128(), CRv = v128(), CIv = v128(), Wv = v128();
  const R = [v128(), v128(), v128(), v128()], I = [v128(), v128(), v128(), v128()];
  const rows = [row0, row1, row2, row3];

  /** for (i = 0; i < limit; i += 16) body(), i and limit i32 locals */
  const eachComplex = (i: number, limit: number, body: () => void): void => {
    f.i32(0).set(i);
    f.loopWhile(() => f.get(i).get(limit).ltS(), () => { body(); f.get(i).i32(16).add().set(i); });
  };
  /** dst[0..c) ← src[0..c) (complex float64) */
  const copyVec = (dst: number, src: number): void => {
    eachComplex(b, rowB, () => { f.get(dst).get(b).add().get(src).get(b).add().v128Load(0, 4).v128Store(0, 4); });
  };
  /** V ← V·inv */
  const scaleV = (): void => {
    eachComplex(b, rowB, () => {
      f.get(V).get(b).add().get(V).get(b).add().v128Load(0, 4).get(inv).f64x2Splat().f64x2Mul().v128Store(0, 4);
    });
  };
  /** s ← s + q.0² + q.1² (the JS order of Σ over interleaved components) */
  const addSquares = (): void => {
    f.get(q).get(q).f64x2Mul().set(q);
    f.get(s).get(q).f64x2ExtractLane(0).f64Add().get(q).f64x2ExtractLane(1).f64Add().set(s);
  };
  /** Y + a·16 ← (R.0 − R.1, I.0 + I.1) for the row whose accumulators are R, I; `k` rows after a */
  const storeRow = (Rk: number, Ik: number, k: number): void => {
    f.get(Y).get(a).add().get(Rk).f64x2ExtractLane(0).get(Rk).f64x2ExtractLane(1).f64Sub().f64Store(16 * k);
    f.get(Y).get(a).add().get(Ik).f64x2ExtractLane(0).get(Ik).f64x2ExtractLane(1).f64Add().f64Store(16 * k + 8);
  };

  /** Y ← G·V (S ← swap(V) first) */
  const matvec = (): void => {
    eachComplex(b, rowB, () => {
      f.get(S).get(b).add().get(V).get(b).add().v128Load(0, 4).get(vv).swapLanes().v128Store(0, 4);
    });
    f.i32(0).set(a);
    f.get(G).set(row0);
    f.loopWhile(() => f.get(a).get(lim4).ltS(), () => {
      for (let k = 1; k < 4; k++) f.get(rows[k - 1]!).get(rowB).add().set(rows[k]!);
      for (let k = 0; k < 4; k++) { f.v128Zero().set(R[k]!); f.v128Zero().set(I[k]!); }
      eachComplex(b, rowB, () => {
        f.get(V).get(b).add().v128Load(0, 4).set(vv);
        f.get(S).get(b).add().v128Load(0, 4).set(ss);
        for (let k = 0; k < 4; k++) {
          f.get(rows[k]!).get(b).add().v128Load(0, 4).set(g);
          f.get(R[k]!).get(g).get(vv).f64x2Mul().f64x2Add().set(R[k]!);
          f.get(I[k]!).get(g).get(ss).f64x2Mul().f64x2Add().set(I[k]!);
        }
      });
      for (let k = 0; k < 4; k++) storeRow(R[k]!, I[k]!, k);
      f.get(row3).get(rowB).add().set(row0);
      f.get(a).i32(64).add().set(a);
    });
    // the last c mod 4 rows
    f.loopWhile(() => f.get(a).get(rowB).ltS(), () => {
      f.v128Zero().set(R[0]!); f.v128Zero().set(I[0]!);
      eachComplex(b, rowB, () => {
        f.get(row0).get(b).add().v128Load(0, 4).set(g);
        f.get(R[0]!).get(g).get(V).get(b).add().v128Load(0, 4).f64x2Mul().f64x2Add().set(R[0]!);
        f.get(I[0]!).get(g).get(S).get(b).add().v128Load(0, 4).f64x2Mul().f64x2Add().set(I[0]!);
      });
      storeRow(R[0]!, I[0]!, 0);
      f.get(row0).get(rowB).add().set(row0);
      f.get(a).i32(16).add().set(a);
    });
  };

  /** G ← the packed upper triangle at o (advancing o past it); trace ← Σ diag in order */
  const unpack = (): void => {
    f.f64(0).set(trace);
    f.get(G).set(d);
    f.i32(0).set(a);
    f.loopWhile(() => f.get(a).get(C).ltS(), () => {
      f.get(o).f32Load(0).f64PromoteF32().set(t);
      f.get(d).get(t).f64Store(0);
      f.get(trace).get(t).f64Add().set(trace);
      f.get(o).i32(8).add().set(o);
      f.get(d).i32(16).add().set(up);
      f.get(d).get(rowB).add().set(lo);
      f.get(a).i32(1).add().set(b);
      f.loopWhile(() => f.get(b).get(C).ltS(), () => {
        f.get(o).v128Load64Zero(0).f64x2PromoteLowF32x4().set(g);
        f.get(up).get(g).v128Store(0, 4);
        f.get(lo).get(g).v128Const(SIGN_LANE1).v128Xor().v128Store(0, 4);
        f.get(o).i32(8).add().set(o);
        f.get(up).i32(16).add().set(up);
        f.get(lo).get(rowB).add().set(lo);
        f.get(b).i32(1).add().set(b);
      });
      f.get(d).get(diagStep).add().set(d);
      f.get(a).i32(1).add().set(a);
    });
  };

  /** V ← 2·P1 − P2 normalised (P1 where that is 0 or not finite) */
  const extrapolate = (): void => {
    f.f64(0).set(s);
    eachComplex(b, rowB, () => {
      f.f64(2).f64x2Splat().get(P1).get(b).add().v128Load(0, 4).f64x2Mul().get(P2).get(b).add().v128Load(0, 4).f64x2Sub().set(q);
      f.get(V).get(b).add().get(q).v128Store(0, 4);
      addSquares();
    });
    f.ifElse(() => f.get(s).f64(0).f64Gt(), () => { f.f64(1).get(s).f64Sqrt().f64Div().set(inv); }, () => { f.f64(0).set(inv); });
    f.ifElse(() => f.get(inv).f64(0).f64Gt(), scaleV, () => copyVec(V, P1));
  };

  /** V ← G's column with the largest diagonal entry, normalised (e₀ if it is 0) */
  const columnStart = (): void => {
    f.f64(-Infinity).set(best);
    f.i32(0).set(m);
    f.get(G).set(d);
    f.i32(0).set(a);
    f.loopWhile(() => f.get(a).get(C).ltS(), () => {
      f.ifThen(() => f.get(d).f64Load(0).tee(t).get(best).f64Gt(), () => { f.get(t).set(best); f.get(a).set(m); });
      f.get(d).get(diagStep).add().set(d);
      f.get(a).i32(1).add().set(a);
    });
    f.get(G).get(m).i32(4).shl().add().set(d);
    f.f64(0).set(s);
    eachComplex(b, rowB, () => {
      f.get(d).v128Load(0, 4).set(q);
      f.get(V).get(b).add().get(q).v128Store(0, 4);
      addSquares();
      f.get(d).get(rowB).add().set(d);
    });
    f.ifThen(() => f.get(s).f64(0).f64Gt().eqz(), () => {
      eachComplex(b, rowB, () => { f.get(V).get(b).add().v128Zero().v128Store(0, 4); });
      f.get(V).f64(1).f64Store(0);
      f.f64(1).set(s);
    });
    f.f64(1).get(s).f64Sqrt().f64Div().set(inv);
    scaleV();
  };

  /** λ by power iteration from V (at most `steps` steps; 0 where G·v = 0) */
  const powerIteration = (): void => {
    f.f64(0).set(lambda);
    f.i32(0).set(it);
    f.block(); // $done
    f.loop(); // $iter
    matvec();
    f.f64(0).set(lr);
    f.f64(0).set(yy);
    eachComplex(b, rowB, () => {
      f.get(Y).get(b).add().v128Load(0, 4).set(q);
      f.get(lr).get(V).get(b).add().v128Load(0, 4).get(q).f64x2Mul().tee(g).f64x2ExtractLane(0).get(g).f64x2ExtractLane(1).f64Add().f64Add().set(lr);
      f.get(yy).get(q).get(q).f64x2Mul().tee(g).f64x2ExtractLane(0).get(g).f64x2ExtractLane(1).f64Add().f64Add().set(yy);
    });
    f.get(lr).set(lambda);
    f.get(yy).get(lr).get(lr).f64Mul().f64Sub().set(res2);
    f.ifThen(() => f.get(yy).f64(0).f64Gt().eqz(), () => { f.f64(0).set(lambda); f.br(2); });
    f.f64(1).get(yy).f64Sqrt().f64Div().set(inv);
    eachComplex(b, rowB, () => {
      f.get(V).get(b).add().get(Y).get(b).add().v128Load(0, 4).get(inv).f64x2Splat().f64x2Mul().v128Store(0, 4);
    });
    f.get(res2).f64(1e-8).get(lr).f64Mul().get(lr).f64Mul().f64Le().brIf(1);
    f.get(it).i32(1).add().tee(it).get(steps).ltS().brIf(0);
    f.end().end();
  };

  /** w ← the crop weight of λ */
  const weight = (): void => {
    f.f64(1).set(w);
    f.ifThen(() => f.get(WMODE).i32(1).i32Eq(), () => {
      f.get(lambda).f64(0).f64Max().f64Sqrt().get(CROP).f64Sub().f64(1).get(CROP).f64Sub().f64Div().set(t);
      f.ifElse(() => f.get(t).f64(-1).f64Le(), () => { f.f64(0).set(w); }, () => {
        f.ifThen(() => f.get(t).f64(1).f64Ge().eqz(), () => {
          f.f64(0.5).f64(1).f64(2).get(t).f64Mul().f64(1).get(t).get(t).f64Mul().f64Add().f64Div().f64Add().f64Mul().set(w);
        });
      });
    });
    f.ifThen(() => f.get(WMODE).i32(2).i32Eq(), () => {
      f.f64(0).f64(1).get(lambda).get(CROP).f64Le().select().set(w);
    });
  };

  /** maps of voxel x ← V·w·conj(phase)/|phase| */
  const writeMaps = (): void => {
    f.f64(1).set(tr);
    f.f64(0).set(ti);
    f.ifThen(() => f.get(PMODE).i32(1).i32Eq(), () => {
      f.f64(0).set(tr);
      f.f64(0).set(ti);
      eachComplex(b, rowB, () => {
        f.get(U).get(b).add().v128Load(0, 4).set(g);
        f.get(V).get(b).add().v128Load(0, 4).set(vv);
        f.get(tr).get(g).get(vv).f64x2Mul().tee(q).f64x2ExtractLane(0).get(q).f64x2ExtractLane(1).f64Add().f64Add().set(tr);
        f.get(ti).get(g).get(vv).get(vv).swapLanes().f64x2Mul().tee(q).f64x2ExtractLane(0).get(q).f64x2ExtractLane(1).f64Sub().f64Add().set(ti);
      });
    });
    f.ifThen(() => f.get(PMODE).i32(2).i32Eq(), () => {
      f.get(V).get(REF).i32(4).shl().add().set(d);
      f.get(d).f64Load(0).set(tr);
      f.get(d).f64Load(8).set(ti);
    });
    f.get(tr).get(tr).f64Mul().get(ti).get(ti).f64Mul().f64Add().f64Sqrt().set(mag);
    f.ifElse(() => f.get(mag).f64(0).f64Gt(), () => {
      f.get(tr).get(mag).f64Div().set(cr);
      f.get(ti).f64Neg().get(mag).f64Div().set(ci);
    }, () => { f.f64(1).set(cr); f.f64(0).set(ci); });
    f.get(cr).f64x2Splat().set(CRv);
    f.get(ci).f64x2Splat().v128Const(SIGN_LANE0).v128Xor().set(CIv); // (−ci, ci)
    f.get(w).f64x2Splat().set(Wv);
    f.get(mapX).set(pm);
    eachComplex(b, rowB, () => {
      f.get(V).get(b).add().v128Load(0, 4).set(vv);
      f.get(pm);
      f.get(vv).get(CRv).f64x2Mul().get(vv).get(vv).swapLanes().get(CIv).f64x2Mul().f64x2Add().get(Wv).f64x2Mul();
      f.f32x4DemoteF64x2Zero().v128Store64Lane(0, 0);
      f.get(pm).get(mapStride).add().set(pm);
    });
  };

  const zeroMaps = (): void => {
    f.get(mapX).set(pm);
    eachComplex(b, rowB, () => {
      f.get(pm).v128Zero().v128Store64Lane(0, 0);
      f.get(pm).get(mapStride).add().set(pm);
    });
  };

  // workspace layout and strides
  f.get(C).i32(4).shl().set(rowB);
  f.get(rowB).i32(16).add().set(diagStep);
  f.get(NX).i32(3).shl().set(mapStride);
  f.get(C).i32(-4).i32And().i32(4).shl().set(lim4);
  f.get(WS).set(G);
  f.get(G).get(C).get(rowB).mul().add().set(V);
  f.get(V).get(rowB).add().set(Y);
  f.get(Y).get(rowB).add().set(S);
  f.get(S).get(rowB).add().set(U);
  f.get(U).get(rowB).add().set(P1);
  f.get(P1).get(rowB).add().set(P2);
  // the diagonal's imaginary parts, never written by the unpacking
  f.get(G).set(d);
  f.i32(0).set(a);
  f.loopWhile(() => f.get(a).get(C).ltS(), () => {
    f.get(d).f64(0).f64Store(8);
    f.get(d).get(diagStep).add().set(d);
    f.get(a).i32(1).add().set(a);
  });

  f.i32(0).set(warm);
  f.get(SRC).set(o);
  f.get(MAPS).set(mapX);
  f.i32(0).set(x);
  f.loopWhile(() => f.get(x).get(NX).ltS(), () => {
    unpack();
    f.get(trace).get(LEVEL).f64Le().set(bg);
    f.ifElse(() => f.get(bg).eqz().get(warm).i32(2).i32GeS().i32And(), extrapolate, () => {
      f.ifElse(() => f.get(bg).eqz().get(warm).i32(1).i32Eq().i32And(), () => copyVec(V, P1), columnStart);
    });
    f.i32(1).get(MAXIT).get(bg).select().set(steps);
    powerIteration();
    f.get(EIG).get(x).i32(2).shl().add().get(lambda).f32DemoteF64().f32Store(0);
    f.ifElse(() => f.get(bg).eqz().get(lambda).f64(0).f64Gt().i32And(), () => {
      f.get(P2).set(tmp);
      f.get(P1).set(P2);
      f.get(tmp).set(P1);
      copyVec(P1, V);
      f.get(warm).i32(1).add().set(warm);
    }, () => { f.i32(0).set(warm); });
    weight();
    f.ifElse(() => f.get(w).f64(0).f64Eq().get(bg).i32Or(), zeroMaps, writeMaps);
    f.get(mapX).i32(8).add().set(mapX);
    f.get(x).i32(1).add().set(x);
  });
  return f;
}

export interface VoxelKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  voxelRow(c: number, nx: number, src: number, maps: number, eig: number, ws: number, maxIt: number,
    level: number, crop: number, weightMode: number, phaseMode: number, ref: number): void;
}

let cached: VoxelKernel | null | undefined;

/** The kernel, or null where WebAssembly SIMD is unavailable. Built once. */
export function voxelKernel(): VoxelKernel | null {
  if (cached !== undefined) return cached;
  cached = null;
  const k = instantiateKernel(buildVoxelRow(), 'voxelRow', 1);
  if (!k) return null;
  cached = { memory: k.memory, ensure: k.ensure, voxelRow: k.fn };
  return cached;
}

/** The row solver on the kernel, or null where there is none or its memory cannot grow. */
export function wasmRowSolver(cfg: VoxelStageConfig): VoxelRowSolver | null {
  const vk = voxelKernel();
  if (vk === null) return null;
  const { channels: c, nx, maxIterations: maxIt, crop, softCrop: soft, phase } = cfg;
  const P = (c * (c + 1)) / 2;
  // workspace, then G's row, the maps' row ([channel][x]) and the eigenvalues
  const srcB = 16 * (c * c + 6 * c);
  const mapsB = srcB + 16 * Math.ceil((8 * nx * P) / 16);
  const eigB = mapsB + 8 * nx * c;
  if (!vk.ensure(eigB + 4 * nx)) return null;
  const buf = vk.memory.buffer;
  const input = new Float32Array(buf, srcB, 2 * nx * P);
  const rowMaps = new Float32Array(buf, mapsB, 2 * nx * c);
  const rowEig = new Float32Array(buf, eigB, nx);
  const phaseMode = phase instanceof Float64Array ? 1 : typeof phase === 'number' ? 2 : 0;
  if (phase instanceof Float64Array) new Float64Array(buf, 16 * (c * c + 3 * c), 2 * c).set(phase.subarray(0, 2 * c));
  const ref = typeof phase === 'number' ? phase : 0;
  const weightMode = crop === 0 ? 0 : soft ? 1 : 2;
  const level = backgroundLevel(crop, soft);
  return {
    input,
    solve(maps: Float32Array, eig: Float32Array, vox0: number, npix: number): void {
      vk.voxelRow(c, nx, srcB, mapsB, eigB, 0, maxIt, level, crop, weightMode, phaseMode, ref);
      for (let a = 0; a < c; a++) maps.set(rowMaps.subarray(2 * nx * a, 2 * nx * (a + 1)), 2 * (vox0 + npix * a));
      eig.set(rowEig, vox0);
    },
  };
}
