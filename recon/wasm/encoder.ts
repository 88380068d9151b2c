/**
 * A minimal WebAssembly binary encoder: just enough (i32 arithmetic, loops,
 * f32/f64 and 128-bit SIMD f64x2 operations, one imported memory) to build
 * kernels at run time without a toolchain: the FFT kernels of
 * recon/fft/wasm-kernels.ts and the ESPIRiT subspace kernels of
 * recon/algorithms/espirit/wasm.ts.
 */

export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof F64 | typeof V128;

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

/** Builds the body of one function. Locals are declared up front by type. */
export class Func {
  readonly code: number[] = [];
  private readonly localTypes: ValType[] = [];

  constructor(readonly name: string, readonly params: readonly ValType[], readonly results: readonly ValType[] = []) {}

  /** Declares a new local and returns its index. */
  local(t: ValType): number {
    this.localTypes.push(t);
    return this.params.length + this.localTypes.length - 1;
  }

  op(...bytes: number[]): this { this.code.push(...bytes); return this; }
  get(i: number): this { this.code.push(0x20); uleb(i, this.code); return this; }
  set(i: number): this { this.code.push(0x21); uleb(i, this.code); return this; }
  tee(i: number): this { this.code.push(0x22); uleb(i, this.code); return this; }
  i32(v: number): this { this.code.push(0x41); sleb(v | 0, this.code); return this; }
  f64(v: number): this {
    this.code.push(0x44);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) this.code.push(x);
    return this;
  }
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  ltS(): this { return this.op(0x48); }
  eqz(): this { return this.op(0x45); }
  eq(): this { return this.op(0x46); }
  shl(): this { return this.op(0x74); }
  block(): this { return this.op(0x02, 0x40); }
  loop(): this { return this.op(0x03, 0x40); }
  end(): this { return this.op(0x0b); }
  br(depth: number): this { this.code.push(0x0c); uleb(depth, this.code); return this; }
  brIf(depth: number): this { this.code.push(0x0d); uleb(depth, this.code); return this; }
  i32Load(offset = 0): this { return this.mem(0x28, 2, offset); }
  f64Load(offset = 0): this { return this.mem(0x2b, 3, offset); }
  f64Store(offset = 0): this { return this.mem(0x39, 3, offset); }
  f64Add(): this { return this.op(0xa0); }
  f64Sub(): this { return this.op(0xa1); }
  f64Mul(): this { return this.op(0xa2); }

  private mem(opcode: number, align: number, offset: number): this {
    this.code.push(opcode); uleb(align, this.code); uleb(offset, this.code); return this;
  }
  private simd(opcode: number): this { this.code.push(0xfd); uleb(opcode, this.code); return this; }
  private simdMem(opcode: number, align: number, offset: number): this {
    this.simd(opcode); uleb(align, this.code); uleb(offset, this.code); return this;
  }

  /** `align` is the log2 alignment hint (4: 16-byte aligned, 3: 8-byte aligned). */
  v128Load(offset = 0, align = 4): this { return this.simdMem(0x00, align, offset); }
  v128Store(offset = 0, align = 4): this { return this.simdMem(0x0b, align, offset); }
  /** Loads 8 bytes into lane 0, zeroes the rest. */
  v128Load64Zero(offset = 0): this { return this.simdMem(0x5d, 3, offset); }
  /** Stores 64-bit lane `lane`. */
  v128Store64Lane(lane: number, offset = 0): this { this.simdMem(0x5b, 3, offset); this.code.push(lane); return this; }
  v128Const(bytes: readonly number[]): this { this.simd(0x0c); this.code.push(...bytes); return this; }
  v128Zero(): this { return this.v128Const(new Array<number>(16).fill(0)); }
  shuffle(lanes: readonly number[]): this { this.simd(0x0d); this.code.push(...lanes); return this; }
  /** (a, b) → (a.hi, a.lo): swap the two f64 lanes (the second operand is ignored). */
  swapLanes(): this { return this.shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7]); }
  f64x2Splat(): this { return this.simd(0x14); }
  f64x2ExtractLane(lane: number): this { this.simd(0x21); this.code.push(lane); return this; }
  f64x2ReplaceLane(lane: number): this { this.simd(0x22); this.code.push(lane); return this; }
  v128Xor(): this { return this.simd(0x51); }
  f64x2Neg(): this { return this.simd(0xed); }
  f64x2Add(): this { return this.simd(0xf0); }
  f64x2Sub(): this { return this.simd(0xf1); }
  f64x2Mul(): this { return this.simd(0xf2); }
  f32x4DemoteF64x2Zero(): this { return this.simd(0x5e); }
  f64x2PromoteLowF32x4(): this { return this.simd(0x5f); }
  f32x4Add(): this { return this.simd(0xe4); }
  f32x4Mul(): this { return this.simd(0xe6); }

  /** `for (i = from; i < limit; i += step) body()` with i, limit and step locals (step/limit may be numbers → consts). */
  forLoop(i: number, from: number | (() => void), limit: number, step: number, body: () => void): void {
    if (typeof from === 'number') this.i32(from); else from();
    this.set(i);
    this.block();
    this.get(i).get(limit).ltS().eqz().brIf(0);
    this.loop();
    body();
    this.get(i).get(step).add().tee(i).get(limit).ltS().brIf(0);
    this.end();
    this.end();
  }

  /** `while (cond) body()`; cond leaves an i32 on the stack. */
  loopWhile(cond: () => void, body: () => void): void {
    this.block().loop();
    cond();
    this.eqz().brIf(1); // exit the block
    body();
    this.br(0).end().end();
  }

  /** `if (cond) body()`; cond leaves an i32 on the stack. */
  ifThen(cond: () => void, body: () => void): void {
    cond();
    this.op(0x04, 0x40);
    body();
    this.end();
  }

  encodeBody(): number[] {
    const body: number[] = [];
    // group consecutive locals of the same type
    const groups: [number, ValType][] = [];
    for (const t of this.localTypes) {
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

/** A module importing memory "env"."memory" and exporting every function by name. */
export function encodeModule(funcs: readonly Func[]): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  uleb(funcs.length, types);
  for (const f of funcs) {
    types.push(0x60);
    uleb(f.params.length, types); types.push(...f.params);
    uleb(f.results.length, types); types.push(...f.results);
  }
  section(1, types, out);
  const imports: number[] = [];
  uleb(1, imports);
  name('env', imports); name('memory', imports);
  imports.push(0x02, 0x00); // memory, limits: min only
  uleb(1, imports);
  section(2, imports, out);
  const fsec: number[] = [];
  uleb(funcs.length, fsec);
  funcs.forEach((_, i) => uleb(i, fsec));
  section(3, fsec, out);
  const exp: number[] = [];
  uleb(funcs.length, exp);
  funcs.forEach((f, i) => { name(f.name, exp); exp.push(0x00); uleb(i, exp); });
  section(7, exp, out);
  const code: number[] = [];
  uleb(funcs.length, code);
  for (const f of funcs) code.push(...f.encodeBody());
  section(10, code, out);
  return new Uint8Array(out);
}
