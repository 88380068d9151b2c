/**
 * Reconstruction vs the simulator's ground truth (recon/sim).
 *
 * The simulator samples |phantom|·e^{iφ}·S_c at the voxel centres of the ENCODED
 * (readout-oversampled) grid and takes an orthonormal centred FFT (kspace.ts); the
 * truth volumes live on the recon grid. So, noise-free, an RSS recon equals
 * truth.image·truth.rss exactly (see truth.ts), with no free scale.
 *
 * With noise n (covariance Ψ per sample at the imaging dwell, image units because
 * every transform is orthonormal and the oversampling crop is in image space), per
 * voxel |‖s + n‖ − ‖s‖| ≤ ‖n‖, so without prewhitening
 *
 *     E‖recon − image·rss‖² ≤ N_voxels · tr(Ψ)                               (1)
 *
 * With prewhitening the noise is white with E|y_c|² = 2 per channel (SNR units:
 * variance 1 per real component, noise-prewhitening.ts), so outside the head an RSS
 * voxel has E[recon²] = 2·nc.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../shared/volume.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { reconstructFile, type ReconResult } from '../../recon/pipeline/run.ts';
import { presetParams, simulate, type SimParams, type SimulatedScan } from '../../recon/sim/index.ts';
import { tempDir } from '../helpers/peers.ts';
import { l2Dist, l2Norm, lsScale, relErr, scaled } from '../helpers/recon.ts';

const tmp = tempDir('uhf-simgold-');
afterAll(() => tmp.cleanup());

interface Sim {
  scan: SimulatedScan;
  file: string;
}

let fileNo = 0;
async function simulated(preset: 'test-small' | '7t-anat', overrides: Partial<SimParams>): Promise<Sim> {
  const scan = simulate(presetParams(preset, overrides));
  const file = join(tmp.dir, `sim-${fileNo++}.h5`);
  await writeIsmrmrd(file, scan.header, scan.acquisitions());
  return { scan, file };
}

/** image·rss (the noise-free RSS recon), for repetition `rep`. */
function rssTruth(scan: SimulatedScan, rep = 0): Float64Array {
  const img = rep === 0 && scan.params.repetitions === 1 ? scan.truth.image.data : scan.truth.frame(rep).data;
  const rss = scan.truth.rss.data;
  return Float64Array.from(img, (v, i) => v * rss[i]!);
}

function frameOf(v: Volume, f: number): Float32Array {
  const n = v.dims[0] * v.dims[1] * v.dims[2];
  return v.data.subarray(n * f, n * (f + 1));
}

function traceOfPsi(scan: SimulatedScan): number {
  const { n, psi } = scan.truth.noiseCovariance;
  let t = 0;
  for (let c = 0; c < n; c++) t += psi[2 * (c * n + c)]!;
  return t;
}

/** Same affine up to float32 rounding of the acquisition headers' positions and directions. */
function expectSameAffine(a: readonly number[], b: readonly number[]): void {
  for (let i = 0; i < 16; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-4);
}

