/**
 * SENSE unfolding weights per slice calibration and lattice offset, kept
 * between the images of a time series: unfolding then costs one multiply per
 * voxel and channel per frame instead of a small matrix inversion per voxel
 * group. Module state, so each worker thread has its own cache; entries are
 * keyed by the calibration's id (unique per run and slice) and evicted least
 * recently used beyond a byte budget.
 */
import { senseUnfoldWeights } from '../algorithms/sense/index.ts';
import type { ChannelMatrix } from './mix-lines.ts';
import type { PiCalibration } from './pi-calibrate.ts';

const BUDGET_BYTES = 256 * 1024 * 1024;
const cache = new Map<string, Float32Array>();
let bytes = 0;

/**
 * Weights [x, y, z, cha] for unfolding the aliased coil images of the lattice
 * at `offset`. With `whitening` (square M), weights for raw coil images:
 * ρ = Σ_d w_d·(M·a)_d = Σ_c (Σ_d w_d·M_dc)·a_c.
 */
export function senseWeightsFor(cal: PiCalibration, dims: readonly [number, number, number], channels: number, offset: readonly [number, number], whitening?: ChannelMatrix): Float32Array {
  const make = () => {
    const w = senseUnfoldWeights(cal.maps!, dims, channels, cal.accel, { offset }).weights;
    return whitening ? foldMatrix(w, dims[0] * dims[1] * dims[2], channels, whitening.m) : w;
  };
  if (cal.id === undefined) return make();
  const key = `${cal.id}|${dims.join('x')}|${channels}|${offset.join(',')}|${whitening ? 'raw' : 'whitened'}`;
  let w = cache.get(key);
  if (w) {
    cache.delete(key);
  } else {
    w = make();
    bytes += w.byteLength;
  }
  cache.set(key, w); // Map order = use order
  for (const [k, v] of cache) {
    if (bytes <= BUDGET_BYTES || k === key) break;
    cache.delete(k);
    bytes -= v.byteLength;
  }
  return w;
}

/** w'[p][c] = Σ_d w[p][d]·M[d][c] for weights [voxel, cha] (channel slowest) and M (c×c complex, row-major). */
function foldMatrix(w: Float32Array, n: number, c: number, M: Float64Array): Float32Array {
  const out = new Float32Array(w.length);
  for (let p = 0; p < n; p++) {
    for (let ch = 0; ch < c; ch++) {
      let re = 0, im = 0;
      for (let d = 0; d < c; d++) {
        const wr = w[2 * (p + n * d)]!, wi = w[2 * (p + n * d) + 1]!;
        const mr = M[2 * (d * c + ch)]!, mi = M[2 * (d * c + ch) + 1]!;
        re += wr * mr - wi * mi;
        im += wr * mi + wi * mr;
      }
      out[2 * (p + n * ch)] = re;
      out[2 * (p + n * ch) + 1] = im;
    }
  }
  return out;
}
