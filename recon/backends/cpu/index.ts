/**
 * The CPU backend of the KernelSet contract: the reference implementation.
 * Device arrays are plain Float32Arrays; every kernel calls the CPU code the
 * pipeline uses (recon/fft, applyChannelMatrix, resizeCentred, combineRss), so
 * the WebGPU backend's parity tests compare against exactly what the CPU path
 * computes.
 */
import { UhfError } from '../../../shared/errors.ts';
import { combineRss } from '../../algorithms/coil-combine.ts';
import { fftnd, wasmAvailable } from '../../fft/index.ts';
import type { DeviceArray, FftKernelOptions, KernelLimits, KernelSet, LineConvolution } from '../../kernels/types.ts';
import { applyChannelMatrix } from '../../linalg/apply.ts';
import { resizeCentred } from '../../pipeline/resize.ts';
import { lineConvolutionCpu } from './line-convolution.ts';

const OWNER = Symbol('cpu-kernels');

export class CpuArray implements DeviceArray {
  readonly [OWNER] = true;
  constructor(public data: Float32Array) {}
  get length(): number {
    return this.data.length;
  }
}

function own(a: DeviceArray): CpuArray {
  if (!(a instanceof CpuArray)) throw new UhfError('BAD_ARGUMENT', 'cpu kernels: the array belongs to another backend');
  return a;
}

export class CpuKernels implements KernelSet<CpuArray> {
  readonly backend = 'cpu' as const;
  readonly device = `CPU (${wasmAvailable() ? 'WebAssembly SIMD' : 'JavaScript'})`;
  readonly limits: KernelLimits = { maxArrayBytes: 2 ** 31 - 1, maxBindingBytes: 2 ** 31 - 1 };
  readonly healthy = true;

  upload(data: Float32Array): CpuArray {
    return new CpuArray(data.slice());
  }

  zeros(length: number): CpuArray {
    return new CpuArray(new Float32Array(length));
  }

  copy(a: CpuArray): CpuArray {
    return new CpuArray(own(a).data.slice());
  }

  async read(a: CpuArray): Promise<Float32Array> {
    return own(a).data.slice();
  }

  free(a: CpuArray): void {
    own(a).data = new Float32Array(0);
  }

  fft(a: CpuArray, shape: readonly number[], axes: readonly number[], opts: FftKernelOptions = {}): void {
    fftnd(own(a).data, shape, axes, opts);
  }

  channelMatrix(m: ArrayLike<number>, rows: number, cols: number, a: CpuArray, samples: number): CpuArray {
    return new CpuArray(applyChannelMatrix(m, rows, cols, own(a).data, samples));
  }

  resize(a: CpuArray, shape: readonly number[], newShape: readonly number[]): CpuArray {
    if (shape.length !== newShape.length) throw new UhfError('BAD_ARGUMENT', 'resize: shapes of different rank');
    const out = resizeCentred(own(a).data, shape, newShape);
    return out === a.data ? a : new CpuArray(out);
  }

  rss(a: CpuArray, voxels: number, channels: number): CpuArray {
    return new CpuArray(combineRss(own(a).data, [voxels, 1, 1], channels));
  }

  scale(a: CpuArray, factor: number): void {
    const d = own(a).data;
    for (let i = 0; i < d.length; i++) d[i] = d[i]! * factor;
  }

  weightLines(a: CpuArray, lineLength: number, lines: number, channels: number, weights: Float32Array, first: number, last: number): void {
    const d = own(a).data;
    if (d.length !== 2 * lineLength * lines * channels || weights.length < lines) {
      throw new UhfError('SHAPE_MISMATCH', `weightLines: ${d.length / 2} complex values for [${lineLength}, ${lines}, ${channels}]`);
    }
    const lo = Math.max(0, first), hi = Math.min(lineLength - 1, last);
    for (let c = 0; c < channels; c++) {
      for (let l = 0; l < lines; l++) {
        const base = 2 * lineLength * (l + lines * c);
        const w = weights[l]!;
        if (w === 0 || hi < lo) {
          d.fill(0, base, base + 2 * lineLength);
          continue;
        }
        d.fill(0, base, base + 2 * lo);
        d.fill(0, base + 2 * (hi + 1), base + 2 * lineLength);
        if (w !== 1) for (let i = base + 2 * lo; i < base + 2 * (hi + 1); i++) d[i] = d[i]! * w;
      }
    }
  }

