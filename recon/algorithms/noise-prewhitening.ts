/**
 * Noise prewhitening (pure functions, no I/O), as Gadgetron's NoiseAdjustGadget
 * does it (Kellman P, McVeigh ER. Image reconstruction in SNR units: a general
 * method for SNR measurement. Magn Reson Med 2005; 54:1439–1447).
 *
 * 1. Accumulate the receiver noise covariance over the noise readouts:
 *      Ψ[i][j] = (1/N) Σ_s n_i[s]·conj(n_j[s])      (N = all noise samples)
 *    (zero-mean noise assumed, as Gadgetron and BART do; Gadgetron and BART
 *    divide by N − 1 instead of N, a relative difference of 1/N.)
 * 2. Cholesky Ψ = L·Lᴴ and the prewhitener  W = s · L⁻¹  (lower triangular) with
 *      s = sqrt(2 · dataDwellUs / noiseDwellUs · receiverNoiseBandwidth)
 *    (s = 1 when either dwell time is 0 / unknown), Gadgetron's noise_bw_scale_factor.
 * 3. Per readout, y = W·x on data [channel][sample].
 *
 * Scaling, i.e. what "SNR units" means here. With equal dwell times and
 * receiverNoiseBandwidth = 1, the whitened noise of every channel has complex
 * variance E|y|² = 2, i.e. variance 1 in the real and in the imaginary part,
 * and no correlation between channels: E[y·yᴴ] = 2·I. Noise power scales as
 * 1/dwell (bandwidth = 1/dwell), so imaging readouts sampled with a shorter
 * dwell than the noise scan carry proportionally more noise; the factor
 * dataDwell/noiseDwell inside s compensates exactly, so the whitened imaging
 * noise still has unit variance per real component. receiverNoiseBandwidth is
 * the ISMRMRD header's acquisitionSystemInformation.relativeReceiverNoiseBandwidth:
 * the noise-equivalent bandwidth of the receiver chain relative to the nominal
 * sampling bandwidth 1/dwell. When the header lacks it, Gadgetron uses 0.793
 * (NoiseAdjustGadget::process_config, a Siemens receiver value), and so do we:
 * DEFAULT_RECEIVER_NOISE_BANDWIDTH.
 *
 * Relation to BART: `bart whiten <in> <noise> <out>` applies inv(chol(Ψ_b))
 * with Ψ_b = Σ n·nᴴ/(N − 1), i.e. W_bart = W_ours · sqrt((N − 1)/N) / s: its
 * whitened noise has complex variance 1 (½ per real component), ours 2 (1 per
 * component) at s = √2 (`-n` rescales BART's output by the measured standard
 * deviation of the whitened noise scan, ≈ 1). Tested against bart whiten.
 */
import { UhfError } from '../../shared/errors.ts';
import { choleskyLower, invertLowerTriangular } from '../linalg/cholesky.ts';
import { accumulateGram } from '../linalg/gram.ts';
import { applyChannelMatrix } from '../linalg/apply.ts';

/** Gadgetron's relativeReceiverNoiseBandwidth default when the header lacks it. */
export const DEFAULT_RECEIVER_NOISE_BANDWIDTH = 0.793;

/**
 * Running accumulator of Σ n·nᴴ over noise readouts ([channel][sample]
 * interleaved complex float32), float64 throughout.
 */
export class NoiseCovariance {
  readonly channels: number;
  /** Σ n·nᴴ (complex channels×channels, row-major interleaved). */
  private readonly sum: Float64Array;
  private samples = 0;
  private readouts = 0;
  private dwell = 0;

