/**
 * Synthetic k-space for the parallel-imaging tests ([x][y][z][coil] interleaved
 * complex float32, x fastest).
 */
import { fftc } from '../../recon/fft/index.ts';

/** Fully sampled coil k-space: k_c = fftc(S_c·ρ) for image ρ and maps S, over the spatial axes of extent > 1. */
export function coilKspace(rho: Float32Array, maps: Float32Array, dims: readonly [number, number, number], c: number): Float32Array {
  const n = dims[0] * dims[1] * dims[2];
  const k = new Float32Array(2 * n * c);
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < n; p++) {
      const o = 2 * (p + n * ch);
      k[o] = maps[o]! * rho[2 * p]! - maps[o + 1]! * rho[2 * p + 1]!;
      k[o + 1] = maps[o]! * rho[2 * p + 1]! + maps[o + 1]! * rho[2 * p]!;
    }
  }
  fftc(k, [dims[0], dims[1], dims[2], c], [0, 1, 2].filter((d) => dims[d]! > 1));
  return k;
}

/**
 * A centred acs×acs×c calibration block (2D) zero-padded to a full nx×ny×c
 * k-space, so that a peer (`bart ecalib`) finds exactly this calibration region.
 */
export function padAcs(acs: Float32Array, size: number, nx: number, ny: number, c: number): Float32Array {
  const padded = new Float32Array(2 * nx * ny * c);
  const ox = (nx - size) / 2, oy = (ny - size) / 2;
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const s = 2 * (x + size * (y + size * ch)), d = 2 * ((x + ox) + nx * ((y + oy) + ny * ch));
        padded[d] = acs[s]!; padded[d + 1] = acs[s + 1]!;
      }
    }
  }
  return padded;
}
