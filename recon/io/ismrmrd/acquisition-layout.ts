/**
 * Byte layout of one `/dataset/data` row in WASM memory, taken from the file's own
 * datatype (member offsets by name), so files from any writer with the ISMRMRD v1
 * member names and widths decode correctly whatever their padding.
 *
 * Row: { head: AcquisitionHeader (compound), traj: hvl_t<float>, data: hvl_t<float> }.
 * hvl_t on wasm32 is { len: u32 (element count), p: u32 (pointer) }.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { H5Metadata } from './h5-module.ts';

export type ScalarKind = 'u16' | 'u32' | 'u64' | 'i32' | 'f32';

const KIND_BYTES: Record<ScalarKind, number> = { u16: 2, u32: 4, u64: 8, i32: 4, f32: 4 };

/** [file member name, kind, element count] in ISMRMRD v1 order. */
export const HEAD_FIELDS = [
  ['version', 'u16', 1],
  ['flags', 'u64', 1],
  ['measurement_uid', 'u32', 1],
  ['scan_counter', 'u32', 1],
  ['acquisition_time_stamp', 'u32', 1],
  ['physiology_time_stamp', 'u32', 3],
  ['number_of_samples', 'u16', 1],
  ['available_channels', 'u16', 1],
  ['active_channels', 'u16', 1],
  ['channel_mask', 'u64', 16],
  ['discard_pre', 'u16', 1],
  ['discard_post', 'u16', 1],
  ['center_sample', 'u16', 1],
  ['encoding_space_ref', 'u16', 1],
  ['trajectory_dimensions', 'u16', 1],
  ['sample_time_us', 'f32', 1],
  ['position', 'f32', 3],
  ['read_dir', 'f32', 3],
  ['phase_dir', 'f32', 3],
  ['slice_dir', 'f32', 3],
  ['patient_table_position', 'f32', 3],
  ['idx', 'idx', 1],
  ['user_int', 'i32', 8],
  ['user_float', 'f32', 8],
] as const;

export const IDX_FIELDS = [
  ['kspace_encode_step_1', 'u16', 1],
  ['kspace_encode_step_2', 'u16', 1],
  ['average', 'u16', 1],
  ['slice', 'u16', 1],
  ['contrast', 'u16', 1],
  ['phase', 'u16', 1],
  ['repetition', 'u16', 1],
  ['set', 'u16', 1],
  ['segment', 'u16', 1],
  ['user', 'u16', 8],
] as const;

export type HeadFieldName = (typeof HEAD_FIELDS)[number][0];
export type IdxFieldName = (typeof IDX_FIELDS)[number][0];

export interface AcquisitionLayout {
  rowBytes: number;
  head: Record<HeadFieldName, number>;
  idx: Record<IdxFieldName, number>;
  traj: number;
  data: number;
}

function members(md: H5Metadata, what: string, file: string): Map<string, H5Metadata & { offset: number }> {
  if (!md.compound_type) {
    throw new UhfError('INGEST_UNSUPPORTED', `${what} is not a compound type: not an ISMRMRD v1 acquisition table`, { file });
  }
  return new Map(md.compound_type.members.map((m) => [m.name, m]));
}

function offsetsOf<N extends string>(
  fields: readonly (readonly [N, string, number])[],
  md: H5Metadata,
  what: string,
  file: string,
): Record<N, number> {
  const byName = members(md, what, file);
  const out = {} as Record<N, number>;
  for (const [name, kind, count] of fields) {
    const m = byName.get(name);
    if (!m) throw new UhfError('INGEST_UNSUPPORTED', `${what} has no member "${name}": not an ISMRMRD v1 file`, { file });
    if (kind !== 'idx') {
      const expected = KIND_BYTES[kind as ScalarKind] * count;
      if (m.size !== expected) {
        throw new UhfError('INGEST_UNSUPPORTED', `${what}.${name} is ${m.size} bytes, ISMRMRD v1 has ${expected}`, { file });
      }
    }
    out[name] = m.offset;
  }
  return out;
}

export function acquisitionLayout(md: H5Metadata, file: string): AcquisitionLayout {
  const row = members(md, '/dataset/data', file);
  const head = row.get('head');
  const traj = row.get('traj');
  const data = row.get('data');
  if (!head || !traj || !data) {
    throw new UhfError('INGEST_UNSUPPORTED', '/dataset/data lacks head/traj/data members: not an ISMRMRD v1 file', { file });
  }
  if (!traj.vlen && traj.type !== 9) throw new UhfError('INGEST_UNSUPPORTED', 'traj is not variable-length', { file });
  if (!data.vlen && data.type !== 9) throw new UhfError('INGEST_UNSUPPORTED', 'data is not variable-length', { file });
  const headOffsets = offsetsOf(HEAD_FIELDS, head, 'head', file);
  const idxMeta = members(head, 'head', file).get('idx')!;
  const idxOffsets = offsetsOf(IDX_FIELDS, idxMeta, 'head.idx', file);
  const shift = <N extends string>(o: Record<N, number>, by: number) => {
    for (const k of Object.keys(o) as N[]) o[k] += by;
    return o;
  };
  return {
    rowBytes: md.size,
    head: shift(headOffsets, head.offset),
    idx: shift(idxOffsets, head.offset + headOffsets.idx),
    traj: traj.offset,
    data: data.offset,
  };
}
