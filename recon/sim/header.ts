/**
 * The ISMRMRD XML header (as the typed IsmrmrdHeader) and the per-acquisition
 * header builder for simulated scans.
 */
import type { AcquisitionHeader, EncodingCounters, IsmrmrdHeader, Vec3 } from '../../shared/ismrmrd.ts';
import type { SliceGeometry } from '../geometry/index.ts';
import { GAMMA_HZ_PER_T, type LoopCoil } from './coils.ts';
import type { Protocol } from './protocol.ts';

/** Fixed, so output is deterministic. */
export const SIM_STUDY_DATE = '2025-01-15';
export const SIM_STUDY_TIME = '10:00:00';

export function larmorHz(fieldStrengthT: number): number {
  return Math.round(GAMMA_HZ_PER_T * fieldStrengthT);
}

export function buildIsmrmrdHeader(pr: Protocol, coils: readonly LoopCoil[]): IsmrmrdHeader {
  const p = pr.params;
  const lim = (maximum: number, center: number) => ({ minimum: 0, maximum, center });
  const zero = lim(0, 0);
  const measurementID = `UHFSIM_${p.name}_${p.seed}`;
  return {
    version: 2,
    subjectInformation: {
      patientName: 'Phantom^Head',
      patientID: 'UHFSIM0001',
      patientWeightKg: 70,
      patientHeightM: 1.75,
      patientGender: 'O',
    },
    studyInformation: {
      studyDate: SIM_STUDY_DATE,
      studyTime: SIM_STUDY_TIME,
      studyID: 'UHFSIM',
      studyDescription: 'UHF Workbench simulated head',
      bodyPartExamined: 'HEAD',
    },
    measurementInformation: {
      measurementID,
      seriesDate: SIM_STUDY_DATE,
      seriesTime: SIM_STUDY_TIME,
      patientPosition: 'HFS',
      relativeTablePosition: [0, 0, 0],
      initialSeriesNumber: 1,
      protocolName: p.name,
      sequenceName: 'uhfsim_gre2d',
      seriesDescription: `simulated ${p.name} ${p.fieldStrengthT} T`,
      frameOfReferenceUID: '1.2.826.0.1.3680043.2.1125.9999.1',
    },
    acquisitionSystemInformation: {
      systemVendor: 'UHF Workbench',
      systemModel: 'Simulator',
      systemFieldStrengthT: p.fieldStrengthT,
      relativeReceiverNoiseBandwidth: 1,
      receiverChannels: pr.nCoils,
      coilLabel: coils.map((c, i) => ({ coilNumber: i, coilName: c.name })),
      institutionName: 'UHF Workbench',
      stationName: 'sim',
      deviceID: 'uhfsim',
      deviceSerialNumber: '0',
    },
    experimentalConditions: { H1resonanceFrequencyHz: larmorHz(p.fieldStrengthT) },
    encoding: [
      {
        encodedSpace: {
          matrixSize: { x: pr.nxe, y: pr.ny, z: 1 },
          fieldOfViewMm: { x: pr.fxe, y: pr.fy, z: p.sliceThicknessMm },
        },
        reconSpace: {
          matrixSize: { x: pr.nx, y: pr.ny, z: 1 },
          fieldOfViewMm: { x: pr.fx, y: pr.fy, z: p.sliceThicknessMm },
        },
        encodingLimits: {
          kspaceEncodingStep0: lim(pr.nxe - 1, Math.floor(pr.nxe / 2)),
          kspaceEncodingStep1: lim(pr.ny - 1, pr.cy),
          kspaceEncodingStep2: zero,
          average: zero,
          slice: lim(pr.nSlices - 1, 0),
          contrast: zero,
          phase: zero,
          repetition: lim(pr.nReps - 1, 0),
          set: zero,
          segment: zero,
        },
        trajectory: 'cartesian',
        parallelImaging: {
          accelerationFactor: { kspaceEncodingStep1: pr.R, kspaceEncodingStep2: 1 },
          calibrationMode: p.calibrationMode,
        },
      },
    ],
    sequenceParameters: {
      TRMs: [p.trMs],
      TEMs: [p.teMs],
      TIMs: [],
      flipAngleDeg: [p.flipAngleDeg],
      sequenceType: 'GRE',
      echoSpacingMs: [],
    },
    userParameters: {
      long: [
        { name: 'simSeed', value: p.seed },
        { name: 'simSystemSeed', value: p.systemSeed },
        { name: 'noiseScans', value: pr.noiseScans },
        { name: 'numberOfSlices', value: pr.nSlices },
        { name: 'acsLines', value: pr.acs },
        { name: 'readoutOversampling', value: p.readoutOversampling },
      ],
      double: [
        { name: 'readoutBandwidthHzPerPixel', value: p.readoutBandwidthHzPerPixel },
        { name: 'sliceSpacingMm', value: p.sliceSpacingMm },
        { name: 'noiseSigma', value: p.noiseSigma },
        { name: 'noiseDwellTimeUs', value: pr.noiseDwellUs },
        { name: 'imagingDwellTimeUs', value: pr.dwellUs },
        { name: 'driftPercent', value: p.driftPercent },
      ],
      string: [
        { name: 'generator', value: 'uhf-workbench recon/sim' },
        { name: 'simPreset', value: p.name },
        { name: 'sliceOrder', value: p.sliceOrder },
        { name: 'sliceAcquisitionOrder', value: pr.acqOrder.join(',') },
        ...(pr.design ? [{ name: 'conditions', value: pr.conditionNames.join(',') }] : []),
      ],
      base64: [],
    },
  };
}

