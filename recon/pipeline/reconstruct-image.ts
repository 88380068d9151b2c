/**
 * One k-space buffer → one image: averages, partial Fourier, inverse FFT, the
 * recon grid (resolution and field of view), coil combination. Pure and
 * self-contained, so it runs the same in the main thread or a worker.
 */
import { combineRss, combineWithMaps } from '../algorithms/coil-combine.ts';
import { inatiMaps, walshMaps } from '../algorithms/coil-maps.ts';
import { homodyne, pocs, zeroFill } from '../algorithms/partial-fourier.ts';
import { fftc, ifftc } from '../fft/index.ts';
import { applyChannelMatrix } from '../linalg/apply.ts';
import { reconstructParallel } from './reconstruct-parallel.ts';
import type { PiCalibration } from './pi-calibrate.ts';
import { normaliseAverages, partialFourierRanges, type KspaceBuffer } from './kspace-buffer.ts';
import { mixAcquiredLines } from './mix-lines.ts';
import { resizeCentred } from './resize.ts';

export type CombineMethod = 'rss' | 'walsh' | 'inati';
export type PartialFourierMethod = 'zerofill' | 'pocs' | 'homodyne';

export interface ImageRecipe {
  is3D: boolean;
  /** Recon matrix [x, y, z]. */
  reconMatrix: readonly [number, number, number];
  /** k-space sizes that give the recon voxel size over the buffer's FOV [ro, e1, e2]. */
  gridMatrix: readonly [number, number, number];
  combine: CombineMethod;
  partialFourier: PartialFourierMethod;
  /** Only with map-based combination (RSS has no phase). */
  keepPhase: boolean;
  /**
   * Channel mixing (noise prewhitening, possibly fused with coil compression):
   * rows × cols complex, row-major, out = M·in per sample. Applied in image space
   * after the field-of-view crop (fewest samples) unless it reduces the channel
   * count or partial Fourier needs whitened k-space, then in k-space first.
   */
  channelMatrix?: { m: Float64Array; rows: number; cols: number };
  /** Parallel-imaging calibration of this image's slice (undersampled data). */
  pi?: PiCalibration;
  /** Also return the g-factor map (parallel imaging only). */
  gfactor?: boolean;
}

export interface ImageOutput {
  /** [x y z] */
  magnitude: Float32Array;
  /** [x y z] radians, when keepPhase. */
  phase?: Float32Array;
  /** What was done, for the report. */
  partialFourier?: { axes: string[]; method: PartialFourierMethod };
  /** [x y z] g-factor on the recon grid, when asked for. */
  gfactor?: Float32Array;
}

export function reconstructImage(b: KspaceBuffer, recipe: ImageRecipe): ImageOutput {
  normaliseAverages(b);
  let nc = b.dims[3];
  let [n0, n1, n2] = b.dims;
  let data = b.data;
  const { ranges, axes: pfAxes } = partialFourierRanges(b, recipe.is3D);
  const mix = recipe.channelMatrix;
  let mixed = false;
  // Parallel imaging was calibrated on whitened data: whiten first.
  // Closed-form SENSE unfolds with per-voxel weights: the (square) whitening folds into them.
  const foldIntoSense = mix !== undefined && recipe.pi?.method === 'sense' && mix.rows === mix.cols
    && n1 % recipe.pi.accel[0] === 0 && n2 % recipe.pi.accel[1] === 0;
  if (mix && recipe.pi && !foldIntoSense) {
    // Undersampled: most lines are empty and stay so.
    data = mixAcquiredLines(mix, data, b.dims, b.lineCount);
    nc = mix.rows;
    mixed = true;
  } else if (mix && !recipe.pi && (mix.rows < mix.cols || (pfAxes.length && recipe.partialFourier !== 'zerofill'))) {
    data = applyChannelMatrix(mix.m, mix.rows, mix.cols, data, n0 * n1 * n2, data).subarray(0, 2 * mix.rows * n0 * n1 * n2);
    nc = mix.rows;
    mixed = true;
  }
  if (recipe.pi) return reconstructParallel(b, data, nc, recipe, recipe.pi, foldIntoSense ? mix : undefined);
  let inImageSpace = false;
  if (pfAxes.length && recipe.partialFourier !== 'zerofill') {
    if (recipe.partialFourier === 'pocs') data = pocs(data, [n0, n1, n2, nc], ranges);
    else {
      data = homodyne(data, [n0, n1, n2, nc], ranges, { output: recipe.combine === 'rss' ? 'real' : 'rephased' });
      inImageSpace = true;
    }
  } else if (pfAxes.length) {
    data = zeroFill(data, [n0, n1, n2, nc], ranges);
  }
  // Resolution: zero-fill (or crop) k-space to the grid whose voxel is the recon voxel.
  const g = recipe.gridMatrix;
  const target = [g[0], g[1], recipe.is3D ? g[2] : 1, nc];
  if (inImageSpace && (target[0] !== n0 || target[1] !== n1 || target[2] !== n2)) {
    // Homodyne already gave images: go back to k-space for the interpolation.
    fftc(data, [n0, n1, n2, nc], recipe.is3D ? [0, 1, 2] : [0, 1]);
    inImageSpace = false;
  }
  data = resizeCentred(data, [n0, n1, n2, nc], target);
  [n0, n1, n2] = [target[0]!, target[1]!, target[2]!];
  if (!inImageSpace) ifftc(data, [n0, n1, n2, nc], recipe.is3D ? [0, 1, 2] : [0, 1]);
  // Field of view: crop (or pad) the image to the recon matrix.
  const [rx, ry, rz] = recipe.reconMatrix;
  const out = [rx, ry, recipe.is3D ? rz : 1] as const;
  data = resizeCentred(data, [n0, n1, n2, nc], [out[0], out[1], out[2], nc]);
  const dims = out;
  const voxels = dims[0] * dims[1] * dims[2];
  if (mix && !mixed) {
    // Linear in the samples, so whitening commutes with the FFT and the crop.
    data = applyChannelMatrix(mix.m, mix.rows, mix.cols, data, voxels, data).subarray(0, 2 * mix.rows * voxels);
    nc = mix.rows;
  }
  let magnitude: Float32Array;
  let phase: Float32Array | undefined;
  if (recipe.combine === 'rss') {
    // A root sum of squares has no phase: keepPhase needs map-based combination.
    magnitude = combineRss(data, dims, nc);
  } else {
    const maps = recipe.combine === 'walsh' ? walshMaps(data, dims, nc) : inatiMaps(data, dims, nc);
    const complex = combineWithMaps(data, maps, dims, nc);
    magnitude = new Float32Array(voxels);
    if (recipe.keepPhase) phase = new Float32Array(voxels);
    for (let v = 0; v < voxels; v++) {
      const re = complex[2 * v]!;
      const im = complex[2 * v + 1]!;
      magnitude[v] = Math.hypot(re, im);
      if (phase) phase[v] = Math.atan2(im, re);
    }
  }
  return {
    magnitude,
    ...(phase ? { phase } : {}),
    ...(pfAxes.length ? { partialFourier: { axes: pfAxes, method: recipe.partialFourier } } : {}),
  };
}
