/**
 * NIfTI-1/2 header parsing (through nifti-reader-js) into one plain,
 * version-independent record, with the same repairs nibabel applies on load
 * (Nifti1Header.check_fix), so that the affine we derive is nibabel's.
 */
import { NIFTI1, NIFTI2 } from 'nifti-reader-js';
import { UhfError } from '../../../shared/errors.ts';
import type { SpatialUnit, TemporalUnit } from '../../../shared/volume.ts';
import {
  DATATYPE_BY_CODE,
  NIFTI1_HEADER_SIZE,
  NIFTI1_MIN_VOX_OFFSET,
  NIFTI2_HEADER_SIZE,
  NIFTI2_MIN_VOX_OFFSET,
  UNSUPPORTED_DATATYPE_BY_CODE,
  spatialUnit,
  temporalUnit,
  xformName,
} from './constants.ts';

export type NiftiFormat = 'nifti1' | 'nifti2';

export interface NiftiHeader {
  format: NiftiFormat;
  littleEndian: boolean;
  /** dim[1..dim[0]]: the image shape, as nibabel's `img.shape`. */
  shape: number[];
  /** pixdim[0..7] after nibabel's fixes (qfac ±1, spatial sizes positive and non-zero). */
  pixdim: number[];
  datatypeCode: number;
  /** 'float32', 'int16', ... or e.g. 'RGB24' for types readNifti rejects. */
  datatype: string;
  datatypeSupported: boolean;
  bytesPerVoxel: number;
  /** Byte offset of the voxel data in the (decompressed) file. */
  voxOffset: number;
  sclSlope: number;
  sclInter: number;
  xyztUnits: number;
  spatialUnit: SpatialUnit;
  temporalUnit: TemporalUnit;
  qformCode: number;
  sformCode: number;
  quatern: [number, number, number];
  qoffset: [number, number, number];
  /** srow_x, srow_y, srow_z (12 values). */
  srow: number[];
  intentCode: number;
  intentParams: [number, number, number];
  intentName: string;
  description: string;
  auxFile: string;
  calMin: number;
  calMax: number;
  sliceCode: number;
  sliceStart: number;
  sliceEnd: number;
  sliceDuration: number;
  toffset: number;
  dimInfo: number;
}

const NIFTI2_MAGIC = [0x6e, 0x2b, 0x32, 0x00, 0x0d, 0x0a, 0x1a, 0x0a]; // "n+2\0\r\n\032\n"

function invalid(file: string, msg: string): UhfError {
  return new UhfError('NIFTI_INVALID', msg, { file });
}

