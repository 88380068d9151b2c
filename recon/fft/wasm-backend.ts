/**
 * WebAssembly SIMD execution of fftnd: the data are copied once into wasm
 * memory, every requested axis is transformed there with the kernels of
 * wasm-kernels.ts, and the result is copied back.
 *
 *  - Stockham lengths with ≥ 2 passes: fused first pass (gather) → passes →
 *    fused last pass (scatter).
 *  - Single-pass lengths (n = 2, 3, 4, 5, 7, 8, 11, 13): gather → pass → scatter.
 *  - Bluestein lengths: gather ⊗ chirp → FFT_M → ⊗ B̂, conj → FFT_M → conj ⊗ chirp, scatter.
 *
 * Memory layout (bytes): [tables: twiddles, chirps; persistent, bump-allocated]
 * [row table][scratch X][scratch Y][data].
 */
import { BluesteinCore, getCore, type DftCore } from './plan.ts';
import { loadWasmKernels, type WasmKernels } from './wasm-kernels.ts';

const PAGE = 65536;
/** Stay below 2 GiB: the kernels compare addresses as signed i32. */
const MAX_BYTES = 2 ** 31 - PAGE;
/** Wasm memory cannot shrink: after a run that needed more than this, the instance is dropped (and rebuilt on demand). */
const KEEP_BYTES = 512 * 2 ** 20;

interface StockhamTables {
  readonly kind: 'stockham';
  readonly core: DftCore;
  /** Byte address of each pass's twiddle table. */
  readonly tw: number[];
  /** Table of n ones (cmul format), for single-pass lengths. */
  readonly ones: number;
}

interface BluesteinTables {
  readonly kind: 'bluestein';
  readonly core: BluesteinCore;
  readonly inner: StockhamTables;
  readonly chirp: number;
  readonly bhat: number;
}

type Tables = StockhamTables | BluesteinTables;

export interface AxisRunner {
  /** JS fallback for one axis on a Float32Array (a view of wasm memory). */
  (view: Float32Array, shape: readonly number[], axis: number): void;
}

export interface WasmAxisJob {
  readonly n: number;
  readonly inner: number;
  readonly outer: number;
  readonly inverse: boolean;
  readonly centred: boolean;
  readonly scale: number;
  readonly axis: number;
}

class WasmFft {
  private heapTop = 0;
  private readonly tables = new Map<DftCore, Tables>();

  constructor(private readonly k: WasmKernels) {}

  private ensure(bytes: number): boolean {
    if (bytes > MAX_BYTES) return false;
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) {
      try {
        this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch {
        return false; // out of memory: the caller falls back to the JS path
      }
    }
    return true;
  }

  /** Allocates a complex table in cmul format (wr, wr, -wi, wi) per entry; returns its address or -1. */
  private table(re: ArrayLike<number>, im: ArrayLike<number>, count: number): number {
    const start = (this.heapTop + 15) & ~15;
    if (!this.ensure(start + 32 * count)) return -1;
    const f64 = new Float64Array(this.k.memory.buffer, start, 4 * count);
    for (let i = 0, o = 0; i < count; i++, o += 4) {
      const wr = re[i]!, wi = im[i]!;
      f64[o] = wr; f64[o + 1] = wr; f64[o + 2] = -wi; f64[o + 3] = wi;
    }
    this.heapTop = start + 32 * count;
    return start;
  }

  private tablesFor(core: DftCore): Tables | null {
    const have = this.tables.get(core);
    if (have) return have;
    let t: Tables;
    if (core instanceof BluesteinCore) {
      const inner = this.tablesFor(core.inner);
      if (!inner || inner.kind !== 'stockham') return null;
      const chirp = this.table(core.cr, core.ci, core.n);
      const bhat = this.table(core.br, core.bi, core.M);
      if (chirp < 0 || bhat < 0) return null;
      t = { kind: 'bluestein', core, inner, chirp, bhat };
    } else {
      const stages = core.stages;
      if (!stages) return null;
      const tw: number[] = [];
      for (const st of stages) {
        const a = this.table(st.twr, st.twi, st.twr.length);
        if (a < 0) return null;
        tw.push(a);
      }
      let ones = 0;
      if (stages.length === 1) {
        ones = this.table(new Float64Array(core.n).fill(1), new Float64Array(core.n), core.n);
        if (ones < 0) return null;
      }
      t = { kind: 'stockham', core, tw, ones };
    }
    this.tables.set(core, t);
    return t;
  }

