/**
 * WebAssembly SIMD execution of fftnd: the data are copied once into wasm
 * memory, every requested axis is transformed there (Stockham passes in
 * wasm-kernels.ts; Bluestein and single-pass lengths run the JS path on a
 * Float32Array view of the same memory), and the result is copied back.
 *
 * Memory layout (bytes): [twiddle tables, persistent, bump-allocated]
 * [row table][scratch X][scratch Y][data].
 */
import { getCore, type DftCore } from './plan.ts';
import { loadWasmKernels, type WasmKernels } from './wasm-kernels.ts';

const PAGE = 65536;
/** Wasm memory cannot shrink: after a run that needed more than this, the instance is dropped (and rebuilt on demand). */
const KEEP_BYTES = 512 * 2 ** 20;
/** Stay below 2 GiB: the kernels compare addresses as signed i32. */
const MAX_BYTES = 2 ** 31 - PAGE;

interface CoreTables {
  /** Byte address of each pass's twiddle table. */
  readonly tw: number[];
}

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
  private readonly tables = new Map<DftCore, CoreTables>();

  constructor(private readonly k: WasmKernels) {}

  private ensure(bytes: number): boolean {
    if (bytes > MAX_BYTES) return false;
    const have = this.k.memory.buffer.byteLength;
    if (bytes > have) this.k.memory.grow(Math.ceil((bytes - have) / PAGE));
    return true;
  }

  /** True if this core's passes can run in wasm. */
  static usable(core: DftCore): boolean {
    return core.stages !== null && core.stages.length >= 2;
  }

  private tablesFor(core: DftCore): CoreTables | null {
    const have = this.tables.get(core);
    if (have) return have;
    const stages = core.stages;
    if (!stages) return null;
    const tw: number[] = [];
    let size = 0;
    for (const st of stages) size += st.twr.length * 32;
    const start = (this.heapTop + 15) & ~15;
    if (!this.ensure(start + size)) return null;
    const f64 = new Float64Array(this.k.memory.buffer);
    let at = start;
    for (const st of stages) {
      tw.push(at);
      let o = at / 8;
      for (let i = 0; i < st.twr.length; i++) {
        const wr = st.twr[i]!, wi = st.twi[i]!;
        f64[o] = wr; f64[o + 1] = wr; f64[o + 2] = -wi; f64[o + 3] = wi;
        o += 4;
      }
      at += st.twr.length * 32;
    }
    this.heapTop = at;
    const t = { tw };
    this.tables.set(core, t);
    return t;
  }

  /**
   * Runs the jobs (one per axis, in order) on `data`. Returns false (having
   * done nothing) if the memory needed is not available.
   */
  run(
    data: Float32Array, jobs: readonly WasmAxisJob[], blockLines: (n: number, lines: number) => number,
    shape: readonly number[], jsAxis: AxisRunner,
  ): boolean {
    // Build plans and tables first (this may grow memory and move heapTop).
    let maxRowBytes = 0, maxScratch = 0;
    const prepared: { job: WasmAxisJob; core: DftCore; t: CoreTables | null; V: number }[] = [];
    for (const job of jobs) {
      const core = getCore(job.n);
      const t = WasmFft.usable(core) ? this.tablesFor(core) : null;
      if (WasmFft.usable(core) && !t) return false;
      const V = blockLines(job.n, job.inner * job.outer);
      prepared.push({ job, core, t, V });
      maxRowBytes = Math.max(maxRowBytes, 4 * job.n);
      maxScratch = Math.max(maxScratch, 16 * job.n * V);
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
    for (const { job, core, t, V: Vmax } of prepared) {
      if (!t) {
        jsAxis(view, shape, job.axis);
        continue;
      }
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
      const exec = (V: number, base: number, vs: number): void => this.execLines(core, t, V, base, vs, rowsAddr, sgn, job.scale, xAddr, yAddr);
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

  private execLines(
    core: DftCore, t: CoreTables, V: number, base: number, vs: number, rowsAddr: number,
    sgn: number, scale: number, xAddr: number, yAddr: number,
  ): void {
    const k = this.k;
    const stages = core.stages!;
    const np = stages.length;
    const p0 = stages[0]!, pl = stages[np - 1]!;
    let a = xAddr, b = yAddr;
    k.first[p0.r]!(base, vs, rowsAddr, sgn, a, p0.m, V, t.tw[0]!);
    for (let i = 1; i < np - 1; i++) {
      const st = stages[i]!;
      k.pass[st.r]!(a, b, st.m, st.sMul * V, t.tw[i]!);
      const tmp = a; a = b; b = tmp;
    }
    k.last[pl.r]!(a, base, vs, rowsAddr, scale, sgn, core.n / pl.r, V);
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
