/**
 * WebAssembly SIMD (f64x2) kernels for the O(N³) part of dominantEigenspace
 * (subspace.ts): the Hermitian matrix-vector product and rank-2 update of the
 * Householder tridiagonalisation, and the application of one Householder
 * reflector to a block of vectors (back-transformation). Float64 throughout,
 * results identical to the JS loops up to rounding order.
 *
 * Data layout: split real/imaginary Float64 arrays in the module's memory, the
 * matrix row-major (lower triangle used); two consecutive k are processed per
 * f64x2 operation. The module is built at run time with the shared binary
 * encoder of recon/wasm/encoder.ts (as are the FFT kernels), so that no
 * toolchain is needed.
 *
 *   hemv(n, s0, aR, aI, uR, uI, pR, pI)        p[k] = Σ_l A[k][l]·u[l], k, l ∈ [s0, n)
 *   her2(n, s0, aR, aI, vR, vI, wR, wI)        A[i][k] −= v_i·conj(w_k) + w_i·conj(v_k), s0 ≤ k ≤ i < n
 *   reflect(n, j1, m, vR, vI, tau, zR, zI)     z ← z − τ·v·(vᴴz) for m vectors z (stride n), rows [j1, n)
 *
 * All addresses are byte offsets (multiples of 8).
 */

import { F64, Func, I32, V128, encodeModule } from '../../wasm/encoder.ts';
import { wasmApi, type WasmMemory } from '../../wasm/api.ts';

/** A function of these kernels: the shared encoder plus addressing into split Float64 arrays. */
class Fn extends Func {
  /** addr = base + 8·idx, left on the stack. */
  addr8(base: number, idx: number): this { return this.get(base).get(idx).i32(3).shl().add(); }
  /** f64x2 load/store at an 8-byte-aligned address. */
  vload(): this { return this.v128Load(0, 3); }
  vstore(): this { return this.v128Store(0, 3); }
}

