/** Shared by the Walsh and Inati estimators: types, argument checks, window bounds. */
import { UhfError } from '../../../shared/errors.ts';

export type Dims3 = readonly [number, number, number];
export type Kernel = number | readonly [number, number, number];

export interface WalshOptions {
  /** Window size, default [7, 7, 1]. */
  kernel?: Kernel;
  /** Power-iteration matrix-vector products per voxel after the R·e_m start. Default 2. */
  iterations?: number;
  /**
   * Phase reference: 'virtual' (default) = the dominant eigenvector u of the
   * global coil correlation Σ_x I·I^H (a virtual body coil; each map vector is
   * rotated so that u^H·S is real positive); or a coil index (S_ref real ≥ 0).
   */
  phaseReference?: 'virtual' | number;
  /**
   * Upper bound on the x columns processed per tile (a memory knob; the result
   * does not depend on it). Default: as many as fit ~64 MB of window sums.
   */
  tileColumns?: number;
}

export interface InatiOptions {
  /** Window size, default [7, 7, 1]. */
  kernel?: Kernel;
  /** Maximum iterations, default 5. */
  iterations?: number;
  /** Relative change of the combined image that stops the iteration, default 1e-3 (0: run all). */
  threshold?: number;
}

export interface Geometry {
  nx: number; ny: number; nz: number; n: number; c: number;
}

export function geometry(images: Float32Array, dims: Dims3, channels: number, who: string): Geometry {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad dims [${dims.join(',')}]`);
  }
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel count ${channels}`);
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (images.length !== 2 * n * channels) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: images have ${images.length / 2} complex values, [${dims.join(',')}] × ${channels} channels need ${n * channels}`);
  }
  return { nx, ny, nz, n, c: channels };
}

export function kernelOf(kernel: Kernel | undefined, g: Geometry, who: string): [number, number, number] {
  const k: [number, number, number] = kernel === undefined ? [7, 7, 1] : typeof kernel === 'number' ? [kernel, kernel, 1] : [kernel[0], kernel[1], kernel[2]];
  for (const v of k) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad kernel [${k.join(',')}]`);
  }
  return [Math.min(k[0], g.nx), Math.min(k[1], g.ny), Math.min(k[2], g.nz)];
}

/** Window of size k around i: [i - lo, i + hi]. */
export function lohi(k: number): [number, number] {
  const lo = Math.floor(k / 2);
  return [lo, k - 1 - lo];
}

