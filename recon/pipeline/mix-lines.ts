/**
 * Channel mixing (prewhitening, coil compression) of undersampled k-space,
 * where most lines are empty and stay so.
 */
import { applyChannelMatrix } from '../linalg/apply.ts';

/** rows × cols complex, row-major: out = m·in per sample. */
export interface ChannelMatrix {
  m: Float64Array;
  rows: number;
  cols: number;
}

/**
 * The channel matrix applied to the acquired lines only (lineCount > 0) of
 * k-space [ro, e1, e2, cha]: gathered into [cha][samples], mixed, scattered
 * into a new [ro, e1, e2, rows] array whose other lines are zero.
 */
export function mixAcquiredLines(mix: ChannelMatrix, data: Float32Array, dims: readonly [number, number, number, number], lineCount: Uint16Array): Float32Array {
  const [n0, n1, n2, nc] = dims;
  const lines: number[] = [];
  for (let l = 0; l < n1 * n2; l++) if (lineCount[l]) lines.push(l);
  const L = lines.length, perLine = 2 * n0, vol = n0 * n1 * n2;
  const packed = new Float32Array(2 * nc * L * n0);
  for (let c = 0; c < nc; c++) {
    for (let i = 0; i < L; i++) {
      const src = 2 * (n0 * lines[i]! + vol * c);
      packed.set(data.subarray(src, src + perLine), perLine * (i + L * c));
    }
  }
  const mixed = applyChannelMatrix(mix.m, mix.rows, mix.cols, packed, L * n0, packed);
  const out = new Float32Array(2 * vol * mix.rows);
  for (let c = 0; c < mix.rows; c++) {
    for (let i = 0; i < L; i++) {
      const src = perLine * (i + L * c);
      out.set(mixed.subarray(src, src + perLine), 2 * (n0 * lines[i]! + vol * c));
    }
  }
  return out;
}
