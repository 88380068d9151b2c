/**
 * The CG-SENSE encoding operator E = M·F·S and its adjoint, composed from
 * KernelSet kernels so that they run on any backend with the data resident
 * there (same conventions as recon/algorithms/sense/cg-sense.ts senseOperator):
 *
 *   S: voxelMatrix with the maps as [voxels, cha, 1] weights (coil expansion)
 *   F: fft over every axis of length > 1 (fftc / ifftc)
 *   M: multiplyVoxels with the 0/1 mask over [ro, e1, e2]
 *   Sᴴ: voxelMatrix with conjugated maps as [voxels, 1, cha] weights
 *
 * The maps (unless given as a device array, which the caller keeps) and the
 * mask are uploaded once. Arrays returned are new; inputs are not modified.
 */
import { UhfError } from '../../shared/errors.ts';
import type { DeviceArray, KernelSet } from './types.ts';

export interface KernelSenseOperator<A extends DeviceArray> {
  readonly dims: readonly [number, number, number];
  readonly channels: number;
  /** E·x: image [x, y, z] → masked k-space [ro, e1, e2, cha]. */
  forward(image: A): A;
  /** Eᴴ·y: k-space → image (unsampled entries ignored). */
  adjoint(kspace: A): A;
  /** EᴴE·x. */
  normal(image: A): A;
  /** Releases the mask, and the maps when they were uploaded here. */
  free(): void;
}

export function kernelSenseOperator<A extends DeviceArray>(
  k: KernelSet<A>, maps: Float32Array | A, mask: ArrayLike<number>, dims: readonly [number, number, number], channels: number,
): KernelSenseOperator<A> {
  const n = dims[0] * dims[1] * dims[2];
  if (dims.some((d) => !Number.isInteger(d) || d < 1) || !Number.isInteger(channels) || channels < 1) {
    throw new UhfError('BAD_ARGUMENT', `kernelSenseOperator: bad dims [${dims.join(',')}] or channel count ${channels}`);
  }
  if (maps.length !== 2 * n * channels) throw new UhfError('SHAPE_MISMATCH', `kernelSenseOperator: maps have ${maps.length / 2} complex values, need ${n * channels}`);
  if (mask.length !== n) throw new UhfError('SHAPE_MISMATCH', `kernelSenseOperator: mask has ${mask.length} entries, need ${n}`);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = mask[i] !== 0 ? 1 : 0;
  const ownMaps = maps instanceof Float32Array;
  const mapsA = ownMaps ? k.upload(maps) : maps;
  const maskA = k.upload(m);
  const shape = [dims[0], dims[1], dims[2], channels];
  const axes = [0, 1, 2].filter((a) => dims[a]! > 1);
  const toKspace = (image: A): A => {
    const e = k.voxelMatrix(image, mapsA, n, 1, channels);
    if (axes.length) k.fft(e, shape, axes);
    k.multiplyVoxels(e, maskA, n, channels);
    return e;
  };
  const toImage = (kspace: A): A => {
    // kspace is a scratch copy: masked, transformed, reduced, freed
    k.multiplyVoxels(kspace, maskA, n, channels);
    if (axes.length) k.fft(kspace, shape, axes, { inverse: true });
    const r = k.voxelMatrix(kspace, mapsA, n, channels, 1, true);
    k.free(kspace);
    return r;
  };
  return {
    dims,
    channels,
    forward: toKspace,
    adjoint: (y) => toImage(k.copy(y)),
    normal: (x) => toImage(toKspace(x)),
    free() {
      if (ownMaps) k.free(mapsA);
      k.free(maskA);
    },
  };
}