describe('test-small (3 oblique slices, 4 coils, 2 repetitions)', () => {
  let clean: Sim;
  let noisy: Sim;
  let cleanRecon: ReconResult;
  beforeAll(async () => {
    // A 10 % drift over the run makes the two frames differ (frame 1: +5 %).
    clean = await simulated('test-small', { noiseSigma: 0, driftPercent: 10 });
    noisy = await simulated('test-small', {});
    cleanRecon = await reconstructFile(clean.file, { workers: 0 });
  });

  it('noise-free RSS recon = truth.frame(r)·truth.rss exactly, in every frame, with the truth affine', () => {
    const v = cleanRecon.volumes[0]!.magnitude;
    const t = clean.scan.truth;
    expect(v.dims).toEqual([32, 32, 3, 2]);
    expectSameAffine(v.affine, t.image.affine);
    for (let r = 0; r < 2; r++) {
      const truth = rssTruth(clean.scan, r);
      const err = relErr(frameOf(v, r), truth);
      console.log(`[sim test-small] frame ${r}: NRMSE vs image·rss ${err.toExponential(2)} (LS scale ${lsScale(frameOf(v, r), truth).toFixed(7)})`);
      expect(err).toBeLessThan(1e-4);
    }
    // Frame 1 carries the drift, so the frame-specific truth matters (frames in order).
    expect(relErr(frameOf(v, 1), rssTruth(clean.scan, 0))).toBeGreaterThan(1e-3);
  });

  it('repetitions give a 4D volume whose TR is the volume TR', async () => {
    const v = cleanRecon.volumes[0]!;
    expect(v.magnitude.trSec).toBeCloseTo(2, 9);
    expect(v.frameTimesSec).toEqual([0, 2]);
    // A TR that is not the preset's, three frames, one coil, no design.
    const other = await simulated('test-small', { noiseSigma: 0, trMs: 1500, repetitions: 3, coils: 1, blocks: null, slices: 2 });
    const r = await reconstructFile(other.file, { workers: 0 });
    const m = r.volumes[0]!.magnitude;
    expect(m.dims).toEqual([32, 32, 2, 3]);
    expect(m.trSec).toBeCloseTo(1.5, 9);
    expect(r.volumes[0]!.frameTimesSec.map((x) => +x.toFixed(9))).toEqual([0, 1.5, 3]);
    for (let f = 0; f < 3; f++) expect(relErr(frameOf(m, f), rssTruth(other.scan, f))).toBeLessThan(1e-4);
  });

  it('worker threads give the same image as the calling thread, bit for bit', async () => {
    const inline = await reconstructFile(noisy.file, { workers: 0 });
    const pooled = await reconstructFile(noisy.file, { workers: 2 });
    expect(pooled.report.threads).toBe(2);
    expect(pooled.volumes[0]!.magnitude.affine).toEqual(inline.volumes[0]!.magnitude.affine);
    expect(Array.from(pooled.volumes[0]!.magnitude.data)).toEqual(Array.from(inline.volumes[0]!.magnitude.data));
  });

  it('with noise and no prewhitening: error within the noise bound', async () => {
    const r = await reconstructFile(noisy.file, { workers: 0, prewhiten: 'off' });
    const v = r.volumes[0]!.magnitude;
    const truth = rssTruth(noisy.scan, 0);
    const err = l2Dist(frameOf(v, 0), truth);
    const bound = Math.sqrt(truth.length * traceOfPsi(noisy.scan));
    console.log(`[sim test-small σ=${noisy.scan.params.noiseSigma}] NRMSE ${(err / l2Norm(truth)).toExponential(2)}, noise bound ${(bound / l2Norm(truth)).toExponential(2)}`);
    expect(err).toBeLessThan(1.1 * bound);
  });

  it('with prewhitening: SNR units (background E[RSS²] = 2·channels)', async () => {
    const r = await reconstructFile(noisy.file, { workers: 0 });
    expect(r.report.noise.prewhitened).toBe(true);
    const v = r.volumes[0]!.magnitude;
    const img = noisy.scan.truth.image.data;
    let s = 0, n = 0;
    for (let f = 0; f < 2; f++) {
      const frame = frameOf(v, f);
      for (let i = 0; i < img.length; i++) {
        if (img[i] !== 0) continue;
        s += frame[i]! ** 2;
        n++;
      }
    }
    const nc = noisy.scan.params.coils;
    console.log(`[sim test-small] prewhitened background mean RSS² ${(s / n).toFixed(3)} over ${n} voxels (expected 2·${nc} = ${2 * nc})`);
    expect(n).toBeGreaterThan(500);
    expect(s / n / (2 * nc)).toBeGreaterThan(0.9);
    expect(s / n / (2 * nc)).toBeLessThan(1.1);
  });
});

describe('odd matrices and readout oversampling 1, 3, 4 (centring conventions)', () => {
  it.each([
    { matrix: [33, 27] as [number, number], readoutOversampling: 2 },
    { matrix: [31, 32] as [number, number], readoutOversampling: 3 },
    { matrix: [32, 32] as [number, number], readoutOversampling: 1 },
    { matrix: [30, 25] as [number, number], readoutOversampling: 4 },
  ])('$matrix, oversampling $readoutOversampling: noise-free RSS recon = image·rss', async (o) => {
    const sim = await simulated('test-small', { ...o, noiseSigma: 0, slices: 2, coils: 2, repetitions: 1 });
    const r = await reconstructFile(sim.file, { workers: 0 });
    const v = r.volumes[0]!.magnitude;
    expect(v.dims).toEqual([o.matrix[0], o.matrix[1], 2, 1]);
    expectSameAffine(v.affine, sim.scan.truth.image.affine);
    expect(relErr(v.data, rssTruth(sim.scan))).toBeLessThan(1e-4);
  });
});

