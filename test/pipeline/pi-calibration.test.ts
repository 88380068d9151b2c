/**
 * Parallel-imaging calibration through the whole pipeline: once per slice, reused
 * by every repetition of an fMRI run; from embedded, separate and interleaved
 * calibration data.
 *
 * Truth (see recon/bench/pi.ts): the pipeline prewhitens with W from the noise
 * scan, so the noise-free recon of frame r is |frame_r|·‖W·S‖ (whitenedTruth);
 * for libismrmrd's generator (no noise scan, white noise) |phantom|·RSS(csm).
 * Magnitudes are compared inside the object after a least-squares scale — ONE
 * scale for all frames of a run, so that a frame matched to the wrong truth frame
 * (the run drifts by 30 %) would show.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagMask } from '../../shared/ismrmrd.ts';
import type { Volume } from '../../shared/volume.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { reconstructFile, type ReconResult } from '../../recon/pipeline/run.ts';
import { compareToTruth, type SimulatedScan } from '../../recon/sim/index.ts';
import { headMask, maskedNrmse, simulateFile, whitenedKspace, whitenedTruth } from '../../recon/bench/pi.ts';
import { generateSheppLogan, tempDir } from '../helpers/peers.ts';
import { generatorArrays } from '../helpers/recon.ts';

const tmp = tempDir('uhf-pi-cal-');
afterAll(() => tmp.cleanup());

function frameOf(v: Volume, f: number): Float32Array {
  const n = v.dims[0] * v.dims[1] * v.dims[2];
  return v.data.subarray(n * f, n * (f + 1));
}

/** Per-frame NRMSE against per-frame truths, with one least-squares scale for the whole run. */
function runErrors(v: Volume, truths: Float64Array[], mask: Uint8Array): number[] {
  const frames = v.dims[3];
  const n = mask.length;
  const all = new Float32Array(n * frames), tAll = new Float64Array(n * frames), mAll = new Uint8Array(n * frames);
  for (let f = 0; f < frames; f++) {
    all.set(frameOf(v, f), n * f);
    tAll.set(truths[f]!, n * f);
    mAll.set(mask, n * f);
  }
  const s = compareToTruth(all, tAll, mAll).scale;
  return truths.map((t, f) => {
    const x = frameOf(v, f);
    let e = 0, tt = 0;
    for (let i = 0; i < n; i++) {
      if (!mask[i]) continue;
      e += (s * x[i]! - t[i]!) ** 2;
      tt += t[i]! ** 2;
    }
    return Math.sqrt(e / tt);
  });
}

describe('fMRI run (7t-fmri preset: 64², 3 oblique slices, 16 coils, R = 2, 24 embedded ACS lines in every frame, 4 repetitions, 30 % drift)', () => {
  let scan: SimulatedScan;
  let file: string;
  let truths: Float64Array[];
  let mask: Uint8Array;
  const reps = 4;
  beforeAll(async () => {
    ({ scan, file } = await simulateFile(tmp.dir, { matrix: [64, 64], slices: 3, coils: 16, acceleration: 2, acsLines: 24, repetitions: reps, driftPercent: 30 }, 'fmri', '7t-fmri'));
    const { W } = await whitenedKspace(file);
    truths = Array.from({ length: reps }, (_, r) => whitenedTruth(scan, W, r));
    mask = headMask(scan);
  });

  for (const [pi, workers] of [['grappa', undefined], ['sense', 0]] as const) {
    it(`${pi.toUpperCase()} (${workers === 0 ? 'calling thread' : 'worker threads'}): calibrated once per slice, every frame matches its own truth`, async () => {
      const r: ReconResult = await reconstructFile(file, { pi, ...(workers === undefined ? {} : { workers }) });
      const p = r.report.parallelImaging!;
      expect(p).toMatchObject({ method: pi, acceleration: [2, 1], calibrationMode: 'embedded', calibratedSlices: 3 });
      expect(r.report.counts.images).toBe(3 * reps);
      const v = r.volumes[0]!.magnitude;
      expect(v.dims).toEqual([64, 64, 3, reps]);
      const errs = runErrors(v, truths, mask);
      // Frames matched against frame 0's truth instead: the drift shows.
      const wrong = runErrors(v, truths.map(() => truths[0]!), mask);
      console.log(`[pi fMRI ${pi}] threads ${r.report.threads}, calibrated slices ${p.calibratedSlices} for ${r.report.counts.images} images; NRMSE per frame (one scale) ${errs.map((e) => e.toFixed(4)).join(', ')}; last frame vs frame-0 truth ${wrong[reps - 1]!.toFixed(4)}`);
      for (const e of errs) expect(e).toBeLessThan(0.04);
      expect(wrong[reps - 1]!).toBeGreaterThan(2 * errs[reps - 1]!);
    });
  }
});

