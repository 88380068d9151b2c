/**
 * Readout oversampling removed readout by readout, for parallel imaging.
 *
 * A fully sampled recon crops the oversampled field of view once per image,
 * after the inverse FFT (one transform fewer per readout). Parallel imaging is
 * different: GRAPPA's calibration and k-space convolution, ESPIRiT's maps and
 * SENSE unfolding all scale with the readout length, so halving it first halves
 * their cost. This is what Gadgetron does (its RemoveROOversampling gadget runs
 * before the GRAPPA gadgets): the kernel is then calibrated and applied on the
 * recon FOV's k-space grid.
 *
 * Per readout: zero-fill to the encoded length at its k-space position, inverse
 * FFT, keep the centred `keep` pixels, FFT back. The field-of-view crop after
 * the 2D/3D inverse FFT is the same operation (centred crops compose, orthonormal
 * transforms cancel), so nothing else in the chain changes. Asymmetric echoes
 * come out zero-filled: the parallel-imaging chain zero-fills them anyway.
 */
import { fftc, ifftc } from '../fft/index.ts';
import type { ReconPlan } from './plan.ts';
import type { Readout } from './readout.ts';
import { resizeCentred } from './resize.ts';

/** Encoded readout samples kept by the field-of-view crop (the recon FOV at the encoded sample spacing). */
export function croppedReadoutLength(plan: ReconPlan): number {
  return Math.max(1, Math.min(plan.bufferRo, Math.round(plan.bufferRo * plan.readoutKeepFraction)));
}

/**
 * The plan for buffers of readouts already cropped by `cropReadout`: a shorter
 * readout covering the recon FOV, with no oversampling left to remove.
 */
export function planWithCroppedReadout(plan: ReconPlan): ReconPlan {
  const keep = croppedReadoutLength(plan);
  if (keep === plan.bufferRo) return plan;
  const fov: [number, number, number] = [plan.bufferFovMm[0] * (keep / plan.bufferRo), plan.bufferFovMm[1], plan.bufferFovMm[2]];
  return { ...plan, bufferRo: keep, bufferFovMm: fov, readoutKeepFraction: 1 };
}

/**
 * `r` (any length, centre at r.centerSample) on the encoded readout grid of
 * `encodedRo` samples → `keep` samples with the k-space centre at floor(keep/2).
 * Returns null when the readout does not fit the encoded grid (the caller
 * counts it as outside the limits, as placeReadout would).
 */
export function cropReadout(r: Readout, encodedRo: number, keep: number): Readout | null {
  const offset = Math.floor(encodedRo / 2) - r.centerSample;
  if (offset < 0 || offset + r.samples > encodedRo || r.samples === 0) return null;
  const full = new Float32Array(2 * encodedRo * r.channels);
  for (let c = 0; c < r.channels; c++) {
    full.set(r.data.subarray(2 * c * r.samples, 2 * (c + 1) * r.samples), 2 * (c * encodedRo + offset));
  }
  ifftc(full, [encodedRo, r.channels], [0]);
  const cropped = resizeCentred(full, [encodedRo, r.channels], [keep, r.channels]);
  fftc(cropped, [keep, r.channels], [0]);
  return { data: cropped, channels: r.channels, samples: keep, centerSample: Math.floor(keep / 2) };
}
