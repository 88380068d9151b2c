/**
 * Per-readout preparation: drop the samples the header marks as discarded.
 * (Readout oversampling is removed later, per image, by the field-of-view crop
 * after the inverse FFT: the same operation, one transform fewer per readout.)
 * data: [cha][samples] interleaved complex.
 */
export interface Readout {
  /** [cha][samples] interleaved complex. */
  data: Float32Array;
  channels: number;
  samples: number;
  /** Index of the k-space centre sample (k = 0) within the readout. */
  centerSample: number;
}

export function discardSamples(r: Readout, pre: number, post: number): Readout {
  if (pre === 0 && post === 0) return r;
  const n = r.samples - pre - post;
  if (n <= 0) return { ...r, data: new Float32Array(0), samples: 0 };
  const out = new Float32Array(2 * r.channels * n);
  for (let c = 0; c < r.channels; c++) out.set(r.data.subarray(2 * (c * r.samples + pre), 2 * (c * r.samples + pre + n)), 2 * c * n);
  return { data: out, channels: r.channels, samples: n, centerSample: r.centerSample - pre };
}
