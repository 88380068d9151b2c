/// <reference types="@webgpu/types" />
/**
 * The parallel-imaging kernels of the WebGPU backend (GRAPPA in k-space, and
 * the dot product and y ← α·y + β·x of the CG-SENSE loop), recorded through
 * the plumbing of a WebGpuKernels set (`GpuOps`), so that kernels.ts only
 * delegates to them.
 */
import { UhfError } from '../../../shared/errors.ts';
import { checkLineConvolution } from '../../kernels/line-convolution.ts';
import type { DeviceArray, LineConvolution } from '../../kernels/types.ts';
import type { GpuArray, Range } from './kernels.ts';
import { AXPBY_WGSL, DOT_PARTIAL_WGSL, LINE_CONVOLUTION_WGSL, REDUCE_FAN_IN, SUM_PARTIAL_WGSL } from './pi-wgsl.ts';

/** What a WebGpuKernels set lends the kernels of this module. */
export interface GpuOps {
  /** Checks that the set is usable and `a` is a live array of it. */
  own(a: DeviceArray): GpuArray;
  /** The whole array as one binding (BACKEND_UNAVAILABLE beyond the binding limit). */
  whole(a: GpuArray): Range;
  newArray(floats: number): GpuArray;
  free(a: GpuArray): void;
  /** Records one dispatch (see GpuContext.dispatch in gpu-context.ts). */
  dispatch(key: string, code: () => string, bindings: (Range | GPUBuffer)[], total: number, params: number[]): void;
  /** A storage buffer holding `data`: released once the recorded work is submitted, or with `keep` at dispose. */
  storage(data: Uint32Array | Float32Array, keep?: boolean): GPUBuffer;
}

/** Device copies of immutable host objects (GRAPPA weights), per kernel set: uploaded once per time series. */
const derived = new WeakMap<GpuOps, WeakMap<object, GPUBuffer>>();

function derivedBuffer(ops: GpuOps, key: object, data: () => Float32Array): GPUBuffer {
  let m = derived.get(ops);
  if (!m) derived.set(ops, (m = new WeakMap()));
  let b = m.get(key);
  if (!b) m.set(key, (b = ops.storage(data(), true)));
  return b;
}

function f32bits(x: number): number {
  return new Uint32Array(Float32Array.of(x).buffer)[0]!;
}

export function lineConvolutionGpu(ops: GpuOps, a: GpuArray, dims: readonly [number, number, number, number], conv: LineConvolution, roles: Uint8Array): GpuArray {
  const x = ops.own(a);
  const [kro, taps] = checkLineConvolution(x.length, dims, conv, roles);
  const [nro, n1, n2, cin] = dims;
  const cout = conv.channelsOut;
  const lines = n1 * n2;
  const src = ops.whole(x);
  const out = ops.newArray(2 * nro * lines * cout);
  const geo = new Uint32Array(2 * taps + kro + lines);
  const wrap = (v: number, n: number) => ((v % n) + n) % n;
  for (let t = 0; t < taps; t++) {
    geo[2 * t] = wrap(-conv.taps[2 * t]!, n1);
    geo[2 * t + 1] = wrap(-conv.taps[2 * t + 1]!, n2);
  }
  for (let i = 0; i < kro; i++) geo[2 * taps + i] = wrap(conv.srcRo[i]!, nro);
  geo.set(roles, 2 * taps + kro);
  const w = derivedBuffer(ops, conv, () => Float32Array.from(conv.weights));
  ops.dispatch('lineconv', () => LINE_CONVOLUTION_WGSL, [src, ops.whole(out), w, ops.storage(geo)], out.length / 2, [nro, n1, lines, cin, cout, kro, taps]);
  return out;
}

/** Σ a·b by passes of REDUCE_FAN_IN-value partial sums (no workgroup barriers: slow on software adapters). */
export function dotGpu(ops: GpuOps, a: GpuArray, b: GpuArray): GpuArray {
  const x = ops.own(a), y = ops.own(b);
  if (x.length !== y.length) throw new UhfError('SHAPE_MISMATCH', `dot: arrays of ${x.length} and ${y.length} values`);
  let n = x.length;
  const inputs = [ops.whole(x), ops.whole(y)];
  // at least one partial sum: an empty sum writes its 0 too
  let cur = ops.newArray(Math.max(1, Math.ceil(n / REDUCE_FAN_IN)));
  ops.dispatch('dotpart', () => DOT_PARTIAL_WGSL, [...inputs, ops.whole(cur)], cur.length, [n]);
  while (cur.length > 1) {
    n = cur.length;
    const next = ops.newArray(Math.ceil(n / REDUCE_FAN_IN));
    ops.dispatch('sumpart', () => SUM_PARTIAL_WGSL, [ops.whole(cur), ops.whole(next)], next.length, [n]);
    ops.free(cur);
    cur = next;
  }
  return cur;
}

export function axpbyGpu(ops: GpuOps, y: GpuArray, x: GpuArray, alpha: number, beta: number): void {
  const d = ops.own(y), s = ops.own(x);
  if (d.length !== s.length) throw new UhfError('SHAPE_MISMATCH', `axpby: arrays of ${d.length} and ${s.length} values`);
  if (d === s) throw new UhfError('BAD_ARGUMENT', 'axpby: x and y must be different arrays');
  ops.dispatch('axpby', () => AXPBY_WGSL, [ops.whole(d), ops.whole(s)], d.length, [f32bits(alpha), f32bits(beta)]);
}
