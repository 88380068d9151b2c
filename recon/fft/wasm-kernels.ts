/**
 * WebAssembly SIMD versions of the Stockham passes (see codelets.ts for the
 * JS ones and their exact semantics), built at run time with recon/wasm/encoder.ts.
 *
 * A complex number is one v128 holding (re, im) as two f64 lanes. Scratch
 * buffers hold V interleaved lines: element j of line v at byte 16*(j*V + v).
 * All pointers are byte addresses in the imported memory.
 *
 *   pass<r>(x, y, m, s, tw)                              buffer → buffer, twiddled
 *   first<r>(base, vs, src, sgn, y, m, V, tw)            Float32 data → buffer (s = V)
 *   last<r>(x, base, vs, dst, scale, sgn, K, V)          buffer → Float32 data (m = 1)
 *
 * Twiddle tables store, for p = 0..m-1 and u = 1..r-1, 32 bytes:
 * (wr, wr, -wi, wi) of w^(p*u), so b*w = b*(wr,wr) + swap(b)*(-wi,wi).
 * Line v of the data starts at base + vs*v; input element j at row byte offset
 * src[j] (Int32 table), output element k at dst[k]. Imaginary parts are
 * multiplied by sgn on input and by scale*sgn on output (real parts by scale).
 */
import { F64, Func, I32, V128, encodeModule } from '../wasm/encoder.ts';
import { wasmApi, type WasmMemory } from '../wasm/api.ts';

export { wasmApi, type WasmMemory };

export const WASM_RADICES = [2, 3, 4, 5, 7, 8, 11, 13] as const;

const SIGN_LANE1 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80];

/** cos(2πk/r) on a reduced angle. */
function cos2pi(k: number, r: number): number {
  let kk = ((k % r) + r) % r;
  if (2 * kk > r) kk = r - kk;
  if (4 * kk > r) return -Math.sin((Math.PI * (4 * kk - r)) / (2 * r));
  return Math.cos((2 * Math.PI * kk) / r);
}

/** sin(2πk/r) on a reduced angle. */
function sin2pi(k: number, r: number): number {
  let kk = ((k % r) + r) % r;
  let sign = 1;
  if (2 * kk > r) { kk = r - kk; sign = -1; }
  if (4 * kk > r) kk = r / 2 - kk;
  return sign * Math.sin((2 * Math.PI * kk) / r);
}

/** Straight-line complex arithmetic on v128 locals of one function. */
class CBuilder {
  private readonly realConsts = new Map<number, number>();
  private readonly cplxConsts = new Map<string, [number, number]>();
  private readonly init: (() => void)[] = [];
  private signLane1 = -1;

  constructor(private readonly f: Func) {}

  private tmp(): number { return this.f.local(V128); }

  /** Emits the initialisation of the constants used so far (see withPrologue). */
  prologue(): void { for (const g of this.init) g(); }

  private real(c: number): number {
    let l = this.realConsts.get(c);
    if (l === undefined) {
      const loc = this.tmp();
      this.init.push(() => this.f.f64(c).f64x2Splat().set(loc));
      this.realConsts.set(c, loc);
      l = loc;
    }
    return l;
  }

  /** (c, c) and (-s, s) for multiplication by c + i s. */
  private cplx(c: number, s: number): [number, number] {
    const key = `${c},${s}`;
    let l = this.cplxConsts.get(key);
    if (!l) {
      const a = this.real(c);
      const b = this.tmp();
      this.init.push(() => this.f.f64(-s).f64x2Splat().f64(s).f64x2ReplaceLane(1).set(b));
      l = [a, b];
      this.cplxConsts.set(key, l);
    }
    return l;
  }

  private sign1(): number {
    if (this.signLane1 < 0) {
      const l = this.tmp();
      this.init.push(() => this.f.v128Const(SIGN_LANE1).set(l));
      this.signLane1 = l;
    }
    return this.signLane1;
  }

