/**
 * Sanity limits on a parsed header: sizes a scanner can produce, with wide margins.
 * A header outside them is corrupt or hostile, and must not drive an allocation.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { IsmrmrdHeader } from '../../../shared/ismrmrd.ts';

/** Largest matrix dimension accepted (real scans stay below ~2048). */
export const MAX_MATRIX_DIM = 16384;
/** Largest voxel count of one encoded volume (2^31 samples per coil). */
export const MAX_MATRIX_VOXELS = 2 ** 31;
export const MAX_CHANNELS = 1024;

export function checkHeaderLimits(h: IsmrmrdHeader, file: string): void {
  h.encoding.forEach((enc, e) => {
    for (const [space, s] of [['encodedSpace', enc.encodedSpace], ['reconSpace', enc.reconSpace]] as const) {
      const { x, y, z } = s.matrixSize;
      for (const [axis, n] of [['x', x], ['y', y], ['z', z]] as const) {
        if (!Number.isInteger(n) || n < 1 || n > MAX_MATRIX_DIM) {
          throw new UhfError('INGEST_ABSURD_SIZE', `encoding ${e} ${space} matrix ${axis} = ${n} (allowed 1..${MAX_MATRIX_DIM})`, { file });
        }
      }
      if (x * y * z > MAX_MATRIX_VOXELS) {
        throw new UhfError('INGEST_ABSURD_SIZE', `encoding ${e} ${space} matrix ${x}×${y}×${z} is too large`, { file });
      }
      const fov = s.fieldOfViewMm;
      if (![fov.x, fov.y, fov.z].every((v) => Number.isFinite(v) && v >= 0 && v < 1e5)) {
        throw new UhfError('INGEST_BAD_HEADER', `encoding ${e} ${space} field of view ${fov.x}×${fov.y}×${fov.z} mm is not plausible`, { file });
      }
    }
  });
  const ch = h.acquisitionSystemInformation?.receiverChannels;
  if (ch !== undefined && (!Number.isInteger(ch) || ch < 0 || ch > MAX_CHANNELS)) {
    throw new UhfError('INGEST_ABSURD_SIZE', `receiverChannels = ${ch} (allowed 0..${MAX_CHANNELS})`, { file });
  }
}
