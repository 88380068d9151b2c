/// <reference types="@webgpu/types" />
/**
 * Device memory of the WebGPU kernel set: the arrays (GpuArray), a pool of
 * freed storage buffers, and the immutable buffers the kernels bind (tables,
 * uniform blocks, per-call data).
 *
 * Limits: arrays up to maxBufferSize. A kernel binds a whole array (`whole`)
 * only up to maxStorageBufferBindingSize and otherwise throws
 * BACKEND_UNAVAILABLE (callers retry on the CPU); only the FFT works in chunks
 * (fft-kernels.ts).
 *
 * The queue runs work in submission order, so a freed buffer goes back to the
 * pool at once and later operations may reuse it; a buffer that recorded work
 * may still use is destroyed only after the next submit (`trashLater`).
 */
import { UhfError } from '../../../shared/errors.ts';
import type { DeviceArray, KernelLimits } from '../../kernels/types.ts';

// GPUBufferUsage / GPUMapMode values (the globals may not exist where the device was injected).
export const MAP_READ = 0x0001;
export const COPY_SRC = 0x0004;
export const COPY_DST = 0x0008;
export const UNIFORM = 0x0040;
export const STORAGE = 0x0080;
export const MODE_READ = 0x0001;

export class GpuArray implements DeviceArray {
  freed = false;
  constructor(
    readonly owner: DeviceBuffers,
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

/** The options of WebGpuKernelOptions (gpu-context.ts) that shape device memory. */
export interface BufferOptions {
  maxBindingBytes?: number;
  poolBytes?: number;
}

export class DeviceBuffers {
  readonly limits: KernelLimits;
  private readonly poolLimit: number;
  private readonly uniforms = new Map<string, GPUBuffer>();
  private readonly tables = new Map<string, GPUBuffer>();
  private kept: GPUBuffer[] = [];
  private readonly pool = new Map<number, GPUBuffer[]>();
  private pooledBytes = 0;
  private trash: GPUBuffer[] = [];

  constructor(readonly gpu: GPUDevice, opts: BufferOptions) {
    const l = gpu.limits;
    const maxBinding = Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize, opts.maxBindingBytes ?? Infinity);
    this.limits = { maxArrayBytes: l.maxBufferSize, maxBindingBytes: maxBinding };
    this.poolLimit = opts.poolBytes ?? Math.min(2 ** 30, l.maxBufferSize);
  }

  createBuffer(bytes: number, usage: number, label?: string): GPUBuffer {
    if (bytes > this.limits.maxArrayBytes) {
      throw new UhfError('BACKEND_UNAVAILABLE', `GPU array of ${(bytes / 2 ** 20).toFixed(1)} MiB exceeds the device's maxBufferSize (${(this.limits.maxArrayBytes / 2 ** 20).toFixed(0)} MiB)`);
    }
    return this.gpu.createBuffer({ size: Math.max(16, Math.ceil(bytes / 16) * 16), usage, ...(label ? { label } : {}) });
  }

  /** A storage buffer of at least `bytes` (pooled, contents undefined). */
  allocBuffer(bytes: number): GPUBuffer {
    const size = Math.max(256, Math.ceil(bytes / 256) * 256);
    const list = this.pool.get(size);
    const b = list?.pop();
    if (b) {
      this.pooledBytes -= size;
      return b;
    }
    return this.createBuffer(size, STORAGE | COPY_SRC | COPY_DST);
  }

  releaseBuffer(b: GPUBuffer): void {
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
  trashLater(b: GPUBuffer): void {
    this.trash.push(b);
  }

  newArray(floats: number): GpuArray {
    return new GpuArray(this, this.allocBuffer(4 * floats), floats);
  }

  /** An immutable buffer holding `data` (storage or uniform). */
  constBuffer(data: Uint32Array | Float32Array, usage: number): GPUBuffer {
    const size = Math.max(16, Math.ceil(data.byteLength / 16) * 16);
    if (size > this.limits.maxArrayBytes) throw new UhfError('BACKEND_UNAVAILABLE', `GPU table of ${(size / 2 ** 20).toFixed(1)} MiB exceeds the device's maxBufferSize`);
    const mapped = this.gpu.createBuffer({ size, usage, mappedAtCreation: true });
    new Uint8Array(mapped.getMappedRange()).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    mapped.unmap();
    return mapped;
  }

  /** A storage buffer holding `data`: released once the recorded work is submitted, or with `keep` at dispose (see GpuOps). */
  storage(data: Uint32Array | Float32Array, keep?: boolean): GPUBuffer {
    const b = this.constBuffer(data.length ? data : new Uint32Array(1), STORAGE);
    if (keep) this.kept.push(b);
    else this.trashLater(b);
    return b;
  }

  table(key: string, data: () => Float32Array): GPUBuffer {
    let b = this.tables.get(key);
    if (!b) {
      b = this.constBuffer(data(), STORAGE);
      this.tables.set(key, b);
    }
    return b;
  }

  uniform(words: number[]): GPUBuffer {
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

  whole(a: GpuArray): Range {
    if (a.bytes > this.limits.maxBindingBytes) {
      throw new UhfError('BACKEND_UNAVAILABLE', `GPU array of ${(a.bytes / 2 ** 20).toFixed(1)} MiB exceeds the binding limit (${(this.limits.maxBindingBytes / 2 ** 20).toFixed(0)} MiB) of this kernel`);
    }
    return { buffer: a.buffer, offset: 0, size: Math.max(8, a.bytes) };
  }

  /**
   * Called after each submit: no recorded work refers to the trash any more,
   * nor to the cached uniform blocks, which are dropped before their number
   * grows without bound (one per distinct parameter set).
   */
  protected afterSubmit(): void {
    for (const b of this.trash) b.destroy();
    this.trash = [];
    if (this.uniforms.size > 4096) {
      for (const b of this.uniforms.values()) b.destroy();
      this.uniforms.clear();
    }
  }

  protected destroyBuffers(): void {
    for (const b of [...this.trash, ...this.uniforms.values(), ...this.tables.values(), ...this.kept]) b.destroy();
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.uniforms.clear();
    this.tables.clear();
    this.trash = [];
    this.kept = [];
  }
}