  add(a: number, b: number): number { const t = this.tmp(); this.f.get(a).get(b).f64x2Add().set(t); return t; }
  sub(a: number, b: number): number { const t = this.tmp(); this.f.get(a).get(b).f64x2Sub().set(t); return t; }
  neg(a: number): number { const t = this.tmp(); this.f.get(a).f64x2Neg().set(t); return t; }
  /** a * (-i) = (im, -re) */
  mulNegI(a: number): number {
    const t = this.tmp();
    this.f.get(a).get(a).swapLanes().get(this.sign1()).v128Xor().set(t);
    return t;
  }
  scale(a: number, c: number): number {
    const t = this.tmp();
    this.f.get(a).get(this.real(c)).f64x2Mul().set(t);
    return t;
  }
  /** a * (c + i s) */
  cmulConst(a: number, c: number, s: number): number {
    const [wc, ws] = this.cplx(c, s);
    const t = this.tmp();
    this.f.get(a).get(wc).f64x2Mul().get(a).get(a).swapLanes().get(ws).f64x2Mul().f64x2Add().set(t);
    return t;
  }
  /** a * w where w1 = (wr, wr), w2 = (-wi, wi) are v128 locals; leaves the result on the stack. */
  pushCmul(a: number, w1: number, w2: number): void {
    this.f.get(a).get(w1).f64x2Mul().get(a).get(a).swapLanes().get(w2).f64x2Mul().f64x2Add();
  }
  /** a * exp(-2πi j/r) */
  rot(a: number, j: number, r: number): number {
    const jj = ((j % r) + r) % r;
    if (jj === 0) return a;
    if (4 * jj === r) return this.mulNegI(a);
    if (2 * jj === r) return this.neg(a);
    if (4 * jj === 3 * r) return this.neg(this.mulNegI(a));
    return this.cmulConst(a, cos2pi(jj, r), -sin2pi(jj, r));
  }
}

function smallestFactor(r: number): number {
  for (let f = 2; f * f <= r; f++) if (r % f === 0) return f;
  return r;
}

/** Forward DFT of the v128 locals `a`; returns output locals. */
function dft(b: CBuilder, a: number[]): number[] {
  const r = a.length;
  if (r === 1) return a;
  if (r === 2) return [b.add(a[0]!, a[1]!), b.sub(a[0]!, a[1]!)];
  const f = smallestFactor(r);
  if (f === r) {
    const h = (r - 1) / 2;
    const S: number[] = [], D: number[] = [];
    for (let t = 1; t <= h; t++) { S[t] = b.add(a[t]!, a[r - t]!); D[t] = b.sub(a[t]!, a[r - t]!); }
    const out: number[] = new Array<number>(r);
    let b0 = a[0]!;
    for (let t = 1; t <= h; t++) b0 = b.add(b0, S[t]!);
    out[0] = b0;
    for (let u = 1; u <= h; u++) {
      let R = a[0]!;
      let J = -1;
      for (let t = 1; t <= h; t++) {
        R = b.add(R, b.scale(S[t]!, cos2pi(t * u, r)));
        const term = b.scale(D[t]!, sin2pi(t * u, r));
        J = J < 0 ? term : b.add(J, term);
      }
      const NJ = b.mulNegI(J);
      out[u] = b.add(R, NJ);
      out[r - u] = b.sub(R, NJ);
    }
    return out;
  }
  const r1 = f, r2 = r / f;
  const c: number[][] = [];
  for (let t2 = 0; t2 < r2; t2++) {
    const col: number[] = [];
    for (let t1 = 0; t1 < r1; t1++) col.push(a[r2 * t1 + t2]!);
    c.push(dft(b, col).map((v, k1) => b.rot(v, t2 * k1, r)));
  }
  const out: number[] = new Array<number>(r);
  for (let k1 = 0; k1 < r1; k1++) {
    const row: number[] = [];
    for (let t2 = 0; t2 < r2; t2++) row.push(c[t2]![k1]!);
    const d = dft(b, row);
    for (let k2 = 0; k2 < r2; k2++) out[k1 + r1 * k2] = d[k2]!;
  }
  return out;
}

/**
 * Emits the body with constants initialised first. Because constants are
 * discovered while emitting the butterfly, the body is emitted into a scratch
 * function and spliced after the prologue.
 */
