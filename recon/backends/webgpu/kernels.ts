/// <reference types="@webgpu/types" />
/**
 * The WebGPU backend of the KernelSet contract: thin TypeScript wrappers around
 * the WGSL kernels of wgsl.ts, on an injected GPUDevice (Node: the `webgpu`
 * package / Dawn, see recon/hosts/gpu-node.ts; browsers: navigator.gpu). It
 * touches no Node or DOM API.
 *
 * The methods delegate, one module per job: gpu-context.ts (recording,
 * execution model, faults) on device-buffers.ts (memory, binding limits) and
 * pipelines.ts; the kernels in transfers.ts, fft-kernels.ts,
 * matrix-kernels.ts, array-kernels.ts and pi-kernels.ts.
 */
import type { FftKernelOptions, KernelLimits, KernelSet, LineConvolution } from '../../kernels/types.ts';
import { resizeGpu, rssGpu, scaleGpu, weightLinesGpu } from './array-kernels.ts';
import type { GpuArray } from './device-buffers.ts';
import { fftGpu } from './fft-kernels.ts';
import { GpuContext, type WebGpuKernelOptions } from './gpu-context.ts';
import { channelMatrixGpu, multiplyVoxelsGpu, voxelMatrixGpu } from './matrix-kernels.ts';
import { axpbyGpu, dotGpu, lineConvolutionGpu, type GpuOps } from './pi-kernels.ts';
import { copyGpu, readGpu, uploadGpu, zerosGpu } from './transfers.ts';

export { GpuArray, type Range } from './device-buffers.ts';
export type { WebGpuKernelOptions } from './gpu-context.ts';

const OWNER = Symbol('webgpu-kernels');

export class WebGpuKernels implements KernelSet<GpuArray> {
  readonly backend = 'webgpu' as const;
  readonly device: string;
  readonly limits: KernelLimits;
  readonly [OWNER] = true;
  /** What the kernels did (for tests and benchmarks). */
  readonly counters: GpuContext['counters'];

  private readonly ctx: GpuContext;

  constructor(readonly gpu: GPUDevice, opts: WebGpuKernelOptions = {}) {
    this.ctx = new GpuContext(gpu, opts);
    this.limits = this.ctx.limits;
    this.counters = this.ctx.counters;
    this.device = opts.description ?? 'WebGPU device';
  }

  get healthy(): boolean {
    return this.ctx.healthy;
  }

  /** The plumbing lent to the kernels of pi-kernels.ts. */
  private readonly ops: GpuOps = {
    own: (a) => {
      this.ctx.alive();
      return this.ctx.own(a);
    },
    whole: (a) => this.ctx.whole(a), newArray: (n) => this.ctx.newArray(n), free: (a) => this.ctx.free(a),
    dispatch: (key, code, bindings, total, params) => this.ctx.dispatch(key, code, bindings, total, params),
    storage: (data, keep) => this.ctx.storage(data, keep),
  };

  // ---- KernelSet ----------------------------------------------------------------------

  upload(data: Float32Array): GpuArray {
    return uploadGpu(this.ctx, data);
  }

  zeros(length: number): GpuArray {
    return zerosGpu(this.ctx, length);
  }

  copy(a: GpuArray): GpuArray {
    return copyGpu(this.ctx, a);
  }

  read(a: GpuArray): Promise<Float32Array> {
    return readGpu(this.ctx, a);
  }

  free(a: GpuArray): void {
    this.ctx.free(a);
  }

  fft(a: GpuArray, shape: readonly number[], axes: readonly number[], opts: FftKernelOptions = {}): void {
    fftGpu(this.ctx, a, shape, axes, opts);
  }

  channelMatrix(m: ArrayLike<number>, rows: number, cols: number, a: GpuArray, samples: number): GpuArray {
    return channelMatrixGpu(this.ctx, m, rows, cols, a, samples);
  }

  resize(a: GpuArray, shape: readonly number[], newShape: readonly number[]): GpuArray {
    return resizeGpu(this.ctx, a, shape, newShape);
  }

  rss(a: GpuArray, voxels: number, channels: number): GpuArray {
    return rssGpu(this.ctx, a, voxels, channels);
  }

  scale(a: GpuArray, factor: number): void {
    scaleGpu(this.ctx, a, factor);
  }

  weightLines(a: GpuArray, lineLength: number, lines: number, channels: number, weights: Float32Array, first: number, last: number): void {
    weightLinesGpu(this.ctx, a, lineLength, lines, channels, weights, first, last);
  }

  voxelMatrix(a: GpuArray, w: GpuArray, voxels: number, cin: number, cout: number, conjugate = false): GpuArray {
    return voxelMatrixGpu(this.ctx, a, w, voxels, cin, cout, conjugate);
  }

  multiplyVoxels(a: GpuArray, weights: GpuArray, voxels: number, channels: number): void {
    multiplyVoxelsGpu(this.ctx, a, weights, voxels, channels);
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

  checked<T>(body: () => T | Promise<T>): Promise<T> {
    return this.ctx.checked(body);
  }

  flush(): Promise<void> {
    return this.ctx.flush();
  }

  dispose(): void {
    this.ctx.dispose();
  }
}

/** The WebGPU KernelSet on an injected device. */
export function webgpuKernels(device: GPUDevice, opts: WebGpuKernelOptions = {}): WebGpuKernels {
  return new WebGpuKernels(device, opts);
}

// Compile-time check that the backend satisfies the erased contract the pipeline uses.
const _contract: (k: WebGpuKernels) => KernelSet = (k) => k;
void _contract;