export function zeroCounters(): EncodingCounters {
  return { kspaceEncodeStep1: 0, kspaceEncodeStep2: 0, average: 0, slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] };
}

export function channelMaskFor(nc: number): bigint[] {
  const m = new Array<bigint>(16).fill(0n);
  for (let c = 0; c < nc; c++) m[c >> 6] = m[c >> 6]! | (1n << BigInt(c & 63));
  return m;
}

export interface AcqHeadInput {
  flags: bigint;
  measurementUid: number;
  scanCounter: number;
  timeStampTicks: number;
  numberOfSamples: number;
  channels: number;
  channelMask: bigint[];
  centerSample: number;
  sampleTimeUs: number;
  geom: SliceGeometry;
  ky: number;
  slice: number;
  repetition: number;
}

const v3 = (v: Vec3): Vec3 => [v[0], v[1], v[2]];

export function acquisitionHeader(a: AcqHeadInput): AcquisitionHeader {
  const idx = zeroCounters();
  idx.kspaceEncodeStep1 = a.ky;
  idx.slice = a.slice;
  idx.repetition = a.repetition;
  return {
    version: 1,
    flags: a.flags,
    measurementUid: a.measurementUid,
    scanCounter: a.scanCounter,
    acquisitionTimeStamp: a.timeStampTicks,
    physiologyTimeStamp: [0, 0, 0],
    numberOfSamples: a.numberOfSamples,
    availableChannels: a.channels,
    activeChannels: a.channels,
    channelMask: [...a.channelMask],
    discardPre: 0,
    discardPost: 0,
    centerSample: a.centerSample,
    encodingSpaceRef: 0,
    trajectoryDimensions: 0,
    sampleTimeUs: a.sampleTimeUs,
    position: v3(a.geom.position),
    readDir: v3(a.geom.readDir),
    phaseDir: v3(a.geom.phaseDir),
    sliceDir: v3(a.geom.sliceDir),
    patientTablePosition: [0, 0, 0],
    idx,
    userInt: [0, 0, 0, 0, 0, 0, 0, 0],
    userFloat: [0, 0, 0, 0, 0, 0, 0, 0],
  };
}