describe('7t-anat, reduced (192², double oblique, 2 slices)', () => {
  let clean: Sim;
  let noisy: Sim;
  beforeAll(async () => {
    clean = await simulated('7t-anat', { noiseSigma: 0, coils: 8, slices: 2 });
    noisy = await simulated('7t-anat', { coils: 16, slices: 2 });
  });

  it('noise-free RSS recon = truth.image·truth.rss exactly', async () => {
    const r = await reconstructFile(clean.file, { workers: 0 });
    const v = r.volumes[0]!.magnitude;
    expect(v.dims).toEqual([192, 192, 2, 1]);
    expectSameAffine(v.affine, clean.scan.truth.image.affine);
    const err = relErr(v.data, rssTruth(clean.scan));
    console.log(`[sim 7t-anat] noise-free NRMSE vs image·rss ${err.toExponential(2)}`);
    expect(err).toBeLessThan(1e-4);
  });

  it('adaptive (Walsh) combination: the object times the receive shading, object phase + virtual-coil reference phase', async () => {
    const r = await reconstructFile(clean.file, { workers: 0, combine: 'walsh', phase: true });
    const mag = r.volumes[0]!.magnitude.data;
    const phase = r.volumes[0]!.phase!.data;
    const t = clean.scan.truth;
    const img = t.image.data;
    const truth = rssTruth(clean.scan);
    // Magnitude: Σ conj(Ŝ)·I with Σ|Ŝ|² = 1 is image·‖S‖ = image·rss, so vs truth.image it
    // differs by the RSS shading only.
    const magErr = relErr(scaled(mag, lsScale(mag, truth)), truth);
    const vsImage = relErr(scaled(mag, lsScale(mag, img)), img);
    const shadingOnly = relErr(scaled(truth, lsScale(truth, img)), img);
    // Complex: image·rss·e^{i(φ + arg(uᴴS))}, u = the virtual coil (dominant eigenvector of
    // Σ_x I·Iᴴ over the slice), up to one complex constant per slice (u's phase is free).
    const maps = t.coilMaps();
    const nc = maps.dims[3];
    const plane = 192 * 192;
    const n = img.length;
    let e2 = 0, t2 = 0;
    for (let z = 0; z < 2; z++) {
      const u = dominantEigenvector(nc, (acc) => {
        for (let p = z * plane; p < (z + 1) * plane; p++) {
          const w = img[p]! ** 2;
          if (!w) continue;
          for (let a = 0; a < nc; a++) for (let b = 0; b < nc; b++) {
            const ar = maps.data[2 * (p + n * a)]!, ai = maps.data[2 * (p + n * a) + 1]!;
            const br = maps.data[2 * (p + n * b)]!, bi = maps.data[2 * (p + n * b) + 1]!;
            acc[2 * (a * nc + b)]! += w * (ar * br + ai * bi);
            acc[2 * (a * nc + b) + 1]! += w * (ai * br - ar * bi);
          }
        }
      });
      const rec = new Float64Array(2 * plane);
      const tru = new Float64Array(2 * plane);
      for (let q = 0; q < plane; q++) {
        const p = q + z * plane;
        let pr = 0, pi = 0; // uᴴ·S
        for (let c = 0; c < nc; c++) {
          const sr = maps.data[2 * (p + n * c)]!, si = maps.data[2 * (p + n * c) + 1]!;
          pr += u[2 * c]! * sr + u[2 * c + 1]! * si;
          pi += u[2 * c]! * si - u[2 * c + 1]! * sr;
        }
        const th = t.phase.data[p]! + Math.atan2(pi, pr);
        tru[2 * q] = truth[p]! * Math.cos(th);
        tru[2 * q + 1] = truth[p]! * Math.sin(th);
        rec[2 * q] = mag[p]! * Math.cos(phase[p]!);
        rec[2 * q + 1] = mag[p]! * Math.sin(phase[p]!);
      }
      const { err, norm } = complexFitError(rec, tru);
      e2 += err ** 2;
      t2 += norm ** 2;
    }
    const complexErr = Math.sqrt(e2 / t2);
    console.log(`[sim 7t-anat] Walsh: |·| vs image·rss NRMSE ${magErr.toFixed(4)}; vs truth.image ${vsImage.toFixed(4)} (RSS shading alone ${shadingOnly.toFixed(4)}); complex vs image·rss·e^{i(φ+ref)} ${complexErr.toFixed(4)}`);
    expect(magErr).toBeLessThan(0.02);
    expect(Math.abs(vsImage - shadingOnly)).toBeLessThan(0.02);
    expect(complexErr).toBeLessThan(0.06);
  });

  it('with noise and no prewhitening: error within the noise bound', async () => {
    const r = await reconstructFile(noisy.file, { workers: 0, prewhiten: 'off' });
    const truth = rssTruth(noisy.scan);
    const err = l2Dist(r.volumes[0]!.magnitude.data, truth);
    const bound = Math.sqrt(truth.length * traceOfPsi(noisy.scan));
    console.log(`[sim 7t-anat σ=${noisy.scan.params.noiseSigma}, 16 coils] NRMSE ${(err / l2Norm(truth)).toExponential(2)}, noise bound ${(bound / l2Norm(truth)).toExponential(2)}`);
    expect(err).toBeLessThan(1.1 * bound);
  });

  it('coil compression (16 → 12, 8 virtual coils) changes the RSS image by less than the discarded energy', async () => {
    const full = await reconstructFile(noisy.file, { workers: 0 });
    const ref = full.volumes[0]!.magnitude.data;
    const errs: number[] = [];
    for (const coils of [12, 8]) {
      const r = await reconstructFile(noisy.file, { workers: 0, coils });
      const cc = r.report.coilCompression!;
      expect(cc).toMatchObject({ from: 16, to: coils });
      const err = relErr(r.volumes[0]!.magnitude.data, ref);
      // Per voxel |‖x‖ − ‖Px‖| ≤ ‖(I − P)x‖: the relative change is at most the discarded
      // energy fraction (measured on the calibration region, hence the 1.2 margin).
      const bound = Math.sqrt(1 - cc.energyKept);
      console.log(`[sim 7t-anat] coil compression 16 → ${coils}: energy kept ${cc.energyKept.toFixed(4)}, NRMSE vs all coils ${err.toFixed(4)} (bound ${bound.toFixed(4)})`);
      expect(err).toBeLessThan(1.2 * bound);
      errs.push(err);
    }
    expect(errs[0]!).toBeLessThan(0.02);
    expect(errs[0]!).toBeLessThan(errs[1]!);
  });
});

