/**
 * Receiver noise: a realistic channel covariance Ψ (Hermitian positive
 * definite, unequal channel levels, correlation between geometric
 * neighbours), its Cholesky factor, and correlated complex Gaussian noise.
 *
 * Matrices are complex, row-major, interleaved: m[2·(r·n + c)] (+1 imag).
 *
 * Model: Ψ_cd = σ_c σ_d ρ_cd with ρ = normalised A·Aᴴ,
 * A_cd = δ_cd + κ·exp(−(d_cd / L)²)·exp(i·θ_cd) (d_cd distance between loop
 * centres, L the mean nearest-neighbour distance, θ_cd a small random
 * coupling phase). κ is found by bisection so that the mean |ρ| between each
 * coil and its nearest neighbour equals `neighbourCorrelation`. Channel
 * levels σ_c = σ·g_c, g_c spread by ±`levelSpread` and normalised so
 * mean(g_c²) = 1, i.e. σ is the RMS channel noise standard deviation.
 *
 * Noise is complex circular Gaussian: n = L·w, w ~ CN(0, I) (real and
 * imaginary parts N(0, ½)), so E[n nᴴ] = Ψ and E|n_c|² = Ψ_cc = σ_c².
 */
import { UhfError } from '../../shared/errors.ts';
import type { LoopCoil } from './coils.ts';
import { Rng } from './prng.ts';

export interface NoiseCovarianceOptions {
  /** RMS (over channels) complex noise standard deviation, sqrt(mean_c E|n_c|²). */
  sigma: number;
  /** Mean |correlation| with the nearest neighbour; default 0.2 (0 → uncorrelated). */
  neighbourCorrelation?: number;
  /** Relative spread of channel noise levels; default 0.25 (levels ≈ σ·(1 ± 0.25)). */
  levelSpread?: number;
  systemSeed?: number;
}

export interface NoiseCovariance {
  /** Number of channels. */
  n: number;
  /** Ψ, complex n×n (interleaved, row-major). */
  psi: Float64Array;
  /** Lower Cholesky factor L (Ψ = L·Lᴴ), complex n×n. */
  chol: Float64Array;
  /** Channel noise standard deviations sqrt(Ψ_cc). */
  levels: Float64Array;
  /** Achieved mean |ρ| to the nearest neighbour. */
  neighbourCorrelation: number;
}

function correlationFromCoupling(n: number, w: Float64Array, theta: Float64Array, kappa: number): Float64Array {
  // A = I + κ·W∘e^{iθ};  M = A·Aᴴ
  const A = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const i = r * n + c;
      if (r === c) {
        A[2 * i] = 1;
        continue;
      }
      const a = kappa * w[i]!;
      A[2 * i] = a * Math.cos(theta[i]!);
      A[2 * i + 1] = a * Math.sin(theta[i]!);
    }
  }
  const M = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = r; c < n; c++) {
      let re = 0, im = 0;
      for (let k = 0; k < n; k++) {
        const ar = A[2 * (r * n + k)]!, ai = A[2 * (r * n + k) + 1]!;
        const br = A[2 * (c * n + k)]!, bi = -A[2 * (c * n + k) + 1]!;
        re += ar * br - ai * bi;
        im += ar * bi + ai * br;
      }
      M[2 * (r * n + c)] = re;
      M[2 * (r * n + c) + 1] = im;
      M[2 * (c * n + r)] = re;
      M[2 * (c * n + r) + 1] = -im;
    }
  }
  const d = new Float64Array(n);
  for (let r = 0; r < n; r++) d[r] = Math.sqrt(M[2 * (r * n + r)]!);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const s = d[r]! * d[c]!;
      M[2 * (r * n + c)]! /= s;
      M[2 * (r * n + c) + 1]! /= s;
    }
  }
  for (let r = 0; r < n; r++) {
    M[2 * (r * n + r)] = 1;
    M[2 * (r * n + r) + 1] = 0;
  }
  return M;
}

function nearestNeighbours(coils: readonly LoopCoil[]): { nn: Int32Array; dist: Float64Array } {
  const n = coils.length;
  const nn = new Int32Array(n).fill(-1);
  const dist = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    let best = Infinity;
    for (let c = 0; c < n; c++) {
      const a = coils[r]!.centre, b = coils[c]!.centre;
      const d = Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
      dist[r * n + c] = d;
      if (c !== r && d < best) {
        best = d;
        nn[r] = c;
      }
    }
  }
  return { nn, dist };
}

