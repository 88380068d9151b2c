/**
 * The acquisition stream of a simulated scan, in file order:
 *
 * 1. `noiseScans` noise acquisitions (none when noiseSigma = 0): flag IS_NOISE_MEASUREMENT only, all
 *    channels, `noiseSamples` samples, sampleTimeUs = noise dwell. Their
 *    covariance is Ψ·(imagingDwell / noiseDwell) (noise power ∝ bandwidth).
 *    idx all 0; geometry = slice 0.
 * 2. calibrationMode 'separate' with ACS lines: one calibration pass (slices in
 *    acquisition order, ACS lines ky ascending), flag IS_PARALLEL_CALIBRATION
 *    only, idx.repetition 0, signal = baseline (no activation, no drift).
 * 3. For each repetition, each slice in acquisition order (idx.slice = the
 *    geometric index), each acquired ky ascending: imaging lines. Embedded
 *    ACS: lines both sampled and ACS get IS_PARALLEL_CALIBRATION_AND_IMAGING,
 *    ACS-only lines IS_PARALLEL_CALIBRATION (in every repetition).
 *    First/last line of a slice: FIRST/LAST_IN_SLICE and
 *    FIRST/LAST_IN_ENCODE_STEP1; first/last line of a repetition:
 *    FIRST/LAST_IN_REPETITION; the very last acquisition: LAST_IN_MEASUREMENT.
 *
 * Data: interleaved complex [channel][sample], numberOfSamples = nx_e,
 * centerSample = floor(nx_e/2); line ky of the slice's k-space (see kspace.ts)
 * times the frame's signal coefficients, plus correlated noise n = L·w.
 * Memory: k-space is computed slice by slice. With repetitions > 1 the
 * baseline (+ activation) k-space of every slice is cached (one repetition's
 * worth per condition + 1), never the whole run.
 */
import type { Acquisition } from '../../shared/ismrmrd.ts';
import { flagsOf, type AcqFlagName } from '../../shared/ismrmrd.ts';
import { acquisitionHeader, channelMaskFor } from './header.ts';
import type { CoilArray } from './coils.ts';
import { computeSliceKspace, type SliceKspace } from './kspace.ts';
import { CorrelatedNoise, type NoiseCovariance } from './noise.ts';
import type { HeadPhantom } from './phantom.ts';
import { Rng, deriveSeed } from './prng.ts';
import {
  calibrationLineTimeMs, frameCoefficients, imagingLineTimeMs, msToTicks, noiseScanTimeMs, type LineKind, type Protocol,
} from './protocol.ts';

export interface AcquisitionSource {
  pr: Protocol;
  phantom: HeadPhantom;
  coils: CoilArray;
  noise: NoiseCovariance;
}

/** Total number of acquisitions the stream yields. */
export function countAcquisitions(pr: Protocol): number {
  return pr.noiseScans + pr.nSlices * pr.calibrationLines.length + pr.nReps * pr.nSlices * pr.imagingLines.length;
}

/** measurement_uid: a deterministic 32-bit id from the seed and preset. */
export function measurementUid(pr: Protocol): number {
  return deriveSeed(pr.params.seed, 'uid', pr.params.name) & 0x7fffffff;
}

function kindFlags(kind: LineKind): AcqFlagName[] {
  if (kind === 'both') return ['IS_PARALLEL_CALIBRATION_AND_IMAGING'];
  if (kind === 'calibration') return ['IS_PARALLEL_CALIBRATION'];
  return [];
}

export class KspaceProvider {
  private readonly cache = new Map<number, SliceKspace>();
  constructor(private readonly src: AcquisitionSource, private readonly useCache: boolean) {}

  get(slice: number): SliceKspace {
    const hit = this.cache.get(slice);
    if (hit) return hit;
    const { pr, phantom, coils } = this.src;
    const k = computeSliceKspace(pr.encodedGeoms[slice]!, phantom, coils, pr.conditionNames.length);
    if (this.useCache) this.cache.set(slice, k);
    return k;
  }
}

/** Noise-free k-space [nx_e, ny, nCoils] of a slice at a repetition (for tests and tools). */
export function frameKspace(k: SliceKspace, coef: { drift: number; amp: number[] }): Float32Array {
  const out = new Float32Array(k.base.length);
  const s0 = 1 + coef.drift;
  for (let i = 0; i < out.length; i++) out[i] = s0 * k.base[i]!;
  k.act.forEach((a, c) => {
    const amp = coef.amp[c] ?? 0;
    if (!a || amp === 0) return;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + amp * a[i]!;
  });
  return out;
}

