/**
 * NIfTI-1/2 code tables (values from nifti1.h / nifti2.h). Kept as plain data
 * so that both the reader and the writer use the same numbers.
 */
import type { SpatialUnit, TemporalUnit } from '../../../shared/volume.ts';

export const NIFTI1_HEADER_SIZE = 348;
export const NIFTI2_HEADER_SIZE = 540;
/** Header + the 4-byte extension flag: where single-file (.nii) data starts at the earliest. */
export const NIFTI1_MIN_VOX_OFFSET = 352;
export const NIFTI2_MIN_VOX_OFFSET = 544;

/** Datatypes we decode to float32; everything else is rejected with a clear message. */
export interface DatatypeInfo {
  readonly code: number;
  readonly name: string;
  readonly bytes: number;
}

const SUPPORTED: readonly DatatypeInfo[] = [
  { code: 2, name: 'uint8', bytes: 1 },
  { code: 4, name: 'int16', bytes: 2 },
  { code: 8, name: 'int32', bytes: 4 },
  { code: 16, name: 'float32', bytes: 4 },
  { code: 64, name: 'float64', bytes: 8 },
  { code: 256, name: 'int8', bytes: 1 },
  { code: 512, name: 'uint16', bytes: 2 },
  { code: 768, name: 'uint32', bytes: 4 },
  { code: 1024, name: 'int64', bytes: 8 },
  { code: 1280, name: 'uint64', bytes: 8 },
];

/** Known but not one real value per voxel: reported by `niftiInfo`, rejected by `readNifti`. */
const UNSUPPORTED: readonly DatatypeInfo[] = [
  { code: 32, name: 'complex64', bytes: 8 },
  { code: 128, name: 'RGB24', bytes: 3 },
  { code: 1536, name: 'float128', bytes: 16 },
  { code: 1792, name: 'complex128', bytes: 16 },
  { code: 2048, name: 'complex256', bytes: 32 },
  { code: 2304, name: 'RGBA32', bytes: 4 },
];

export const DATATYPE_BY_CODE: ReadonlyMap<number, DatatypeInfo> = new Map(SUPPORTED.map((d) => [d.code, d]));
export const UNSUPPORTED_DATATYPE_BY_CODE: ReadonlyMap<number, DatatypeInfo> = new Map(
  UNSUPPORTED.map((d) => [d.code, d]),
);

/** Codes the writer emits. */
export const DT_INT16 = 4;
export const DT_FLOAT32 = 16;

/** qform_code / sform_code values. */
export const XFORM = {
  UNKNOWN: 0,
  SCANNER_ANAT: 1,
  ALIGNED_ANAT: 2,
  TALAIRACH: 3,
  MNI_152: 4,
  TEMPLATE_OTHER: 5,
} as const;

export type XformName = 'unknown' | 'scanner' | 'aligned' | 'talairach' | 'mni' | 'template';
const XFORM_NAMES: readonly XformName[] = ['unknown', 'scanner', 'aligned', 'talairach', 'mni', 'template'];

export function xformName(code: number): XformName | undefined {
  return XFORM_NAMES[code];
}

export function xformCodeFrom(value: number | XformName): number {
  if (typeof value === 'number') return value;
  return XFORM_NAMES.indexOf(value);
}

/** intent_code values for statistic and other maps. */
export const NIFTI_INTENT = {
  NONE: 0,
  CORREL: 2,
  TTEST: 3,
  FTEST: 4,
  ZSCORE: 5,
  CHISQ: 6,
  BETA: 7,
  BINOM: 8,
  GAMMA: 9,
  POISSON: 10,
  NORMAL: 11,
  FTEST_NONC: 12,
  CHISQ_NONC: 13,
  LOGISTIC: 14,
  LAPLACE: 15,
  UNIFORM: 16,
  TTEST_NONC: 17,
  WEIBULL: 18,
  CHI: 19,
  INVGAUSS: 20,
  EXTVAL: 21,
  PVAL: 22,
  LOGPVAL: 23,
  LOG10PVAL: 24,
  ESTIMATE: 1001,
  LABEL: 1002,
  NEURONAME: 1003,
  GENMATRIX: 1004,
  SYMMATRIX: 1005,
  DISPVECT: 1006,
  VECTOR: 1007,
  POINTSET: 1008,
  TRIANGLE: 1009,
  QUATERNION: 1010,
  DIMLESS: 1011,
  TIME_SERIES: 2001,
  NODE_INDEX: 2002,
  RGB_VECTOR: 2003,
  RGBA_VECTOR: 2004,
  SHAPE: 2005,
} as const;

/** e.g. 3 → "NIFTI_INTENT_TTEST"; undefined for unknown codes. */
export function intentName(code: number): string | undefined {
  for (const [key, value] of Object.entries(NIFTI_INTENT)) {
    if (value === code) return `NIFTI_INTENT_${key}`;
  }
  return undefined;
}

/** xyzt_units bits. */
export const UNITS = { METER: 1, MM: 2, MICRON: 3, SEC: 8, MSEC: 16, USEC: 24, HZ: 32, PPM: 40, RADS: 48 } as const;

export function spatialUnit(xyztUnits: number): SpatialUnit {
  switch (xyztUnits & 0x07) {
    case UNITS.METER: return 'm';
    case UNITS.MM: return 'mm';
    case UNITS.MICRON: return 'um';
    default: return 'unknown';
  }
}

export function temporalUnit(xyztUnits: number): TemporalUnit {
  switch (xyztUnits & 0x38) {
    case UNITS.SEC: return 's';
    case UNITS.MSEC: return 'ms';
    case UNITS.USEC: return 'us';
    case UNITS.HZ: return 'hz';
    case UNITS.PPM: return 'ppm';
    case UNITS.RADS: return 'rads';
    default: return 'unknown';
  }
}

/** mm per spatial unit; unknown is taken as mm, which is what nearly all tools assume. */
export function mmPerSpatialUnit(unit: SpatialUnit): number {
  return unit === 'm' ? 1000 : unit === 'um' ? 0.001 : 1;
}

/**
 * Seconds per temporal unit, or undefined when pixdim[4] is not a time
 * (Hz, ppm, rad/s). Unknown is taken as seconds, as FSL and SPM do.
 */
export function secondsPerTemporalUnit(unit: TemporalUnit): number | undefined {
  switch (unit) {
    case 's':
    case 'unknown':
      return 1;
    case 'ms':
      return 1e-3;
    case 'us':
      return 1e-6;
    default:
      return undefined;
  }
}
