/**
 * Per-voxel temporal statistics in one pass over the frames (Welford, float64
 * accumulators): mean, standard deviation (ddof 0), temporal SNR = mean / sd,
 * and which voxels hold a NaN or ±Inf in any frame.
 */
import type { Volume } from '../../shared/volume.ts';

export interface TemporalStats {
  mean: Float32Array;
  std: Float32Array;
  /** mean / std; 0 where std = 0 or the voxel is non-finite. */
  tsnr: Float32Array;
  /** 1 where any frame is NaN or infinite. */
  nonFinite: Uint8Array;
  nonFiniteCount: number;
  /** 1 where the time series is constant (std = 0). */
  constant: Uint8Array;
}

export function temporalStats(volume: Volume): TemporalStats {
  const [nx, ny, nz, nt] = volume.dims;
  const nvox = nx * ny * nz;
  const data = volume.data;
  const mean = new Float64Array(nvox);
  const m2 = new Float64Array(nvox);
  const nonFinite = new Uint8Array(nvox);
  for (let t = 0; t < nt; t++) {
    const base = t * nvox;
    const inv = 1 / (t + 1);
    for (let v = 0; v < nvox; v++) {
      const x = data[base + v]!;
      if (!Number.isFinite(x)) {
        nonFinite[v] = 1;
        continue;
      }
      const d = x - mean[v]!;
      const mu = mean[v]! + d * inv;
      mean[v] = mu;
      m2[v] = m2[v]! + d * (x - mu);
    }
  }
  const outMean = new Float32Array(nvox);
  const std = new Float32Array(nvox);
  const tsnr = new Float32Array(nvox);
  const constant = new Uint8Array(nvox);
  let nonFiniteCount = 0;
  for (let v = 0; v < nvox; v++) {
    if (nonFinite[v]) {
      nonFiniteCount++;
      continue;
    }
    const sd = Math.sqrt(Math.max(0, m2[v]!) / nt);
    outMean[v] = mean[v]!;
    std[v] = sd;
    if (sd > 0) tsnr[v] = mean[v]! / sd;
    else constant[v] = 1;
  }
  return { mean: outMean, std, tsnr, nonFinite, nonFiniteCount, constant };
}

/**
 * Replace every frame of a non-finite voxel by the mean of its finite frames
 * (0 when it has none), in place, so that smoothing cannot spread NaNs.
 * Such voxels are excluded from the analysis mask anyway.
 */
export function fillNonFinite(volume: Volume, nonFinite: Uint8Array): void {
  const [nx, ny, nz, nt] = volume.dims;
  const nvox = nx * ny * nz;
  const data = volume.data;
  for (let v = 0; v < nvox; v++) {
    if (!nonFinite[v]) continue;
    let sum = 0;
    let k = 0;
    for (let t = 0; t < nt; t++) {
      const x = data[t * nvox + v]!;
      if (Number.isFinite(x)) {
        sum += x;
        k++;
      }
    }
    const fill = k ? sum / k : 0;
    for (let t = 0; t < nt; t++) if (!Number.isFinite(data[t * nvox + v]!)) data[t * nvox + v] = fill;
  }
}
