/**
 * Golden test against libismrmrd (Debian ismrmrd-tools 1.8):
 * `ismrmrd_generate_cartesian_shepp_logan` writes multi-coil Cartesian k-space,
 * `ismrmrd_recon_cartesian_2d` reconstructs it (per coil: fftshift → unnormalised
 * FFTW backward 2D FFT over the ENCODED matrix → fftshift; crop the centre of the
 * readout; root sum of squares).
 *
 * Our FFTs are orthonormal (1/sqrt(n) per axis), so for the same k-space
 *
 *     reference = sqrt(nx_encoded · ny) · ours                        (1)
 *
 * exactly: the 1/sqrt(nx_e) of the readout transform stays when the oversampled
 * FOV is cropped (a crop in image space does not rescale). We assert (1) with the
 * constant computed from the header — never a fitted scale — and also that the
 * least-squares scale agrees with it to 1e-5, and that the images match without
 * any transpose or flip (NRMSE ≤ 1e-4; a flipped image is ≥ 10 % off).
 *
 * The generator also stores its truth: `phantom` (modified Shepp-Logan, real) and
 * `csm` (birdcage sensitivities); coil images are phantom·csm_c put in the centre
 * of the oversampled readout, then an orthonormal fft2c, then complex Gaussian
 * noise of standard deviation `-n` per real component. So the noise-free RSS recon
 * is |phantom|·sqrt(Σ_c|csm_c|²) exactly (our units), and with noise, per pixel,
 * |‖s + n‖ − ‖s‖| ≤ ‖n‖ (triangle inequality over coils), hence
 *
 *     E‖recon − |phantom|·rss(csm)‖² ≤ N_pixels · nc · 2σ²               (2)
 *
 * (orthonormal transforms and image-space crops keep the per-pixel noise variance).
 */
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { generateSheppLogan, tempDir } from '../helpers/peers.ts';
import { generatorArrays, l2Dist, l2Norm, lsScale, referenceRecon, relErr, scaled, whitenWithNumpy } from '../helpers/recon.ts';

const tmp = tempDir('uhf-golden-');
afterAll(() => tmp.cleanup());

/** The generator's default noise level (-n), per real component. */
const DEFAULT_NOISE = 0.05;
/** Gadgetron's relativeReceiverNoiseBandwidth default, used when the header has none (the generator's has none). */
const RECEIVER_BW_DEFAULT = 0.793;

interface Case {
  matrix: number;
  coils: number;
  oversampling: number;
  /** undefined = the generator's default (0.05). */
  noise?: number;
  noiseScan?: boolean;
  repetitions?: number;
}

const CASES: Case[] = [
  { matrix: 64, coils: 4, oversampling: 2, noise: 0 },
  { matrix: 96, coils: 8, oversampling: 1 },
  { matrix: 128, coils: 8, oversampling: 2, noiseScan: true },
  { matrix: 64, coils: 4, oversampling: 1, noise: 0, noiseScan: true },
  { matrix: 128, coils: 4, oversampling: 1, noiseScan: true },
  { matrix: 96, coils: 8, oversampling: 2, noise: 0 },
  { matrix: 64, coils: 8, oversampling: 2, repetitions: 2 },
];

/** The generator's options, as on its command line. */
const name = (c: Case) => `-m ${c.matrix} -c ${c.coils} -O ${c.oversampling}${c.noise !== undefined ? ` -n ${c.noise}` : ''}${c.noiseScan ? ' -C' : ''}${c.repetitions ? ` -r ${c.repetitions}` : ''}`;
let fileNo = 0;

function generate(c: Case): string {
  // A fresh name every time: the generator APPENDS to an existing file.
  const f = join(tmp.dir, `sl-${fileNo++}.h5`);
  generateSheppLogan(f, {
    matrix: c.matrix, coils: c.coils, oversampling: c.oversampling,
    ...(c.noise !== undefined ? { noiseLevel: c.noise } : {}),
    ...(c.noiseScan ? { noiseCalibration: true } : {}),
    ...(c.repetitions ? { repetitions: c.repetitions } : {}),
  });
  return f;
}

/** Our image mirrored along x (to show the comparison would see a flip). */
function flipX(img: ArrayLike<number>, nx: number, ny: number): Float64Array {
  const out = new Float64Array(nx * ny);
  for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) out[x + nx * y] = img[nx - 1 - x + nx * y]!;
  return out;
}

