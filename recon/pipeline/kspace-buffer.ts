/** One image's k-space, filled readout by readout. */
import type { AcquisitionHeader } from '../../shared/ismrmrd.ts';

/** Which image a readout belongs to (ISMRMRD idx counters; averages are summed). */
export interface ImageKey {
  slice: number;
  contrast: number;
  phase: number;
  repetition: number;
  set: number;
}

export function imageKeyOf(h: AcquisitionHeader): ImageKey {
  const { slice, contrast, phase, repetition, set } = h.idx;
  return { slice, contrast, phase, repetition, set };
}

export function keyString(k: ImageKey): string {
  return `${k.slice}/${k.contrast}/${k.phase}/${k.repetition}/${k.set}`;
}

export interface KspaceBuffer {
  key: ImageKey;
  /** [ro, e1, e2, cha] */
  dims: [number, number, number, number];
  /** [ro, e1, e2, cha] interleaved complex. */
  data: Float32Array;
  /** Readouts summed into each (e1, e2) line: [e1, e2]. 0 = not sampled. */
  lineCount: Uint16Array;
  /** Range of readout samples that held data (asymmetric echo), inclusive. */
  roRange: [number, number];
  /** Header of the first imaging readout: geometry and timing of this image. */
  first: AcquisitionHeader;
}

export function newBuffer(key: ImageKey, dims: [number, number, number, number], first: AcquisitionHeader): KspaceBuffer {
  return {
    key,
    dims,
    data: new Float32Array(2 * dims[0] * dims[1] * dims[2] * dims[3]),
    lineCount: new Uint16Array(dims[1] * dims[2]),
    roRange: [dims[0], -1],
    first,
  };
}

/** Sampled (e1, e2) extent, inclusive; null when empty. */
export function sampledExtent(b: KspaceBuffer): { e1: [number, number]; e2: [number, number] } | null {
  const [, n1, n2] = b.dims;
  let e1 = [n1, -1];
  let e2 = [n2, -1];
  for (let k = 0; k < n2; k++) {
    for (let j = 0; j < n1; j++) {
      if (b.lineCount[j + n1 * k]) {
        e1 = [Math.min(e1[0]!, j), Math.max(e1[1]!, j)];
        e2 = [Math.min(e2[0]!, k), Math.max(e2[1]!, k)];
      }
    }
  }
  return e1[1]! < 0 ? null : { e1: e1 as [number, number], e2: e2 as [number, number] };
}

/** Divide lines acquired more than once (averages) by their count. */
export function normaliseAverages(b: KspaceBuffer): void {
  const [n0, n1, n2, nc] = b.dims;
  for (let line = 0; line < n1 * n2; line++) {
    const count = b.lineCount[line]!;
    if (count <= 1) continue;
    const inv = 1 / count;
    for (let c = 0; c < nc; c++) {
      const at = 2 * n0 * (line + n1 * n2 * c);
      for (let i = 0; i < 2 * n0; i++) b.data[at + i]! *= inv;
    }
  }
}

/** An axis counts as partial Fourier when one side of the centre is < 90 % of the other. */
function asymmetric(range: readonly [number, number], n: number): boolean {
  const c = Math.floor(n / 2);
  const lo = c - range[0];
  const hi = range[1] - c;
  return Math.min(lo, hi) < 0.9 * Math.max(lo, hi) && range[0] <= c && range[1] >= c;
}

/**
 * The partial-Fourier axes of a buffer and their sampled ranges (asymmetric
 * echo along the readout, partial Fourier along e1 and, for 3D, e2).
 */
export function partialFourierRanges(b: KspaceBuffer, is3D: boolean): { ranges: { ro?: [number, number]; e1?: [number, number]; e2?: [number, number] }; axes: string[] } {
  const [n0, n1, n2] = b.dims;
  const ranges: { ro?: [number, number]; e1?: [number, number]; e2?: [number, number] } = {};
  const axes: string[] = [];
  const ext = sampledExtent(b);
  if (!ext) return { ranges, axes };
  if (b.roRange[1] >= 0 && asymmetric(b.roRange, n0)) {
    ranges.ro = b.roRange;
    axes.push('readout');
  }
  if (asymmetric(ext.e1, n1)) {
    ranges.e1 = ext.e1;
    axes.push('e1');
  }
  if (is3D && asymmetric(ext.e2, n2)) {
    ranges.e2 = ext.e2;
    axes.push('e2');
  }
  return { ranges, axes };
}
