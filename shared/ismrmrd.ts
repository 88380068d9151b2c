/**
 * ISMRMRD v1 types as this project sees them after ingest.
 * Geometry stays in the file's patient coordinates (LPS, mm) here; conversion
 * to RAS happens once, where volumes are built.
 */

/** Flag bit positions (1-based), as in ismrmrd.h. */
export const ACQ_FLAGS = {
  FIRST_IN_ENCODE_STEP1: 1,
  LAST_IN_ENCODE_STEP1: 2,
  FIRST_IN_ENCODE_STEP2: 3,
  LAST_IN_ENCODE_STEP2: 4,
  FIRST_IN_AVERAGE: 5,
  LAST_IN_AVERAGE: 6,
  FIRST_IN_SLICE: 7,
  LAST_IN_SLICE: 8,
  FIRST_IN_CONTRAST: 9,
  LAST_IN_CONTRAST: 10,
  FIRST_IN_PHASE: 11,
  LAST_IN_PHASE: 12,
  FIRST_IN_REPETITION: 13,
  LAST_IN_REPETITION: 14,
  FIRST_IN_SET: 15,
  LAST_IN_SET: 16,
  FIRST_IN_SEGMENT: 17,
  LAST_IN_SEGMENT: 18,
  IS_NOISE_MEASUREMENT: 19,
  IS_PARALLEL_CALIBRATION: 20,
  IS_PARALLEL_CALIBRATION_AND_IMAGING: 21,
  IS_REVERSE: 22,
  IS_NAVIGATION_DATA: 23,
  IS_PHASECORR_DATA: 24,
  LAST_IN_MEASUREMENT: 25,
  IS_HPFEEDBACK_DATA: 26,
  IS_DUMMYSCAN_DATA: 27,
  IS_RTFEEDBACK_DATA: 28,
  IS_SURFACECOILCORRECTIONSCAN_DATA: 29,
  IS_PHASE_STABILIZATION_REFERENCE: 30,
  IS_PHASE_STABILIZATION: 31,
  COMPRESSION1: 53,
  COMPRESSION2: 54,
  COMPRESSION3: 55,
  COMPRESSION4: 56,
  USER1: 57,
  USER2: 58,
  USER3: 59,
  USER4: 60,
  USER5: 61,
  USER6: 62,
  USER7: 63,
  USER8: 64,
} as const;

export type AcqFlagName = keyof typeof ACQ_FLAGS;

export function flagMask(name: AcqFlagName): bigint {
  return 1n << BigInt(ACQ_FLAGS[name] - 1);
}

export function hasFlag(flags: bigint, name: AcqFlagName): boolean {
  return (flags & flagMask(name)) !== 0n;
}

export function flagNames(flags: bigint): AcqFlagName[] {
  return (Object.keys(ACQ_FLAGS) as AcqFlagName[]).filter((n) => hasFlag(flags, n));
}

export function flagsOf(names: readonly AcqFlagName[]): bigint {
  return names.reduce((acc, n) => acc | flagMask(n), 0n);
}

export type Vec3 = [number, number, number];

export interface EncodingCounters {
  kspaceEncodeStep1: number;
  kspaceEncodeStep2: number;
  average: number;
  slice: number;
  contrast: number;
  phase: number;
  repetition: number;
  set: number;
  segment: number;
  /** 8 user counters. */
  user: number[];
}

/** The whole ISMRMRD AcquisitionHeader, field for field. */
export interface AcquisitionHeader {
  version: number;
  /** Bit field; see ACQ_FLAGS, hasFlag. */
  flags: bigint;
  measurementUid: number;
  scanCounter: number;
  /** Scanner ticks (vendor-specific, often 2.5 ms). */
  acquisitionTimeStamp: number;
  /** 3 physiology time stamps, ticks. */
  physiologyTimeStamp: number[];
  numberOfSamples: number;
  availableChannels: number;
  activeChannels: number;
  /** 16 × uint64: bit c set when channel c is active. */
  channelMask: bigint[];
  discardPre: number;
  discardPost: number;
  centerSample: number;
  encodingSpaceRef: number;
  trajectoryDimensions: number;
  /** Dwell time, microseconds. */
  sampleTimeUs: number;
  /** Centre of the slice or slab, patient LPS mm. */
  position: Vec3;
  readDir: Vec3;
  phaseDir: Vec3;
  sliceDir: Vec3;
  patientTablePosition: Vec3;
  idx: EncodingCounters;
  /** 8 user integers. */
  userInt: number[];
  /** 8 user floats. */
  userFloat: number[];
}

