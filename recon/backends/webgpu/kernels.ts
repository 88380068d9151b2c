/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend of the KernelSet contract: thin TypeScript wrappers around
 * the WGSL kernels of wgsl.ts, on an injected GPUDevice (Node: the `webgpu`
 * package / Dawn, see recon/hosts/gpu-node.ts; browsers: navigator.gpu). It
 * touches no Node or DOM API.
 *
 * Execution model: every operation is recorded into one command encoder (one
 * compute pass for consecutive dispatches; the implementation orders the
 * dispatches) and submitted when something must leave the GPU (`read`,
 * `flush`) or before an upload. The queue runs work in submission order, so a
 * freed buffer can be reused at once by later operations.
 *
 * Limits: arrays up to maxBufferSize; FFTs of arrays larger than
 * maxStorageBufferBindingSize run in chunks of whole slices (bound at aligned
 * offsets); the other kernels need the array to fit one binding and otherwise
 * throw BACKEND_UNAVAILABLE (callers retry on the CPU). Dispatches larger than
 * maxComputeWorkgroupsPerDimension use a 2-D grid.
 *
 * Faults: a lost device or a read that does not finish within `timeoutMs`
 * rejects with GPU_DEVICE_LOST and marks the set unhealthy; out-of-memory and
 * validation errors inside `checked` reject with BACKEND_UNAVAILABLE.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { DeviceArray, FftKernelOptions, KernelLimits, KernelSet, LineConvolution } from '../../kernels/types.ts';
import { gpuFftPlan, type BluesteinPlan, type Radix, type StockhamPlan } from './fft-plan.ts';
import {
  bluesteinInWgsl, bluesteinOutWgsl, CHANNEL_MATRIX_WGSL, CHMAT_ROWS, POINTWISE_WGSL, RESIZE_WGSL, RSS_WGSL, SCALE_WGSL,
  FUSED_THREADS, fusedFftWgsl, fusedLines, MULTIPLY_VOXELS_WGSL, stockhamStageWgsl, voxelMatrixWgsl, WEIGHT_LINES_WGSL, WORKGROUP,
} from './wgsl.ts';
import { axpbyGpu, dotGpu, lineConvolutionGpu, type GpuOps } from './pi-kernels.ts';

// GPUBufferUsage / GPUMapMode values (the globals may not exist where the device was injected).
const MAP_READ = 0x0001;
const COPY_SRC = 0x0004;
const COPY_DST = 0x0008;
const UNIFORM = 0x0040;
const STORAGE = 0x0080;
const MODE_READ = 0x0001;

export interface WebGpuKernelOptions {
  /** Lower than the device's limit, to test chunking. */
  maxBindingBytes?: number;
  /** Lower than the device's maxComputeWorkgroupsPerDimension (x only), to test 2-D dispatch. */
  maxWorkgroupsX?: number;
  /** A read that takes longer fails with GPU_DEVICE_LOST (default 120 s). */
  timeoutMs?: number;
  /** Bytes of freed buffers kept for reuse (default: min(1 GiB, maxBufferSize)). */
  poolBytes?: number;
  /** Shown in reports, e.g. the adapter's description. */
  description?: string;
  /**
   * FFT kernels: 'fused' (all stages of a line in workgroup memory, one
   * dispatch per axis, for 2·3·5·7-smooth n ≤ 2048), 'stages' (one dispatch per
   * Stockham stage through global memory, any length), or 'auto' (default:
   * fused, except on software adapters, where workgroup barriers are slow).
   */
  fftKernel?: 'auto' | 'fused' | 'stages';
  /** The adapter is a software one (SwiftShader, lavapipe): 'auto' picks 'stages'. */
  software?: boolean;
}

const OWNER = Symbol('webgpu-kernels');

/** Compiled pipelines per device, shared by every kernel set on it (compiling is the slow part on software drivers). */
const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

export class GpuArray implements DeviceArray {
  freed = false;
  constructor(
    readonly owner: WebGpuKernels,
    public buffer: GPUBuffer,
    readonly length: number,
  ) {}
  get bytes(): number {
    return 4 * this.length;
  }
}

export interface Range {
  buffer: GPUBuffer;
  offset: number;
  size: number;
}