  constructor(channels: number) {
    if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `NoiseCovariance: bad channel count ${channels}`);
    this.channels = channels;
    this.sum = new Float64Array(2 * channels * channels);
  }

  /**
   * A covariance known already (e.g. stored from an earlier noise scan):
   * Ψ (complex channels×channels), the number of samples it averages, its dwell time.
   */
  static fromCovariance(psi: ArrayLike<number>, channels: number, count: number, dwellUs = 0): NoiseCovariance {
    const c = new NoiseCovariance(channels);
    if (psi.length !== 2 * channels * channels) throw new UhfError('SHAPE_MISMATCH', `NoiseCovariance.fromCovariance: ${psi.length / 2} values, expected ${channels}×${channels}`);
    if (!Number.isInteger(count) || count < 1) throw new UhfError('BAD_ARGUMENT', `NoiseCovariance.fromCovariance: bad sample count ${count}`);
    for (let i = 0; i < psi.length; i++) c.sum[i] = psi[i]! * count;
    c.samples = count;
    c.readouts = 1;
    c.setDwell(dwellUs);
    return c;
  }

  /**
   * Adds one noise readout: `data` is [channel][sample], 2·channels·samples
   * floats. `dwellUs` is its sample time (ISMRMRD sample_time_us); 0 = unknown.
   * All readouts must share one dwell time (a mismatch is UNSUPPORTED_DATA:
   * their noise levels differ by the dwell ratio and would be averaged wrongly).
   */
  add(data: Float32Array, channels: number, samples: number, dwellUs = 0): void {
    if (channels !== this.channels) {
      throw new UhfError('SHAPE_MISMATCH', `noise readout has ${channels} channels, the noise covariance ${this.channels}`);
    }
    this.setDwell(dwellUs);
    accumulateGram(this.sum, data, channels, samples);
    this.samples += samples;
    this.readouts++;
  }

  private setDwell(dwellUs: number): void {
    if (!(dwellUs >= 0) || !Number.isFinite(dwellUs)) throw new UhfError('BAD_ARGUMENT', `noise dwell time must be ≥ 0 µs, got ${dwellUs}`);
    if (dwellUs === 0) return;
    if (this.dwell === 0) this.dwell = dwellUs;
    else if (Math.abs(dwellUs - this.dwell) > 1e-6 * this.dwell) {
      throw new UhfError('UNSUPPORTED_DATA', `noise readouts with different dwell times (${this.dwell} µs and ${dwellUs} µs)`);
    }
  }

  /** Number of noise samples (per channel) accumulated. */
  get count(): number {
    return this.samples;
  }

  /** Number of noise readouts added. */
  get readoutCount(): number {
    return this.readouts;
  }

  /** Dwell time of the noise readouts in µs (0 when none was given). */
  get dwellUs(): number {
    return this.dwell;
  }

  /** Ψ = Σ n·nᴴ / count (a new complex channels×channels Float64Array). Throws when empty. */
  covariance(): Float64Array {
    if (this.samples === 0) throw new UhfError('UNSUPPORTED_DATA', 'noise covariance: no noise samples accumulated');
    const out = new Float64Array(this.sum.length);
    const f = 1 / this.samples;
    for (let i = 0; i < out.length; i++) out[i] = this.sum[i]! * f;
    return out;
  }

  /** Channel noise standard deviations sqrt(Ψ[c][c]) (complex, i.e. sqrt(E|n_c|²)). */
  channelSigmas(): Float64Array {
    const psi = this.covariance();
    const n = this.channels;
    const out = new Float64Array(n);
    for (let c = 0; c < n; c++) out[c] = Math.sqrt(psi[2 * (c * n + c)]!);
    return out;
  }

  /** Adds another accumulator's samples (same channels, same dwell). */
  merge(other: NoiseCovariance): void {
    if (other.channels !== this.channels) throw new UhfError('SHAPE_MISMATCH', `cannot merge noise covariances of ${other.channels} and ${this.channels} channels`);
    this.setDwell(other.dwell);
    for (let i = 0; i < this.sum.length; i++) this.sum[i]! += other.sum[i]!;
    this.samples += other.samples;
    this.readouts += other.readouts;
  }
}

