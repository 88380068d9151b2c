/**
 * writeNifti: a Volume to a NIfTI-1 .nii.gz (or .nii when the name says so),
 * written atomically and never onto an input.
 */
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { UhfError } from '../../../shared/errors.ts';
import type { Volume } from '../../../shared/volume.ts';
import { assertNotInput, writeFileAtomic } from '../atomic.ts';
import { XFORM, xformCodeFrom, xformName, type XformName } from './constants.ts';
import { encodeNifti1, type OutputDatatype } from './encode.ts';

export interface WriteNiftiOptions {
  /** Stored type; default float32 (exact). int16 gets scl_slope/scl_inter spanning the data range. */
  datatype?: OutputDatatype;
  /** Code for both qform and sform; default 'scanner' (1). */
  xformCode?: number | XformName;
  /** Override for the qform code only. */
  qformCode?: number | XformName;
  /** Override for the sform code only. */
  sformCode?: number | XformName;
  /** Defaults to volume.description. */
  description?: string;
  /** Defaults to volume.intentCode (see NIFTI_INTENT). */
  intentCode?: number;
  intentParams?: [number, number, number];
  intentName?: string;
  /** Defaults to volume.trSec; written to pixdim[4] for 4D only. */
  trSec?: number;
  /** Display window; defaults to the finite data range. */
  calMin?: number;
  calMax?: number;
  /** Files the output must not overwrite (the command's inputs). */
  inputs?: readonly string[];
  /** gzip level 1..9, default 6. */
  compressionLevel?: number;
}

export interface WriteNiftiResult {
  path: string;
  compressed: boolean;
  datatype: OutputDatatype;
  sclSlope: number;
  sclInter: number;
}

/** .nii.gz → compressed, .nii → plain, anything else is refused rather than guessed. */
export function niftiOutputKind(path: string): 'nii' | 'nii.gz' {
  const lower = path.toLowerCase();
  if (lower.endsWith('.nii.gz')) return 'nii.gz';
  if (lower.endsWith('.nii')) return 'nii';
  throw new UhfError('BAD_ARGUMENT', 'NIfTI output name must end in .nii.gz or .nii', { file: path });
}

function xformCode(value: number | XformName, path: string): number {
  const code = xformCodeFrom(value);
  if (!Number.isInteger(code) || xformName(code) === undefined) {
    throw new UhfError('BAD_ARGUMENT', `unknown qform/sform code ${String(value)}`, { file: path });
  }
  return code;
}

function gzipStream(parts: readonly Uint8Array[], level: number): AsyncIterable<Uint8Array> {
  // Streams the compressed bytes into the atomic writer instead of building one big buffer.
  return Readable.from(parts).pipe(createGzip({ level }));
}

export async function writeNifti(path: string, volume: Volume, options: WriteNiftiOptions = {}): Promise<WriteNiftiResult> {
  const kind = niftiOutputKind(path);
  if (options.inputs) await assertNotInput(path, options.inputs);
  const both = options.xformCode ?? XFORM.SCANNER_ANAT;
  const datatype = options.datatype ?? 'float32';
  if (datatype !== 'float32' && datatype !== 'int16') {
    throw new UhfError('BAD_ARGUMENT', `output datatype must be float32 or int16, got ${String(datatype)}`, { file: path });
  }
  const trSec = options.trSec ?? volume.trSec;
  const encoded = encodeNifti1(
    volume,
    {
      datatype,
      qformCode: xformCode(options.qformCode ?? both, path),
      sformCode: xformCode(options.sformCode ?? both, path),
      description: options.description ?? volume.description ?? '',
      intentCode: options.intentCode ?? volume.intentCode ?? 0,
      intentParams: options.intentParams ?? volume.intentParams ?? [0, 0, 0],
      intentName: options.intentName ?? volume.intentName ?? '',
      ...(trSec !== undefined ? { trSec } : {}),
      ...(options.calMin !== undefined ? { calMin: options.calMin } : {}),
      ...(options.calMax !== undefined ? { calMax: options.calMax } : {}),
    },
    path,
  );
  const parts = [encoded.header, encoded.data];
  const compressed = kind === 'nii.gz';
  await writeFileAtomic(path, compressed ? gzipStream(parts, options.compressionLevel ?? 6) : parts);
  return { path, compressed, datatype, sclSlope: encoded.sclSlope, sclInter: encoded.sclInter };
}
