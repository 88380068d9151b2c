/**
 * `uhf info` for NIfTI: a JSON-able header summary and its text rendering.
 * The voxel data are validated (present, and for gzip decompressible) but
 * not kept, so this is cheap in memory for any file.
 */
import { affineRows } from './affine.ts';
import { intentName, xformName } from './constants.ts';
import { bestAffine, trSeconds, voxelSizeMm, type AffineSource } from './geometry.ts';
import type { NiftiFormat } from './header.ts';
import { loadHeader, truncated } from './read.ts';
import { contentLengthUpTo } from './source.ts';

/** JSON-able summary for `uhf info`. */
export interface NiftiInfo {
  file: string;
  format: NiftiFormat;
  compressed: boolean;
  byteOrder: 'little' | 'big';
  dims: number[];
  voxelSizeMm: [number, number, number];
  spatialUnit: string;
  temporalUnit: string;
  trSec: number | null;
  datatype: string;
  datatypeCode: number;
  bitpix: number;
  affine: number[][];
  affineSource: AffineSource;
  qformCode: number;
  qformName: string | null;
  sformCode: number;
  sformName: string | null;
  sclSlope: number | null;
  sclInter: number | null;
  calMin: number | null;
  calMax: number | null;
  description: string;
  intent: { code: number; name: string | null; params: [number, number, number]; label: string };
  voxOffset: number;
}

const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

/** Header summary of a .nii/.nii.gz; throws NIFTI_INVALID/NIFTI_UNSUPPORTED like readNifti. */
export async function niftiInfo(path: string): Promise<NiftiInfo> {
  const { src, header: h, layout } = await loadHeader(path);
  const end = layout.offset + layout.nbytes;
  const got = await contentLengthUpTo(src, end);
  if (got < end) throw truncated(path, Math.max(0, got - layout.offset), layout);
  const { affine, source } = bestAffine(h, path);
  return {
    file: path,
    format: h.format,
    compressed: src.gzip,
    byteOrder: h.littleEndian ? 'little' : 'big',
    dims: [...h.shape],
    voxelSizeMm: voxelSizeMm(h),
    spatialUnit: h.spatialUnit,
    temporalUnit: h.temporalUnit,
    trSec: trSeconds(h) ?? null,
    datatype: h.datatype,
    datatypeCode: h.datatypeCode,
    bitpix: h.bytesPerVoxel * 8,
    affine: affineRows(affine),
    affineSource: source,
    qformCode: h.qformCode,
    qformName: xformName(h.qformCode) ?? null,
    sformCode: h.sformCode,
    sformName: xformName(h.sformCode) ?? null,
    sclSlope: finiteOrNull(h.sclSlope),
    sclInter: finiteOrNull(h.sclInter),
    calMin: finiteOrNull(h.calMin),
    calMax: finiteOrNull(h.calMax),
    description: h.description,
    intent: {
      code: h.intentCode,
      name: intentName(h.intentCode) ?? null,
      params: [...h.intentParams],
      label: h.intentName,
    },
    voxOffset: h.voxOffset,
  };
}

/** Up to 6 significant digits, without trailing zeros or "-0". */
function num(x: number): string {
  if (Object.is(x, -0) || Math.abs(x) < 1e-12) return '0';
  return String(Number(x.toPrecision(6)));
}

function scalingText(info: NiftiInfo): string {
  const { sclSlope: slope, sclInter: inter } = info;
  // Same rule as the reader: slope 0 or not finite means no scaling.
  if (slope === null || slope === 0 || (slope === 1 && (inter ?? 0) === 0)) return 'none';
  return `× ${num(slope)} + ${num(inter ?? 0)}`;
}

/** The three informative rows with right-aligned columns. */
function affineText(rows: number[][]): string[] {
  const cells = rows.slice(0, 3).map((r) => r.map(num));
  const widths = [0, 1, 2, 3].map((c) => Math.max(...cells.map((r) => r[c]!.length)));
  return cells.map((r) => r.map((v, c) => v.padStart(widths[c]!)).join('  '));
}

/** Human-readable rendering of `niftiInfo`, one "key  value" pair per line. */
export function formatNiftiInfo(info: NiftiInfo): string {
  const code = (c: number, name: string | null) => `${c} (${name ?? 'invalid'})`;
  const unit = info.spatialUnit === 'unknown' ? 'mm (units unknown)' : info.spatialUnit === 'mm' ? 'mm' : `mm (from ${info.spatialUnit})`;
  const rows: [string, string][] = [
    ['file', info.file],
    ['format', `${info.format === 'nifti1' ? 'NIfTI-1' : 'NIfTI-2'}${info.compressed ? ', gzip' : ''}, ${info.byteOrder}-endian`],
    ['dims', info.dims.join(' × ')],
    ['voxel size', `${info.voxelSizeMm.map(num).join(' × ')} ${unit}`],
    ['TR', info.trSec === null ? '-' : `${num(info.trSec)} s`],
    ['datatype', `${info.datatype} (code ${info.datatypeCode}, ${info.bitpix} bit)`],
    ['scaling', scalingText(info)],
    ['qform / sform code', `${code(info.qformCode, info.qformName)} / ${code(info.sformCode, info.sformName)}`],
    ...affineText(info.affine).map((line, i): [string, string] => [i === 0 ? `affine (${info.affineSource})` : '', line]),
  ];
  if (info.intent.code !== 0) {
    const label = info.intent.label ? ` "${info.intent.label}"` : '';
    rows.push(['intent', `${info.intent.name ?? info.intent.code}${label} (${info.intent.params.map(num).join(', ')})`]);
  }
  if (info.description) rows.push(['description', info.description]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

