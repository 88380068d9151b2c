/**
 * What a parsed header means in world terms: which affine to use (nibabel's
 * get_best_affine), voxel sizes in mm, TR in seconds, the 4D volume shape.
 */
import { UhfError } from '../../../shared/errors.ts';
import { asAffine, type Affine } from '../../../shared/volume.ts';
import { fallbackAffine, qformToAffine } from './affine.ts';
import { mmPerSpatialUnit, secondsPerTemporalUnit } from './constants.ts';
import type { NiftiHeader } from './header.ts';

export type AffineSource = 'sform' | 'qform' | 'fallback';

/**
 * sform if sform_code ≠ 0, else qform if qform_code ≠ 0, else the pixdim
 * fallback — exactly nibabel's order. Units are not applied: like nibabel,
 * FSL and SPM, the affine is taken to be in mm whatever xyzt_units says.
 */
export function bestAffine(h: NiftiHeader, file: string): { affine: Affine; source: AffineSource } {
  if (h.sformCode !== 0) return { affine: asAffine([...h.srow, 0, 0, 0, 1]), source: 'sform' };
  if (h.qformCode !== 0) return { affine: qformAffine(h, file), source: 'qform' };
  return { affine: fallbackAffine(h.shape, h.pixdim), source: 'fallback' };
}

/** The qform matrix whatever qform_code says (nibabel's get_qform). */
export function qformAffine(h: NiftiHeader, file: string): Affine {
  const affine = qformToAffine({
    quatern: h.quatern,
    qoffset: h.qoffset,
    zooms: [h.pixdim[1]!, h.pixdim[2]!, h.pixdim[3]!],
    qfac: h.pixdim[0]!,
  });
  if (!affine) {
    throw new UhfError('NIFTI_INVALID', `qform quaternion (${h.quatern.join(', ')}) is not a unit quaternion`, {
      file,
    });
  }
  return affine;
}

/** sform matrix whatever sform_code says (nibabel's get_sform). */
export function sformAffine(h: NiftiHeader): Affine {
  return asAffine([...h.srow, 0, 0, 0, 1]);
}

/** [nx, ny, nz, nt]; dimensions 5..7 must be singleton since Volume is 4D. */
export function volumeDims(h: NiftiHeader, file: string): [number, number, number, number] {
  const extra = h.shape.slice(4).reduce((a, b) => a * b, 1);
  if (extra > 1) {
    throw new UhfError('NIFTI_UNSUPPORTED', `${h.shape.length}D image [${h.shape.join(', ')}]; at most 4D is supported`, {
      file,
    });
  }
  const d = (i: number) => h.shape[i] ?? 1;
  return [d(0), d(1), d(2), d(3)];
}

export function voxelCount(h: NiftiHeader): number {
  return h.shape.reduce((a, b) => a * b, 1);
}

/** pixdim[1..3] converted from xyzt_units to mm. */
export function voxelSizeMm(h: NiftiHeader): [number, number, number] {
  const k = mmPerSpatialUnit(h.spatialUnit);
  return [1, 2, 3].map((i) => tidy(h, h.pixdim[i]! * k)) as [number, number, number];
}

/** pixdim[4] in seconds for images with a 4th dimension; undefined when absent, ≤ 0 or not a time unit. */
export function trSeconds(h: NiftiHeader): number | undefined {
  if (h.shape.length < 4) return undefined;
  const k = secondsPerTemporalUnit(h.temporalUnit);
  const raw = h.pixdim[4]!;
  if (k === undefined || !(raw > 0) || !Number.isFinite(raw)) return undefined;
  return tidy(h, raw * k);
}

/**
 * NIfTI-1 stores float32, so 0.7 reads back as 0.699999988; report the
 * shortest decimal that maps to the same float32 instead (not for NIfTI-2,
 * whose fields are float64).
 */
function tidy(h: NiftiHeader, x: number): number {
  if (h.format !== 'nifti1' || !Number.isFinite(x)) return x;
  const target = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(x.toPrecision(p));
    if (Math.fround(candidate) === target) return candidate;
  }
  return x;
}