function withPrologue(f: Func, emit: (b: CBuilder) => void): void {
  const b = new CBuilder(f);
  const start = f.code.length;
  emit(b);
  const body = f.code.splice(start);
  b.prologue();
  f.code.push(...body);
}

function buildPass(r: number): Func {
  // params: x, y, m, s, tw
  const f = new Func(`pass${r}`, [I32, I32, I32, I32, I32]);
  const X = 0, Y = 1, M = 2, S = 3, TW = 4;
  const p = f.local(I32), q = f.local(I32), sm16 = f.local(I32), s16 = f.local(I32);
  const ib = f.local(I32), ob = f.local(I32), twp = f.local(I32), qEnd = f.local(I32), one = f.local(I32), step16 = f.local(I32);
  const oaddr = f.local(I32);
  const w1: number[] = [], w2: number[] = [];
  for (let u = 1; u < r; u++) { w1[u] = f.local(V128); w2[u] = f.local(V128); }
  const a: number[] = [];
  for (let t = 0; t < r; t++) a.push(f.local(V128));
  const inOff: number[] = [], outOff: number[] = [];
  for (let t = 0; t < r; t++) { inOff.push(f.local(I32)); outOff.push(f.local(I32)); }
  withPrologue(f, (b) => {
    f.get(S).get(M).mul().i32(16).mul().set(sm16);
    f.get(S).i32(16).mul().set(s16);
    for (let t = 1; t < r; t++) {
      f.get(sm16).i32(t).mul().set(inOff[t]!);
      f.get(s16).i32(t).mul().set(outOff[t]!);
    }
    f.i32(1).set(one);
    f.i32(16).set(step16);
    f.forLoop(p, 0, M, one, () => {
      // twp = tw + p*(r-1)*32 ; ib = x + p*s16 ; ob = y + p*r*s16
      f.get(TW).get(p).i32((r - 1) * 32).mul().add().set(twp);
      for (let u = 1; u < r; u++) {
        f.get(twp).v128Load((u - 1) * 32).set(w1[u]!);
        f.get(twp).v128Load((u - 1) * 32 + 16).set(w2[u]!);
      }
      f.get(X).get(p).get(s16).mul().add().set(ib);
      f.get(Y).get(p).get(s16).mul().i32(r).mul().add().set(ob);
      f.get(ib).get(s16).add().set(qEnd);
      f.forLoop(q, () => f.get(ib), qEnd, step16, () => {
        // q runs over input byte addresses ib .. ib + s16
        for (let t = 0; t < r; t++) {
          if (t === 0) f.get(q); else f.get(q).get(inOff[t]!).add();
          f.v128Load().set(a[t]!);
        }
        const out = dft(b, a);
        f.get(q).get(ib).sub().get(ob).add().set(oaddr);
        for (let u = 0; u < r; u++) {
          if (u === 0) f.get(oaddr); else f.get(oaddr).get(outOff[u]!).add();
          if (u === 0) f.get(out[0]!); else b.pushCmul(out[u]!, w1[u]!, w2[u]!);
          f.v128Store();
        }
      });
    });
  });
  return f;
}