function meanNeighbourCorrelation(rho: Float64Array, n: number, nn: Int32Array): number {
  if (n < 2) return 0;
  let s = 0;
  for (let r = 0; r < n; r++) {
    const c = nn[r]!;
    s += Math.hypot(rho[2 * (r * n + c)]!, rho[2 * (r * n + c) + 1]!);
  }
  return s / n;
}

/** Build the receiver noise covariance for a coil array. */
export function receiverNoiseCovariance(coils: readonly LoopCoil[], opts: NoiseCovarianceOptions): NoiseCovariance {
  const n = coils.length;
  const sigma = opts.sigma;
  if (!(sigma >= 0) || !Number.isFinite(sigma)) throw new UhfError('BAD_ARGUMENT', `noise sigma must be ≥ 0, got ${sigma}`);
  const target = opts.neighbourCorrelation ?? 0.2;
  if (!(target >= 0 && target <= 0.6)) throw new UhfError('BAD_ARGUMENT', `neighbourCorrelation must be in [0, 0.6], got ${target}`);
  const spread = opts.levelSpread ?? 0.25;
  if (!(spread >= 0 && spread < 1)) throw new UhfError('BAD_ARGUMENT', `levelSpread must be in [0, 1), got ${spread}`);
  const rng = new Rng(opts.systemSeed ?? 7, 'noise-covariance');

  const g = new Float64Array(n);
  for (let c = 0; c < n; c++) g[c] = 1 + spread * (2 * rng.uniform() - 1);
  const ms = g.reduce((a, b) => a + b * b, 0) / n;
  for (let c = 0; c < n; c++) g[c] = g[c]! / Math.sqrt(ms);

  const { nn, dist } = nearestNeighbours(coils);
  let L = 0;
  for (let r = 0; r < n; r++) if (nn[r]! >= 0) L += dist[r * n + nn[r]!]!;
  L = n > 1 ? L / n : 1;
  const w = new Float64Array(n * n);
  const theta = new Float64Array(n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (r === c) continue;
      w[r * n + c] = Math.exp(-((dist[r * n + c]! / L) ** 2));
      theta[r * n + c] = 0.5 * (2 * rng.uniform() - 1);
    }
  }
  let rho = correlationFromCoupling(n, w, theta, 0);
  let achieved = 0;
  if (n > 1 && target > 0) {
    let lo = 0, hi = 2;
    // make sure hi reaches the target (else use hi)
    for (let it = 0; it < 50; it++) {
      const mid = 0.5 * (lo + hi);
      const r = correlationFromCoupling(n, w, theta, mid);
      if (meanNeighbourCorrelation(r, n, nn) < target) lo = mid;
      else hi = mid;
    }
    rho = correlationFromCoupling(n, w, theta, 0.5 * (lo + hi));
    achieved = meanNeighbourCorrelation(rho, n, nn);
  }
  const psi = new Float64Array(2 * n * n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const s = sigma * sigma * g[r]! * g[c]!;
      psi[2 * (r * n + c)] = s * rho[2 * (r * n + c)]!;
      psi[2 * (r * n + c) + 1] = s * rho[2 * (r * n + c) + 1]!;
    }
  }
  const levels = new Float64Array(n);
  for (let c = 0; c < n; c++) levels[c] = Math.sqrt(psi[2 * (c * n + c)]!);
  const chol = sigma > 0 ? choleskyLower(psi, n) : new Float64Array(2 * n * n);
  return { n, psi, chol, levels, neighbourCorrelation: achieved };
}

/**
 * Lower Cholesky factor of a Hermitian positive-definite complex matrix
 * (interleaved, row-major): Ψ = L·Lᴴ, real positive diagonal.
 */
export function choleskyLower(psi: Float64Array, n: number): Float64Array {
  const L = new Float64Array(2 * n * n);
  for (let j = 0; j < n; j++) {
    let d = psi[2 * (j * n + j)]!;
    for (let k = 0; k < j; k++) {
      const a = L[2 * (j * n + k)]!, b = L[2 * (j * n + k) + 1]!;
      d -= a * a + b * b;
    }
    if (!(d > 0)) throw new UhfError('BAD_ARGUMENT', `noise covariance is not positive definite (pivot ${j} = ${d})`);
    const ljj = Math.sqrt(d);
    L[2 * (j * n + j)] = ljj;
    for (let i = j + 1; i < n; i++) {
      let re = psi[2 * (i * n + j)]!, im = psi[2 * (i * n + j) + 1]!;
      for (let k = 0; k < j; k++) {
        // L_ik · conj(L_jk)
        const ar = L[2 * (i * n + k)]!, ai = L[2 * (i * n + k) + 1]!;
        const br = L[2 * (j * n + k)]!, bi = -L[2 * (j * n + k) + 1]!;
        re -= ar * br - ai * bi;
        im -= ar * bi + ai * br;
      }
      L[2 * (i * n + j)] = re / ljj;
      L[2 * (i * n + j) + 1] = im / ljj;
    }
  }
  return L;
}

