/**
 * Automatic brain mask from the mean EPI, as nilearn's compute_epi_mask
 * (T. Nichols' heuristic): the threshold sits in the widest gap of the
 * sorted mean intensities between the 20 % and 85 % quantiles; then erosion,
 * largest connected component, and a closing. Voxels with non-finite or
 * constant time series are always excluded.
 */
import { UhfError } from '../../shared/errors.ts';
import { dilate, erode, largestComponent } from './morphology.ts';

export interface EpiMaskOptions {
  lowerCutoff?: number;
  upperCutoff?: number;
  /** Erosion/dilation iterations (nilearn: 2); skipped, with a note, when erosion would empty a thin volume. */
  opening?: number;
  connected?: boolean;
  /** Voxels to leave out whatever their intensity. */
  exclude?: Uint8Array;
}

export interface EpiMask {
  mask: Uint8Array;
  count: number;
  threshold: number;
  notes: string[];
}

export function computeEpiMask(mean: Float32Array, dims: readonly [number, number, number], options: EpiMaskOptions = {}): EpiMask {
  const lower = options.lowerCutoff ?? 0.2;
  const upper = options.upperCutoff ?? 0.85;
  const opening = options.opening ?? 2;
  const connected = options.connected ?? true;
  const exclude = options.exclude;
  const notes: string[] = [];
  const values: number[] = [];
  for (let v = 0; v < mean.length; v++) if (!exclude?.[v] && Number.isFinite(mean[v]!)) values.push(mean[v]!);
  if (values.length < 2) throw new UhfError('UNSUPPORTED_DATA', 'no usable voxels for a brain mask (all NaN/Inf or constant?)');
  const sorted = Float64Array.from(values).sort();
  const lo = Math.floor(lower * sorted.length);
  const hi = Math.min(Math.floor(upper * sorted.length), sorted.length - 1);
  let ia = lo;
  let best = -Infinity;
  for (let i = lo; i < hi; i++) {
    const d = sorted[i + 1]! - sorted[i]!;
    if (d > best) {
      best = d;
      ia = i;
    }
  }
  const threshold = 0.5 * (sorted[ia]! + sorted[Math.min(ia + 1, sorted.length - 1)]!);
  let mask: Uint8Array = new Uint8Array(mean.length);
  for (let v = 0; v < mean.length; v++) if (!exclude?.[v] && mean[v]! >= threshold) mask[v] = 1;

  if (opening > 0) {
    const eroded = erode(mask, dims, opening);
    if (eroded.some((x) => x)) {
      mask = connected ? largestComponent(eroded, dims) : eroded;
      mask = erode(dilate(mask, dims, 2 * opening), dims, opening);
    } else {
      notes.push(`mask opening skipped: ${opening} erosion(s) would empty the mask (volume too thin)`);
      if (connected) mask = largestComponent(mask, dims);
    }
  } else if (connected) mask = largestComponent(mask, dims);
  let count = 0;
  for (let v = 0; v < mask.length; v++) {
    if (exclude?.[v]) mask[v] = 0;
    count += mask[v]!;
  }
  if (count === 0) throw new UhfError('UNSUPPORTED_DATA', 'the automatic brain mask is empty');
  return { mask, count, threshold, notes };
}
