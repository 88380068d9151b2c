/**
 * WebAssembly SIMD (f64x2) kernels for the O(N³) part of dominantEigenspace
 * (subspace.ts): the Hermitian matrix-vector product and rank-2 update of the
 * Householder tridiagonalisation, and the application of one Householder
 * reflector to a block of vectors (back-transformation). Float64 throughout,
 * results identical to the JS loops up to rounding order.
 *
 * Data layout: split real/imaginary Float64 arrays in the module's memory, the
 * matrix row-major (lower triangle used); two consecutive k are processed per
 * f64x2 operation. A tiny binary encoder is included so that no toolchain is
 * needed (recon/fft has its own for the FFT kernels).
 *
 *   hemv(n, s0, aR, aI, uR, uI, pR, pI)        p[k] = Σ_l A[k][l]·u[l], k, l ∈ [s0, n)
 *   her2(n, s0, aR, aI, vR, vI, wR, wI)        A[i][k] −= v_i·conj(w_k) + w_i·conj(v_k), s0 ≤ k ≤ i < n
 *   reflect(n, j1, m, vR, vI, tau, zR, zI)     z ← z − τ·v·(vᴴz) for m vectors z (stride n), rows [j1, n)
 *
 * All addresses are byte offsets (multiples of 8).
 */

const I32 = 0x7f, F64 = 0x7c, V128 = 0x7b;
type ValType = typeof I32 | typeof F64 | typeof V128;

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return; }
    out.push(b | 0x80);
  }
}

/** One function body: locals by type, straight instruction emitters. */
class Fn {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];
  constructor(readonly name: string, readonly params: readonly ValType[]) {}
  local(t: ValType): number { this.locals.push(t); return this.params.length + this.locals.length - 1; }
  get(i: number): this { this.code.push(0x20); uleb(i, this.code); return this; }
  set(i: number): this { this.code.push(0x21); uleb(i, this.code); return this; }
  i32(v: number): this { this.code.push(0x41); sleb(v | 0, this.code); return this; }
  op(...b: number[]): this { this.code.push(...b); return this; }
  // i32
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  ltS(): this { return this.op(0x48); }
  eqz(): this { return this.op(0x45); }
  // f64 scalar
  f64Load(): this { return this.op(0x2b, 3, 0); }
  f64Store(): this { return this.op(0x39, 3, 0); }
  fadd(): this { return this.op(0xa0); }
  fsub(): this { return this.op(0xa1); }
  fmul(): this { return this.op(0xa2); }
  // v128 / f64x2
  private simd(opc: number): this { this.code.push(0xfd); uleb(opc, this.code); return this; }
  vload(): this { this.simd(0x00); this.code.push(3, 0); return this; }
  vstore(): this { this.simd(0x0b); this.code.push(3, 0); return this; }
  splat(): this { return this.simd(0x14); }
  lane(l: number): this { this.simd(0x21); this.code.push(l); return this; }
  vadd(): this { return this.simd(0xf0); }
  vsub(): this { return this.simd(0xf1); }
  vmul(): this { return this.simd(0xf2); }
  vzero(): this { this.simd(0x0c); for (let i = 0; i < 16; i++) this.code.push(0); return this; }
  /** while (cond) body — cond leaves an i32 on the stack. */
  loopWhile(cond: () => void, body: () => void): void {
    this.op(0x02, 0x40, 0x03, 0x40);
    cond();
    this.eqz().op(0x0d, 1); // br_if 1 (exit the block)
    body();
    this.op(0x0c, 0, 0x0b, 0x0b); // br 0; end loop; end block
  }
  /** if (cond) body */
  when(cond: () => void, body: () => void): void {
    cond();
    this.op(0x04, 0x40);
    body();
    this.op(0x0b);
  }
  /** addr = base + 8·idx, left on the stack. */
  addr8(base: number, idx: number): this { return this.get(base).get(idx).i32(3).op(0x74).add(); }
  encode(): number[] {
    const body: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++; else groups.push([1, t]);
    }
    uleb(groups.length, body);
    for (const [count, t] of groups) { uleb(count, body); body.push(t); }
    body.push(...this.code, 0x0b);
    const out: number[] = [];
    uleb(body.length, out);
    out.push(...body);
    return out;
  }
}

function section(id: number, content: number[], out: number[]): void {
  out.push(id);
  uleb(content.length, out);
  out.push(...content);
}

function name(s: string, out: number[]): void {
  const b = new TextEncoder().encode(s);
  uleb(b.length, out);
  out.push(...b);
}