/** Dominant eigenvector of a Hermitian nc×nc matrix filled by `fill` (power iteration). */
function dominantEigenvector(nc: number, fill: (acc: Float64Array) => void): Float64Array {
  const M = new Float64Array(2 * nc * nc);
  fill(M);
  let u = new Float64Array(2 * nc).fill(1);
  for (let it = 0; it < 500; it++) {
    const v = new Float64Array(2 * nc);
    for (let a = 0; a < nc; a++) {
      for (let b = 0; b < nc; b++) {
        const mr = M[2 * (a * nc + b)]!, mi = M[2 * (a * nc + b) + 1]!;
        v[2 * a]! += mr * u[2 * b]! - mi * u[2 * b + 1]!;
        v[2 * a + 1]! += mr * u[2 * b + 1]! + mi * u[2 * b]!;
      }
    }
    const norm = Math.hypot(...v);
    u = v.map((x) => x / norm);
  }
  return u;
}

/** ‖a·rec − tru‖ with the complex least-squares constant a, and ‖tru‖. */
function complexFitError(rec: Float64Array, tru: Float64Array): { err: number; norm: number } {
  let ar = 0, ai = 0, rr = 0, tt = 0;
  for (let q = 0; q < rec.length / 2; q++) {
    const cr = rec[2 * q]!, ci = rec[2 * q + 1]!, tr = tru[2 * q]!, ti = tru[2 * q + 1]!;
    ar += cr * tr + ci * ti;
    ai += cr * ti - ci * tr;
    rr += cr * cr + ci * ci;
    tt += tr * tr + ti * ti;
  }
  ar /= rr;
  ai /= rr;
  let e = 0;
  for (let q = 0; q < rec.length / 2; q++) {
    const cr = rec[2 * q]!, ci = rec[2 * q + 1]!;
    e += (ar * cr - ai * ci - tru[2 * q]!) ** 2 + (ar * ci + ai * cr - tru[2 * q + 1]!) ** 2;
  }
  return { err: Math.sqrt(e), norm: Math.sqrt(tt) };
}