describe.each(CASES.map((c) => ({ ...c, label: name(c) })))('RSS recon vs libismrmrd, Shepp-Logan $label', (c) => {
  const file = generate(c);
  const ref = referenceRecon(file);
  const nxe = c.matrix * c.oversampling;
  const ny = c.matrix;
  const nx = nxe / 2; // the generator's recon matrix x is half the encoded readout
  const constant = Math.sqrt(nxe * ny); // (1)

  it('equals the reference × 1/sqrt(encoded matrix size), same orientation', async () => {
    const { volumes, report } = await reconstructFile(file, { prewhiten: 'off', workers: 0 });
    expect(report.plan.encodedMatrix).toEqual([nxe, ny, 1]);
    expect(report.plan.reconMatrix).toEqual([nx, ny, 1]);
    expect(ref.shape).toEqual([1, 1, 1, ny, nx]);
    const v = volumes[0]!.magnitude;
    const frames = c.repetitions ?? 1;
    expect(v.dims).toEqual([nx, ny, 1, frames]);
    // The reference keeps the LAST repetition (each one overwrites the lines of the one before).
    const ours = v.data.subarray(nx * ny * (frames - 1), nx * ny * frames);
    const err = relErr(scaled(ours, constant), ref.image);
    const fitted = lsScale(ours, ref.image);
    const flipped = relErr(scaled(flipX(ours, nx, ny), constant), ref.image);
    console.log(`[golden ${name(c)}] NRMSE vs libismrmrd ${err.toExponential(2)}; LS scale ${fitted.toFixed(6)} vs sqrt(${nxe}·${ny}) = ${constant.toFixed(6)}; x-flipped NRMSE ${flipped.toFixed(3)}`);
    expect(err).toBeLessThanOrEqual(1e-4);
    expect(Math.abs(fitted / constant - 1)).toBeLessThan(1e-5);
    expect(flipped).toBeGreaterThan(0.1);
  });

  it('matches the generator’s phantom·RSS(csm), within the noise bound', async () => {
    const { volumes } = await reconstructFile(file, { prewhiten: 'off', workers: 0 });
    const frames = c.repetitions ?? 1;
    const ours = volumes[0]!.magnitude.data.subarray(nx * ny * (frames - 1));
    const g = generatorArrays(file);
    const m = g.m;
    // Recon pixel x is encoded pixel x + (nx_e − nx)/2 (the crop), where phantom pixel x − (nx_e − m)/2 was placed.
    const shift = (nxe - nx) / 2 - (nxe - m) / 2;
    const truth = new Float64Array(nx * ny); // |phantom|·rss(csm)
    const bare = new Float64Array(nx * ny); // |phantom|
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const px = x + shift;
        if (px < 0 || px >= m) continue;
        bare[x + nx * y] = g.phantom[px + m * y]!;
        truth[x + nx * y] = g.phantom[px + m * y]! * g.csmRss[px + m * y]!;
      }
    }
    const sigma = c.noise ?? DEFAULT_NOISE;
    const errAbs = l2Dist(ours, truth);
    const bound = Math.sqrt(nx * ny * c.coils * 2 * sigma * sigma); // (2)
    // Without the coil shading: ‖s·recon − p‖ ≤ s‖recon − p·rss‖ + ‖s·p·rss − p‖, s = LS scale of p·rss on p.
    const s0 = lsScale(truth, bare);
    const shadingOnly = relErr(scaled(truth, s0), bare);
    const bareLs = relErr(scaled(ours, lsScale(ours, bare)), bare);
    const bareBound = (s0 * (1.1 * bound + 1e-6 * l2Norm(truth))) / l2Norm(bare) + shadingOnly;
    console.log(`[golden ${name(c)}] vs phantom·rss(csm): NRMSE ${(errAbs / l2Norm(truth)).toExponential(2)} (noise bound ${(bound / l2Norm(truth)).toExponential(2)}); vs |phantom| (LS scale): ${bareLs.toFixed(4)} (coil shading alone ${shadingOnly.toFixed(4)}, bound ${bareBound.toFixed(4)})`);
    if (sigma === 0) expect(errAbs / l2Norm(truth)).toBeLessThan(1e-5);
    else expect(errAbs).toBeLessThan(1.1 * bound);
    expect(bareLs).toBeLessThanOrEqual(bareBound);
  });

  if (c.noiseScan) {
    it('prewhitening changes the image only by the whitening (numpy whitening + libismrmrd recon)', async () => {
      const { volumes, report } = await reconstructFile(file, { workers: 0 });
      if ((c.noise ?? DEFAULT_NOISE) === 0) {
        // An all-zero noise scan carries no noise statistics: nothing to whiten with.
        expect(report.noise.prewhitened).toBe(false);
        expect(report.warnings.join('\n')).toMatch(/noise/i);
        const plain = await reconstructFile(file, { prewhiten: 'off', workers: 0 });
        expect(relErr(volumes[0]!.magnitude.data, plain.volumes[0]!.magnitude.data)).toBe(0);
        return;
      }
      expect(report.noise.prewhitened).toBe(true);
      // Same dwell time for noise and data (5 µs), no relativeReceiverNoiseBandwidth in the header.
      const s = Math.sqrt(2 * RECEIVER_BW_DEFAULT);
      expect(report.noise.bandwidthScale).toBeCloseTo(s, 12);
      const whitened = `${file}.white.h5`;
      copyFileSync(file, whitened);
      whitenWithNumpy(whitened, s);
      const refW = referenceRecon(whitened);
      const err = relErr(scaled(volumes[0]!.magnitude.data, constant), refW.image);
      const unwhitened = relErr(scaled(volumes[0]!.magnitude.data, constant), ref.image);
      console.log(`[golden ${name(c)}] prewhitened recon vs libismrmrd(numpy-whitened data): NRMSE ${err.toExponential(2)} (vs unwhitened reference ${unwhitened.toFixed(2)})`);
      expect(err).toBeLessThanOrEqual(1e-4);
      expect(unwhitened).toBeGreaterThan(0.5);
    });
  }
});
