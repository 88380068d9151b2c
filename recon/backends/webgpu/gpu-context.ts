/// <reference types="@webgpu/types" />
/**
 * What the kernel wrappers of a WebGPU kernel set record into: its device
 * memory (device-buffers.ts), the command encoder, and the device's health.
 *
 * Execution model: every operation is recorded into one command encoder (one
 * compute pass for consecutive dispatches; the implementation orders the
 * dispatches) and submitted when something must leave the GPU (`read`,
 * `flush`) or before an upload. The queue runs work in submission order, so a
 * freed buffer can be reused at once by later operations.
 *
 * Faults: a lost device or a read that does not finish within `timeoutMs`
 * rejects with GPU_DEVICE_LOST and marks the set unhealthy; out-of-memory and
 * validation errors inside `checked` reject with BACKEND_UNAVAILABLE.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { DeviceArray } from '../../kernels/types.ts';
import { DeviceBuffers, GpuArray, type Range } from './device-buffers.ts';
import { bindGroupEntries, pipeline, workgroupGrid } from './pipelines.ts';
import { WORKGROUP } from './wgsl.ts';

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

export class GpuContext extends DeviceBuffers {
  /** What the kernels did (for tests and benchmarks). */
  readonly counters = { dispatches: 0, gridDispatches: 0, submits: 0, fftChunks: 0, fftChunksCopied: 0, fusedFfts: 0 };
  readonly offsetAlign: number;
  /** FFTs may run fused (see fft-kernels.ts). */
  readonly fused: boolean;
  readonly workgroupBytes: number;

  private readonly maxWgX: number;
  private readonly maxWgY: number;
  private readonly timeoutMs: number;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private lostReason: string | null = null;
  private readonly lostPromise: Promise<never>;
  private disposed = false;

  constructor(gpu: GPUDevice, opts: WebGpuKernelOptions) {
    super(gpu, opts);
    const l = gpu.limits;
    this.maxWgX = Math.min(l.maxComputeWorkgroupsPerDimension, opts.maxWorkgroupsX ?? Infinity);
    this.maxWgY = l.maxComputeWorkgroupsPerDimension;
    this.offsetAlign = l.minStorageBufferOffsetAlignment;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
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

  alive(): void {
    if (this.lostReason !== null) throw new UhfError('GPU_DEVICE_LOST', `the WebGPU ${this.lostReason}`);
    if (this.disposed) throw new UhfError('INTERNAL', 'webgpu kernels: used after dispose()');
  }

  own(a: DeviceArray): GpuArray {
    if (!(a instanceof GpuArray) || a.owner !== this) throw new UhfError('BAD_ARGUMENT', 'webgpu kernels: the array belongs to another backend or device');
    if (a.freed) throw new UhfError('INTERNAL', 'webgpu kernels: array used after free()');
    return a;
  }

  free(a: GpuArray): void {
    if (!(a instanceof GpuArray) || a.owner !== this || a.freed) return;
    a.freed = true;
    if (!this.disposed) this.releaseBuffer(a.buffer);
  }

  enc(): GPUCommandEncoder {
    this.encoder ??= this.gpu.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    this.pass ??= this.enc().beginComputePass();
    return this.pass;
  }

  endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits recorded work (if any) and releases buffers that were waiting for it. */
  submit(): void {
    this.endPass();
    if (this.encoder) {
      const cb = this.encoder.finish();
      this.encoder = null;
      this.gpu.queue.submit([cb]);
      this.counters.submits++;
    }
    this.afterSubmit();
  }

  /**
   * Records one dispatch of `total` threads. `params` follow (gx, total) in the
   * uniform block; entries are bound in order, the uniform last.
   */
  dispatch(key: string, code: () => string, bindings: (Range | GPUBuffer)[], total: number, params: number[]): void {
    if (total <= 0) return;
    const { gx, gy } = workgroupGrid(total, this.maxWgX, this.maxWgY);
    const pipe = pipeline(this.gpu, key, code);
    const u = this.uniform([gx * WORKGROUP, total, ...params]);
    const group = this.gpu.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: bindGroupEntries(bindings, u) });
    const pass = this.computePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, group);
    pass.dispatchWorkgroups(gx, gy);
    this.counters.dispatches++;
    if (gy > 1) this.counters.gridDispatches++;
  }

  copyRange(src: Range, dst: Range, bytes: number): void {
    this.endPass();
    this.enc().copyBufferToBuffer(src.buffer, src.offset, dst.buffer, dst.offset, bytes);
  }

  /** `p`, or GPU_DEVICE_LOST when the device is lost or `p` takes longer than the timeout. */
  settle<T>(p: Promise<T>): Promise<T> {
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
    this.destroyBuffers();
  }
}
