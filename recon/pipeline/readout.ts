/**
 * Per-readout preparation: drop discarded samples, then remove readout
 * oversampling by cropping the centre of the readout's image-space profile
 * (IFFT → crop → FFT, as Gadgetron's RemoveROOversampling does).
 * data: [cha][samples] interleaved complex.
 */
import { fftc, ifftc } from '../fft/index.ts';

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

/**
 * Keep `keepFraction` of the readout's field of view (e.g. 0.5 for 2× oversampling).
 * The k-space centre moves with the decimation: its offset from the middle scales.
 */
export function removeOversampling(r: Readout, keepFraction: number): Readout {
  if (keepFraction >= 1 || r.samples === 0) return r;
  const n = r.samples;
  const m = Math.round(n * keepFraction);
  const work = Float32Array.from(r.data);
  ifftc(work, [n, r.channels], [0]);
  const out = new Float32Array(2 * r.channels * m);
  const first = Math.floor(n / 2) - Math.floor(m / 2);
  for (let c = 0; c < r.channels; c++) out.set(work.subarray(2 * (c * n + first), 2 * (c * n + first + m)), 2 * c * m);
  // Orthonormal transforms keep white noise at its per-sample variance, so whitened
  // data stay in SNR units; the signal gains sqrt(n/m), as averaging should give.
  fftc(out, [m, r.channels], [0]);
  const centerSample = Math.round(Math.floor(m / 2) + (r.centerSample - Math.floor(n / 2)) * (m / n));
  return { data: out, channels: r.channels, samples: m, centerSample };
}
