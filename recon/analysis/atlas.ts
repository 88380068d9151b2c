/**
 * Anatomical labels at MNI coordinates from a label atlas, by default the AAL
 * atlas shipped in Debian's mricron-data (aal.nii.gz + aal.nii.txt, lines
 * "index name code"). Lookup is nearest-voxel through the atlas's affine.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UhfError } from '../../shared/errors.ts';
import type { Affine } from '../../shared/volume.ts';
import { readNifti } from '../io/nifti/index.ts';

export const MRICRON_TEMPLATES = '/usr/share/mricron/templates';

export interface LabelAtlas {
  name: string;
  dims: [number, number, number];
  data: Float32Array;
  /** world mm → voxel, 3 × 4 row-major. */
  worldToVoxel: number[];
  labels: Map<number, string>;
}

/** "index name [code]" per line; blank lines ignored. */
export function parseLabelTable(text: string): Map<number, string> {
  const labels = new Map<number, string>();
  for (const line of text.split(/\r?\n|\r/)) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2) continue;
    const index = Number(parts[0]);
    if (Number.isInteger(index)) labels.set(index, parts[1]!);
  }
  return labels;
}

/** Inverse of an affine's 3 × 4 part (voxel → world) as world → voxel, 3 × 4. */
export function invertAffine(a: Affine): number[] {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = a as unknown as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
  const det = m00 * (m11 * m22 - m12 * m21) - m01 * (m10 * m22 - m12 * m20) + m02 * (m10 * m21 - m11 * m20);
  if (!(Math.abs(det) > 0)) throw new UhfError('UNSUPPORTED_DATA', 'singular affine');
  const inv = [
    (m11 * m22 - m12 * m21) / det,
    (m02 * m21 - m01 * m22) / det,
    (m01 * m12 - m02 * m11) / det,
    (m12 * m20 - m10 * m22) / det,
    (m00 * m22 - m02 * m20) / det,
    (m02 * m10 - m00 * m12) / det,
    (m10 * m21 - m11 * m20) / det,
    (m01 * m20 - m00 * m21) / det,
    (m00 * m11 - m01 * m10) / det,
  ];
  const out: number[] = [];
  for (let r = 0; r < 3; r++) {
    const row = inv.slice(3 * r, 3 * r + 3) as [number, number, number];
    out.push(...row, -(row[0] * t0 + row[1] * t1 + row[2] * t2));
  }
  return out;
}

export async function loadLabelAtlas(imagePath: string, labelsPath: string, name: string): Promise<LabelAtlas> {
  const img = await readNifti(imagePath);
  const [nx, ny, nz] = img.volume.dims;
  let text: string;
  try {
    text = await readFile(labelsPath, 'utf8');
  } catch (e) {
    throw new UhfError('BAD_ARGUMENT', `cannot read atlas labels: ${(e as Error).message}`, { file: labelsPath });
  }
  return { name, dims: [nx, ny, nz], data: img.volume.data, worldToVoxel: invertAffine(img.volume.affine), labels: parseLabelTable(text) };
}

/** The AAL atlas from mricron-data (1 mm MNI, 116 regions). */
export function loadAalAtlas(dir = MRICRON_TEMPLATES): Promise<LabelAtlas> {
  return loadLabelAtlas(join(dir, 'aal.nii.gz'), join(dir, 'aal.nii.txt'), 'AAL');
}

/** Label at an MNI coordinate: the region name, 'unlabelled' (value 0), or 'outside atlas'. */
export function atlasLabelAt(atlas: LabelAtlas, mm: readonly [number, number, number]): string {
  const w = atlas.worldToVoxel;
  const idx = [0, 1, 2].map((r) => Math.round(w[4 * r]! * mm[0] + w[4 * r + 1]! * mm[1] + w[4 * r + 2]! * mm[2] + w[4 * r + 3]!));
  const [i, j, k] = idx as [number, number, number];
  const [nx, ny, nz] = atlas.dims;
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return 'outside atlas';
  const value = Math.round(atlas.data[i + nx * (j + ny * k)]!);
  if (value === 0) return 'unlabelled';
  return atlas.labels.get(value) ?? `label ${value}`;
}