  /**
   * Runs the jobs (one per axis, in order) on `data`. Returns false (having
   * done nothing) if the memory needed is not available.
   */
  run(data: Float32Array, jobs: readonly WasmAxisJob[], blockLines: (n: number, lines: number) => number): boolean {
    // Build plans and tables first (this may grow memory and move heapTop).
    let maxRowBytes = 0, maxScratch = 0;
    const prepared: { job: WasmAxisJob; t: Tables; V: number }[] = [];
    for (const job of jobs) {
      const t = this.tablesFor(getCore(job.n));
      if (!t) return false;
      const V = blockLines(job.n, job.inner * job.outer);
      prepared.push({ job, t, V });
      maxRowBytes = Math.max(maxRowBytes, 4 * job.n);
      const len = t.kind === 'bluestein' ? t.core.M : job.n;
      maxScratch = Math.max(maxScratch, 16 * len * V);
    }
    const rowsAddr = (this.heapTop + 63) & ~63;
    const xAddr = (rowsAddr + maxRowBytes + 63) & ~63;
    const yAddr = (xAddr + maxScratch + 63) & ~63;
    const dataAddr = (yAddr + maxScratch + 63) & ~63;
    if (!this.ensure(dataAddr + 4 * data.length)) return false;
    const buf = this.k.memory.buffer;
    const view = new Float32Array(buf, dataAddr, data.length);
    const rows = new Int32Array(buf, rowsAddr, maxRowBytes / 4);
    view.set(data);
    for (const { job, t, V: Vmax } of prepared) {
      const { n, inner, outer } = job;
      const es = 8 * inner; // bytes between consecutive elements of a line
      const rot = job.centred ? Math.floor(n / 2) : 0;
      for (let j = 0; j < n; j++) {
        let r = j + rot;
        if (r >= n) r -= n;
        rows[j] = r * es;
      }
      const sgn = job.inverse ? -1 : 1;
      const lineBytes = es * n;
      const exec = (V: number, base: number, vs: number): void => this.execLines(t, V, base, vs, rowsAddr, sgn, job.scale, xAddr, yAddr);
      if (inner === 1) {
        for (let o0 = 0; o0 < outer; o0 += Vmax) exec(Math.min(Vmax, outer - o0), dataAddr + lineBytes * o0, lineBytes);
      } else if (inner >= Vmax) {
        for (let o = 0; o < outer; o++) {
          for (let i0 = 0; i0 < inner; i0 += Vmax) exec(Math.min(Vmax, inner - i0), dataAddr + 8 * i0 + lineBytes * o, 8);
        }
      } else {
        for (let i = 0; i < inner; i++) {
          for (let o0 = 0; o0 < outer; o0 += Vmax) exec(Math.min(Vmax, outer - o0), dataAddr + 8 * i + lineBytes * o0, lineBytes);
        }
      }
    }
    data.set(view);
    if (this.k.memory.buffer.byteLength > KEEP_BYTES) instance = undefined;
    return true;
  }

  /** Runs all passes of a Stockham core buffer → buffer starting in `a`; returns the buffer holding the result. */
  private passes(t: StockhamTables, V: number, a: number, b: number): number {
    const stages = t.core.stages!;
    for (let i = 0; i < stages.length; i++) {
      const st = stages[i]!;
      this.k.pass[st.r]!(a, b, st.m, st.sMul * V, t.tw[i]!);
      const tmp = a; a = b; b = tmp;
    }
    return a;
  }

  private execLines(
    t: Tables, V: number, base: number, vs: number, rowsAddr: number,
    sgn: number, scale: number, xAddr: number, yAddr: number,
  ): void {
    const k = this.k;
    if (t.kind === 'bluestein') {
      const { n, M } = t.core;
      k.gatherMul(base, vs, rowsAddr, sgn, t.chirp, xAddr, n, V);
      k.zero(xAddr + 16 * n * V, 16 * (M - n) * V);
      let res = this.passes(t.inner, V, xAddr, yAddr);
      k.mulConj(res, t.bhat, M, V);
      res = this.passes(t.inner, V, res, res === xAddr ? yAddr : xAddr);
      k.scatterMul(res, base, vs, rowsAddr, scale, -1, sgn, t.chirp, n, V);
      return;
    }
    const stages = t.core.stages!;
    const np = stages.length;
    if (np === 1) {
      k.gatherMul(base, vs, rowsAddr, sgn, t.ones, xAddr, t.core.n, V);
      const res = this.passes(t, V, xAddr, yAddr);
      k.scatterMul(res, base, vs, rowsAddr, scale, 1, sgn, t.ones, t.core.n, V);
      return;
    }
    const p0 = stages[0]!, pl = stages[np - 1]!;
    let a = xAddr, b = yAddr;
    k.first[p0.r]!(base, vs, rowsAddr, sgn, a, p0.m, V, t.tw[0]!);
    for (let i = 1; i < np - 1; i++) {
      const st = stages[i]!;
      k.pass[st.r]!(a, b, st.m, st.sMul * V, t.tw[i]!);
      const tmp = a; a = b; b = tmp;
    }
    k.last[pl.r]!(a, base, vs, rowsAddr, scale, sgn, t.core.n / pl.r, V);
  }
}

let instance: WasmFft | null | undefined;

/** The wasm FFT executor, or null where WebAssembly SIMD is unavailable. */
export function wasmFft(): WasmFft | null {
  if (instance === undefined) {
    const k = loadWasmKernels();
    instance = k ? new WasmFft(k) : null;
  }
  return instance;
}
