/**
 * The reconstruction plan: every size and offset the stages need, derived once from
 * the header (and checked), so stages never re-read the XML.
 */
import { UhfError } from '../../shared/errors.ts';
import type { Encoding, IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import { DEFAULT_RECEIVER_NOISE_BANDWIDTH } from '../algorithms/noise-prewhitening.ts';

export interface ReconPlan {
  encodingIndex: number;
  encoding: Encoding;
  /** True when the encoding is 3D (kz phase encoding): e2 is transformed. */
  is3D: boolean;
  /** Readout length of the k-space buffer (the encoded matrix: oversampling is removed in image space). */
  bufferRo: number;
  /** Encoded matrix e1, e2 (buffer sizes). */
  bufferE1: number;
  bufferE2: number;
  /** Fraction of the encoded readout FOV that the recon keeps (0.5 for 2× oversampling; 1 = none). */
  readoutKeepFraction: number;
  /** k-space centre line of e1/e2 in acquisition indices (from the encoding limits). */
  centerE1: number;
  centerE2: number;
  /** Recon matrix [x, y, z]; z = 1 for 2D multislice. */
  reconMatrix: [number, number, number];
  /** Recon FOV mm [x, y, z]; z = slice thickness (2D) or slab (3D). */
  reconFovMm: [number, number, number];
  /** Encoded FOV covered by the k-space buffer, mm, [ro, e1, e2]. */
  bufferFovMm: [number, number, number];
  acceleration: [number, number];
  receiverNoiseBandwidth: number;
}


export function makePlan(header: IsmrmrdHeader, file: string, encodingIndex = 0): ReconPlan {
  const enc = header.encoding[encodingIndex];
  if (!enc) throw new UhfError('BAD_ARGUMENT', `the file has no encoding ${encodingIndex}`, { file });
  if (enc.trajectory !== 'cartesian' && enc.trajectory !== 'epi') {
    throw new UhfError('UNSUPPORTED_DATA', `the ${enc.trajectory} trajectory is not supported: only Cartesian data can be reconstructed`, { file });
  }
  if (enc.trajectory === 'epi') {
    throw new UhfError('UNSUPPORTED_DATA', 'EPI readouts (ramp sampling, phase correction) are not supported yet: only Cartesian data can be reconstructed', { file });
  }
  const e = enc.encodedSpace;
  const r = enc.reconSpace;
  // Readout oversampling: the encoded FOV along x is larger than the recon FOV.
  const keep = e.fieldOfViewMm.x > r.fieldOfViewMm.x * 1.001 && r.fieldOfViewMm.x > 0 ? r.fieldOfViewMm.x / e.fieldOfViewMm.x : 1;
  // The whole encoded readout is buffered: cropping the oversampled FOV after the
  // 2D/3D inverse FFT costs one transform less per readout than doing it readout
  // by readout, and is the same operation (a centred crop in image space).
  const bufferRo = e.matrixSize.x;
  const is3D = e.matrixSize.z > 1;
  const lim = enc.encodingLimits;
  const pi = enc.parallelImaging?.accelerationFactor;
  return {
    encodingIndex,
    encoding: enc,
    is3D,
    bufferRo,
    bufferE1: e.matrixSize.y,
    bufferE2: Math.max(1, e.matrixSize.z),
    readoutKeepFraction: keep,
    centerE1: lim.kspaceEncodingStep1?.center ?? Math.floor(e.matrixSize.y / 2),
    centerE2: is3D ? (lim.kspaceEncodingStep2?.center ?? Math.floor(e.matrixSize.z / 2)) : 0,
    reconMatrix: [r.matrixSize.x, r.matrixSize.y, is3D ? r.matrixSize.z : 1],
    reconFovMm: [r.fieldOfViewMm.x, r.fieldOfViewMm.y, r.fieldOfViewMm.z],
    bufferFovMm: [e.fieldOfViewMm.x, e.fieldOfViewMm.y, e.fieldOfViewMm.z],
    acceleration: [pi?.kspaceEncodingStep1 ?? 1, pi?.kspaceEncodingStep2 ?? 1],
    receiverNoiseBandwidth: header.acquisitionSystemInformation?.relativeReceiverNoiseBandwidth ?? DEFAULT_RECEIVER_NOISE_BANDWIDTH,
  };
}
