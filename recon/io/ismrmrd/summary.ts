/**
 * A one-pass summary of an ISMRMRD file: what `uhf info` prints and what the app's
 * recon panel is prefilled from. Counts come from the acquisition headers (the
 * truth of what was acquired), not only from the XML's declared limits.
 */
import { hasFlag, type AcquisitionHeader, type IsmrmrdHeader } from '../../../shared/ismrmrd.ts';
import type { IsmrmrdReader } from './reader.ts';

export interface IsmrmrdSummary {
  format: 'ismrmrd';
  file: string;
  fieldStrengthT: number | null;
  larmorHz: number | null;
  receiverChannels: number | null;
  encodings: number;
  encodedMatrix: [number, number, number];
  reconMatrix: [number, number, number];
  /** Recon-space field of view (the image), mm. */
  fovMm: [number, number, number];
  encodedFovMm: [number, number, number];
  slices: number;
  repetitions: number;
  contrasts: number;
  averages: number;
  sets: number;
  acceleration: [number, number];
  calibrationMode: string | null;
  trajectory: string;
  acquisitions: number;
  noiseAcquisitions: number;
  /** Calibration-only plus calibration-and-imaging acquisitions. */
  calibrationAcquisitions: number;
  imagingAcquisitions: number;
  channelsInData: number[];
  samplesPerReadout: number[];
  trMs: number[];
  teMs: number[];
  systemVendor: string | null;
  systemModel: string | null;
  protocolName: string | null;
}

export function summarizeIsmrmrd(reader: IsmrmrdReader, blockSize = 1024): IsmrmrdSummary {
  const counts = new HeaderCounts();
  for (let start = 0; start < reader.count; start += blockSize) {
    for (const h of reader.readHeaders(start, Math.min(blockSize, reader.count - start))) counts.add(h);
  }
  return summaryFrom(reader.path, reader.header, reader.count, counts);
}

class HeaderCounts {
  noise = 0;
  calibration = 0;
  imaging = 0;
  slices = new Set<number>();
  repetitions = new Set<number>();
  contrasts = new Set<number>();
  averages = new Set<number>();
  sets = new Set<number>();
  channels = new Set<number>();
  samples = new Set<number>();

  add(h: AcquisitionHeader): void {
    if (hasFlag(h.flags, 'IS_NOISE_MEASUREMENT')) {
      this.noise++;
      return;
    }
    const calOnly = hasFlag(h.flags, 'IS_PARALLEL_CALIBRATION');
    const calAndImg = hasFlag(h.flags, 'IS_PARALLEL_CALIBRATION_AND_IMAGING');
    if (calOnly || calAndImg) this.calibration++;
    if (!calOnly) this.imaging++;
    this.slices.add(h.idx.slice);
    this.repetitions.add(h.idx.repetition);
    this.contrasts.add(h.idx.contrast);
    this.averages.add(h.idx.average);
    this.sets.add(h.idx.set);
    this.channels.add(h.activeChannels);
    this.samples.add(h.numberOfSamples);
  }
}

function summaryFrom(file: string, x: IsmrmrdHeader, count: number, c: HeaderCounts): IsmrmrdSummary {
  const enc = x.encoding[0]!;
  const m = (s: { x: number; y: number; z: number }): [number, number, number] => [s.x, s.y, s.z];
  const limitCount = (l: { maximum: number } | undefined) => (l ? l.maximum + 1 : 1);
  const fromData = (s: Set<number>, l: { maximum: number } | undefined) => (s.size ? s.size : limitCount(l));
  const pi = enc.parallelImaging;
  const sys = x.acquisitionSystemInformation;
  return {
    format: 'ismrmrd',
    file,
    fieldStrengthT: sys?.systemFieldStrengthT ?? null,
    larmorHz: x.experimentalConditions.H1resonanceFrequencyHz || null,
    receiverChannels: sys?.receiverChannels ?? null,
    encodings: x.encoding.length,
    encodedMatrix: m(enc.encodedSpace.matrixSize),
    reconMatrix: m(enc.reconSpace.matrixSize),
    fovMm: m(enc.reconSpace.fieldOfViewMm),
    encodedFovMm: m(enc.encodedSpace.fieldOfViewMm),
    slices: fromData(c.slices, enc.encodingLimits.slice),
    repetitions: fromData(c.repetitions, enc.encodingLimits.repetition),
    contrasts: fromData(c.contrasts, enc.encodingLimits.contrast),
    averages: fromData(c.averages, enc.encodingLimits.average),
    sets: fromData(c.sets, enc.encodingLimits.set),
    acceleration: [pi?.accelerationFactor.kspaceEncodingStep1 ?? 1, pi?.accelerationFactor.kspaceEncodingStep2 ?? 1],
    calibrationMode: pi?.calibrationMode ?? null,
    trajectory: enc.trajectory,
    acquisitions: count,
    noiseAcquisitions: c.noise,
    calibrationAcquisitions: c.calibration,
    imagingAcquisitions: c.imaging,
    channelsInData: [...c.channels].sort((a, b) => a - b),
    samplesPerReadout: [...c.samples].sort((a, b) => a - b),
    trMs: x.sequenceParameters?.TRMs ?? [],
    teMs: x.sequenceParameters?.TEMs ?? [],
    systemVendor: sys?.systemVendor ?? null,
    systemModel: sys?.systemModel ?? null,
    protocolName: x.measurementInformation?.protocolName ?? null,
  };
}

/** Human-readable lines for a terminal. */
export function formatIsmrmrdSummary(s: IsmrmrdSummary): string {
  const v3 = (v: number[]) => v.join(' × ');
  const rows: [string, string][] = [
    ['file', s.file],
    ['format', 'ISMRMRD v1 (HDF5)'],
    ['system', [s.systemVendor, s.systemModel].filter(Boolean).join(' ') || 'unknown'],
    ['field strength', s.fieldStrengthT !== null ? `${s.fieldStrengthT} T` : s.larmorHz ? `${(s.larmorHz / 42.577478e6).toFixed(2)} T (from Larmor frequency)` : 'unknown'],
    ['receiver channels', `${s.receiverChannels ?? '?'} (in data: ${s.channelsInData.join(', ') || '-'})`],
    ['trajectory', s.trajectory],
    ['encoded matrix', v3(s.encodedMatrix)],
    ['recon matrix', v3(s.reconMatrix)],
    ['FOV (recon)', `${v3(s.fovMm)} mm`],
    ['slices / contrasts / repetitions', `${s.slices} / ${s.contrasts} / ${s.repetitions}`],
    ['acceleration (ky, kz)', `${s.acceleration[0]} × ${s.acceleration[1]}${s.calibrationMode ? `, calibration ${s.calibrationMode}` : ''}`],
    ['acquisitions', `${s.acquisitions} (noise ${s.noiseAcquisitions}, calibration ${s.calibrationAcquisitions}, imaging ${s.imagingAcquisitions})`],
    ['TR / TE', `${s.trMs.join(', ') || '?'} ms / ${s.teMs.join(', ') || '?'} ms`],
  ];
  if (s.protocolName) rows.splice(2, 0, ['protocol', s.protocolName]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