export interface Acquisition {
  head: AcquisitionHeader;
  /** [sample][trajectoryDimensions], length numberOfSamples*trajectoryDimensions. */
  traj: Float32Array;
  /** Interleaved complex [channel][sample]: length 2*activeChannels*numberOfSamples. */
  data: Float32Array;
}

/** A run of consecutive acquisitions from a file; `start` is the row of the first. */
export interface AcquisitionBlock {
  start: number;
  acquisitions: Acquisition[];
}

// ---------------------------------------------------------------- XML header

export interface MatrixSize { x: number; y: number; z: number }
export interface FieldOfViewMm { x: number; y: number; z: number }

export interface EncodingSpace {
  matrixSize: MatrixSize;
  fieldOfViewMm: FieldOfViewMm;
}

export interface Limit { minimum: number; maximum: number; center: number }

export interface EncodingLimits {
  kspaceEncodingStep0?: Limit;
  kspaceEncodingStep1?: Limit;
  kspaceEncodingStep2?: Limit;
  average?: Limit;
  slice?: Limit;
  contrast?: Limit;
  phase?: Limit;
  repetition?: Limit;
  set?: Limit;
  segment?: Limit;
}

export type Trajectory = 'cartesian' | 'epi' | 'radial' | 'goldenangle' | 'spiral' | 'other';
export type CalibrationMode = 'embedded' | 'interleaved' | 'separate' | 'external' | 'other';

export interface Multiband {
  spacing: { dZ: number[] }[];
  deltaKz: number;
  multibandFactor: number;
  calibration: string;
  calibrationEncoding: number;
}

export interface ParallelImaging {
  accelerationFactor: { kspaceEncodingStep1: number; kspaceEncodingStep2: number };
  calibrationMode?: CalibrationMode;
  interleavingDimension?: string;
  multiband?: Multiband;
}

export interface UserParameterValue { name: string; value: number | string }

export interface TrajectoryDescription {
  identifier: string;
  userParameterLong: UserParameterValue[];
  userParameterDouble: UserParameterValue[];
  userParameterString: UserParameterValue[];
  comment?: string;
}

export interface Encoding {
  encodedSpace: EncodingSpace;
  reconSpace: EncodingSpace;
  encodingLimits: EncodingLimits;
  trajectory: Trajectory;
  trajectoryDescription?: TrajectoryDescription;
  parallelImaging?: ParallelImaging;
  echoTrainLength?: number;
}

export interface SubjectInformation {
  patientName?: string;
  patientWeightKg?: number;
  patientHeightM?: number;
  patientID?: string;
  patientBirthdate?: string;
  patientGender?: string;
}

export interface StudyInformation {
  studyDate?: string;
  studyTime?: string;
  studyID?: string;
  accessionNumber?: number;
  referringPhysicianName?: string;
  studyDescription?: string;
  studyInstanceUID?: string;
  bodyPartExamined?: string;
}

export interface MeasurementInformation {
  measurementID?: string;
  seriesDate?: string;
  seriesTime?: string;
  patientPosition?: string;
  relativeTablePosition?: Vec3;
  initialSeriesNumber?: number;
  protocolName?: string;
  sequenceName?: string;
  seriesDescription?: string;
  seriesInstanceUIDRoot?: string;
  frameOfReferenceUID?: string;
}

export interface AcquisitionSystemInformation {
  systemVendor?: string;
  systemModel?: string;
  systemFieldStrengthT?: number;
  relativeReceiverNoiseBandwidth?: number;
  receiverChannels?: number;
  coilLabel: { coilNumber: number; coilName: string }[];
  institutionName?: string;
  stationName?: string;
  deviceID?: string;
  deviceSerialNumber?: string;
}

export interface ExperimentalConditions {
  /** Larmor frequency, Hz. */
  H1resonanceFrequencyHz: number;
}

export interface SequenceParameters {
  /** Repetition times, ms (as in the file). */
  TRMs: number[];
  TEMs: number[];
  TIMs: number[];
  flipAngleDeg: number[];
  sequenceType?: string;
  echoSpacingMs: number[];
  diffusionDimension?: string;
}

export interface IsmrmrdHeader {
  version?: number;
  subjectInformation?: SubjectInformation;
  studyInformation?: StudyInformation;
  measurementInformation?: MeasurementInformation;
  acquisitionSystemInformation?: AcquisitionSystemInformation;
  experimentalConditions: ExperimentalConditions;
  /** At least one. */
  encoding: Encoding[];
  sequenceParameters?: SequenceParameters;
  userParameters: {
    long: UserParameterValue[];
    double: UserParameterValue[];
    string: UserParameterValue[];
    base64: UserParameterValue[];
  };
}
