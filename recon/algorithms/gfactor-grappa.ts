/**
 * GRAPPA g-factor maps (pure functions, no I/O).
 *
 * Analytic (Breuer et al., MRM 62:739, 2009): with image-domain GRAPPA the
 * combined image is ρ(p) = Σ_c u_c(p)·a_c(p), a_c = ifftc of the zero-filled
 * lattice k-space and u the combined unmixing coefficients (grappaUnmixing).
 * For prewhitened noise (identity channel covariance, variance σ² per
 * k-space sample) a_c(p) has variance σ²/R in every channel, uncorrelated
 * across channels at the same voxel (R = Ry·Rz lattice samples are missing
 * per acquired one; the orthonormal transform spreads N/R samples over N
 * voxels). The fully sampled reference combined with the same weights w_d,
 * ρ_full = Σ_d w_d·I_d, has variance σ²·Σ_d|w_d|². Hence
 *
 *   g(p) = SNR_full / (SNR_acc·sqrt(R)) = sqrt(Σ_c |u_c(p)|²) / (R · sqrt(Σ_d |w_d(p)|²)),
 *
 * Gadgetron's grappa2d_unmixing_coeff (there Σ|w|² = 1). The map describes
 * the pure GRAPPA reconstruction (no measured ACS lines written back, which
 * would lower the noise slightly near the k-space centre).
 *
 * Pseudo-replica (Robson et al., MRM 60:895, 2008): add complex white noise
 * to the undersampled data and to the fully sampled data, reconstruct both
 * `replicas` times, take the per-voxel standard deviations and
 * g = std_acc / (std_full·sqrt(R)). Works for any (even nonlinear)
 * reconstruction; used to validate the analytic map. Its per-voxel relative
 * standard error is about 1/sqrt(2·replicas) (complex samples) for each std,
 * ≈ 1/sqrt(replicas) for their ratio.
 */
import { UhfError } from '../../shared/errors.ts';
import { type GrappaKernel, grappaUnmixing, type Dims3 } from './grappa/index.ts';