function f32bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0]!;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class WebGpuKernels implements KernelSet<GpuArray> {
  readonly backend = 'webgpu' as const;
  readonly device: string;
  readonly limits: KernelLimits;
  readonly [OWNER] = true;
  /** What the kernels did (for tests and benchmarks). */
  readonly counters = { dispatches: 0, gridDispatches: 0, submits: 0, fftChunks: 0, fftChunksCopied: 0, fusedFfts: 0 };

  private readonly maxWgX: number;
  private readonly maxWgY: number;
  private readonly offsetAlign: number;
  private readonly timeoutMs: number;
  private readonly poolLimit: number;
  private readonly fused: boolean;
  private readonly workgroupBytes: number;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly pipelines: Map<string, GPUComputePipeline>;
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly tables = new Map<string, GPUBuffer>();
  private readonly matrices = new WeakMap<object, { copy: Float32Array; buffer: GPUBuffer }>();
  private kept: GPUBuffer[] = [];
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private trash: GPUBuffer[] = [];
  private lostReason: string | null = null;
  private readonly lostPromise: Promise<never>;
  private disposed = false;

  constructor(readonly gpu: GPUDevice, opts: WebGpuKernelOptions = {}) {
    const l = gpu.limits;
    const maxBinding = Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize, opts.maxBindingBytes ?? Infinity);
    this.limits = { maxArrayBytes: l.maxBufferSize, maxBindingBytes: maxBinding };
    this.maxWgX = Math.min(l.maxComputeWorkgroupsPerDimension, opts.maxWorkgroupsX ?? Infinity);
    this.maxWgY = l.maxComputeWorkgroupsPerDimension;
    this.offsetAlign = l.minStorageBufferOffsetAlignment;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.poolLimit = opts.poolBytes ?? Math.min(2 ** 30, l.maxBufferSize);
    this.device = opts.description ?? 'WebGPU device';
    let cache = pipelineCache.get(gpu);
    if (!cache) pipelineCache.set(gpu, (cache = new Map()));
    this.pipelines = cache;
    const choice = opts.fftKernel ?? 'auto';
    this.fused = choice === 'fused' || (choice === 'auto' && !opts.software);
    this.workgroupBytes = l.maxComputeWorkgroupStorageSize;
    this.lostPromise = gpu.lost.then((info) => {
      this.lostReason = `${info.reason === 'destroyed' ? 'device destroyed' : 'device lost'}${info.message ? `: ${info.message}` : ''}`;
      throw new UhfError('GPU_DEVICE_LOST', `the WebGPU ${this.lostReason}`);
    });
    this.lostPromise.catch(() => {});
  }

  get healthy(): boolean {
    return this.lostReason === null && !this.disposed;
  }

  // ---- plumbing ---------------------------------------------------------------------

  private alive(): void {
    if (this.lostReason !== null) throw new UhfError('GPU_DEVICE_LOST', `the WebGPU ${this.lostReason}`);
    if (this.disposed) throw new UhfError('INTERNAL', 'webgpu kernels: used after dispose()');
  }

  private own(a: DeviceArray): GpuArray {
    if (!(a instanceof GpuArray) || a.owner !== this) throw new UhfError('BAD_ARGUMENT', 'webgpu kernels: the array belongs to another backend or device');
    if (a.freed) throw new UhfError('INTERNAL', 'webgpu kernels: array used after free()');
    return a;
  }

  private enc(): GPUCommandEncoder {
    this.encoder ??= this.gpu.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.enc().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits recorded work (if any) and releases buffers that were waiting for it. */
  private submit(): void {
    this.endPass();
    if (this.encoder) {
      const cb = this.encoder.finish();
      this.encoder = null;
      this.gpu.queue.submit([cb]);
      this.counters.submits++;
    }
    for (const b of this.trash) b.destroy();
    this.trash = [];
    if (this.uniforms.size > 4096) {
      for (const b of this.uniforms.values()) b.destroy();
      this.uniforms.clear();
    }
  }

  private pipeline(key: string, code: () => string): GPUComputePipeline {
    let p = this.pipelines.get(key);
    if (!p) {
      const module = this.gpu.createShaderModule({ code: code(), label: key });
      p = this.gpu.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
      this.pipelines.set(key, p);
    }
    return p;
  }

  private createBuffer(bytes: number, usage: number, label?: string): GPUBuffer {
    if (bytes > this.limits.maxArrayBytes) {
      throw new UhfError('BACKEND_UNAVAILABLE', `GPU array of ${(bytes / 2 ** 20).toFixed(1)} MiB exceeds the device's maxBufferSize (${(this.limits.maxArrayBytes / 2 ** 20).toFixed(0)} MiB)`);
    }
    return this.gpu.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage, ...(label ? { label } : {}) });
  }

  /** A storage buffer of at least `bytes` (pooled, contents undefined). */
  private allocBuffer(bytes: number): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    const list = this.pool.get(size);
    const b = list?.pop();
    if (b) {
      this.pooledBytes -= size;
      return b;
    }
    return this.createBuffer(size, STORAGE | COPY_SRC | COPY_DST);
  }

  private releaseBuffer(b: GPUBuffer): void {
    if (this.pooledBytes + b.size > this.poolLimit) {
      this.trashLater(b);
      return;
    }
    let list = this.pool.get(b.size);
    if (!list) this.pool.set(b.size, (list = []));
    list.push(b);
    this.pooledBytes += b.size;
  }

  /** Destroyed after the next submit (it may be used by recorded work). */
  private trashLater(b: GPUBuffer): void {
    this.trash.push(b);
  }

  private newArray(floats: number): GpuArray {
    return new GpuArray(this, this.allocBuffer(4 * floats), floats);
  }

  /** An immutable buffer holding `data` (storage or uniform). */
  private constBuffer(data: Uint32Array | Float32Array, usage: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    if (size > this.limits.maxArrayBytes) throw new UhfError('BACKEND_UNAVAILABLE', `GPU table of ${(size / 2 ** 20).toFixed(1)} MiB exceeds the device's maxBufferSize`);
    const mapped = this.gpu.createBuffer({ size, usage, mappedAtCreation: true });
    new Uint8Array(mapped.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    mapped.unmap();
    return mapped;
  }

  private table(key: string, data: () => Float32Array): GPUBuffer {
    let b = this.tables.get(key);
    if (!b) {
      b = this.constBuffer(data(), STORAGE);
      this.tables.set(key, b);
    }
    return b;
  }

  private uniform(words: number[]): GPUBuffer {
    const key = words.join(',');
    let b = this.uniforms.get(key);
    if (!b) {
      const u = new Uint32Array(Math.max(16, Math.ceil(words.length / 4) * 4));
      u.set(words);
      b = this.constBuffer(u, UNIFORM);
      this.uniforms.set(key, b);
    }
    return b;
  }

  private whole(a: GpuArray): Range {
    if (a.bytes > this.limits.maxBindingBytes) {
      throw new UhfError('BACKEND_UNAVAILABLE', `GPU array of ${(a.bytes / 2 ** 20).toFixed(1)} MiB exceeds the binding limit (${(this.limits.maxBindingBytes / 2 ** 20).toFixed(0)} MiB) of this kernel`);
    }
    return { buffer: a.buffer, offset: 0, size: Math.max(8, a.bytes) };
  }

  /**
   * Records one dispatch of `total` threads. `params` follow (gx, total) in the
   * uniform block; entries are bound in order, the uniform last.
   */
  private dispatch(key: string, code: () => string, bindings: (Range | GPUBuffer)[], total: number, params: number[]): void {
    if (total <= 0) return;
    const groups = Math.ceil(total / WORKGROUP);
    const gx = Math.min(groups, this.maxWgX);
    const gy = Math.ceil(groups / gx);
    if (gy > this.maxWgY) throw new UhfError('BACKEND_UNAVAILABLE', `dispatch of ${total} threads exceeds the device's workgroup grid`);
    const pipe = this.pipeline(key, code);
    const u = this.uniform([gx * WORKGROUP, total, ...params]);
    const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({
      binding: i,
      resource: 'offset' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b },
    }));
    entries.push({ binding: bindings.length, resource: { buffer: u } });
    const group = this.gpu.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
    const pass = this.computePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(gx, gy);
    this.counters.dispatches++;
    if (gy > 1) this.counters.gridDispatches++;
  }

  private copyRange(src: Range, dst: Range, bytes: number): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, bytes);
  }

  /** The plumbing lent to the kernels of pi-kernels.ts. */
  private readonly ops: GpuOps = {
    own: (a) => {
      this.alive();
      return this.own(a);
    },
    whole: (a) => this.whole(a), newArray: (n) => this.newArray(n), free: (a) => this.free(a),
    dispatch: (key, code, bindings, total, params) => this.dispatch(key, code, bindings, total, params),
    storage: (data, keep) => {
      const b = this.constBuffer(data.length ? data : new Uint32Array(1), STORAGE);
      if (keep) this.kept.push(b);
      else this.trashLater(b);
      return b;
    },
  };

  // ---- KernelSet ----------------------------------------------------------------------

  upload(data: Float32Array): GpuArray {
    this.alive();
    const a = this.newArray(data.length);
    // writeBuffer runs before recorded-but-unsubmitted work: submit that first (the buffer may be a reused one).
    this.submit();
    // writeBuffer takes no SharedArrayBuffer (calibrations shared with worker threads live on one)
    const src = data.buffer instanceof ArrayBuffer ? data : data.slice();
    if (data.length) this.gpu.queue.writeBuffer(a.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
    return a;
  }

  zeros(length: number): GpuArray {
    this.alive();
    const a = this.newArray(length);
    this.endPass();
    this.enc().clearBuffer(a.buffer);
    return a;
  }

  copy(a: GpuArray): GpuArray {
    this.alive();
    const src = this.own(a);
    const out = this.newArray(src.length);
    if (src.bytes) this.copy4(src.buffer, out.buffer, src.bytes);
    return out;
  }

  private copy4(src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
  }

  read(a: GpuArray): Promise<Float32Array> {
    this.alive();
    const src = this.own(a);
    const bytes = src.bytes;
    if (bytes === 0) return Promise.resolve(new Float32Array(0));
    const staging = this.createBuffer(bytes, MAP_READ | COPY_DST);
    this.endPass();
    this.enc().copyBufferToBuffer(src.buffer, 0, staging, 0, bytes);
    this.submit();
    return this.settle(staging.mapAsync(MODE_READ, 0, bytes)).then(
      () => {
        const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
        staging.unmap();
        staging.destroy();
        return out;
      },
      (e: unknown) => {
        staging.destroy();
        throw e;
      },
    );
  }

  /** `p`, or GPU_DEVICE_LOST when the device is lost or `p` takes longer than the timeout. */
  private settle<T>(p: Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.lostReason ??= `did not finish within ${this.timeoutMs / 1000} s`;
        reject(new UhfError('GPU_DEVICE_LOST', `the WebGPU device did not finish within ${this.timeoutMs / 1000} s`));
      }, this.timeoutMs);
    });
    return Promise.race([p, this.lostPromise, timeout]).finally(() => clearTimeout(timer)).catch((e: unknown) => {
      if (this.lostReason !== null && !(e instanceof UhfError)) throw new UhfError('GPU_DEVICE_LOST', `the WebGPU ${this.lostReason}`, { cause: e });
      if (!(e instanceof UhfError)) throw new UhfError('GPU_DEVICE_LOST', `a WebGPU read failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      throw e;
    });
  }

  free(a: GpuArray): void {
    if (!(a instanceof GpuArray) || a.owner !== this || a.freed) return;
    a.freed = true;
    if (!this.disposed) this.releaseBuffer(a.buffer);
  }

  fft(a: GpuArray, shape: readonly number[], axes: readonly number[], opts: FftKernelOptions = {}): void {
    this.alive();
    const arr = this.own(a);
    let total = 1;
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `FFT shape must contain positive integers, got [${shape.join(', ')}]`);
      total *= d;
    }
    if (arr.length !== 2 * total) throw new UhfError('SHAPE_MISMATCH', `FFT data has ${arr.length / 2} complex elements but shape [${shape.join(', ')}] needs ${total}`);
    const seen = new Set<number>();
    for (const ax of axes) {
      if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length || seen.has(ax)) throw new UhfError('BAD_ARGUMENT', `bad FFT axis ${ax} for ${shape.length}-D shape`);
      seen.add(ax);
    }
    const inverse = opts.inverse ?? false;
    const centred = opts.centred ?? true;
    const norm = opts.norm ?? 'ortho';
    for (const axis of axes) {
      const n = shape[axis]!;
      const scale = norm === 'ortho' ? 1 / Math.sqrt(n) : norm === 'backward' && inverse ? 1 / n : 1;
      if (n === 1) {
        if (scale !== 1) this.scale(arr, scale);
        continue;
      }
      let inner = 1, outer = 1;
      for (let d = 0; d < axis; d++) inner *= shape[d]!;
      for (let d = axis + 1; d < shape.length; d++) outer *= shape[d]!;
      this.fftAxis(arr, n, inner, outer, inverse, centred ? Math.floor(n / 2) : 0, scale);
    }
  }

  /**
   * Transforms the lines along an axis (length n, stride `inner`, `outer`
   * slices of inner·n values). Whole array when it fits one binding; else in
   * chunks of whole slices, bound in place when the chunk offsets can be
   * aligned to minStorageBufferOffsetAlignment, otherwise copied through an
   * aligned work buffer.
   */
  private fftAxis(a: GpuArray, n: number, inner: number, outer: number, inverse: boolean, rot: number, scale: number): void {
    const plan = gpuFftPlan(n);
    const slice = inner * n;
    const need = 8 * Math.max(slice, plan.kind === 'bluestein' ? inner * plan.m : slice);
    const maxB = this.limits.maxBindingBytes;
    if (outer * need <= maxB) {
      if (plan.kind === 'stockham' && this.canFuse(plan)) {
        this.fusedFft(plan, { buffer: a.buffer, offset: 0, size: a.bytes }, inner, outer, inverse, rot, rot, scale);
      } else if (plan.kind === 'stockham') {
        // ping-pong with a scratch buffer; swap buffers when the result lands there
        const scratch = this.allocBuffer(a.bytes);
        const A: Range = { buffer: a.buffer, offset: 0, size: a.bytes };
        const B: Range = { buffer: scratch, offset: 0, size: a.bytes };
        if (this.stockham(plan, A, B, inner, outer, inverse, rot, rot, scale)) {
          this.releaseBuffer(a.buffer);
          a.buffer = scratch;
        } else {
          this.releaseBuffer(scratch);
        }
      } else {
        this.bluestein(plan, { buffer: a.buffer, offset: 0, size: a.bytes }, inner, outer, inverse, rot, scale);
      }
      return;
    }
    const alignElems = Math.max(1, this.offsetAlign / 8);
    const step = alignElems / gcd(slice, alignElems);
    let g = Math.floor(maxB / need / step) * step;
    const viaCopy = g < 1;
    if (viaCopy) g = Math.floor(maxB / need);
    if (g < 1) {
      throw new UhfError('BACKEND_UNAVAILABLE', `an FFT slice of ${(need / 2 ** 20).toFixed(2)} MiB exceeds the device's storage binding limit (${(maxB / 2 ** 20).toFixed(2)} MiB)`);
    }
    const work = viaCopy ? this.allocBuffer(8 * slice * g) : null;
    const scratch = plan.kind === 'stockham' && !this.canFuse(plan) ? this.allocBuffer(8 * slice * g) : null;
    for (let o0 = 0; o0 < outer; o0 += g) {
      const cnt = Math.min(g, outer - o0);
      const region: Range = { buffer: a.buffer, offset: 8 * slice * o0, size: 8 * slice * cnt };
      const target: Range = work ? { buffer: work, offset: 0, size: region.size } : region;
      if (work) this.copyRange(region, target, region.size);
      this.counters.fftChunks++;
      if (work) this.counters.fftChunksCopied++;
      if (plan.kind === 'stockham' && !scratch) {
        this.fusedFft(plan, target, inner, cnt, inverse, rot, rot, scale);
      } else if (plan.kind === 'stockham') {
        const B: Range = { buffer: scratch!, offset: 0, size: region.size };
        if (this.stockham(plan, target, B, inner, cnt, inverse, rot, rot, scale)) this.copyRange(B, target, region.size);
      } else {
        this.bluestein(plan, target, inner, cnt, inverse, rot, scale);
      }
      if (work) this.copyRange(target, region, region.size);
    }
    if (work) this.releaseBuffer(work);
    if (scratch) this.releaseBuffer(scratch);
  }

  private canFuse(plan: StockhamPlan): boolean {
    return this.fused && plan.n <= 2048 && 8 * fusedLines(plan.n) * plan.n <= this.workgroupBytes;
  }

  /** All stages of every line of `data` in workgroup memory, in place (see fusedFftWgsl). */
  private fusedFft(plan: StockhamPlan, data: Range, inner: number, outer: number, inverse: boolean, rotIn: number, rotOut: number, scale: number): void {
    const sgn = inverse ? 1 : -1;
    const n = plan.n;
    const contiguous = inner === 1;
    const tw = this.table(`tw${n}`, () => plan.twiddles);
    const lines = inner * outer;
    const groups = Math.ceil(lines / fusedLines(n));
    this.dispatch(`fused${n}${sgn}${contiguous ? 'c' : 's'}`, () => fusedFftWgsl(n, plan.stages, sgn, contiguous), [data, tw], groups * FUSED_THREADS, [
      lines, inner, rotIn, rotOut, f32bits(scale),
    ]);
    this.counters.fusedFfts++;
  }

  /** Stockham stages A → B → A … (or all at once in workgroup memory, in A); returns true when the result is in B. */
  private stockham(plan: StockhamPlan, A: Range, B: Range, inner: number, outer: number, inverse: boolean, rotIn: number, rotOut: number, scale: number): boolean {
    if (this.canFuse(plan)) {
      this.fusedFft(plan, A, inner, outer, inverse, rotIn, rotOut, scale);
      return false;
    }
    const sgn = inverse ? 1 : -1;
    const tw = this.table(`tw${plan.n}`, () => plan.twiddles);
    let src = A, dst = B;
    plan.stages.forEach((s, idx) => {
      const first = idx === 0, last = idx === plan.stages.length - 1;
      const R: Radix = s.radix;
      this.dispatch(`stockham${R}${sgn}`, () => stockhamStageWgsl(R, sgn), [src, dst, tw], inner * outer * (plan.n / R), [
        plan.n, inner, s.ns, s.twiddleOffset, first ? rotIn : 0, last ? rotOut : 0, f32bits(last ? scale : 1),
      ]);
      [src, dst] = [dst, src];
    });
    return src === B;
  }

  /** Bluestein on the `outer` slices of `data` (in place), through two scratch buffers of lines·m values. */
  private bluestein(plan: BluesteinPlan, data: Range, inner: number, outer: number, inverse: boolean, rot: number, scale: number): void {
    const { n, m } = plan;
    const sgn = inverse ? 1 : -1;
    const chirp = this.table(`chirp${n}`, () => plan.chirp);
    const kern = this.table(`bk${n}${inverse ? 'i' : 'f'}`, () => (inverse ? plan.kernelInverse : plan.kernelForward));
    const lines = inner * outer;
    const s1 = this.allocBuffer(8 * m * lines);
    const s2 = this.allocBuffer(8 * m * lines);
    const S1: Range = { buffer: s1, offset: 0, size: 8 * m * lines };
    const S2: Range = { buffer: s2, offset: 0, size: 8 * m * lines };
    this.dispatch(`blIn${sgn}`, () => bluesteinInWgsl(sgn), [data, S1, chirp], lines * m, [n, m, inner, rot]);
    let cur = this.stockham(plan.inner, S1, S2, 1, lines, false, 0, 0, 1) ? S2 : S1;
    this.dispatch('pointwise', () => POINTWISE_WGSL, [cur, kern], lines * m, [m]);
    const other = cur === S1 ? S2 : S1;
    cur = this.stockham(plan.inner, cur, other, 1, lines, true, 0, 0, 1) ? other : cur;
    this.dispatch(`blOut${sgn}`, () => bluesteinOutWgsl(sgn), [cur, data, chirp], lines * n, [n, m, inner, rot, f32bits(scale)]);
    this.releaseBuffer(s1);
    this.releaseBuffer(s2);
  }

  channelMatrix(m: ArrayLike<number>, rows: number, cols: number, a: GpuArray, samples: number): GpuArray {
    this.alive();
    const src = this.own(a);
    if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1 || !Number.isInteger(samples) || samples < 0) {
      throw new UhfError('BAD_ARGUMENT', `channelMatrix: bad size ${rows}×${cols} matrix, ${samples} samples`);
    }
    if (m.length !== 2 * rows * cols) throw new UhfError('SHAPE_MISMATCH', `channelMatrix: matrix has ${m.length / 2} complex values, expected ${rows}×${cols}`);
    if (src.length !== 2 * cols * samples) throw new UhfError('SHAPE_MISMATCH', `channelMatrix: data has ${src.length / 2} complex values, expected ${cols} channels × ${samples} samples`);
    const out = this.newArray(2 * rows * samples);
    if (samples === 0) return out;
    const mat = this.matrixBuffer(m, rows, cols);
    const blocks = Math.ceil(rows / CHMAT_ROWS);
    this.dispatch('chmat', () => CHANNEL_MATRIX_WGSL, [this.whole(src), this.whole(out), mat], blocks * samples, [rows, cols, samples]);
    return out;
  }

  /** The matrix as float32, padded with zero rows to a multiple of CHMAT_ROWS (cached per matrix object). */
  private matrixBuffer(m: ArrayLike<number>, rows: number, cols: number): GPUBuffer {
    const copy = new Float32Array(2 * cols * Math.ceil(rows / CHMAT_ROWS) * CHMAT_ROWS);
    for (let i = 0; i < 2 * rows * cols; i++) copy[i] = m[i]!;
    const key = typeof m === 'object' && m !== null ? (m as object) : null;
    if (key) {
      const hit = this.matrices.get(key);
      if (hit && hit.copy.length === copy.length && hit.copy.every((v, i) => v === copy[i])) return hit.buffer;
    }
    const b = this.constBuffer(copy, STORAGE);
    if (key) {
      const old = this.matrices.get(key);
      if (old) this.trashLater(old.buffer);
      this.matrices.set(key, { copy, buffer: b });
    } else {
      this.trashLater(b);
    }
    return b;
  }

  resize(a: GpuArray, shape: readonly number[], newShape: readonly number[]): GpuArray {
    this.alive();
    const src = this.own(a);
    if (shape.length !== newShape.length) throw new UhfError('BAD_ARGUMENT', 'resize: shapes of different rank');
    if (shape.every((n, i) => n === newShape[i])) return src;
    if (shape.length > 4) throw new UhfError('BAD_ARGUMENT', `resize: at most 4 axes on the GPU (got ${shape.length})`);
    const oldS = [...shape, 1, 1, 1, 1].slice(0, 4);
    const newS = [...newShape, 1, 1, 1, 1].slice(0, 4);
    const oldTotal = oldS.reduce((x, y) => x * y, 1);
    if (src.length !== 2 * oldTotal) throw new UhfError('SHAPE_MISMATCH', `resize: ${src.length / 2} complex values for shape [${shape.join(', ')}]`);
    const total = newS.reduce((x, y) => x * y, 1);
    const out = this.newArray(2 * total);
    const shift = oldS.map((n, i) => Math.floor(newS[i]! / 2) - Math.floor(n / 2));
    this.dispatch('resize', () => RESIZE_WGSL, [this.whole(src), this.whole(out)], total, [0, 0, ...oldS, ...newS, ...shift.map((s) => s >>> 0)]);
    return out;
  }

  rss(a: GpuArray, voxels: number, channels: number): GpuArray {
    this.alive();
    const src = this.own(a);
    if (src.length !== 2 * voxels * channels) throw new UhfError('SHAPE_MISMATCH', `rss: ${src.length / 2} complex values for ${voxels} voxels × ${channels} channels`);
    const out = this.newArray(voxels);
    this.dispatch('rss', () => RSS_WGSL, [this.whole(src), this.whole(out)], voxels, [channels]);
    return out;
  }

  scale(a: GpuArray, factor: number): void {
    this.alive();
    const arr = this.own(a);
    if (factor === 1) return;
    this.dispatch('scale', () => SCALE_WGSL, [this.whole(arr)], arr.length, [f32bits(factor)]);
  }

  weightLines(a: GpuArray, lineLength: number, lines: number, channels: number, weights: Float32Array, first: number, last: number): void {
    this.alive();
    const arr = this.own(a);
    if (arr.length !== 2 * lineLength * lines * channels || weights.length < lines) {
      throw new UhfError('SHAPE_MISMATCH', `weightLines: ${arr.length / 2} complex values for [${lineLength}, ${lines}, ${channels}]`);
    }
    const lo = Math.max(0, first), hi = Math.min(lineLength - 1, last);
    const w = this.constBuffer(weights.length ? weights : new Float32Array(1), STORAGE);
    this.trashLater(w);
    if (hi < lo) {
      this.endPass();
      this.enc().clearBuffer(arr.buffer, 0, Math.ceil(arr.bytes / 4) * 4);
      return;
    }
    this.dispatch('weightLines', () => WEIGHT_LINES_WGSL, [this.whole(arr), w], arr.length / 2, [lineLength, lines, lo, hi]);
  }

  voxelMatrix(a: GpuArray, w: GpuArray, voxels: number, cin: number, cout: number, conjugate = false): GpuArray {
    this.alive();
    const x = this.own(a), W = this.own(w);
    if (x.length !== 2 * voxels * cin || W.length !== 2 * voxels * cin * cout) {
      throw new UhfError('SHAPE_MISMATCH', `voxelMatrix: ${x.length / 2} and ${W.length / 2} complex values for ${voxels} voxels, ${cout}×${cin} channels`);
    }
    const out = this.newArray(2 * voxels * cout);
    this.dispatch(`voxmat${conjugate ? 'c' : ''}`, () => voxelMatrixWgsl(conjugate), [this.whole(x), this.whole(W), this.whole(out)], voxels * cout, [voxels, cin, cout]);
    return out;
  }

  multiplyVoxels(a: GpuArray, weights: GpuArray, voxels: number, channels: number): void {
    this.alive();
    const d = this.own(a), w = this.own(weights);
    if (d.length !== 2 * voxels * channels || w.length !== voxels) throw new UhfError('SHAPE_MISMATCH', `multiplyVoxels: ${d.length / 2} complex values, ${w.length} weights for ${voxels} voxels × ${channels}`);
    this.dispatch('mulvox', () => MULTIPLY_VOXELS_WGSL, [this.whole(d), this.whole(w)], voxels * channels, [voxels]);
  }

  lineConvolution(a: GpuArray, dims: readonly [number, number, number, number], conv: LineConvolution, roles: Uint8Array): GpuArray {
    return lineConvolutionGpu(this.ops, a, dims, conv, roles);
  }

  dot(a: GpuArray, b: GpuArray): GpuArray {
    return dotGpu(this.ops, a, b);
  }

  axpby(y: GpuArray, x: GpuArray, alpha: number, beta: number): void {
    axpbyGpu(this.ops, y, x, alpha, beta);
  }

  async checked<T>(body: () => T | Promise<T>): Promise<T> {
    this.alive();
    this.gpu.pushErrorScope('out-of-memory');
    this.gpu.pushErrorScope('validation');
    let result: T | Promise<T>;
    let validation: Promise<GPUError | null>;
    let oom: Promise<GPUError | null>;
    try {
      result = body();
    } catch (e) {
      // drop what the body recorded but did not submit: a half-built image is never run
      this.pass = null;
      this.encoder = null;
      throw e;
    } finally {
      validation = this.gpu.popErrorScope();
      oom = this.gpu.popErrorScope();
    }
    const [v, o, value] = await Promise.all([
      this.settle(validation),
      this.settle(oom),
      Promise.resolve(result).then((x) => ({ ok: true as const, x }), (e: unknown) => ({ ok: false as const, e })),
    ]);
    if (o) throw new UhfError('BACKEND_UNAVAILABLE', `the GPU ran out of memory: ${o.message}`);
    if (v) throw new UhfError('BACKEND_UNAVAILABLE', `WebGPU validation error: ${v.message}`);
    if (!value.ok) throw value.e;
    return value.x;
  }

  async flush(): Promise<void> {
    this.alive();
    this.submit();
    await this.settle(this.gpu.queue.onSubmittedWorkDone());
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    try {
      this.endPass();
      this.encoder = null;
    } catch {
      // a lost device may refuse; nothing to keep
    }
    for (const b of [...this.trash, ...this.uniforms.values(), ...this.tables.values(), ...this.kept]) b.destroy();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.uniforms.clear();
    this.tables.clear();
    this.trash = [];
    this.kept = [];
  }
}

/** The WebGPU KernelSet on an injected device. */
export function webgpuKernels(device: GPUDevice, opts: WebGpuKernelOptions = {}): WebGpuKernels {
  return new WebGpuKernels(device, opts);
}

// Compile-time check that the backend satisfies the erased contract the pipeline uses.
const _contract: (k: WebGpuKernels) => KernelSet = (k) => k;
void _contract;
