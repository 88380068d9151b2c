/**
 * SENSE unfolding weights per slice calibration and lattice offset, kept
 * between the images of a time series: unfolding then costs one multiply per
 * voxel and channel per frame instead of a small matrix inversion per voxel
 * group. Module state, so each worker thread has its own cache; entries are
 * keyed by the calibration's id (unique per run and slice) and evicted least
 * recently used beyond a byte budget.
 */
import { senseUnfoldWeights } from '../algorithms/sense/index.ts';
import type { PiCalibration } from './pi-calibrate.ts';

const BUDGET_BYTES = 256 * 1024 * 1024;
const cache = new Map<string, Float32Array>();
let bytes = 0;

/** Weights [x, y, z, cha] for unfolding the aliased coil images of the lattice at `offset`. */
export function senseWeightsFor(cal: PiCalibration, dims: readonly [number, number, number], channels: number, offset: readonly [number, number]): Float32Array {
  const make = () => senseUnfoldWeights(cal.maps!, dims, channels, cal.accel, { offset }).weights;
  if (cal.id === undefined) return make();
  const key = `${cal.id}|${dims.join('x')}|${channels}|${offset.join(',')}`;
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