function voxels(dims: Dims3, who: string): number {
  for (const v of dims) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad image dims [${dims.join(', ')}]`);
  }
  return dims[0] * dims[1] * dims[2];
}

/**
 * Analytic g-factor map [x, y, z] (real) from combined unmixing coefficients
 * u [x, y, z, Cin] and the coil-combination weights w [x, y, z, Cout] that
 * produced them (and that combine the fully sampled reference). `accel` is
 * the lattice acceleration R = Ry·Rz (or [Ry, Rz]). 0 where Σ|w|² = 0.
 */
export function grappaGFactor(
  unmix: Float32Array, combineWeights: Float32Array, imageDims: Dims3,
  channelsIn: number, channelsOut: number, accel: number | readonly [number, number], out?: Float32Array,
): Float32Array {
  const who = 'grappaGFactor';
  const N = voxels(imageDims, who);
  const R = typeof accel === 'number' ? accel : accel[0] * accel[1];
  if (!(R >= 1)) throw new UhfError('BAD_ARGUMENT', `${who}: acceleration must be ≥ 1, got ${R}`);
  if (unmix.length !== 2 * N * channelsIn) throw new UhfError('SHAPE_MISMATCH', `${who}: unmixing has ${unmix.length / 2} complex values, expected ${N}×${channelsIn}`);
  if (combineWeights.length !== 2 * N * channelsOut) throw new UhfError('SHAPE_MISMATCH', `${who}: combination weights have ${combineWeights.length / 2} complex values, expected ${N}×${channelsOut}`);
  const g = out ?? new Float32Array(N);
  if (g.length !== N) throw new UhfError('SHAPE_MISMATCH', `${who}: out has length ${g.length}, expected ${N}`);
  const su = new Float64Array(N), sw = new Float64Array(N);
  for (let c = 0; c < channelsIn; c++) {
    const b = 2 * N * c;
    for (let p = 0; p < N; p++) su[p]! += unmix[b + 2 * p]! ** 2 + unmix[b + 2 * p + 1]! ** 2;
  }
  for (let d = 0; d < channelsOut; d++) {
    const b = 2 * N * d;
    for (let p = 0; p < N; p++) sw[p]! += combineWeights[b + 2 * p]! ** 2 + combineWeights[b + 2 * p + 1]! ** 2;
  }
  for (let p = 0; p < N; p++) g[p] = sw[p]! > 0 ? Math.sqrt(su[p]! / sw[p]!) / R : 0;
  return g;
}

/** Unmixing coefficients (grappaUnmixing) and the analytic g-factor in one call. */
export function grappaGFactorMap(kernel: GrappaKernel, imageDims: Dims3, combineWeights: Float32Array): { gfactor: Float32Array; unmix: Float32Array } {
  const unmix = grappaUnmixing(kernel, imageDims, combineWeights);
  const gfactor = grappaGFactor(unmix, combineWeights, imageDims, kernel.channelsIn, kernel.channelsOut, kernel.accel);
  return { gfactor, unmix };
}

export interface PseudoReplicaInput {
  /** k-space dims [ro, e1, e2, cha] of both data sets. */
  dims: readonly [number, number, number, number];
  /** Lines acquired in the accelerated scan (mask[e1 + n1·e2] ≠ 0): noise is added there only. */
  acceleratedMask: Uint8Array;
  /** Nominal acceleration R (Ry·Rz). */
  accel: number;
  /** Accelerated reconstruction: zero-filled k-space → complex image (interleaved). */
  reconAccelerated: (kspace: Float32Array) => Float32Array;
  /** Fully sampled reference reconstruction: k-space → complex image (same size). */
  reconFull: (kspace: Float32Array) => Float32Array;
  /** Noise-free accelerated data (zero-filled); default zeros (exact for linear reconstructions). */
  accelerated?: Float32Array;
  /** Noise-free fully sampled data; default zeros. */
  full?: Float32Array;
}

export interface PseudoReplicaOptions {
  /** Number of replicas (≥ 2), default 100. */
  replicas?: number;
  /** Complex noise standard deviation per k-space sample (E|n|² = σ²), default 1. */
  sigma?: number;
  /** PRNG seed, default 1. */
  seed?: number;
}

export interface PseudoReplicaResult {
  /** std_acc / (std_full·sqrt(R)), 0 where std_full = 0. */
  gfactor: Float32Array;
  stdAccelerated: Float32Array;
  stdFull: Float32Array;
}

/** Deterministic standard normal variates (mulberry32 + Box–Muller). */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  let spare = 0, has = false;
  const u = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => {
    if (has) {
      has = false;
      return spare;
    }
    const r = Math.sqrt(-2 * Math.log(u())), a = 2 * Math.PI * u();
    spare = r * Math.sin(a);
    has = true;
    return r * Math.cos(a);
  };
}

/**
 * Monte-Carlo pseudo-replica g-factor. The same noise realisation is used for
 * the accelerated lines of both data sets in each replica (the accelerated
 * scan is a subset of the full one); standard deviations are per voxel
 * across replicas, around the replica mean (n − 1 normalisation).
 */
export function pseudoReplicaGFactor(input: PseudoReplicaInput, opts: PseudoReplicaOptions = {}): PseudoReplicaResult {
  const who = 'pseudoReplicaGFactor';
  const [nro, n1, n2, nc] = input.dims;
  const lines = n1 * n2, len = 2 * nro * lines * nc;
  const replicas = opts.replicas ?? 100;
  if (!Number.isInteger(replicas) || replicas < 2) throw new UhfError('BAD_ARGUMENT', `${who}: need ≥ 2 replicas, got ${replicas}`);
  if (input.acceleratedMask.length !== lines) throw new UhfError('SHAPE_MISMATCH', `${who}: mask has ${input.acceleratedMask.length} lines, expected ${lines}`);
  if (input.accelerated && input.accelerated.length !== len) throw new UhfError('SHAPE_MISMATCH', `${who}: accelerated data length ${input.accelerated.length}, expected ${len}`);
  if (input.full && input.full.length !== len) throw new UhfError('SHAPE_MISMATCH', `${who}: full data length ${input.full.length}, expected ${len}`);
  const R = input.accel;
  const sd = (opts.sigma ?? 1) / Math.SQRT2;
  const rnd = gaussian(opts.seed ?? 1);
  const acc = new Float32Array(len), full = new Float32Array(len);
  let meanA: Float64Array | null = null, m2A: Float64Array | null = null;
  let meanF: Float64Array | null = null, m2F: Float64Array | null = null;
  const welford = (img: Float32Array, mean: Float64Array, m2: Float64Array, k: number): void => {
    const n = mean.length / 2;
    for (let p = 0; p < n; p++) {
      const xr = img[2 * p]!, xi = img[2 * p + 1]!;
      const dr = xr - mean[2 * p]!, di = xi - mean[2 * p + 1]!;
      mean[2 * p]! += dr / k;
      mean[2 * p + 1]! += di / k;
      m2[p]! += dr * (xr - mean[2 * p]!) + di * (xi - mean[2 * p + 1]!);
    }
  };
  for (let k = 1; k <= replicas; k++) {
    for (let c = 0; c < nc; c++) {
      for (let L = 0; L < lines; L++) {
        const o = 2 * nro * (L + lines * c);
        const on = input.acceleratedMask[L] !== 0;
        for (let q = 0; q < 2 * nro; q++) {
          const n = sd * rnd();
          full[o + q] = (input.full ? input.full[o + q]! : 0) + n;
          acc[o + q] = on ? (input.accelerated ? input.accelerated[o + q]! : 0) + n : 0;
        }
      }
    }
    const ia = input.reconAccelerated(acc);
    const iff = input.reconFull(full);
    if (meanA === null || m2A === null || meanF === null || m2F === null) {
      if (ia.length !== iff.length || ia.length % 2 !== 0) throw new UhfError('SHAPE_MISMATCH', `${who}: reconstructions return ${ia.length} and ${iff.length} values`);
      meanA = new Float64Array(ia.length); m2A = new Float64Array(ia.length / 2);
      meanF = new Float64Array(ia.length); m2F = new Float64Array(ia.length / 2);
    }
    welford(ia, meanA, m2A, k);
    welford(iff, meanF, m2F, k);
  }
  const n = m2A!.length;
  const stdAccelerated = new Float32Array(n), stdFull = new Float32Array(n), gfactor = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const a = Math.sqrt(m2A![p]! / (replicas - 1)), f = Math.sqrt(m2F![p]! / (replicas - 1));
    stdAccelerated[p] = a;
    stdFull[p] = f;
    gfactor[p] = f > 0 ? a / (f * Math.sqrt(R)) : 0;
  }
  return { gfactor, stdAccelerated, stdFull };
}