/** p = A·u on the trailing block [s0, n) (lower triangle of A, real diagonal). */
function buildHemv(): Fn {
  const f = new Fn('hemv', [I32, I32, I32, I32, I32, I32, I32, I32]);
  const N = 0, S0 = 1, AR = 2, AI = 3, UR = 4, UI = 5, PR = 6, PI = 7;
  const i = f.local(I32), k = f.local(I32), rowR = f.local(I32), rowI = f.local(I32), t = f.local(I32);
  const uir = f.local(F64), uii = f.local(F64), sR = f.local(F64), sI = f.local(F64), mr = f.local(F64), mi = f.local(F64), dg = f.local(F64);
  const UIR = f.local(V128), UII = f.local(V128), accR = f.local(V128), accI = f.local(V128);
  const vMr = f.local(V128), vMi = f.local(V128), vUr = f.local(V128), vUi = f.local(V128);
  // p[s0..n) = 0
  f.get(S0).set(k);
  f.loopWhile(() => f.get(k).get(N).ltS(), () => {
    f.addr8(PR, k).f64(0).f64Store();
    f.addr8(PI, k).f64(0).f64Store();
    f.get(k).i32(1).add().set(k);
  });
  f.get(S0).set(i);
  f.loopWhile(() => f.get(i).get(N).ltS(), () => {
    f.get(i).get(N).mul().i32(3).shl().set(t);
    f.get(AR).get(t).add().set(rowR);
    f.get(AI).get(t).add().set(rowI);
    f.addr8(UR, i).f64Load().set(uir);
    f.addr8(UI, i).f64Load().set(uii);
    f.get(uir).f64x2Splat().set(UIR);
    f.get(uii).f64x2Splat().set(UII);
    f.v128Zero().set(accR);
    f.v128Zero().set(accI);
    f.get(S0).set(k);
    // pairs (k, k+1) with k + 1 < i
    f.loopWhile(() => f.get(k).i32(1).add().get(i).ltS(), () => {
      f.addr8(rowR, k).vload().set(vMr);
      f.addr8(rowI, k).vload().set(vMi);
      f.addr8(UR, k).vload().set(vUr);
      f.addr8(UI, k).vload().set(vUi);
      f.get(accR).get(vMr).get(vUr).f64x2Mul().f64x2Add().get(vMi).get(vUi).f64x2Mul().f64x2Sub().set(accR);
      f.get(accI).get(vMr).get(vUi).f64x2Mul().f64x2Add().get(vMi).get(vUr).f64x2Mul().f64x2Add().set(accI);
      f.addr8(PR, k).addr8(PR, k).vload().get(vMr).get(UIR).f64x2Mul().f64x2Add().get(vMi).get(UII).f64x2Mul().f64x2Add().vstore();
      f.addr8(PI, k).addr8(PI, k).vload().get(vMr).get(UII).f64x2Mul().f64x2Add().get(vMi).get(UIR).f64x2Mul().f64x2Sub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    f.get(accR).f64x2ExtractLane(0).get(accR).f64x2ExtractLane(1).f64Add().set(sR);
    f.get(accI).f64x2ExtractLane(0).get(accI).f64x2ExtractLane(1).f64Add().set(sI);
    // tail k = i − 1
    f.ifThen(() => f.get(k).get(i).ltS(), () => {
      f.addr8(rowR, k).f64Load().set(mr);
      f.addr8(rowI, k).f64Load().set(mi);
      f.get(sR).get(mr).addr8(UR, k).f64Load().f64Mul().f64Add().get(mi).addr8(UI, k).f64Load().f64Mul().f64Sub().set(sR);
      f.get(sI).get(mr).addr8(UI, k).f64Load().f64Mul().f64Add().get(mi).addr8(UR, k).f64Load().f64Mul().f64Add().set(sI);
      f.addr8(PR, k).addr8(PR, k).f64Load().get(mr).get(uir).f64Mul().f64Add().get(mi).get(uii).f64Mul().f64Add().f64Store();
      f.addr8(PI, k).addr8(PI, k).f64Load().get(mr).get(uii).f64Mul().f64Add().get(mi).get(uir).f64Mul().f64Sub().f64Store();
    });
    // diagonal (real)
    f.addr8(rowR, i).f64Load().set(dg);
    f.addr8(PR, i).addr8(PR, i).f64Load().get(sR).f64Add().get(dg).get(uir).f64Mul().f64Add().f64Store();
    f.addr8(PI, i).addr8(PI, i).f64Load().get(sI).f64Add().get(dg).get(uii).f64Mul().f64Add().f64Store();
    f.get(i).i32(1).add().set(i);
  });
  return f;
}

/** A[i][k] −= v_i·conj(w_k) + w_i·conj(v_k) for s0 ≤ k ≤ i < n. */
function buildHer2(): Fn {
  const f = new Fn('her2', [I32, I32, I32, I32, I32, I32, I32, I32]);
  const N = 0, S0 = 1, AR = 2, AI = 3, VR = 4, VI = 5, WR = 6, WI = 7;
  const i = f.local(I32), k = f.local(I32), rowR = f.local(I32), rowI = f.local(I32), t = f.local(I32);
  const vir = f.local(F64), vii = f.local(F64), wir = f.local(F64), wii = f.local(F64);
  const vkr = f.local(F64), vki = f.local(F64), wkr = f.local(F64), wki = f.local(F64);
  const VIR = f.local(V128), VII = f.local(V128), WIR = f.local(V128), WII = f.local(V128);
  const xVr = f.local(V128), xVi = f.local(V128), xWr = f.local(V128), xWi = f.local(V128);
  f.get(S0).set(i);
  f.loopWhile(() => f.get(i).get(N).ltS(), () => {
    f.get(i).get(N).mul().i32(3).shl().set(t);
    f.get(AR).get(t).add().set(rowR);
    f.get(AI).get(t).add().set(rowI);
    f.addr8(VR, i).f64Load().set(vir);
    f.addr8(VI, i).f64Load().set(vii);
    f.addr8(WR, i).f64Load().set(wir);
    f.addr8(WI, i).f64Load().set(wii);
    f.get(vir).f64x2Splat().set(VIR);
    f.get(vii).f64x2Splat().set(VII);
    f.get(wir).f64x2Splat().set(WIR);
    f.get(wii).f64x2Splat().set(WII);
    f.get(S0).set(k);
    // pairs (k, k+1) with k + 1 ≤ i
    f.loopWhile(() => f.get(k).get(i).ltS(), () => {
      f.addr8(VR, k).vload().set(xVr);
      f.addr8(VI, k).vload().set(xVi);
      f.addr8(WR, k).vload().set(xWr);
      f.addr8(WI, k).vload().set(xWi);
      f.addr8(rowR, k).addr8(rowR, k).vload()
        .get(VIR).get(xWr).f64x2Mul().get(VII).get(xWi).f64x2Mul().f64x2Add().get(WIR).get(xVr).f64x2Mul().f64x2Add().get(WII).get(xVi).f64x2Mul().f64x2Add()
        .f64x2Sub().vstore();
      f.addr8(rowI, k).addr8(rowI, k).vload()
        .get(VII).get(xWr).f64x2Mul().get(VIR).get(xWi).f64x2Mul().f64x2Sub().get(WII).get(xVr).f64x2Mul().f64x2Add().get(WIR).get(xVi).f64x2Mul().f64x2Sub()
        .f64x2Sub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    // tail k = i
    f.ifThen(() => f.get(k).get(i).eq(), () => {
      f.addr8(VR, k).f64Load().set(vkr);
      f.addr8(VI, k).f64Load().set(vki);
      f.addr8(WR, k).f64Load().set(wkr);
      f.addr8(WI, k).f64Load().set(wki);
      f.addr8(rowR, k).addr8(rowR, k).f64Load()
        .get(vir).get(wkr).f64Mul().get(vii).get(wki).f64Mul().f64Add().get(wir).get(vkr).f64Mul().f64Add().get(wii).get(vki).f64Mul().f64Add()
        .f64Sub().f64Store();
      f.addr8(rowI, k).addr8(rowI, k).f64Load()
        .get(vii).get(wkr).f64Mul().get(vir).get(wki).f64Mul().f64Sub().get(wii).get(vkr).f64Mul().f64Add().get(wir).get(vki).f64Mul().f64Sub()
        .f64Sub().f64Store();
    });
    f.get(i).i32(1).add().set(i);
  });
  return f;
}

/** For m vectors z (stride n doubles): z[j1..n) −= τ·v·(vᴴz). */
function buildReflect(): Fn {
  const f = new Fn('reflect', [I32, I32, I32, I32, I32, F64, I32, I32]);
  const N = 0, J1 = 1, M = 2, VR = 3, VI = 4, TAU = 5, ZR = 6, ZI = 7;
  const q = f.local(I32), k = f.local(I32), baseR = f.local(I32), baseI = f.local(I32), stride = f.local(I32);
  const sR = f.local(F64), sI = f.local(F64), a = f.local(F64), b = f.local(F64), c = f.local(F64), d = f.local(F64);
  const accR = f.local(V128), accI = f.local(V128), xa = f.local(V128), xb = f.local(V128), xc = f.local(V128), xd = f.local(V128);
  const SR = f.local(V128), SI = f.local(V128);
  f.get(N).i32(3).shl().set(stride);
  f.get(ZR).set(baseR);
  f.get(ZI).set(baseI);
  f.i32(0).set(q);
  f.loopWhile(() => f.get(q).get(M).ltS(), () => {
    // s = vᴴz
    f.v128Zero().set(accR);
    f.v128Zero().set(accI);
    f.get(J1).set(k);
    f.loopWhile(() => f.get(k).i32(1).add().get(N).ltS(), () => {
      f.addr8(VR, k).vload().set(xa);
      f.addr8(VI, k).vload().set(xb);
      f.addr8(baseR, k).vload().set(xc);
      f.addr8(baseI, k).vload().set(xd);
      f.get(accR).get(xa).get(xc).f64x2Mul().f64x2Add().get(xb).get(xd).f64x2Mul().f64x2Add().set(accR);
      f.get(accI).get(xa).get(xd).f64x2Mul().f64x2Add().get(xb).get(xc).f64x2Mul().f64x2Sub().set(accI);
      f.get(k).i32(2).add().set(k);
    });
    f.get(accR).f64x2ExtractLane(0).get(accR).f64x2ExtractLane(1).f64Add().set(sR);
    f.get(accI).f64x2ExtractLane(0).get(accI).f64x2ExtractLane(1).f64Add().set(sI);
    f.ifThen(() => f.get(k).get(N).ltS(), () => {
      f.addr8(VR, k).f64Load().set(a);
      f.addr8(VI, k).f64Load().set(b);
      f.addr8(baseR, k).f64Load().set(c);
      f.addr8(baseI, k).f64Load().set(d);
      f.get(sR).get(a).get(c).f64Mul().f64Add().get(b).get(d).f64Mul().f64Add().set(sR);
      f.get(sI).get(a).get(d).f64Mul().f64Add().get(b).get(c).f64Mul().f64Sub().set(sI);
    });
    f.get(sR).get(TAU).f64Mul().set(sR);
    f.get(sI).get(TAU).f64Mul().set(sI);
    f.get(sR).f64x2Splat().set(SR);
    f.get(sI).f64x2Splat().set(SI);
    // z −= v·s
    f.get(J1).set(k);
    f.loopWhile(() => f.get(k).i32(1).add().get(N).ltS(), () => {
      f.addr8(VR, k).vload().set(xa);
      f.addr8(VI, k).vload().set(xb);
      f.addr8(baseR, k).addr8(baseR, k).vload().get(xa).get(SR).f64x2Mul().get(xb).get(SI).f64x2Mul().f64x2Sub().f64x2Sub().vstore();
      f.addr8(baseI, k).addr8(baseI, k).vload().get(xa).get(SI).f64x2Mul().get(xb).get(SR).f64x2Mul().f64x2Add().f64x2Sub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    f.ifThen(() => f.get(k).get(N).ltS(), () => {
      f.addr8(VR, k).f64Load().set(a);
      f.addr8(VI, k).f64Load().set(b);
      f.addr8(baseR, k).addr8(baseR, k).f64Load().get(a).get(sR).f64Mul().get(b).get(sI).f64Mul().f64Sub().f64Sub().f64Store();
      f.addr8(baseI, k).addr8(baseI, k).f64Load().get(a).get(sI).f64Mul().get(b).get(sR).f64Mul().f64Add().f64Sub().f64Store();
    });
    f.get(baseR).get(stride).add().set(baseR);
    f.get(baseI).get(stride).add().set(baseI);
    f.get(q).i32(1).add().set(q);
  });
  return f;
}

export interface SubspaceKernels {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  hemv(n: number, s0: number, aR: number, aI: number, uR: number, uI: number, pR: number, pI: number): void;
  her2(n: number, s0: number, aR: number, aI: number, vR: number, vI: number, wR: number, wI: number): void;
  reflect(n: number, j1: number, m: number, vR: number, vI: number, tau: number, zR: number, zI: number): void;
}

let cached: SubspaceKernels | null | undefined;

/** The kernels, or null where WebAssembly SIMD is unavailable. Built once. */
export function subspaceKernels(): SubspaceKernels | null {
  if (cached !== undefined) return cached;
  cached = null;
  const api = wasmApi();
  if (api === undefined) return null;
  try {
    const bytes = encodeModule([buildHemv(), buildHer2(), buildReflect()]);
    if (!api.validate(bytes)) return null;
    const memory = new api.Memory({ initial: 16 });
    const inst = new api.Instance(new api.Module(bytes), { env: { memory } });
    const e = inst.exports as Record<string, (...args: number[]) => void>;
    const hemv = e['hemv'], her2 = e['her2'], reflect = e['reflect'];
    if (!hemv || !her2 || !reflect) return null;
    cached = {
      memory,
      ensure(bytes: number): boolean {
        if (bytes > 2 ** 31 - 65536) return false;
        const have = memory.buffer.byteLength;
        if (bytes <= have) return true;
        try { memory.grow(Math.ceil((bytes - have) / 65536)); } catch { return false; }
        return true;
      },
      hemv, her2, reflect,
    };
  } catch {
    cached = null;
  }
  return cached;
}
