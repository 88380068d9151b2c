/// <reference types="@webgpu/types" />
/** The kernels on one array's layout: centred resize (crop / zero-pad), RSS over channels, scale, line weights. */
import { UhfError } from '../../../shared/errors.ts';
import { STORAGE, type GpuArray } from './device-buffers.ts';
import type { GpuContext } from './gpu-context.ts';
import { f32bits } from './pipelines.ts';
import { RESIZE_WGSL, RSS_WGSL, SCALE_WGSL, WEIGHT_LINES_WGSL } from './wgsl.ts';

export function resizeGpu(ctx: GpuContext, a: GpuArray, shape: readonly number[], newShape: readonly number[]): GpuArray {
  ctx.alive();
  const src = ctx.own(a);
  if (shape.length !== newShape.length) throw new UhfError('BAD_ARGUMENT', 'resize: shapes of different rank');
  if (shape.every((n, i) => n === newShape[i])) return src;
  if (shape.length > 4) throw new UhfError('BAD_ARGUMENT', `resize: at most 4 axes on the GPU (got ${shape.length})`);
  const oldS = [...shape, 1, 1, 1, 1].slice(0, 4);
  const newS = [...newShape, 1, 1, 1, 1].slice(0, 4);
  const oldTotal = oldS.reduce((x, y) => x * y, 1);
  if (src.length !== 2 * oldTotal) throw new UhfError('SHAPE_MISMATCH', `resize: ${src.length / 2} complex values for shape [${shape.join(', ')}]`);
  const total = newS.reduce((x, y) => x * y, 1);
  const out = ctx.newArray(2 * total);
  const shift = oldS.map((n, i) => Math.floor(newS[i]! / 2) - Math.floor(n / 2));
  ctx.dispatch('resize', () => RESIZE_WGSL, [ctx.whole(src), ctx.whole(out)], total, [0, 0, ...oldS, ...newS, ...shift.map((s) => s >>> 0)]);
  return out;
}

export function rssGpu(ctx: GpuContext, a: GpuArray, voxels: number, channels: number): GpuArray {
  ctx.alive();
  const src = ctx.own(a);
  if (src.length !== 2 * voxels * channels) throw new UhfError('SHAPE_MISMATCH', `rss: ${src.length / 2} complex values for ${voxels} voxels × ${channels} channels`);
  const out = ctx.newArray(voxels);
  ctx.dispatch('rss', () => RSS_WGSL, [ctx.whole(src), ctx.whole(out)], voxels, [channels]);
  return out;
}

export function scaleGpu(ctx: GpuContext, a: GpuArray, factor: number): void {
  ctx.alive();
  const arr = ctx.own(a);
  if (factor === 1) return;
  ctx.dispatch('scale', () => SCALE_WGSL, [ctx.whole(arr)], arr.length, [f32bits(factor)]);
}

export function weightLinesGpu(ctx: GpuContext, a: GpuArray, lineLength: number, lines: number, channels: number, weights: Float32Array, first: number, last: number): void {
  ctx.alive();
  const arr = ctx.own(a);
  if (arr.length !== 2 * lineLength * lines * channels || weights.length < lines) {
    throw new UhfError('SHAPE_MISMATCH', `weightLines: ${arr.length / 2} complex values for [${lineLength}, ${lines}, ${channels}]`);
  }
  const lo = Math.max(0, first), hi = Math.min(lineLength - 1, last);
  const w = ctx.constBuffer(weights.length ? weights : new Float32Array(1), STORAGE);
  ctx.trashLater(w);
  if (hi < lo) {
    ctx.endPass();
    ctx.enc().clearBuffer(arr.buffer, 0, Math.ceil(arr.bytes / 4) * 4);
    return;
  }
  ctx.dispatch('weightLines', () => WEIGHT_LINES_WGSL, [ctx.whole(arr), w], arr.length / 2, [lineLength, lines, lo, hi]);
}
