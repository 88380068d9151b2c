/**
 * Gaussian smoothing by FWHM in millimetres, per frame, separable, with
 * scipy.ndimage.gaussian_filter's kernel (truncated at 4σ, unit sum) and
 * 'reflect' edges (d c b a | a b c d | d c b a), as nilearn's smooth_img.
 * Voxel sizes come from the affine's column norms.
 */
import { UhfError } from '../../shared/errors.ts';
import { voxelSizes, type Volume } from '../../shared/volume.ts';

const FWHM_PER_SIGMA = Math.sqrt(8 * Math.log(2));

export function fwhmToSigmaVoxels(fwhmMm: number, sizes: readonly [number, number, number]): [number, number, number] {
  if (!(fwhmMm >= 0) || !Number.isFinite(fwhmMm)) throw new UhfError('BAD_ARGUMENT', `FWHM must be ≥ 0 mm, got ${fwhmMm}`);
  return sizes.map((s) => fwhmMm / FWHM_PER_SIGMA / s) as [number, number, number];
}

export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  const radius = Math.trunc(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const w = Math.exp((-0.5 * i * i) / (sigma * sigma));
    k[i + radius] = w;
    sum += w;
  }
  for (let i = 0; i < k.length; i++) k[i] = k[i]! / sum;
  return k;
}

function reflectIndex(i: number, n: number): number {
  const period = 2 * n;
  let r = i % period;
  if (r < 0) r += period;
  return r < n ? r : period - 1 - r;
}

/**
 * Convolve along one axis of length `len`: elements along it are `stride`
 * apart; `block` contiguous elements share each position (rows or planes),
 * and `outer` such slabs follow each other.
 */
function convolveAxis(data: Float32Array, tmp: Float64Array, len: number, stride: number, block: number, outer: number, kernel: Float64Array): void {
  const radius = (kernel.length - 1) / 2;
  const slab = len * stride;
  for (let o = 0; o < outer; o++) {
    const base = o * slab;
    tmp.fill(0, 0, len * block);
    for (let i = 0; i < len; i++) {
      const dst = i * block;
      for (let k = 0; k < kernel.length; k++) {
        const w = kernel[k]!;
        const src = base + reflectIndex(i + k - radius, len) * stride;
        for (let b = 0; b < block; b++) tmp[dst + b] = tmp[dst + b]! + w * data[src + b]!;
      }
    }
    for (let i = 0; i < len; i++) {
      const dst = base + i * stride;
      for (let b = 0; b < block; b++) data[dst + b] = tmp[i * block + b]!;
    }
  }
}

/** Convolve every x line (contiguous) through a reflect-padded copy. */
function convolveLines(data: Float32Array, nx: number, lines: number, kernel: Float64Array): void {
  const radius = (kernel.length - 1) / 2;
  const pad = new Float64Array(nx + 2 * radius);
  const taps = kernel.length;
  for (let l = 0; l < lines; l++) {
    const base = l * nx;
    for (let i = -radius; i < nx + radius; i++) pad[i + radius] = data[base + reflectIndex(i, nx)]!;
    for (let i = 0; i < nx; i++) {
      let acc = 0;
      for (let k = 0; k < taps; k++) acc += kernel[k]! * pad[i + k]!;
      data[base + i] = acc;
    }
  }
}

/** Smooth one 3D frame in place; sigmas in voxels per axis (0 leaves an axis alone). */
export function smoothFrame(
  frame: Float32Array,
  dims: readonly [number, number, number],
  sigmas: readonly [number, number, number],
  scratch?: Float64Array,
): void {
  const [nx, ny, nz] = dims;
  const tmp = scratch ?? new Float64Array(nx * ny * nz);
  if (sigmas[0] > 0 && nx > 1) convolveLines(frame, nx, ny * nz, gaussianKernel(sigmas[0]));
  if (sigmas[1] > 0 && ny > 1) convolveAxis(frame, tmp, ny, nx, nx, nz, gaussianKernel(sigmas[1]));
  if (sigmas[2] > 0 && nz > 1) convolveAxis(frame, tmp, nz, nx * ny, nx * ny, 1, gaussianKernel(sigmas[2]));
}

/** Smooth every frame of a volume in place by `fwhmMm`; returns the sigmas used (voxels). */
export function smoothVolume(volume: Volume, fwhmMm: number): [number, number, number] {
  const [nx, ny, nz, nt] = volume.dims;
  const sigmas = fwhmToSigmaVoxels(fwhmMm, voxelSizes(volume.affine));
  if (fwhmMm === 0) return sigmas;
  const nvox = nx * ny * nz;
  const scratch = new Float64Array(nvox);
  for (let t = 0; t < nt; t++) smoothFrame(volume.data.subarray(t * nvox, (t + 1) * nvox), [nx, ny, nz], sigmas, scratch);
  return sigmas;
}