describe('calibration modes (7t-anat preset, 64², 2 oblique slices, 16 coils, R = 2, 24 ACS lines)', () => {
  it('embedded ACS lines flagged as image lines too: image-domain GRAPPA puts them back, SENSE finishes with CG over them', async () => {
    // Low SNR, R = 3 (72 lines: the lattice tiles, so the image-domain path): the 16
    // ACS lines off the lattice are a third of the acquired data.
    const o = { matrix: [72, 72] as [number, number], slices: 1, coils: 8, acceleration: 3, acsLines: 24, noiseSigma: 0.06 };
    const cal = await simulateFile(tmp.dir, o, 'acs-cal');
    const both = join(tmp.dir, 'acs-both.h5');
    const calOnly = flagMask('IS_PARALLEL_CALIBRATION'), calImg = flagMask('IS_PARALLEL_CALIBRATION_AND_IMAGING');
    await writeIsmrmrd(both, cal.scan.header, (function* () {
      for (const a of cal.scan.acquisitions()) {
        const f = a.head.flags;
        yield (f & calOnly) ? { ...a, head: { ...a.head, flags: (f & ~calOnly) | calImg } } : a;
      }
    })());
    const mask = headMask(cal.scan);
    const { W } = await whitenedKspace(cal.file);
    const truth = whitenedTruth(cal.scan, W);
    for (const pi of ['grappa', 'sense'] as const) {
      const a = await reconstructFile(cal.file, { pi, workers: 0 });
      const b = await reconstructFile(both, { pi, workers: 0 });
      expect(b.report.counts.calibrationOnly).toBe(0);
      const ea = maskedNrmse(a.volumes[0]!.magnitude.data, truth, mask), eb = maskedNrmse(b.volumes[0]!.magnitude.data, truth, mask);
      console.log(`[pi ACS as image lines] ${pi} NRMSE: calibration-only ${ea.toFixed(4)}, also image lines ${eb.toFixed(4)}`);
      expect(eb).toBeLessThan(0.97 * ea);
    }
  });

  it('separate calibration scan: used for every slice, as good as embedded ACS', async () => {
    const o = { matrix: [64, 64] as [number, number], slices: 2, coils: 16, acceleration: 2, acsLines: 24 };
    const emb = await simulateFile(tmp.dir, o, 'emb');
    const sep = await simulateFile(tmp.dir, { ...o, calibrationMode: 'separate' }, 'sep');
    const mask = headMask(emb.scan);
    const out: string[] = [];
    for (const pi of ['grappa', 'sense'] as const) {
      const errs: Record<string, number> = {};
      for (const [name, s] of [['embedded', emb], ['separate', sep]] as const) {
        const r = await reconstructFile(s.file, { pi, workers: 0 });
        expect(r.report.parallelImaging).toMatchObject({ method: pi, calibrationMode: name, calibratedSlices: 2, calibrationReadouts: 48 });
        if (name === 'separate') expect(r.report.counts.calibrationOnly).toBe(48);
        const { W } = await whitenedKspace(s.file);
        errs[name] = maskedNrmse(r.volumes[0]!.magnitude.data, whitenedTruth(s.scan, W), mask);
      }
      const zf = await reconstructFile(sep.file, { pi: 'none', workers: 0 });
      const { W } = await whitenedKspace(sep.file);
      const eZf = maskedNrmse(zf.volumes[0]!.magnitude.data, whitenedTruth(sep.scan, W), mask);
      out.push(`${pi}: embedded ${errs['embedded']!.toFixed(4)}, separate ${errs['separate']!.toFixed(4)} (zero-filled ${eZf.toFixed(3)})`);
      expect(errs['separate']!).toBeLessThan(0.1 * eZf);
      expect(errs['separate']!).toBeLessThan(1.2 * errs['embedded']!);
    }
    console.log(`[pi modes] NRMSE vs truth — ${out.join('; ')}`);
  });

  it.each([
    { w: 0, what: '-w 0, no ACS lines: the shifted lattices of frames 0 and 1 fill the centre' },
    { w: 16, what: '-w 16: 16 flagged ACS lines in every frame' },
  ])('interleaved (ismrmrd_generate_cartesian_shepp_logan -a 2 -r 2, 64², 8 coils) $what', async ({ w }) => {
    const f = join(tmp.dir, `interleaved-${w}.h5`);
    generateSheppLogan(f, { matrix: 64, coils: 8, acceleration: 2, calibrationWidth: w, repetitions: 2, noiseLevel: 0.01 });
    const g = generatorArrays(f);
    const truth = Float64Array.from(g.phantom, (p, i) => p * g.csmRss[i]!);
    const mask = Uint8Array.from(g.phantom, (p) => (p > 0 ? 1 : 0));
    const zf = await reconstructFile(f, { pi: 'none', workers: 0 });
    const eZf = maskedNrmse(frameOf(zf.volumes[0]!.magnitude, 0), truth, mask);
    const out: string[] = [];
    for (const pi of ['grappa', 'sense'] as const) {
      const r = await reconstructFile(f, { pi, workers: 0 });
      expect(r.report.parallelImaging).toMatchObject({ method: pi, calibrationMode: 'interleaved', calibratedSlices: 1 });
      const v = r.volumes[0]!.magnitude;
      expect(v.dims).toEqual([64, 64, 1, 4]);
      const errs = [0, 1, 2, 3].map((fr) => maskedNrmse(frameOf(v, fr), truth, mask));
      out.push(`${pi} ${errs.map((e) => e.toFixed(4)).join(', ')}`);
      for (const e of errs) expect(e).toBeLessThan(0.15 * eZf);
    }
    console.log(`[pi interleaved -w ${w}] NRMSE per frame vs phantom·RSS(csm): ${out.join('; ')} (zero-filled ${eZf.toFixed(3)})`);
  });
});
