/**
 * Coil combination of multi-channel images (pure functions, no I/O).
 *
 * Conventions
 * - Coil images: interleaved complex Float32Array (re, im), shape [x, y, z, cha]
 *   listed fastest first: pixel p = x + nx*(y + ny*z) of channel c is complex
 *   number p + N*c (N = nx*ny*nz), stored at [2*(p + N*c)], [2*(p + N*c) + 1].
 * - Maps (sensitivities): same layout and shape as the coil images.
 * - Outputs: RSS is real (Float32Array of length N); map-based combinations are
 *   complex (interleaved, length 2N).
 * - Accumulation is in Float64; a single pass over the coil data, channel-major
 *   (contiguous reads), no per-pixel allocation (the Float64 accumulators are a
 *   module-level scratch of up to 3 doubles per voxel, grown on demand and
 *   reused). Every function takes an optional `out` buffer so a time series can
 *   be combined without allocating per frame.
 *
 * For an fMRI run the maps are fixed, so use `combineWeights` once and
 * `combineWithWeights` per frame: it is then a plain Σ_c w_c·I_c.
 */
import { UhfError } from '../../shared/errors.ts';

/** Spatial dims [x, y, z] of one coil image. */
export type Dims3 = readonly [number, number, number];

function voxelCount(dims: Dims3): number {
  const [nx, ny, nz] = dims;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `coil combine: bad dims [${dims.join(',')}]`);
  }
  return nx * ny * nz;
}

function checkComplex(name: string, data: Float32Array, n: number, channels: number): void {
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `coil combine: bad channel count ${channels}`);
  if (data.length !== 2 * n * channels) {
    throw new UhfError('SHAPE_MISMATCH', `coil combine: ${name} has ${data.length / 2} complex values, [${n} voxels × ${channels} channels] needs ${n * channels}`);
  }
}

function outBuffer(out: Float32Array | undefined, len: number): Float32Array {
  if (out === undefined) return new Float32Array(len);
  if (out.length !== len) throw new UhfError('SHAPE_MISMATCH', `coil combine: out has length ${out.length}, expected ${len}`);
  return out;
}

// Float64 accumulator scratch, grown on demand (single-threaded use).
let acc = new Float64Array(0);
function scratch(len: number): Float64Array {
  if (acc.length < len) acc = new Float64Array(len);
  return acc;
}

/**
 * Root sum of squares: out[p] = sqrt(Σ_c |I_c(p)|²). Real output, length x·y·z.
 */
export function combineRss(coilImages: Float32Array, dims: Dims3, channels: number, out?: Float32Array): Float32Array {
  const n = voxelCount(dims);
  checkComplex('coilImages', coilImages, n, channels);
  const res = outBuffer(out, n);
  const s = scratch(n);
  s.fill(0, 0, n);
  for (let c = 0; c < channels; c++) {
    const base = 2 * n * c;
    for (let p = 0; p < n; p++) {
      const re = coilImages[base + 2 * p]!;
      const im = coilImages[base + 2 * p + 1]!;
      s[p] = s[p]! + re * re + im * im;
    }
  }
  for (let p = 0; p < n; p++) res[p] = Math.sqrt(s[p]!);
  return res;
}

/**
 * Relative threshold for the Σ|S_c|² ≈ 0 guard: voxels where Σ|S_c|² is at most
 * `eps · max Σ|S_c|²` (or exactly 0) get weight 0 (their combination is 0).
 */
export const MAPS_ZERO_EPS = 1e-12;

/**
 * Combination weights w_c = conj(S_c) / Σ_c' |S_c'|², layout [x, y, z, cha]
 * complex (as the maps). Voxels where Σ|S|² ≤ MAPS_ZERO_EPS·max get w = 0.
 */
