/**
 * readNifti / niftiInfo: NIfTI-1 and NIfTI-2, .nii and .nii.gz, into a
 * float32 Volume with nibabel's choice of affine. Every size taken from the
 * header is checked against what the file can hold before anything of that
 * size is allocated.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { Volume } from '../../../shared/volume.ts';
import { NIFTI2_HEADER_SIZE } from './constants.ts';
import { decodeVoxels } from './decode.ts';
import { bestAffine, trSeconds, volumeDims, voxelCount, type AffineSource } from './geometry.ts';
import { parseNiftiHeader, scaling, type NiftiFormat, type NiftiHeader } from './header.ts';
import {
  maxContentLength,
  openNiftiSource,
  readPrefix,
  readRange,
  type NiftiSource,
} from './source.ts';

/** 2^30 voxels = 4 GiB as float32: beyond that a single Volume is not practical here. */
export const MAX_VOXELS = 2 ** 30;

export interface NiftiImage {
  path: string;
  format: NiftiFormat;
  compressed: boolean;
  header: NiftiHeader;
  affineSource: AffineSource;
  volume: Volume;
}

export interface Layout {
  offset: number;
  nbytes: number;
  count: number;
}

/** Open, parse the header, and check the claimed data size against what the file can hold. */
export async function loadHeader(path: string): Promise<{ src: NiftiSource; header: NiftiHeader; layout: Layout }> {
  const src = await openNiftiSource(path);
  // 540 bytes covers either header; a NIfTI-1 file may be shorter than that.
  const header = parseNiftiHeader(await readPrefix(src, NIFTI2_HEADER_SIZE), path);
  const count = voxelCount(header);
  const nbytes = count * header.bytesPerVoxel;
  const end = header.voxOffset + nbytes;
  const limit = maxContentLength(src);
  if (end > limit) {
    const holds = src.gzip ? `at most ${limit} bytes once decompressed` : `${limit} bytes`;
    throw new UhfError(
      'NIFTI_INVALID',
      `header claims [${header.shape.join(', ')}] ${header.datatype} voxels (${nbytes} bytes from offset ` +
        `${header.voxOffset}) but the file holds ${holds}: truncated or corrupt`,
      { file: path },
    );
  }
  return { src, header, layout: { offset: header.voxOffset, nbytes, count } };
}

export function truncated(path: string, got: number, layout: Layout): UhfError {
  return new UhfError(
    'NIFTI_INVALID',
    `truncated voxel data: ${got} of ${layout.nbytes} bytes present after offset ${layout.offset}`,
    { file: path },
  );
}

export async function readNifti(path: string): Promise<NiftiImage> {
  const { src, header, layout } = await loadHeader(path);
  if (!header.datatypeSupported) {
    throw new UhfError('NIFTI_UNSUPPORTED', `datatype ${header.datatype} is not supported (need one real value per voxel)`, {
      file: path,
    });
  }
  const dims = volumeDims(header, path);
  if (layout.count > MAX_VOXELS) {
    throw new UhfError('NIFTI_UNSUPPORTED', `${layout.count} voxels exceed the limit of ${MAX_VOXELS}`, { file: path });
  }
  const { affine, source } = bestAffine(header, path);
  const scale = scaling(header, path);

  const bytes = await readRange(src, layout.offset, layout.nbytes);
  if (bytes.length < layout.nbytes) throw truncated(path, bytes.length, layout);
  const data = decodeVoxels(bytes, {
    datatype: header.datatype,
    bytesPerVoxel: header.bytesPerVoxel,
    littleEndian: header.littleEndian,
    count: layout.count,
    ...(scale ? { scale } : {}),
  });

  const volume: Volume = {
    dims,
    data,
    affine,
    intentCode: header.intentCode,
    intentParams: header.intentParams,
    intentName: header.intentName,
    description: header.description,
  };
  const tr = trSeconds(header);
  if (tr !== undefined) volume.trSec = tr;
  return { path, format: header.format, compressed: src.gzip, header, affineSource: source, volume };
}