/** Sample covariance (1/N)·Σ n·nᴴ of data laid out [channel][sample] interleaved, accumulated into `acc` (complex n×n). */
export function accumulateCovariance(acc: Float64Array, data: Float32Array, nChannels: number, nSamples: number): void {
  for (let r = 0; r < nChannels; r++) {
    for (let c = 0; c < nChannels; c++) {
      let re = 0, im = 0;
      const or = 2 * r * nSamples, oc = 2 * c * nSamples;
      for (let s = 0; s < nSamples; s++) {
        const ar = data[or + 2 * s]!, ai = data[or + 2 * s + 1]!;
        const br = data[oc + 2 * s]!, bi = data[oc + 2 * s + 1]!;
        // a·conj(b)
        re += ar * br + ai * bi;
        im += ai * br - ar * bi;
      }
      acc[2 * (r * nChannels + c)]! += re;
      acc[2 * (r * nChannels + c) + 1]! += im;
    }
  }
}

/** Adds correlated complex Gaussian noise (covariance scale²·Ψ) to [channel][sample] data. */
export class CorrelatedNoise {
  private readonly n: number;
  private readonly L: Float64Array;
  private readonly rng: Rng;
  private w = new Float64Array(0);

  constructor(cov: NoiseCovariance, rng: Rng) {
    this.n = cov.n;
    this.L = cov.chol;
    this.rng = rng;
  }

  add(data: Float32Array, nSamples: number, scale = 1): void {
    const n = this.n;
    const len = 2 * n * nSamples;
    if (data.length !== len) throw new UhfError('INTERNAL', `noise: data length ${data.length} != ${len}`);
    if (this.w.length !== len) this.w = new Float64Array(len);
    // white noise, sample-major: w[2·(s·n + d)]
    const w = this.w;
    this.rng.fillNormal(w, Math.SQRT1_2);
    const L = this.L;
    let s = 0;
    // two samples per pass (≈1.7× faster in V8 than one)
    for (; s + 1 < nSamples; s += 2) {
      const w0 = 2 * s * n;
      const w1 = w0 + 2 * n;
      for (let c = 0; c < n; c++) {
        const ol = 2 * c * n;
        let ar = 0, ai = 0, br = 0, bi = 0;
        for (let d = 0; d <= c; d++) {
          const lr = L[ol + 2 * d]!, li = L[ol + 2 * d + 1]!;
          const xr = w[w0 + 2 * d]!, xi = w[w0 + 2 * d + 1]!;
          const yr = w[w1 + 2 * d]!, yi = w[w1 + 2 * d + 1]!;
          ar += lr * xr - li * xi;
          ai += lr * xi + li * xr;
          br += lr * yr - li * yi;
          bi += lr * yi + li * yr;
        }
        const o = 2 * (c * nSamples + s);
        data[o] = data[o]! + scale * ar;
        data[o + 1] = data[o + 1]! + scale * ai;
        data[o + 2] = data[o + 2]! + scale * br;
        data[o + 3] = data[o + 3]! + scale * bi;
      }
    }
    for (; s < nSamples; s++) {
      const w0 = 2 * s * n;
      for (let c = 0; c < n; c++) {
        const ol = 2 * c * n;
        let ar = 0, ai = 0;
        for (let d = 0; d <= c; d++) {
          const lr = L[ol + 2 * d]!, li = L[ol + 2 * d + 1]!;
          const xr = w[w0 + 2 * d]!, xi = w[w0 + 2 * d + 1]!;
          ar += lr * xr - li * xi;
          ai += lr * xi + li * xr;
        }
        const o = 2 * (c * nSamples + s);
        data[o] = data[o]! + scale * ar;
        data[o + 1] = data[o + 1]! + scale * ai;
      }
    }
  }
}