function buildFirst(r: number): Func {
  // params: base, vs, src, sgn(f64), y, m, V, tw
  const f = new Func(`first${r}`, [I32, I32, I32, F64, I32, I32, I32, I32]);
  const BASE = 0, VS = 1, SRC = 2, SGN = 3, Y = 4, M = 5, VV = 6, TW = 7;
  const p = f.local(I32), v = f.local(I32), d = f.local(I32), one = f.local(I32), twp = f.local(I32), ob = f.local(I32);
  const V16 = f.local(I32), oaddr = f.local(I32);
  const rows: number[] = [];
  for (let t = 0; t < r; t++) rows.push(f.local(I32));
  const w1: number[] = [], w2: number[] = [];
  for (let u = 1; u < r; u++) { w1[u] = f.local(V128); w2[u] = f.local(V128); }
  const a: number[] = [];
  for (let t = 0; t < r; t++) a.push(f.local(V128));
  const cj = f.local(V128);
  const outOff: number[] = [];
  for (let t = 0; t < r; t++) outOff.push(f.local(I32));
  withPrologue(f, (b) => {
    f.f64(1).f64x2Splat().get(SGN).f64x2ReplaceLane(1).set(cj);
    f.i32(1).set(one);
    f.get(VV).i32(16).mul().set(V16);
    for (let u = 1; u < r; u++) f.get(V16).i32(u).mul().set(outOff[u]!);
    f.forLoop(p, 0, M, one, () => {
      for (let t = 0; t < r; t++) {
        // rows[t] = base + src[p + t*m]
        f.get(BASE).get(SRC).get(p);
        if (t > 0) f.get(M).i32(t).mul().add();
        f.i32(4).mul().add().i32Load().add().set(rows[t]!);
      }
      f.get(TW).get(p).i32((r - 1) * 32).mul().add().set(twp);
      for (let u = 1; u < r; u++) {
        f.get(twp).v128Load((u - 1) * 32).set(w1[u]!);
        f.get(twp).v128Load((u - 1) * 32 + 16).set(w2[u]!);
      }
      f.get(Y).get(p).get(V16).mul().i32(r).mul().add().set(ob);
      f.i32(0).set(d);
      f.forLoop(v, 0, VV, one, () => {
        for (let t = 0; t < r; t++) {
          f.get(rows[t]!).get(d).add().v128Load64Zero().f64x2PromoteLowF32x4().get(cj).f64x2Mul().set(a[t]!);
        }
        const out = dft(b, a);
        f.get(ob).get(v).i32(16).mul().add().set(oaddr);
        for (let u = 0; u < r; u++) {
          if (u === 0) f.get(oaddr); else f.get(oaddr).get(outOff[u]!).add();
          if (u === 0) f.get(out[0]!); else b.pushCmul(out[u]!, w1[u]!, w2[u]!);
          f.v128Store();
        }
        f.get(d).get(VS).add().set(d);
      });
    });
  });
  return f;
}

function buildLast(r: number): Func {
  // params: x, base, vs, dst, scale(f64), sgn(f64), K, V
  const f = new Func(`last${r}`, [I32, I32, I32, I32, F64, F64, I32, I32]);
  const X = 0, BASE = 1, VS = 2, DST = 3, SCALE = 4, SGN = 5, K = 6, VV = 7;
  const kk = f.local(I32), v = f.local(I32), d = f.local(I32), one = f.local(I32), s16 = f.local(I32), ib = f.local(I32);
  const iaddr = f.local(I32);
  const rows: number[] = [];
  for (let u = 0; u < r; u++) rows.push(f.local(I32));
  const a: number[] = [];
  for (let t = 0; t < r; t++) a.push(f.local(V128));
  const sc = f.local(V128);
  const inOff: number[] = [];
  for (let t = 0; t < r; t++) inOff.push(f.local(I32));
  withPrologue(f, (b) => {
    f.get(SCALE).f64x2Splat().get(SCALE).get(SGN).op(0xa2 /* f64.mul */).f64x2ReplaceLane(1).set(sc);
    f.i32(1).set(one);
    f.get(K).get(VV).mul().i32(16).mul().set(s16);
    for (let t = 1; t < r; t++) f.get(s16).i32(t).mul().set(inOff[t]!);
    f.forLoop(kk, 0, K, one, () => {
      for (let u = 0; u < r; u++) {
        f.get(BASE).get(DST).get(kk);
        if (u > 0) f.get(K).i32(u).mul().add();
        f.i32(4).mul().add().i32Load().add().set(rows[u]!);
      }
      f.get(X).get(kk).get(VV).mul().i32(16).mul().add().set(ib);
      f.i32(0).set(d);
      f.forLoop(v, 0, VV, one, () => {
        f.get(ib).get(v).i32(16).mul().add().set(iaddr);
        for (let t = 0; t < r; t++) {
          if (t === 0) f.get(iaddr); else f.get(iaddr).get(inOff[t]!).add();
          f.v128Load().set(a[t]!);
        }
        const out = dft(b, a);
        for (let u = 0; u < r; u++) {
          f.get(rows[u]!).get(d).add();
          f.get(out[u]!).get(sc).f64x2Mul().f32x4DemoteF64x2Zero();
          f.v128Store64Lane(0);
        }
        f.get(d).get(VS).add().set(d);
      });
    });
  });
  return f;
}