export interface PrewhitenerOptions {
  /** Dwell time of the noise readouts (µs); default: the accumulator's. 0 = unknown. */
  noiseDwellUs?: number;
  /** Dwell time of the imaging readouts to be whitened (µs); 0 = unknown. */
  dataDwellUs: number;
  /** relativeReceiverNoiseBandwidth; undefined → DEFAULT_RECEIVER_NOISE_BANDWIDTH (0.793). */
  receiverNoiseBandwidth?: number;
}

export interface Prewhitener {
  readonly channels: number;
  /**
   * W = scale·L⁻¹: complex channels×channels, row-major interleaved, lower
   * triangular (float64). y = W·x.
   */
  readonly matrix: Float64Array;
  /** The bandwidth factor s applied (1 when a dwell time is unknown). */
  readonly scale: number;
}

/** Gadgetron's noise_bw_scale_factor: sqrt(2·dataDwell/noiseDwell·rnb), or 1 when a dwell time is 0. */
export function bandwidthScale(noiseDwellUs: number, dataDwellUs: number, receiverNoiseBandwidth = DEFAULT_RECEIVER_NOISE_BANDWIDTH): number {
  for (const [name, v] of [['noise dwell time', noiseDwellUs], ['data dwell time', dataDwellUs]] as const) {
    if (!(v >= 0) || !Number.isFinite(v)) throw new UhfError('BAD_ARGUMENT', `${name} must be ≥ 0 µs, got ${v}`);
  }
  if (!(receiverNoiseBandwidth > 0) || !Number.isFinite(receiverNoiseBandwidth)) {
    throw new UhfError('BAD_ARGUMENT', `relative receiver noise bandwidth must be > 0, got ${receiverNoiseBandwidth}`);
  }
  if (noiseDwellUs === 0 || dataDwellUs === 0) return 1;
  return Math.sqrt((2 * dataDwellUs / noiseDwellUs) * receiverNoiseBandwidth);
}

/**
 * The prewhitening matrix W = s·L⁻¹ (Ψ = L·Lᴴ) from an accumulator, or from
 * a covariance matrix given as { psi, channels, dwellUs? }.
 * A dead or duplicated channel makes Ψ singular: UhfError('UNSUPPORTED_DATA')
 * naming the channel.
 */
export function prewhitener(
  cov: NoiseCovariance | { psi: ArrayLike<number>; channels: number; dwellUs?: number },
  opts: PrewhitenerOptions,
): Prewhitener {
  const channels = cov.channels;
  const psi = cov instanceof NoiseCovariance ? cov.covariance() : cov.psi;
  const noiseDwell = opts.noiseDwellUs ?? cov.dwellUs ?? 0;
  const scale = bandwidthScale(noiseDwell, opts.dataDwellUs, opts.receiverNoiseBandwidth ?? DEFAULT_RECEIVER_NOISE_BANDWIDTH);
  const L = choleskyLower(psi, channels, { what: 'noise covariance' });
  const W = invertLowerTriangular(L, channels);
  if (scale !== 1) for (let i = 0; i < W.length; i++) W[i]! *= scale;
  return { channels, matrix: W, scale };
}

/**
 * Whitens one readout: y = W·x for data [channel][sample] (2·channels·samples
 * floats). IN PLACE by default (returns `data`); pass `out` (same length) to
 * keep the input. `W` is a Prewhitener or a raw channels×channels matrix.
 */
export function applyPrewhitener(
  W: Prewhitener | ArrayLike<number>,
  data: Float32Array,
  channels: number,
  samples: number,
  out: Float32Array = data,
): Float32Array {
  const m = 'matrix' in W ? W.matrix : W;
  if ('matrix' in W && W.channels !== channels) {
    throw new UhfError('SHAPE_MISMATCH', `prewhitener is for ${W.channels} channels, the readout has ${channels}`);
  }
  if (out !== data && out.length !== data.length) throw new UhfError('SHAPE_MISMATCH', `applyPrewhitener: out has length ${out.length}, expected ${data.length}`);
  return applyChannelMatrix(m, channels, channels, data, samples, out);
}
