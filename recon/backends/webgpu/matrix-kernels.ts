/// <reference types="@webgpu/types" />
/** Channel mixing: one matrix for every sample (channelMatrix), or one per voxel (voxelMatrix, multiplyVoxels). */
import { UhfError } from '../../../shared/errors.ts';
import { STORAGE, type GpuArray } from './device-buffers.ts';
import type { GpuContext } from './gpu-context.ts';
import { CHANNEL_MATRIX_WGSL, CHMAT_ROWS, MULTIPLY_VOXELS_WGSL, voxelMatrixWgsl } from './wgsl.ts';

/** Device copies of host matrices per kernel set (see matrixBuffer). */
const matrixCache = new WeakMap<GpuContext, WeakMap<object, { copy: Float32Array; buffer: GPUBuffer }>>();

export function channelMatrixGpu(ctx: GpuContext, m: ArrayLike<number>, rows: number, cols: number, a: GpuArray, samples: number): GpuArray {
  ctx.alive();
  const src = ctx.own(a);
  if (!Number.isInteger(rows) || rows < 1 || !Number.isInteger(cols) || cols < 1 || !Number.isInteger(samples) || samples < 0) {
    throw new UhfError('BAD_ARGUMENT', `channelMatrix: bad size ${rows}×${cols} matrix, ${samples} samples`);
  }
  if (m.length !== 2 * rows * cols) throw new UhfError('SHAPE_MISMATCH', `channelMatrix: matrix has ${m.length / 2} complex values, expected ${rows}×${cols}`);
  if (src.length !== 2 * cols * samples) throw new UhfError('SHAPE_MISMATCH', `channelMatrix: data has ${src.length / 2} complex values, expected ${cols} channels × ${samples} samples`);
  const out = ctx.newArray(2 * rows * samples);
  if (samples === 0) return out;
  const mat = matrixBuffer(ctx, m, rows, cols);
  const blocks = Math.ceil(rows / CHMAT_ROWS);
  ctx.dispatch('chmat', () => CHANNEL_MATRIX_WGSL, [ctx.whole(src), ctx.whole(out), mat], blocks * samples, [rows, cols, samples]);
  return out;
}

/**
 * The matrix as float32, padded with zero rows to a multiple of CHMAT_ROWS
 * (cached per matrix object; the contents are compared, so that a matrix
 * changed in place is uploaded again).
 */
function matrixBuffer(ctx: GpuContext, m: ArrayLike<number>, rows: number, cols: number): GPUBuffer {
  let matrices = matrixCache.get(ctx);
  if (!matrices) matrixCache.set(ctx, (matrices = new WeakMap()));
  const copy = new Float32Array(2 * cols * Math.ceil(rows / CHMAT_ROWS) * CHMAT_ROWS);
  for (let i = 0; i < 2 * rows * cols; i++) copy[i] = m[i]!;
  const key = typeof m === 'object' && m !== null ? (m as object) : null;
  if (key) {
    const hit = matrices.get(key);
    if (hit && hit.copy.length === copy.length && hit.copy.every((v, i) => v === copy[i])) return hit.buffer;
  }
  const b = ctx.constBuffer(copy, STORAGE);
  if (key) {
    const old = matrices.get(key);
    if (old) ctx.trashLater(old.buffer);
    matrices.set(key, { copy, buffer: b });
  } else {
    ctx.trashLater(b);
  }
  return b;
}

export function voxelMatrixGpu(ctx: GpuContext, a: GpuArray, w: GpuArray, voxels: number, cin: number, cout: number, conjugate: boolean): GpuArray {
  ctx.alive();
  const x = ctx.own(a), W = ctx.own(w);
  if (x.length !== 2 * voxels * cin || W.length !== 2 * voxels * cin * cout) {
    throw new UhfError('SHAPE_MISMATCH', `voxelMatrix: ${x.length / 2} and ${W.length / 2} complex values for ${voxels} voxels, ${cout}×${cin} channels`);
  }
  const out = ctx.newArray(2 * voxels * cout);
  ctx.dispatch(`voxmat${conjugate ? 'c' : ''}`, () => voxelMatrixWgsl(conjugate), [ctx.whole(x), ctx.whole(W), ctx.whole(out)], voxels * cout, [voxels, cin, cout]);
  return out;
}

export function multiplyVoxelsGpu(ctx: GpuContext, a: GpuArray, weights: GpuArray, voxels: number, channels: number): void {
  ctx.alive();
  const d = ctx.own(a), w = ctx.own(weights);
  if (d.length !== 2 * voxels * channels || w.length !== voxels) throw new UhfError('SHAPE_MISMATCH', `multiplyVoxels: ${d.length / 2} complex values, ${w.length} weights for ${voxels} voxels × ${channels}`);
  ctx.dispatch('mulvox', () => MULTIPLY_VOXELS_WGSL, [ctx.whole(d), ctx.whole(w)], voxels * channels, [voxels]);
}