/** Copy line ky of every coil from a [nx_e, ny, nc] k-space, scaled by the frame coefficients, into [c][x]. */
function extractLine(k: SliceKspace, ky: number, nxe: number, ny: number, nc: number, coef: { drift: number; amp: number[] }): Float32Array {
  const out = new Float32Array(2 * nc * nxe);
  const s0 = 1 + coef.drift;
  const active: [Float32Array, number][] = [];
  k.act.forEach((a, c) => {
    const amp = coef.amp[c] ?? 0;
    if (a && amp !== 0) active.push([a, amp]);
  });
  for (let c = 0; c < nc; c++) {
    const src = 2 * nxe * (ky + ny * c);
    const dst = 2 * nxe * c;
    for (let x = 0; x < 2 * nxe; x++) {
      let v = s0 * k.base[src + x]!;
      for (const [a, amp] of active) v += amp * a[src + x]!;
      out[dst + x] = v;
    }
  }
  return out;
}

export function* generateAcquisitions(src: AcquisitionSource): Generator<Acquisition, void, undefined> {
  const { pr, noise } = src;
  const p = pr.params;
  const nc = pr.nCoils;
  const nxe = pr.nxe;
  const total = countAcquisitions(pr);
  const uid = measurementUid(pr);
  const mask = channelMaskFor(nc);
  const center = Math.floor(nxe / 2);
  const noiseGen = p.noiseSigma > 0 ? new CorrelatedNoise(noise, new Rng(p.seed, 'noise')) : null;
  const provider = new KspaceProvider(src, pr.nReps > 1);
  let scan = 0;
  const emptyTraj = new Float32Array(0);
  const finish = (flags: AcqFlagName[]): bigint => {
    if (scan === total - 1) flags.push('LAST_IN_MEASUREMENT');
    return flagsOf(flags);
  };

  // 1. noise scans
  const noiseScale = Math.sqrt(pr.dwellUs / pr.noiseDwellUs);
  for (let k = 0; k < pr.noiseScans; k++) {
    const data = new Float32Array(2 * nc * p.noiseSamples);
    noiseGen?.add(data, p.noiseSamples, noiseScale);
    const head = acquisitionHeader({
      flags: finish(['IS_NOISE_MEASUREMENT']),
      measurementUid: uid, scanCounter: scan + 1, timeStampTicks: msToTicks(noiseScanTimeMs(pr, k)),
      numberOfSamples: p.noiseSamples, channels: nc, channelMask: mask, centerSample: 0,
      sampleTimeUs: pr.noiseDwellUs, geom: pr.reconGeoms[0]!, ky: 0, slice: 0, repetition: 0,
    });
    scan++;
    yield { head, traj: emptyTraj, data };
  }

  // 2. separate calibration pass
  if (pr.calibrationLines.length > 0) {
    const coef = { drift: 0, amp: pr.conditionNames.map(() => 0) };
    for (let slot = 0; slot < pr.nSlices; slot++) {
      const s = pr.acqOrder[slot]!;
      const k = provider.get(s);
      for (let li = 0; li < pr.calibrationLines.length; li++) {
        const ky = pr.calibrationLines[li]!;
        const data = extractLine(k, ky, nxe, pr.ny, nc, coef);
        noiseGen?.add(data, nxe);
        const head = acquisitionHeader({
          flags: finish(['IS_PARALLEL_CALIBRATION']),
          measurementUid: uid, scanCounter: scan + 1,
          timeStampTicks: msToTicks(calibrationLineTimeMs(pr, slot, li, pr.calibrationLines.length)),
          numberOfSamples: nxe, channels: nc, channelMask: mask, centerSample: center,
          sampleTimeUs: pr.dwellUs, geom: pr.reconGeoms[s]!, ky, slice: s, repetition: 0,
        });
        scan++;
        yield { head, traj: emptyTraj, data };
      }
    }
  }

  // 3. imaging
  const lines = pr.imagingLines;
  const nl = lines.length;
  for (let rep = 0; rep < pr.nReps; rep++) {
    const coef = frameCoefficients(pr, rep);
    for (let slot = 0; slot < pr.nSlices; slot++) {
      const s = pr.acqOrder[slot]!;
      const k = provider.get(s);
      for (let li = 0; li < nl; li++) {
        const { ky, kind } = lines[li]!;
        const data = extractLine(k, ky, nxe, pr.ny, nc, coef);
        noiseGen?.add(data, nxe);
        const f: AcqFlagName[] = kindFlags(kind);
        if (li === 0) f.push('FIRST_IN_SLICE', 'FIRST_IN_ENCODE_STEP1');
        if (li === nl - 1) f.push('LAST_IN_SLICE', 'LAST_IN_ENCODE_STEP1');
        if (slot === 0 && li === 0) f.push('FIRST_IN_REPETITION');
        if (slot === pr.nSlices - 1 && li === nl - 1) f.push('LAST_IN_REPETITION');
        const head = acquisitionHeader({
          flags: finish(f),
          measurementUid: uid, scanCounter: scan + 1,
          timeStampTicks: msToTicks(imagingLineTimeMs(pr, rep, slot, li, nl)),
          numberOfSamples: nxe, channels: nc, channelMask: mask, centerSample: center,
          sampleTimeUs: pr.dwellUs, geom: pr.reconGeoms[s]!, ky, slice: s, repetition: rep,
        });
        scan++;
        yield { head, traj: emptyTraj, data };
      }
    }
  }
}