/** NIfTI version and byte order from sizeof_hdr (348 or 540, either endianness). */
function sniffVersion(bytes: Uint8Array, file: string): { format: NiftiFormat; littleEndian: boolean } {
  if (bytes.length < 4) throw invalid(file, `too short for a NIfTI header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const littleEndian of [true, false]) {
    const size = view.getInt32(0, littleEndian);
    if (size === NIFTI1_HEADER_SIZE) return { format: 'nifti1', littleEndian };
    if (size === NIFTI2_HEADER_SIZE) return { format: 'nifti2', littleEndian };
  }
  throw invalid(file, 'not a NIfTI file (sizeof_hdr is neither 348 nor 540)');
}

/** nifti-reader-js keeps bytes after an embedded NUL and reads Latin-1; we stop at NUL and read UTF-8. */
function cString(bytes: Uint8Array, start: number, end: number): string {
  const slice = bytes.subarray(start, end);
  const nul = slice.indexOf(0);
  return new TextDecoder().decode(nul >= 0 ? slice.subarray(0, nul) : slice);
}

function checkMagic(bytes: Uint8Array, format: NiftiFormat, file: string): void {
  const at = format === 'nifti1' ? 344 : 4;
  const m = bytes.subarray(at, at + (format === 'nifti1' ? 4 : 8));
  const text = String.fromCharCode(...m.subarray(0, 3));
  if (format === 'nifti1' && text === 'n+1' && m[3] === 0) return;
  if (format === 'nifti2' && NIFTI2_MAGIC.every((b, i) => m[i] === b)) return;
  if (text === 'ni1' || text === 'ni2') {
    throw new UhfError('NIFTI_UNSUPPORTED', 'header of a .hdr/.img pair; only single-file .nii/.nii.gz is supported', {
      file,
    });
  }
  if (format === 'nifti1' && m.every((b) => b === 0)) {
    throw new UhfError('NIFTI_UNSUPPORTED', 'Analyze 7.5 header (no NIfTI magic); only NIfTI is supported', { file });
  }
  throw invalid(file, `bad NIfTI magic ${JSON.stringify(text)}`);
}

/** Header size for the given leading bytes, so callers can fetch exactly enough. */
export function headerSizeOf(bytes: Uint8Array, file: string): number {
  return sniffVersion(bytes, file).format === 'nifti1' ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
}

/**
 * Parse the fixed header from the start of the (decompressed) file. Only the
 * fixed-size header is handed to nifti-reader-js, so malformed extensions
 * (which we ignore) cannot make it fail or read out of range.
 */
export function parseNiftiHeader(bytes: Uint8Array, file: string): NiftiHeader {
  const { format, littleEndian } = sniffVersion(bytes, file);
  const size = format === 'nifti1' ? NIFTI1_HEADER_SIZE : NIFTI2_HEADER_SIZE;
  if (bytes.length < size) throw invalid(file, `truncated header (${bytes.length} of ${size} bytes)`);
  checkMagic(bytes, format, file);

  // Copy: a Node Buffer may be a view into a larger shared pool.
  const raw = new Uint8Array(bytes.subarray(0, size)).buffer;
  const h = format === 'nifti1' ? new NIFTI1() : new NIFTI2();
  try {
    h.readHeader(raw);
  } catch (err) {
    throw new UhfError('NIFTI_INVALID', `unreadable header: ${(err as Error).message}`, { file, cause: err });
  }

  const ndim = h.dims[0] ?? 0;
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) throw invalid(file, `dim[0] = ${ndim} is not in 1..7`);
  const shape = h.dims.slice(1, ndim + 1);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 1)) {
    throw invalid(file, `dimensions [${shape.join(', ')}] must be positive integers`);
  }

  const code = h.datatypeCode;
  const dt = DATATYPE_BY_CODE.get(code) ?? UNSUPPORTED_DATATYPE_BY_CODE.get(code);
  if (code === 1) throw new UhfError('NIFTI_UNSUPPORTED', 'binary (1 bit) datatype is not supported', { file });
  if (!dt) throw invalid(file, `unknown datatype code ${code}`);

  const view = new DataView(raw);
  // nifti-reader-js drops srow_* for NIfTI-1 when it prefers the qform, so read them here.
  const srow =
    format === 'nifti1'
      ? Array.from({ length: 12 }, (_, i) => view.getFloat32(280 + 4 * i, littleEndian))
      : h.affine.slice(0, 3).flatMap((row) => row.slice(0, 4));

  const minOffset = format === 'nifti1' ? NIFTI1_MIN_VOX_OFFSET : NIFTI2_MIN_VOX_OFFSET;
  const rawOffset = Math.trunc(h.vox_offset);
  if (!Number.isFinite(rawOffset) || rawOffset < 0) throw invalid(file, `vox_offset ${h.vox_offset} is invalid`);

  const stringsAt = format === 'nifti1' ? { descrip: 148, aux: 228, intent: 328 } : { descrip: 240, aux: 320, intent: 508 };
  const head = new Uint8Array(raw);
  return {
    format,
    littleEndian,
    shape,
    pixdim: fixPixdim(h.pixDims),
    datatypeCode: code,
    datatype: dt.name,
    datatypeSupported: DATATYPE_BY_CODE.has(code),
    bytesPerVoxel: dt.bytes,
    // nibabel raises a too-small offset of a single file to the minimum (0 included).
    voxOffset: Math.max(rawOffset, minOffset),
    sclSlope: h.scl_slope,
    sclInter: h.scl_inter,
    xyztUnits: h.xyzt_units,
    spatialUnit: spatialUnit(h.xyzt_units),
    temporalUnit: temporalUnit(h.xyzt_units),
    qformCode: fixXformCode(h.qform_code),
    sformCode: fixXformCode(h.sform_code),
    quatern: [h.quatern_b, h.quatern_c, h.quatern_d],
    qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
    srow,
    intentCode: h.intent_code,
    intentParams: [h.intent_p1, h.intent_p2, h.intent_p3],
    intentName: cString(head, stringsAt.intent, stringsAt.intent + 16),
    description: cString(head, stringsAt.descrip, stringsAt.descrip + 80),
    auxFile: cString(head, stringsAt.aux, stringsAt.aux + 24),
    calMin: h.cal_min,
    calMax: h.cal_max,
    sliceCode: h.slice_code,
    sliceStart: h.slice_start,
    sliceEnd: h.slice_end,
    sliceDuration: h.slice_duration,
    toffset: h.toffset,
    dimInfo: h.dim_info,
  };
}

/** nibabel: qfac other than ±1 becomes 1; zero voxel sizes become 1; negative ones their absolute value. */
function fixPixdim(pixdim: readonly number[]): number[] {
  const out = Array.from({ length: 8 }, (_, i) => pixdim[i] ?? 0);
  if (out[0] !== 1 && out[0] !== -1) out[0] = 1;
  for (let i = 1; i <= 3; i++) {
    const v = out[i]!;
    out[i] = v === 0 || Number.isNaN(v) ? 1 : Math.abs(v);
  }
  return out;
}

/** nibabel resets qform/sform codes outside the known set to 0 (unknown). */
function fixXformCode(code: number): number {
  return xformName(code) === undefined ? 0 : code;
}

/** scl_slope/scl_inter as nibabel applies them; undefined means "no scaling". */
export function scaling(h: NiftiHeader, file: string): { slope: number; inter: number } | undefined {
  if (h.sclSlope === 0 || !Number.isFinite(h.sclSlope)) return undefined;
  if (!Number.isFinite(h.sclInter)) throw invalid(file, `valid scl_slope but invalid scl_inter ${h.sclInter}`);
  if (h.sclSlope === 1 && h.sclInter === 0) return undefined;
  return { slope: h.sclSlope, inter: h.sclInter };
}