export function combineWeights(maps: Float32Array, dims: Dims3, channels: number, out?: Float32Array): Float32Array {
  const n = voxelCount(dims);
  checkComplex('maps', maps, n, channels);
  const res = outBuffer(out, 2 * n * channels);
  const s = scratch(n);
  s.fill(0, 0, n);
  for (let c = 0; c < channels; c++) {
    const base = 2 * n * c;
    for (let p = 0; p < n; p++) {
      const re = maps[base + 2 * p]!;
      const im = maps[base + 2 * p + 1]!;
      s[p] = s[p]! + re * re + im * im;
    }
  }
  let max = 0;
  for (let p = 0; p < n; p++) if (s[p]! > max) max = s[p]!;
  const floor = MAPS_ZERO_EPS * max;
  for (let p = 0; p < n; p++) {
    const v = s[p]!;
    s[p] = v > floor && v > 0 ? 1 / v : 0;
  }
  for (let c = 0; c < channels; c++) {
    const base = 2 * n * c;
    for (let p = 0; p < n; p++) {
      const inv = s[p]!;
      res[base + 2 * p] = maps[base + 2 * p]! * inv;
      res[base + 2 * p + 1] = -maps[base + 2 * p + 1]! * inv;
    }
  }
  return res;
}

/**
 * out(p) = Σ_c w_c(p) · I_c(p) (no conjugation: `weights` from `combineWeights`
 * already hold conj(S)/Σ|S|²). Complex output, interleaved, length 2·x·y·z.
 */
export function combineWithWeights(coilImages: Float32Array, weights: Float32Array, dims: Dims3, channels: number, out?: Float32Array): Float32Array {
  const n = voxelCount(dims);
  checkComplex('coilImages', coilImages, n, channels);
  checkComplex('weights', weights, n, channels);
  const res = outBuffer(out, 2 * n);
  const s = scratch(2 * n);
  s.fill(0, 0, 2 * n);
  for (let c = 0; c < channels; c++) {
    const base = 2 * n * c;
    for (let p = 0; p < n; p++) {
      const i = base + 2 * p;
      const ar = weights[i]!, ai = weights[i + 1]!;
      const br = coilImages[i]!, bi = coilImages[i + 1]!;
      s[2 * p] = s[2 * p]! + ar * br - ai * bi;
      s[2 * p + 1] = s[2 * p + 1]! + ar * bi + ai * br;
    }
  }
  for (let i = 0; i < 2 * n; i++) res[i] = s[i]!;
  return res;
}

/**
 * Sensitivity-weighted (Roemer, noise-white) combination:
 * out(p) = Σ_c conj(S_c(p))·I_c(p) / Σ_c |S_c(p)|², 0 where Σ|S|² ≈ 0
 * (see MAPS_ZERO_EPS). With the true maps and noise-free I_c = S_c·ρ this
 * returns ρ. Complex output, interleaved, length 2·x·y·z. Single pass over the
 * coil data; for a time series prefer combineWeights + combineWithWeights.
 */
export function combineWithMaps(coilImages: Float32Array, maps: Float32Array, dims: Dims3, channels: number, out?: Float32Array): Float32Array {
  const n = voxelCount(dims);
  checkComplex('coilImages', coilImages, n, channels);
  checkComplex('maps', maps, n, channels);
  const res = outBuffer(out, 2 * n);
  // s[3p] = Σ|S|², s[3p+1..2] = Σ conj(S)·I, all in one pass.
  const s = scratch(3 * n);
  s.fill(0, 0, 3 * n);
  for (let c = 0; c < channels; c++) {
    const base = 2 * n * c;
    for (let p = 0; p < n; p++) {
      const i = base + 2 * p;
      const sr = maps[i]!, si = maps[i + 1]!;
      const br = coilImages[i]!, bi = coilImages[i + 1]!;
      const k = 3 * p;
      s[k] = s[k]! + sr * sr + si * si;
      s[k + 1] = s[k + 1]! + sr * br + si * bi;
      s[k + 2] = s[k + 2]! + sr * bi - si * br;
    }
  }
  let max = 0;
  for (let p = 0; p < n; p++) if (s[3 * p]! > max) max = s[3 * p]!;
  const floor = MAPS_ZERO_EPS * max;
  for (let p = 0; p < n; p++) {
    const d = s[3 * p]!;
    if (d > floor && d > 0) {
      res[2 * p] = s[3 * p + 1]! / d;
      res[2 * p + 1] = s[3 * p + 2]! / d;
    } else {
      res[2 * p] = 0;
      res[2 * p + 1] = 0;
    }
  }
  return res;
}