  voxelMatrix(a: CpuArray, w: CpuArray, voxels: number, cin: number, cout: number, conjugate = false): CpuArray {
    const x = own(a).data, W = own(w).data;
    const N = voxels;
    if (x.length !== 2 * N * cin || W.length !== 2 * N * cin * cout) {
      throw new UhfError('SHAPE_MISMATCH', `voxelMatrix: ${x.length / 2} and ${W.length / 2} complex values for ${N} voxels, ${cout}×${cin} channels`);
    }
    const out = new Float32Array(2 * N * cout);
    const acc = new Float64Array(2 * N);
    const s = conjugate ? -1 : 1;
    for (let d = 0; d < cout; d++) {
      acc.fill(0);
      for (let c = 0; c < cin; c++) {
        const wb = 2 * N * (d + cout * c), xb = 2 * N * c;
        for (let q = 0; q < 2 * N; q += 2) {
          const wr = W[wb + q]!, wi = s * W[wb + q + 1]!, xr = x[xb + q]!, xi = x[xb + q + 1]!;
          acc[q]! += wr * xr - wi * xi;
          acc[q + 1]! += wr * xi + wi * xr;
        }
      }
      for (let q = 0; q < 2 * N; q++) out[2 * N * d + q] = acc[q]!;
    }
    return new CpuArray(out);
  }

  multiplyVoxels(a: CpuArray, weights: CpuArray, voxels: number, channels: number): void {
    const d = own(a).data, w = own(weights).data;
    if (d.length !== 2 * voxels * channels || w.length !== voxels) throw new UhfError('SHAPE_MISMATCH', `multiplyVoxels: ${d.length / 2} complex values, ${w.length} weights for ${voxels} voxels × ${channels}`);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < voxels; p++) {
        const i = 2 * (p + voxels * c);
        d[i] = d[i]! * w[p]!;
        d[i + 1] = d[i + 1]! * w[p]!;
      }
    }
  }

  lineConvolution(a: CpuArray, dims: readonly [number, number, number, number], conv: LineConvolution, roles: Uint8Array): CpuArray {
    return new CpuArray(lineConvolutionCpu(own(a).data, dims, conv, roles));
  }

  dot(a: CpuArray, b: CpuArray): CpuArray {
    const x = own(a).data, y = own(b).data;
    if (x.length !== y.length) throw new UhfError('SHAPE_MISMATCH', `dot: arrays of ${x.length} and ${y.length} values`);
    let s = 0;
    for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
    return new CpuArray(Float32Array.of(s));
  }

  axpby(y: CpuArray, x: CpuArray, alpha: number, beta: number): void {
    const d = own(y).data, s = own(x).data;
    if (d.length !== s.length) throw new UhfError('SHAPE_MISMATCH', `axpby: arrays of ${d.length} and ${s.length} values`);
    if (y === x) throw new UhfError('BAD_ARGUMENT', 'axpby: x and y must be different arrays');
    for (let i = 0; i < d.length; i++) d[i] = alpha * d[i]! + beta * s[i]!;
  }

  async checked<T>(body: () => T | Promise<T>): Promise<T> {
    return await body();
  }

  async flush(): Promise<void> {}

  dispose(): void {}
}

export function cpuKernels(): CpuKernels {
  return new CpuKernels();
}

// Compile-time check that the backend satisfies the erased contract the pipeline uses.
const _contract: (k: CpuKernels) => KernelSet = (k) => k;
void _contract;