function encodeModule(fns: readonly Fn[]): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(fns.length, types);
  for (const f of fns) { types.push(0x60); uleb(f.params.length, types); types.push(...f.params); types.push(0); }
  section(1, types, out);
  const imports: number[] = [];
  uleb(1, imports);
  name('env', imports); name('memory', imports);
  imports.push(0x02, 0x00, 0x01);
  section(2, imports, out);
  const fsec: number[] = [];
  uleb(fns.length, fsec);
  fns.forEach((_, i) => uleb(i, fsec));
  section(3, fsec, out);
  const exp: number[] = [];
  uleb(fns.length, exp);
  fns.forEach((f, i) => { name(f.name, exp); exp.push(0x00); uleb(i, exp); });
  section(7, exp, out);
  const code: number[] = [];
  uleb(fns.length, code);
  for (const f of fns) code.push(...f.encode());
  section(10, code, out);
  return new Uint8Array(out);
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
    f.addr8(PR, k).op(0x44, 0, 0, 0, 0, 0, 0, 0, 0).f64Store();
    f.addr8(PI, k).op(0x44, 0, 0, 0, 0, 0, 0, 0, 0).f64Store();
    f.get(k).i32(1).add().set(k);
  });
  f.get(S0).set(i);
  f.loopWhile(() => f.get(i).get(N).ltS(), () => {
    f.get(i).get(N).mul().i32(3).op(0x74).set(t);
    f.get(AR).get(t).add().set(rowR);
    f.get(AI).get(t).add().set(rowI);
    f.addr8(UR, i).f64Load().set(uir);
    f.addr8(UI, i).f64Load().set(uii);
    f.get(uir).splat().set(UIR);
    f.get(uii).splat().set(UII);
    f.vzero().set(accR);
    f.vzero().set(accI);
    f.get(S0).set(k);
    // pairs (k, k+1) with k + 1 < i
    f.loopWhile(() => f.get(k).i32(1).add().get(i).ltS(), () => {
      f.addr8(rowR, k).vload().set(vMr);
      f.addr8(rowI, k).vload().set(vMi);
      f.addr8(UR, k).vload().set(vUr);
      f.addr8(UI, k).vload().set(vUi);
      f.get(accR).get(vMr).get(vUr).vmul().vadd().get(vMi).get(vUi).vmul().vsub().set(accR);
      f.get(accI).get(vMr).get(vUi).vmul().vadd().get(vMi).get(vUr).vmul().vadd().set(accI);
      f.addr8(PR, k).addr8(PR, k).vload().get(vMr).get(UIR).vmul().vadd().get(vMi).get(UII).vmul().vadd().vstore();
      f.addr8(PI, k).addr8(PI, k).vload().get(vMr).get(UII).vmul().vadd().get(vMi).get(UIR).vmul().vsub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    f.get(accR).lane(0).get(accR).lane(1).fadd().set(sR);
    f.get(accI).lane(0).get(accI).lane(1).fadd().set(sI);
    // tail k = i − 1
    f.when(() => f.get(k).get(i).ltS(), () => {
      f.addr8(rowR, k).f64Load().set(mr);
      f.addr8(rowI, k).f64Load().set(mi);
      f.get(sR).get(mr).addr8(UR, k).f64Load().fmul().fadd().get(mi).addr8(UI, k).f64Load().fmul().fsub().set(sR);
      f.get(sI).get(mr).addr8(UI, k).f64Load().fmul().fadd().get(mi).addr8(UR, k).f64Load().fmul().fadd().set(sI);
      f.addr8(PR, k).addr8(PR, k).f64Load().get(mr).get(uir).fmul().fadd().get(mi).get(uii).fmul().fadd().f64Store();
      f.addr8(PI, k).addr8(PI, k).f64Load().get(mr).get(uii).fmul().fadd().get(mi).get(uir).fmul().fsub().f64Store();
    });
    // diagonal (real)
    f.addr8(rowR, i).f64Load().set(dg);
    f.addr8(PR, i).addr8(PR, i).f64Load().get(sR).fadd().get(dg).get(uir).fmul().fadd().f64Store();
    f.addr8(PI, i).addr8(PI, i).f64Load().get(sI).fadd().get(dg).get(uii).fmul().fadd().f64Store();
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
    f.get(i).get(N).mul().i32(3).op(0x74).set(t);
    f.get(AR).get(t).add().set(rowR);
    f.get(AI).get(t).add().set(rowI);
    f.addr8(VR, i).f64Load().set(vir);
    f.addr8(VI, i).f64Load().set(vii);
    f.addr8(WR, i).f64Load().set(wir);
    f.addr8(WI, i).f64Load().set(wii);
    f.get(vir).splat().set(VIR);
    f.get(vii).splat().set(VII);
    f.get(wir).splat().set(WIR);
    f.get(wii).splat().set(WII);
    f.get(S0).set(k);
    // pairs (k, k+1) with k + 1 ≤ i
    f.loopWhile(() => f.get(k).get(i).ltS(), () => {
      f.addr8(VR, k).vload().set(xVr);
      f.addr8(VI, k).vload().set(xVi);
      f.addr8(WR, k).vload().set(xWr);
      f.addr8(WI, k).vload().set(xWi);
      f.addr8(rowR, k).addr8(rowR, k).vload()
        .get(VIR).get(xWr).vmul().get(VII).get(xWi).vmul().vadd().get(WIR).get(xVr).vmul().vadd().get(WII).get(xVi).vmul().vadd()
        .vsub().vstore();
      f.addr8(rowI, k).addr8(rowI, k).vload()
        .get(VII).get(xWr).vmul().get(VIR).get(xWi).vmul().vsub().get(WII).get(xVr).vmul().vadd().get(WIR).get(xVi).vmul().vsub()
        .vsub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    // tail k = i
    f.when(() => f.get(k).get(i).op(0x46 /* i32.eq */), () => {
      f.addr8(VR, k).f64Load().set(vkr);
      f.addr8(VI, k).f64Load().set(vki);
      f.addr8(WR, k).f64Load().set(wkr);
      f.addr8(WI, k).f64Load().set(wki);
      f.addr8(rowR, k).addr8(rowR, k).f64Load()
        .get(vir).get(wkr).fmul().get(vii).get(wki).fmul().fadd().get(wir).get(vkr).fmul().fadd().get(wii).get(vki).fmul().fadd()
        .fsub().f64Store();
      f.addr8(rowI, k).addr8(rowI, k).f64Load()
        .get(vii).get(wkr).fmul().get(vir).get(wki).fmul().fsub().get(wii).get(vkr).fmul().fadd().get(wir).get(vki).fmul().fsub()
        .fsub().f64Store();
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
  f.get(N).i32(3).op(0x74).set(stride);
  f.get(ZR).set(baseR);
  f.get(ZI).set(baseI);
  f.i32(0).set(q);
  f.loopWhile(() => f.get(q).get(M).ltS(), () => {
    // s = vᴴz
    f.vzero().set(accR);
    f.vzero().set(accI);
    f.get(J1).set(k);
    f.loopWhile(() => f.get(k).i32(1).add().get(N).ltS(), () => {
      f.addr8(VR, k).vload().set(xa);
      f.addr8(VI, k).vload().set(xb);
      f.addr8(baseR, k).vload().set(xc);
      f.addr8(baseI, k).vload().set(xd);
      f.get(accR).get(xa).get(xc).vmul().vadd().get(xb).get(xd).vmul().vadd().set(accR);
      f.get(accI).get(xa).get(xd).vmul().vadd().get(xb).get(xc).vmul().vsub().set(accI);
      f.get(k).i32(2).add().set(k);
    });
    f.get(accR).lane(0).get(accR).lane(1).fadd().set(sR);
    f.get(accI).lane(0).get(accI).lane(1).fadd().set(sI);
    f.when(() => f.get(k).get(N).ltS(), () => {
      f.addr8(VR, k).f64Load().set(a);
      f.addr8(VI, k).f64Load().set(b);
      f.addr8(baseR, k).f64Load().set(c);
      f.addr8(baseI, k).f64Load().set(d);
      f.get(sR).get(a).get(c).fmul().fadd().get(b).get(d).fmul().fadd().set(sR);
      f.get(sI).get(a).get(d).fmul().fadd().get(b).get(c).fmul().fsub().set(sI);
    });
    f.get(sR).get(TAU).fmul().set(sR);
    f.get(sI).get(TAU).fmul().set(sI);
    f.get(sR).splat().set(SR);
    f.get(sI).splat().set(SI);
    // z −= v·s
    f.get(J1).set(k);
    f.loopWhile(() => f.get(k).i32(1).add().get(N).ltS(), () => {
      f.addr8(VR, k).vload().set(xa);
      f.addr8(VI, k).vload().set(xb);
      f.addr8(baseR, k).addr8(baseR, k).vload().get(xa).get(SR).vmul().get(xb).get(SI).vmul().vsub().vsub().vstore();
      f.addr8(baseI, k).addr8(baseI, k).vload().get(xa).get(SI).vmul().get(xb).get(SR).vmul().vadd().vsub().vstore();
      f.get(k).i32(2).add().set(k);
    });
    f.when(() => f.get(k).get(N).ltS(), () => {
      f.addr8(VR, k).f64Load().set(a);
      f.addr8(VI, k).f64Load().set(b);
      f.addr8(baseR, k).addr8(baseR, k).f64Load().get(a).get(sR).fmul().get(b).get(sI).fmul().fsub().fsub().f64Store();
      f.addr8(baseI, k).addr8(baseI, k).f64Load().get(a).get(sI).fmul().get(b).get(sR).fmul().fadd().fsub().f64Store();
    });
    f.get(baseR).get(stride).add().set(baseR);
    f.get(baseI).get(stride).add().set(baseI);
    f.get(q).i32(1).add().set(q);
  });
  return f;
}

/** The parts of the WebAssembly JS API used here (the project's `lib` has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (desc: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (mod: object, imports: object) => { exports: Record<string, unknown> };
  validate(bytes: Uint8Array): boolean;
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
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
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
