/**
 * SVD / PCA coil compression (pure functions, no I/O), as BART's `cc -S`
 * (Huang F et al., Magn Reson Imaging 2008; 26:133; Buehrer M et al., Magn
 * Reson Med 2007; 57:1131) and Gadgetron's eigen-channel gadget.
 *
 * From calibration samples X (channels × samples, e.g. the central k-space
 * lines laid out [channel][sample]):
 *   Ψ_cal = X·Xᴴ / N   (N = samples),   Ψ_cal = V·Λ·Vᴴ  (λ descending),
 *   A = rows v_kᴴ for k < K    (K×C compression matrix),   y = A·x.
 * Virtual coil k carries the energy λ_k·N = σ_k² (σ_k the k-th singular value
 * of X), and Σ_{k<K} λ_k / Σ λ is the fraction of the calibration energy kept.
 * A is an orthonormal projection (A·Aᴴ = I), so Aᴴ·y is the best rank-K
 * approximation of x, and white noise stays white with the same variance:
 * compress after prewhitening (or use matMul(A, W) as one K×C matrix).
 */
import { UhfError } from '../../shared/errors.ts';
import { hermitianEigen } from '../linalg/eigen.ts';
import { accumulateGram } from '../linalg/gram.ts';
import { applyChannelMatrix } from '../linalg/apply.ts';

export interface CoilCompressionOptions {
  /** Number of virtual coils K (1 ≤ K ≤ channels). Takes precedence over energyFraction. */
  virtualCoils?: number;
  /** Keep the fewest virtual coils holding at least this fraction of the energy, in (0, 1]. */
  energyFraction?: number;
}

export interface CoilCompression {
  /** Physical (input) channels C. */
  readonly channels: number;
  /** Virtual (output) coils K. */
  readonly virtualCoils: number;
  /** K×C complex compression matrix, row-major interleaved float64; row k = v_kᴴ. */
  readonly matrix: Float64Array;
  /** All C eigenvalues of Ψ_cal = X·Xᴴ/N, descending (tiny negative rounding clamped to 0). */
  readonly eigenvalues: Float64Array;
  /** All C singular values of the calibration matrix X: σ_k = sqrt(N·λ_k). */
  readonly singularValues: Float64Array;
  /** Σ_{k<K} λ_k / Σ_k λ_k. */
  readonly energyFraction: number;
  /** C×C unitary matrix whose columns are the eigenvectors v_k (same order as eigenvalues). */
  readonly eigenvectors: Float64Array;
}

/** Ψ_cal = X·Xᴴ / N of calibration samples [channel][sample] (complex channels×channels float64). */
export function calibrationCovariance(data: Float32Array, channels: number, samples: number): Float64Array {
  if (!Number.isInteger(samples) || samples < 1) throw new UhfError('BAD_ARGUMENT', `coil compression: need calibration samples, got ${samples}`);
  const g = new Float64Array(2 * channels * channels);
  accumulateGram(g, data, channels, samples);
  for (let i = 0; i < g.length; i++) g[i]! /= samples;
  return g;
}

/**
 * The fewest leading eigenvalues whose sum reaches `energyFraction` of the
 * total (negative values count as 0; the values are sorted descending first).
 * A relative slack of 1e-12 absorbs rounding, so energyFraction = 1 keeps the
 * numerical rank. Returns at least 1 (also for an all-zero spectrum).
 */
export function chooseVirtualCoils(eigenvalues: ArrayLike<number>, energyFraction: number): number {
  if (!(energyFraction > 0 && energyFraction <= 1)) throw new UhfError('BAD_ARGUMENT', `energy fraction must be in (0, 1], got ${energyFraction}`);
  const n = eigenvalues.length;
  if (n < 1) throw new UhfError('BAD_ARGUMENT', 'chooseVirtualCoils: no eigenvalues');
  const v = Float64Array.from({ length: n }, (_, i) => {
    const x = eigenvalues[i]!;
    if (Number.isNaN(x)) throw new UhfError('BAD_ARGUMENT', `chooseVirtualCoils: eigenvalue ${i} is NaN`);
    return Math.max(0, x);
  }).sort().reverse();
  let total = 0;
  for (let i = 0; i < n; i++) total += v[i]!;
  if (total === 0) return 1;
  const goal = energyFraction * total * (1 - 1e-12);
  let cum = 0;
  for (let k = 0; k < n; k++) {
    cum += v[k]!;
    if (cum >= goal) return k + 1;
  }
  return n;
}

/**
 * Compression from a covariance (Hermitian channels×channels, e.g. from
 * calibrationCovariance or an accumulated Gram matrix) and, for the singular
 * values, the number of samples it averages (default 1: σ_k = sqrt(λ_k)).
 */
export function coilCompressionFromCovariance(cov: ArrayLike<number>, channels: number, opts: CoilCompressionOptions = {}, sampleCount = 1): CoilCompression {
  const C = channels;
  const { values, vectors } = hermitianEigen(cov, C);
  const eigenvalues = values.map((x) => Math.max(0, x));
  let total = 0;
  for (let k = 0; k < C; k++) total += eigenvalues[k]!;
  if (!(total > 0)) throw new UhfError('UNSUPPORTED_DATA', 'coil compression: the calibration data has no energy (all zero)');
  let K: number;
  if (opts.virtualCoils !== undefined) {
    K = opts.virtualCoils;
    if (!Number.isInteger(K) || K < 1 || K > C) throw new UhfError('BAD_ARGUMENT', `coil compression: virtual coils must be 1..${C}, got ${K}`);
  } else if (opts.energyFraction !== undefined) {
    K = chooseVirtualCoils(eigenvalues, opts.energyFraction);
  } else {
    K = C;
  }
  const matrix = new Float64Array(2 * K * C);
  for (let k = 0; k < K; k++) {
    for (let c = 0; c < C; c++) {
      // A[k][c] = conj(V[c][k])
      matrix[2 * (k * C + c)] = vectors[2 * (c * C + k)]!;
      matrix[2 * (k * C + c) + 1] = -vectors[2 * (c * C + k) + 1]!;
    }
  }
  let kept = 0;
  for (let k = 0; k < K; k++) kept += eigenvalues[k]!;
  const singularValues = eigenvalues.map((x) => Math.sqrt(x * sampleCount));
  return { channels: C, virtualCoils: K, matrix, eigenvalues, singularValues, energyFraction: kept / total, eigenvectors: vectors };
}

/**
 * SVD coil compression from calibration samples [channel][sample]
 * (2·channels·samples floats). Options: virtualCoils K, or energyFraction
 * (fewest coils keeping that fraction); neither keeps all C (a rotation into
 * eigen-channels).
 */
export function coilCompression(calib: Float32Array, channels: number, samples: number, opts: CoilCompressionOptions = {}): CoilCompression {
  return coilCompressionFromCovariance(calibrationCovariance(calib, channels, samples), channels, opts, samples);
}

/**
 * Compresses one readout [channel][sample] to [virtual coil][sample]:
 * y = A·x. Writes `out` (length ≥ 2·K·samples; may be `data` itself, the
 * result then in its first K rows) or a new Float32Array.
 */
export function compressCoils(cc: CoilCompression, data: Float32Array, samples: number, out?: Float32Array): Float32Array {
  return applyChannelMatrix(cc.matrix, cc.virtualCoils, cc.channels, data, samples, out);
}