/** Complex product a ⊗ w with w stored as (wr, wr, -wi, wi) at address `w` (32 bytes); leaves it on the stack. */
function pushCmulMem(f: Func, a: number, w: number): void {
  f.get(a).get(w).v128Load(0).f64x2Mul().get(a).get(a).swapLanes().get(w).v128Load(16).f64x2Mul().f64x2Add();
}

/**
 * gatherMul(base, vs, src, sgn, tab, out, n, V):
 *   out[j*V + v] = (data[line v, src[j]] with imag * sgn) ⊗ tab[j]
 */
function buildGatherMul(): Func {
  const f = new Func('gatherMul', [I32, I32, I32, F64, I32, I32, I32, I32]);
  const BASE = 0, VS = 1, SRC = 2, SGN = 3, TAB = 4, OUT = 5, N = 6, VV = 7;
  const j = f.local(I32), v = f.local(I32), one = f.local(I32), row = f.local(I32), w = f.local(I32), o = f.local(I32), d = f.local(I32);
  const cj = f.local(V128), a = f.local(V128);
  f.f64(1).f64x2Splat().get(SGN).f64x2ReplaceLane(1).set(cj);
  f.i32(1).set(one);
  f.get(OUT).set(o);
  f.forLoop(j, 0, N, one, () => {
    f.get(BASE).get(SRC).get(j).i32(4).mul().add().i32Load().add().set(row);
    f.get(TAB).get(j).i32(32).mul().add().set(w);
    f.i32(0).set(d);
    f.forLoop(v, 0, VV, one, () => {
      f.get(row).get(d).add().v128Load64Zero().f64x2PromoteLowF32x4().get(cj).f64x2Mul().set(a);
      f.get(o);
      pushCmulMem(f, a, w);
      f.v128Store();
      f.get(o).i32(16).add().set(o);
      f.get(d).get(VS).add().set(d);
    });
  });
  return f;
}

/**
 * scatterMul(x, base, vs, dst, scale, sgnIn, sgnOut, tab, n, V):
 *   data[line v, dst[k]] = ((x[k*V + v] with imag * sgnIn) ⊗ tab[k]) * (scale, scale * sgnOut)
 */
function buildScatterMul(): Func {
  const f = new Func('scatterMul', [I32, I32, I32, I32, F64, F64, F64, I32, I32, I32]);
  const X = 0, BASE = 1, VS = 2, DST = 3, SCALE = 4, SGNIN = 5, SGNOUT = 6, TAB = 7, N = 8, VV = 9;
  const k = f.local(I32), v = f.local(I32), one = f.local(I32), row = f.local(I32), w = f.local(I32), i = f.local(I32), d = f.local(I32);
  const cj = f.local(V128), sc = f.local(V128), a = f.local(V128);
  f.f64(1).f64x2Splat().get(SGNIN).f64x2ReplaceLane(1).set(cj);
  f.get(SCALE).f64x2Splat().get(SCALE).get(SGNOUT).f64Mul().f64x2ReplaceLane(1).set(sc);
  f.i32(1).set(one);
  f.get(X).set(i);
  f.forLoop(k, 0, N, one, () => {
    f.get(BASE).get(DST).get(k).i32(4).mul().add().i32Load().add().set(row);
    f.get(TAB).get(k).i32(32).mul().add().set(w);
    f.i32(0).set(d);
    f.forLoop(v, 0, VV, one, () => {
      f.get(i).v128Load().get(cj).f64x2Mul().set(a);
      f.get(row).get(d).add();
      pushCmulMem(f, a, w);
      f.get(sc).f64x2Mul().f32x4DemoteF64x2Zero().v128Store64Lane(0);
      f.get(i).i32(16).add().set(i);
      f.get(d).get(VS).add().set(d);
    });
  });
  return f;
}

