/**
 * Our own NIfTI-1 single-file encoder (not nifti-reader-js): a 352-byte
 * header (348 + empty extension flag) and little-endian voxel data. Pure:
 * returns bytes, does no I/O.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { Affine, Volume } from '../../../shared/volume.ts';
import { affineToQform } from './affine.ts';
import { DT_FLOAT32, DT_INT16, NIFTI1_HEADER_SIZE, NIFTI1_MIN_VOX_OFFSET, UNITS } from './constants.ts';

export type OutputDatatype = 'float32' | 'int16';

export interface EncodeOptions {
  datatype: OutputDatatype;
  qformCode: number;
  sformCode: number;
  description: string;
  intentCode: number;
  intentParams: [number, number, number];
  intentName: string;
  trSec?: number;
  calMin?: number;
  calMax?: number;
}

export interface Encoded {
  header: Uint8Array;
  data: Uint8Array;
  sclSlope: number;
  sclInter: number;
}

const INT16_MAX = 32767;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Smallest and largest finite value; [0, 0] when there is none. */
export function finiteRange(data: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // Comparisons are false for NaN, so only ±Infinity can leak in; drop those.
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (Number.isFinite(v)) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}

function allInt16Integers(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!Number.isInteger(v) || v < -32768 || v > INT16_MAX) return false;
  }
  return true;
}

/**
 * scl_slope/scl_inter for int16 output. Integer data that fit (masks,
 * labels) are stored exactly with slope 1; anything else maps the finite
 * range [lo, hi] onto [-32767, 32767], so the error is at most slope / 2.
 * Both are rounded to float32 first because that is what the header keeps.
 */
export function int16Scaling(data: Float32Array, range: [number, number]): { slope: number; inter: number } {
  if (allInt16Integers(data)) return { slope: 1, inter: 0 };
  const [lo, hi] = range;
  if (hi === lo) return { slope: 1, inter: Math.fround(lo) };
  return { slope: Math.fround((hi - lo) / (2 * INT16_MAX)), inter: Math.fround((hi + lo) / 2) };
}

function quantizeInt16(data: Float32Array, slope: number, inter: number): Int16Array {
  const out = new Int16Array(data.length);
  // NaN has no int16; store the code nearest to 0.0 so masks read back as 0-ish, not as garbage.
  const nanCode = Math.max(-INT16_MAX, Math.min(INT16_MAX, Math.round(-inter / slope)));
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    out[i] = Number.isNaN(v) ? nanCode : Math.max(-32768, Math.min(INT16_MAX, Math.round((v - inter) / slope)));
  }
  return out;
}

function littleEndianBytes(values: Float32Array | Int16Array): Uint8Array {
  if (HOST_LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.byteLength);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    if (values instanceof Float32Array) view.setFloat32(4 * i, v, true);
    else view.setInt16(2 * i, v, true);
  });
  return out;
}

/** UTF-8, cut to fit `max` bytes (leaving room for a NUL) without splitting a character. */
function putString(bytes: Uint8Array, at: number, max: number, text: string): void {
  const encoded = new TextEncoder().encode(text);
  let n = Math.min(encoded.length, max - 1);
  while (n > 0 && n < encoded.length && (encoded[n]! & 0xc0) === 0x80) n--;
  bytes.set(encoded.subarray(0, n), at);
}

function checkVolume(volume: Volume, file: string): void {
  const { dims, data, affine } = volume;
  if (dims.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new UhfError('BAD_ARGUMENT', `dims [${dims.join(', ')}] must be positive integers`, { file });
  }
  if (dims.some((n) => n > INT16_MAX)) {
    throw new UhfError('NIFTI_UNSUPPORTED', `dims [${dims.join(', ')}] exceed NIfTI-1's limit of ${INT16_MAX}`, { file });
  }
  const count = dims[0] * dims[1] * dims[2] * dims[3];
  if (data.length !== count) {
    throw new UhfError('SHAPE_MISMATCH', `data has ${data.length} values, dims [${dims.join(', ')}] need ${count}`, {
      file,
    });
  }
  if (affine.length !== 16 || affine.some((v) => !Number.isFinite(v))) {
    throw new UhfError('BAD_ARGUMENT', 'affine must be 16 finite numbers', { file });
  }
}

export function encodeNifti1(volume: Volume, opts: EncodeOptions, file: string): Encoded {
  checkVolume(volume, file);
  const affine: Affine = volume.affine;
  const q = affineToQform(affine);
  if (!q) throw new UhfError('BAD_ARGUMENT', 'affine is singular: no voxel sizes / orientation', { file });

  const range = finiteRange(volume.data);
  let data: Uint8Array;
  let sclSlope = 1;
  let sclInter = 0;
  if (opts.datatype === 'int16') {
    ({ slope: sclSlope, inter: sclInter } = int16Scaling(volume.data, range));
    data = littleEndianBytes(quantizeInt16(volume.data, sclSlope, sclInter));
  } else {
    data = littleEndianBytes(volume.data);
  }

  const header = new Uint8Array(NIFTI1_MIN_VOX_OFFSET); // bytes 348..351: no extensions
  const v = new DataView(header.buffer);
  const i16 = (at: number, x: number) => v.setInt16(at, x, true);
  const f32 = (at: number, x: number) => v.setFloat32(at, x, true);

  v.setInt32(0, NIFTI1_HEADER_SIZE, true);
  header[38] = 0x72; // regular = 'r', as Analyze-era readers expect
  const [nx, ny, nz, nt] = volume.dims;
  const is4d = nt > 1;
  [is4d ? 4 : 3, nx, ny, nz, nt, 1, 1, 1].forEach((d, i) => i16(40 + 2 * i, d));
  opts.intentParams.forEach((p, i) => f32(56 + 4 * i, p));
  i16(68, opts.intentCode);
  i16(70, opts.datatype === 'int16' ? DT_INT16 : DT_FLOAT32);
  i16(72, opts.datatype === 'int16' ? 16 : 32);
  const tr = is4d && opts.trSec !== undefined && opts.trSec > 0 ? opts.trSec : 0;
  [q.qfac, q.zooms[0], q.zooms[1], q.zooms[2], tr, 1, 1, 1].forEach((p, i) => f32(76 + 4 * i, p));
  f32(108, NIFTI1_MIN_VOX_OFFSET);
  f32(112, sclSlope);
  f32(116, sclInter);
  header[123] = UNITS.MM | UNITS.SEC;
  f32(124, opts.calMax ?? range[1]);
  f32(128, opts.calMin ?? range[0]);
  putString(header, 148, 80, opts.description);
  i16(252, opts.qformCode);
  i16(254, opts.sformCode);
  q.quatern.forEach((x, i) => f32(256 + 4 * i, x));
  q.qoffset.forEach((x, i) => f32(268 + 4 * i, x));
  for (let i = 0; i < 12; i++) f32(280 + 4 * i, affine[i]!);
  putString(header, 328, 16, opts.intentName);
  header.set([0x6e, 0x2b, 0x31, 0x00], 344); // "n+1\0": single file
  return { header, data, sclSlope, sclInter };
}
