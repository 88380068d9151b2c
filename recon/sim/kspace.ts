/**
 * Noise-free multi-coil k-space of one slice.
 *
 * For slice s the object is sampled point-wise on the ENCODED grid (readout
 * oversampled: nx_e = os·nx samples over os·fx mm, same pixel size) in the
 * slice plane, pixel (i, j) at
 *   world_LPS = position_s + (i − floor(nx_e/2))·(fx_e/nx_e)·readDir + (j − floor(ny/2))·(fy/ny)·phaseDir
 * (recon/geometry convention), converted to RAS for the phantom and coils:
 *   img_c(i, j) = |phantom|·e^{iφ}·S_c            (baseline)
 *   act_{c,k}(i, j) = img_c(i, j)·mask_k(i, j)   (condition k)
 * and k-space = fftc over (read, phase): array [nx_e, ny, nCoils], interleaved
 * complex, fastest first. Row ky of coil c is the acquisition of encode step ky.
 */
import { fftc } from '../fft/index.ts';
import { lpsToRas, pixelToLps } from '../geometry/index.ts';
import type { SliceGeometry } from '../geometry/index.ts';
import type { CoilArray } from './coils.ts';
import type { HeadPhantom, PhantomSamples } from './phantom.ts';

export interface SliceKspace {
  /** [nx_e, ny, nCoils] baseline k-space. */
  base: Float32Array;
  /** Per condition (bit order): k-space of the activation-masked image, or null if the slice has no active voxel. */
  act: (Float32Array | null)[];
}

/** Flat RAS coordinates [x0 y0 z0 …] of every pixel (i fastest) of a 2D slice grid. */
export function slicePointsRas(g: SliceGeometry): Float64Array {
  const [nx, ny] = g.matrix;
  const out = new Float64Array(3 * nx * ny);
  for (let j = 0; j < ny; j++) {
    for (let i = 0; i < nx; i++) {
      const w = lpsToRas(pixelToLps(g, i, j, 0));
      const o = 3 * (i + nx * j);
      out[o] = w[0];
      out[o + 1] = w[1];
      out[o + 2] = w[2];
    }
  }
  return out;
}

/**
 * Coil images (image domain, before the FFT) on a slice grid:
 * [nx, ny, nCoils] interleaved complex = |phantom|·e^{iφ}·S_c, and the samples.
 */
export function sliceCoilImages(g: SliceGeometry, phantom: HeadPhantom, coils: CoilArray): { images: Float32Array; samples: PhantomSamples } {
  const pts = slicePointsRas(g);
  const samples = phantom.sample(pts);
  const images = coils.sample(pts, samples.mag);
  const np = samples.mag.length;
  const nc = coils.count;
  for (let p = 0; p < np; p++) {
    const m = samples.mag[p]!;
    if (m === 0) continue;
    const ph = samples.phase[p]!;
    const vr = m * Math.cos(ph);
    const vi = m * Math.sin(ph);
    for (let c = 0; c < nc; c++) {
      const o = 2 * (c * np + p);
      const sr = images[o]!, si = images[o + 1]!;
      images[o] = vr * sr - vi * si;
      images[o + 1] = vr * si + vi * sr;
    }
  }
  return { images, samples };
}

/** Baseline and activation k-space of one slice on its encoded grid. */
export function computeSliceKspace(encoded: SliceGeometry, phantom: HeadPhantom, coils: CoilArray, nConditions: number): SliceKspace {
  const { images, samples } = sliceCoilImages(encoded, phantom, coils);
  const [nx, ny] = encoded.matrix;
  const np = nx * ny;
  const nc = coils.count;
  const shape = [nx, ny, nc];
  const act: (Float32Array | null)[] = [];
  for (let k = 0; k < nConditions; k++) {
    const bit = 1 << k;
    let any = false;
    for (let p = 0; p < np && !any; p++) if (samples.activation[p]! & bit) any = true;
    if (!any) {
      act.push(null);
      continue;
    }
    const a = new Float32Array(images.length);
    for (let p = 0; p < np; p++) {
      if (!(samples.activation[p]! & bit)) continue;
      for (let c = 0; c < nc; c++) {
        const o = 2 * (c * np + p);
        a[o] = images[o]!;
        a[o + 1] = images[o + 1]!;
      }
    }
    fftc(a, shape, [0, 1]);
    act.push(a);
  }
  fftc(images, shape, [0, 1]);
  return { base: images, act };
}
