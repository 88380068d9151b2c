import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { ifftc } from '../../recon/fft/index.ts';
import {
  accumulateCovariance, compareToTruth, nrmse, presetParams, PRESETS, simulate, simulatePreset, HeadPhantom, CoilArray,
  type SimulatedScan,
} from '../../recon/sim/index.ts';
import { geometryFromAcquisition, lpsToRas, pixelToLps, stackSlices } from '../../recon/geometry/index.ts';
import { hasFlag, type Acquisition, type AcqFlagName } from '../../shared/ismrmrd.ts';
import { voxelToWorld } from '../../shared/volume.ts';
import { isUhfError } from '../../shared/errors.ts';

function digest(scan: SimulatedScan): string {
  const h = createHash('sha256');
  for (const a of scan.acquisitions()) {
    h.update(Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength));
    h.update(JSON.stringify(a.head, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
  }
  return h.digest('hex');
}

const isNoise = (a: Acquisition) => hasFlag(a.head.flags, 'IS_NOISE_MEASUREMENT');

/** Imaging k-space [nx_e, ny, nc] of one slice/repetition, assembled from the stream. */
function assemble(scan: SimulatedScan, slice: number, rep: number): Float32Array {
  const { nxe, ny, nCoils: nc } = scan.protocol;
  const k = new Float32Array(2 * nxe * ny * nc);
  for (const a of scan.acquisitions()) {
    if (isNoise(a) || a.head.idx.slice !== slice || a.head.idx.repetition !== rep) continue;
    if (hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION')) continue;
    const ky = a.head.idx.kspaceEncodeStep1;
    for (let c = 0; c < nc; c++) k.set(a.data.subarray(2 * nxe * c, 2 * nxe * (c + 1)), 2 * nxe * (ky + ny * c));
  }
  return k;
}

/** ifftc over (read, phase) and crop the central nx of the oversampled readout: [nx, ny, nc]. */
function reconCoils(scan: SimulatedScan, k: Float32Array): Float32Array {
  const { nxe, nx, ny, nCoils: nc } = scan.protocol;
  ifftc(k, [nxe, ny, nc], [0, 1]);
  const off = Math.floor(nxe / 2) - Math.floor(nx / 2);
  const out = new Float32Array(2 * nx * ny * nc);
  for (let c = 0; c < nc; c++) {
    for (let j = 0; j < ny; j++) out.set(k.subarray(2 * (off + nxe * (j + ny * c)), 2 * (off + nx + nxe * (j + ny * c))), 2 * nx * (j + ny * c));
  }
  return out;
}

describe('simulate: determinism', () => {
  it('same seed → identical bytes (also across acquisitions() calls); different seed → different noise, same signal', () => {
    const p = presetParams('test-small');
    const a = simulate(p);
    const b = simulate(presetParams('test-small'));
    const d1 = digest(a);
    expect(digest(a)).toBe(d1);
    expect(digest(b)).toBe(d1);
    const c = simulate(presetParams('test-small', { seed: 2 }));
    expect(digest(c)).not.toBe(d1);
    const first = (s: SimulatedScan) => s.acquisitions().next().value!;
    expect(first(c).data).not.toEqual(first(a).data);
    // the noise-free signal does not depend on the seed
    expect(c.sliceKspace(1, 1)).toEqual(a.sliceKspace(1, 1));
    expect(c.truth.image.data).toEqual(a.truth.image.data);
  });
});

describe('simulate: noise-free single coil, fully sampled', () => {
  it('ifftc of the acquired k-space, oversampling cropped, equals phantom × sensitivity on the recon grid', () => {
    const scan = simulatePreset('test-small', { coils: 1, noiseSigma: 0, tiltLRDeg: 15, tiltAPDeg: 10, repetitions: 1, blocks: null });
    const { nx, ny, nSlices } = scan.protocol;
    const maps = scan.truth.coilMaps();
    const img = scan.truth.image.data;
    const phase = scan.truth.phase.data;
    const phantom = new HeadPhantom();
    const coils = new CoilArray(scan.truth.coils, 7);
    for (let s = 0; s < nSlices; s++) {
      const got = reconCoils(scan, assemble(scan, s, 0));
      const z = scan.truth.geometry.zOfSlice[s]!;
      const ref = new Float32Array(2 * nx * ny);
      const refIndep = new Float32Array(2 * nx * ny);
      for (let j = 0; j < ny; j++) {
        for (let i = 0; i < nx; i++) {
          const p = i + nx * j;
          const v = p + nx * ny * z;
          const m = img[v]!, f = phase[v]!, sr = maps.data[2 * v]!, si = maps.data[2 * v + 1]!;
          ref[2 * p] = m * (Math.cos(f) * sr - Math.sin(f) * si);
          ref[2 * p + 1] = m * (Math.cos(f) * si + Math.sin(f) * sr);
          // independent path: phantom and coil evaluated at the world point of the truth affine
          const w = voxelToWorld(scan.truth.geometry.affine, i, j, z);
          const o = phantom.at(w);
          const [cr, ci] = coils.at(0, w);
          refIndep[2 * p] = o.re * cr - o.im * ci;
          refIndep[2 * p + 1] = o.re * ci + o.im * cr;
        }
      }
      expect(nrmse(got, ref)).toBeLessThan(1e-5);
      expect(nrmse(got, refIndep)).toBeLessThan(1e-5);
    }
  });

  it('multi-coil RSS of a noise-free fMRI frame equals truth.frame(r) · rss', () => {
    const scan = simulatePreset('test-small', {
      noiseSigma: 0,
      repetitions: 3,
      design: { conditions: [{ name: 'task', onsetsS: [-40], durationS: 100, percentSignalChange: 5 }] },
      driftPercent: 2,
    });
    const { nx, ny, nCoils: nc } = scan.protocol;
    const plane = nx * ny;
    expect(scan.truth.regressors.task![2]).toBeCloseTo(0.05, 3);
    for (const rep of [0, 2]) {
      const s = 1;
      const z = scan.truth.geometry.zOfSlice[s]!;
      const coilsImg = reconCoils(scan, assemble(scan, s, rep));
      const rssRecon = new Float32Array(plane);
      for (let c = 0; c < nc; c++) for (let p = 0; p < plane; p++) rssRecon[p] = rssRecon[p]! + coilsImg[2 * (p + plane * c)]! ** 2 + coilsImg[2 * (p + plane * c) + 1]! ** 2;
      const frame = scan.truth.frame(rep).data.subarray(plane * z, plane * (z + 1));
      const rss = scan.truth.rss.data.subarray(plane * z, plane * (z + 1));
      const ref = new Float32Array(plane);
      for (let p = 0; p < plane; p++) {
        rssRecon[p] = Math.sqrt(rssRecon[p]!);
        ref[p] = frame[p]! * rss[p]!;
      }
      expect(nrmse(rssRecon, ref)).toBeLessThan(1e-5);
      expect(compareToTruth(rssRecon, ref).nrmse).toBeLessThan(1e-5);
    }
    // activation raises the signal in the mask by the regressor (and drift everywhere)
    const f0 = scan.truth.frame(0).data, f2 = scan.truth.frame(2).data, img = scan.truth.image.data, act = scan.truth.activationMask.data;
    let checked = 0;
    for (let v = 0; v < img.length; v++) {
      if (img[v] === 0) continue;
      const expected = img[v]! * (1 + scan.truth.drift[2]! + (act[v] ? scan.truth.regressors.task![2]! : 0));
      expect(f2[v]).toBeCloseTo(expected, 5);
      expect(f0[v]).toBeCloseTo(img[v]! * (1 + (act[v] ? scan.truth.regressors.task![0]! : 0)), 5);
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
  });
});

describe('simulate: noise', () => {
  it("noise scans' sample covariance ≈ Ψ·(imaging dwell / noise dwell), consistent with the sample count", () => {
    const scan = simulatePreset('test-small', { coils: 8, noiseScans: 64, noiseSamples: 256, noiseDwellUs: 4, repetitions: 1 });
    const n = 8;
    const acc = new Float64Array(2 * n * n);
    let N = 0;
    for (const a of scan.acquisitions()) {
      if (!isNoise(a)) break;
      expect(a.head.sampleTimeUs).toBe(4);
      expect(a.head.activeChannels).toBe(n);
      accumulateCovariance(acc, a.data, n, a.head.numberOfSamples);
      N += a.head.numberOfSamples;
    }
    expect(N).toBe(64 * 256);
    const want = scan.truth.noiseScanCovariance;
    const f = scan.protocol.dwellUs / 4;
    expect(want[0]).toBeCloseTo(scan.truth.noiseCovariance.psi[0]! * f, 15);
    expect(f).not.toBeCloseTo(1, 2);
    let err = 0, ref = 0, expected = 0;
    for (let i = 0; i < acc.length; i++) {
      err += (acc[i]! / N - want[i]!) ** 2;
      ref += want[i]! ** 2;
    }
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) expected += want[2 * (r * n + r)]! * want[2 * (c * n + c)]!;
    const rel = Math.sqrt(err / ref);
    const relExpected = Math.sqrt(expected / N / ref);
    expect(rel).toBeLessThan(2 * relExpected);
    expect(rel).toBeGreaterThan(0.3 * relExpected);
    // neighbour correlation within the realistic range
    const rho = scan.truth.noiseCovariance.neighbourCorrelation;
    expect(rho).toBeGreaterThan(0.1);
    expect(rho).toBeLessThan(0.3);
  });

  it('imaging noise (difference of two seeds) has covariance Ψ at the imaging dwell', () => {
    const a = simulatePreset('test-small', { seed: 11, repetitions: 2, noiseScans: 0 });
    const b = simulatePreset('test-small', { seed: 12, repetitions: 2, noiseScans: 0 });
    const n = a.protocol.nCoils;
    const acc = new Float64Array(2 * n * n);
    let N = 0;
    const ib = b.acquisitions();
    for (const x of a.acquisitions()) {
      const y = ib.next().value!;
      const d = new Float32Array(x.data.length);
      for (let i = 0; i < d.length; i++) d[i] = (x.data[i]! - y.data[i]!) / Math.SQRT2;
      accumulateCovariance(acc, d, n, x.head.numberOfSamples);
      N += x.head.numberOfSamples;
    }
    const psi = a.truth.noiseCovariance.psi;
    for (let c = 0; c < n; c++) {
      const got = acc[2 * (c * n + c)]! / N;
      const want = psi[2 * (c * n + c)]!;
      expect(Math.abs(got / want - 1)).toBeLessThan(5 / Math.sqrt(N));
    }
  });
});

describe('simulate: sampling pattern, flags and counters', () => {
  const count = (acqs: Acquisition[], f: AcqFlagName) => acqs.filter((a) => hasFlag(a.head.flags, f)).length;

  it('embedded ACS with R = 2', () => {
    const scan = simulatePreset('test-small', { acceleration: 2, acsLines: 8, calibrationMode: 'embedded' });
    const acqs = [...scan.acquisitions()];
    const pr = scan.protocol;
    expect(acqs.length).toBe(scan.acquisitionCount);
    const noise = acqs.filter(isNoise);
    expect(noise.length).toBe(4);
    for (const a of noise) expect(a.head.flags).toBe(1n << 18n);
    expect(acqs.slice(0, 4).every(isNoise)).toBe(true);
    const img = acqs.filter((a) => !isNoise(a));
    // ny = 32, centre 16: imaging lines 0,2,…,30 (16); ACS 12..19: 12,14,16,18 both, 13,15,17,19 calibration only
    expect(img.length).toBe(pr.nReps * pr.nSlices * 20);
    for (let rep = 0; rep < pr.nReps; rep++) {
      for (let s = 0; s < pr.nSlices; s++) {
        const lines = img.filter((a) => a.head.idx.repetition === rep && a.head.idx.slice === s);
        expect(lines.map((a) => a.head.idx.kspaceEncodeStep1)).toEqual([0, 2, 4, 6, 8, 10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 22, 24, 26, 28, 30]);
        expect(lines.filter((a) => hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION_AND_IMAGING')).map((a) => a.head.idx.kspaceEncodeStep1)).toEqual([12, 14, 16, 18]);
        expect(lines.filter((a) => hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION')).map((a) => a.head.idx.kspaceEncodeStep1)).toEqual([13, 15, 17, 19]);
        expect(hasFlag(lines[0]!.head.flags, 'FIRST_IN_SLICE') && hasFlag(lines[0]!.head.flags, 'FIRST_IN_ENCODE_STEP1')).toBe(true);
        expect(hasFlag(lines.at(-1)!.head.flags, 'LAST_IN_SLICE') && hasFlag(lines.at(-1)!.head.flags, 'LAST_IN_ENCODE_STEP1')).toBe(true);
        expect(lines.filter((a) => a.head.idx.kspaceEncodeStep1 === 16).length).toBe(1); // centre always sampled
      }
    }
    expect(count(img, 'FIRST_IN_SLICE')).toBe(pr.nReps * pr.nSlices);
    expect(count(img, 'LAST_IN_SLICE')).toBe(pr.nReps * pr.nSlices);
    expect(count(img, 'FIRST_IN_REPETITION')).toBe(pr.nReps);
    expect(count(img, 'LAST_IN_REPETITION')).toBe(pr.nReps);
    expect(count(acqs, 'LAST_IN_MEASUREMENT')).toBe(1);
    expect(hasFlag(acqs.at(-1)!.head.flags, 'LAST_IN_MEASUREMENT')).toBe(true);
    // interleaved slice order 0, 2, 1 within each repetition; idx.slice is geometric
    const order = img.filter((a) => hasFlag(a.head.flags, 'FIRST_IN_SLICE')).map((a) => [a.head.idx.repetition, a.head.idx.slice]);
    expect(order).toEqual([[0, 0], [0, 2], [0, 1], [1, 0], [1, 2], [1, 1]]);
    expect(hasFlag(img[0]!.head.flags, 'FIRST_IN_REPETITION')).toBe(true);
  });

  it('separate calibration pass with R = 3', () => {
    const scan = simulatePreset('test-small', { acceleration: 3, acsLines: 10, calibrationMode: 'separate' });
    const acqs = [...scan.acquisitions()].filter((a) => !isNoise(a));
    const pr = scan.protocol;
    const cal = acqs.slice(0, pr.nSlices * 10);
    for (const a of cal) {
      expect(a.head.flags).toBe(1n << 19n); // IS_PARALLEL_CALIBRATION only
      expect(a.head.idx.repetition).toBe(0);
    }
    expect(cal.filter((a) => a.head.idx.slice === 1).map((a) => a.head.idx.kspaceEncodeStep1)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    const imaging = acqs.slice(pr.nSlices * 10);
    // (ky − 16) mod 3 = 0: 1, 4, …, 31 → 11 lines
    expect(imaging.length).toBe(pr.nReps * pr.nSlices * 11);
    expect(imaging.filter((a) => a.head.idx.slice === 0 && a.head.idx.repetition === 0).map((a) => a.head.idx.kspaceEncodeStep1)).toEqual([1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31]);
    expect(imaging.some((a) => hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION') || hasFlag(a.head.flags, 'IS_PARALLEL_CALIBRATION_AND_IMAGING'))).toBe(false);
    expect(scan.header.encoding[0]!.parallelImaging).toEqual({ accelerationFactor: { kspaceEncodingStep1: 3, kspaceEncodingStep2: 1 }, calibrationMode: 'separate' });
    expect(acqs.length + pr.noiseScans).toBe(scan.acquisitionCount);
  });

  it('every acquisition header field is set consistently', () => {
    const scan = simulatePreset('test-small');
    const pr = scan.protocol;
    const acqs = [...scan.acquisitions()];
    let lastTs = -1;
    acqs.forEach((a, i) => {
      const h = a.head;
      expect(h.version).toBe(1);
      expect(h.scanCounter).toBe(i + 1);
      expect(h.measurementUid).toBe(acqs[0]!.head.measurementUid);
      expect(h.acquisitionTimeStamp).toBeGreaterThanOrEqual(lastTs);
      lastTs = h.acquisitionTimeStamp;
      expect(h.activeChannels).toBe(4);
      expect(h.availableChannels).toBe(4);
      expect(h.channelMask[0]).toBe(0b1111n);
      expect(h.channelMask.slice(1).every((m) => m === 0n)).toBe(true);
      expect(h.trajectoryDimensions).toBe(0);
      expect(a.traj.length).toBe(0);
      expect(h.encodingSpaceRef).toBe(0);
      expect(a.data.length).toBe(2 * h.activeChannels * h.numberOfSamples);
      expect(h.idx.contrast).toBe(0);
      expect(h.idx.user).toHaveLength(8);
      expect(h.physiologyTimeStamp).toHaveLength(3);
      if (!isNoise(a)) {
        expect(h.numberOfSamples).toBe(64);
        expect(h.centerSample).toBe(32);
        expect(h.sampleTimeUs).toBeCloseTo(1e6 / (500 * 64), 9);
        const g = pr.reconGeoms[h.idx.slice]!;
        expect(h.position).toEqual(g.position);
        expect(h.readDir).toEqual(g.readDir);
      }
    });
    // timestamps: 2.5 ms ticks, one TR between repetitions of the same slice line
    const firstOf = (rep: number) => acqs.find((a) => !isNoise(a) && a.head.idx.repetition === rep && a.head.idx.slice === 0)!.head.acquisitionTimeStamp;
    expect(firstOf(1) - firstOf(0)).toBe(pr.trMs / 2.5);

    const hdr = scan.header;
    expect(hdr.experimentalConditions.H1resonanceFrequencyHz).toBe(Math.round(42.577478518e6 * 7));
    expect(hdr.acquisitionSystemInformation?.receiverChannels).toBe(4);
    expect(hdr.acquisitionSystemInformation?.systemFieldStrengthT).toBe(7);
    const e = hdr.encoding[0]!;
    expect(e.encodedSpace.matrixSize).toEqual({ x: 64, y: 32, z: 1 });
    expect(e.encodedSpace.fieldOfViewMm).toEqual({ x: 440, y: 220, z: 5 });
    expect(e.reconSpace.matrixSize).toEqual({ x: 32, y: 32, z: 1 });
    expect(e.reconSpace.fieldOfViewMm).toEqual({ x: 220, y: 220, z: 5 });
    expect(e.encodingLimits.kspaceEncodingStep1).toEqual({ minimum: 0, maximum: 31, center: 16 });
    expect(e.encodingLimits.slice).toEqual({ minimum: 0, maximum: 2, center: 0 });
    expect(e.encodingLimits.repetition).toEqual({ minimum: 0, maximum: 1, center: 0 });
    expect(e.trajectory).toBe('cartesian');
    expect(hdr.sequenceParameters?.TRMs).toEqual([2000]);
    const h117 = simulatePreset('test-small', { fieldStrengthT: 11.7 }).header;
    expect(h117.experimentalConditions.H1resonanceFrequencyHz).toBe(Math.round(42.577478518e6 * 11.7));
  });
});

describe('simulate: geometry of the truth', () => {
  it('voxel centres via the truth affine are where the phantom was sampled (oblique 7t-anat)', () => {
    // the preset's geometry; one noise-free coil keeps the k-space work small
    const scan = simulatePreset('7t-anat', { coils: 1, noiseSigma: 0 });
    expect([scan.params.tiltLRDeg, scan.params.tiltAPDeg]).toEqual([15, 10]);
    const t = scan.truth;
    const pr = scan.protocol;
    expect(t.geometry.warnings).toEqual([]);
    expect(t.geometry.fallback).toBe(false);
    expect(t.geometry.spacingMm).toBeCloseTo(2.4, 9);
    // slices from the acquisition headers stack to the same affine
    const heads = new Map<number, ReturnType<typeof geometryFromAcquisition>>();
    let seen = 0;
    for (const a of scan.acquisitions()) {
      if (isNoise(a)) continue;
      if (!heads.has(a.head.idx.slice)) heads.set(a.head.idx.slice, geometryFromAcquisition(a.head, scan.header.encoding[0]!));
      if (++seen >= pr.nSlices * pr.imagingLines.length) break;
    }
    const fromHeads = stackSlices([...heads.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]));
    Array.from(fromHeads.affine).forEach((v, i) => expect(v).toBeCloseTo(t.geometry.affine[i]!, 9));
    const phantom = new HeadPhantom();
    const plane = pr.nx * pr.ny;
    for (let s = 0; s < pr.nSlices; s++) {
      const z = t.geometry.zOfSlice[s]!;
      for (const [i, j] of [[0, 0], [191, 191], [96, 96], [40, 150], [123, 17]] as [number, number][]) {
        const w = voxelToWorld(t.geometry.affine, i, j, z);
        const sampled = lpsToRas(pixelToLps(pr.reconGeoms[s]!, i, j));
        // the oversampled encoded grid pixel i + nx/2 is the same point
        const enc = lpsToRas(pixelToLps(pr.encodedGeoms[s]!, i + pr.nxe / 2 - pr.nx / 2, j));
        for (let a = 0; a < 3; a++) {
          expect(w[a]).toBeCloseTo(sampled[a]!, 9);
          expect(enc[a]).toBeCloseTo(sampled[a]!, 9);
        }
        expect(t.image.data[i + pr.nx * j + plane * z]).toBeCloseTo(phantom.at(sampled).mag, 6);
      }
    }
    // it is oblique: slice normal tilted from S
    expect(Math.abs(t.geometry.sliceDir[2])).toBeLessThan(0.99);
  });
});

describe('simulate: fMRI preset', () => {
  it('events.tsv matches the block design and the truth regressors', () => {
    const scan = simulatePreset('7t-fmri');
    expect(scan.eventsTsv).toBe('onset\tduration\ttrial_type\n20.0\t20.0\ttask\n60.0\t20.0\ttask\n');
    const t = scan.truth;
    expect(t.frameTimesS.length).toBe(50);
    expect(t.frameTimesS[10]).toBe(20);
    const r = t.responses.task!;
    expect(r[5]).toBe(0); // before the first block
    expect(r[19]).toBeGreaterThan(0.9); // end of the first block (38 s)
    expect(r[29]).toBeLessThan(0.05);
    expect(t.regressors.task![19]).toBeCloseTo(0.04 * r[19]!, 12);
    const nAct = t.activationMask.data.reduce((a, b) => a + b, 0);
    expect(nAct).toBeGreaterThan(50);
    // active voxels are grey matter
    t.activationMask.data.forEach((m, v) => { if (m) expect(t.labels.data[v]).toBe(4); });
    expect(t.sliceTimingS).toHaveLength(12);
    expect(t.sliceTimingS[0]).toBe(0);
    expect(t.sliceTimingS[2]).toBeCloseTo(2 / 12, 12);
    expect(t.frame(19).trSec).toBe(2);
  });
});

describe('presets and parameters', () => {
  it('presets have the documented sizes', () => {
    const a = PRESETS['7t-anat'];
    expect([a.matrix, a.slices, a.coils, a.readoutOversampling, a.acceleration]).toEqual([[192, 192], 12, 32, 2, 1]);
    expect(a.tiltLRDeg !== 0 && a.tiltAPDeg !== 0).toBe(true);
    const f = PRESETS['7t-fmri'];
    expect([f.matrix, f.slices, f.coils, f.trMs, f.repetitions]).toEqual([[64, 64], 12, 16, 2000, 50]);
    const s = PRESETS['test-small'];
    expect([s.matrix, s.slices, s.coils, s.repetitions]).toEqual([[32, 32], 3, 4, 2]);
  });

  it('overrides apply and bad values are rejected with BAD_ARGUMENT', () => {
    const p = presetParams('7t-anat', { coils: 8, matrix: [64, 48], acceleration: 2 });
    expect(p.coils).toBe(8);
    expect(p.matrix).toEqual([64, 48]);
    expect(PRESETS['7t-anat'].coils).toBe(32);
    for (const bad of [{ coils: 0 }, { matrix: [3, 64] as [number, number] }, { acceleration: 40 }, { acsLines: 999 }, { readoutOversampling: 1.5 }, { noiseSigma: -1 }]) {
      let err: unknown;
      try {
        presetParams('test-small', bad);
      } catch (e) {
        err = e;
      }
      expect(isUhfError(err, 'BAD_ARGUMENT'), JSON.stringify(bad)).toBe(true);
    }
    expect(() => presetParams('nope')).toThrow(/unknown simulator preset/);
  });
});