/** mulConj(x, tab, M, V): x[k*V + v] = conj(x[k*V + v] ⊗ tab[k]). */
function buildMulConj(): Func {
  const f = new Func('mulConj', [I32, I32, I32, I32]);
  const X = 0, TAB = 1, M = 2, VV = 3;
  const k = f.local(I32), v = f.local(I32), one = f.local(I32), w = f.local(I32), i = f.local(I32);
  const a = f.local(V128), sign = f.local(V128);
  f.v128Const(SIGN_LANE1).set(sign);
  f.i32(1).set(one);
  f.get(X).set(i);
  f.forLoop(k, 0, M, one, () => {
    f.get(TAB).get(k).i32(32).mul().add().set(w);
    f.forLoop(v, 0, VV, one, () => {
      f.get(i).v128Load().set(a);
      f.get(i);
      pushCmulMem(f, a, w);
      f.get(sign).v128Xor().v128Store();
      f.get(i).i32(16).add().set(i);
    });
  });
  return f;
}

/** zero(addr, bytes): clears `bytes` (a multiple of 16) bytes. */
function buildZero(): Func {
  const f = new Func('zero', [I32, I32]);
  const ADDR = 0, BYTES = 1;
  const i = f.local(I32), end = f.local(I32), step = f.local(I32), z = f.local(V128);
  f.get(ADDR).get(BYTES).add().set(end);
  f.i32(16).set(step);
  f.forLoop(i, () => f.get(ADDR), end, step, () => {
    f.get(i).get(z).v128Store();
  });
  return f;
}

export interface WasmKernels {
  readonly memory: WasmMemory;
  pass: Record<number, (x: number, y: number, m: number, s: number, tw: number) => void>;
  first: Record<number, (base: number, vs: number, src: number, sgn: number, y: number, m: number, V: number, tw: number) => void>;
  last: Record<number, (x: number, base: number, vs: number, dst: number, scale: number, sgn: number, K: number, V: number) => void>;
  gatherMul: (base: number, vs: number, src: number, sgn: number, tab: number, out: number, n: number, V: number) => void;
  scatterMul: (x: number, base: number, vs: number, dst: number, scale: number, sgnIn: number, sgnOut: number, tab: number, n: number, V: number) => void;
  mulConj: (x: number, tab: number, M: number, V: number) => void;
  zero: (addr: number, bytes: number) => void;
}

export function buildWasmBytes(): Uint8Array {
  const funcs: Func[] = [];
  for (const r of WASM_RADICES) funcs.push(buildPass(r), buildFirst(r), buildLast(r));
  funcs.push(buildGatherMul(), buildScatterMul(), buildMulConj(), buildZero());
  return encodeModule(funcs);
}

let compiled: object | null | undefined;

/**
 * Instantiates the kernels with a fresh memory (synchronously; the module is
 * compiled once), or returns null where WebAssembly SIMD is unavailable.
 */
export function loadWasmKernels(): WasmKernels | null {
  try {
    const WA = wasmApi();
    if (!WA) return null;
    if (compiled === undefined) {
      compiled = null;
      const bytes = buildWasmBytes();
      if (WA.validate(bytes)) compiled = new WA.Module(bytes);
    }
    if (compiled === null) return null;
    const mod = compiled;
    const memory = new WA.Memory({ initial: 16, maximum: 32768 });
    const inst = new WA.Instance(mod, { env: { memory } });
    const ex = inst.exports;
    const k: WasmKernels = {
      memory, pass: {}, first: {}, last: {},
      gatherMul: ex['gatherMul'] as WasmKernels['gatherMul'],
      scatterMul: ex['scatterMul'] as WasmKernels['scatterMul'],
      mulConj: ex['mulConj'] as WasmKernels['mulConj'],
      zero: ex['zero'] as WasmKernels['zero'],
    };
    for (const r of WASM_RADICES) {
      k.pass[r] = ex[`pass${r}`] as WasmKernels['pass'][number];
      k.first[r] = ex[`first${r}`] as WasmKernels['first'][number];
      k.last[r] = ex[`last${r}`] as WasmKernels['last'][number];
    }
    return k;
  } catch {
    return null;
  }
}
