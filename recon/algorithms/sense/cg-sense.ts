/**
 * CG-SENSE for any Cartesian sampling pattern (pure functions, no I/O).
 *
 * Pruessmann KP, Weiger M, Börnert P, Boesiger P. Advances in sensitivity
 * encoding with arbitrary k-space trajectories. MRM 2001;46:638–651.
 *
 * Encoding operator E = M·F·S:
 *   S: image ρ [x, y, z] → coil images S_c·ρ [x, y, z, cha] (maps as from
 *      espiritMaps, layout [x, y, z, cha]);
 *   F: fftc (centred, orthonormal, recon/fft) over every axis of length > 1;
 *   M: the sampling mask [ro, e1, e2] (same for all channels; entry ≠ 0 =
 *      sampled).
 * k-space arrays are full grids [ro, e1, e2, cha] with zeros where M = 0
 * (forward writes zeros there, adjoint ignores those entries). Eᴴ = Sᴴ·Fᴴ·M.
 *
 * cgSense solves the Tikhonov-regularised normal equations
 *     (EᴴE + λI)·ρ = Eᴴy
 * by conjugate gradients from ρ₀ = 0 (or a given start), stopping after
 * `iterations` steps or when ‖r‖ ≤ tolerance·‖Eᴴy‖. For a regular pattern
 * this is the same problem senseUnfold solves in closed form (same λ).
 * Each iteration costs one forward and one inverse FFT of all channels.
 * Inner products accumulate in Float64; images and k-space are Float32.
 */
import { UhfError } from '../../../shared/errors.ts';
import { fftnd } from '../../fft/index.ts';

export type Dims3 = readonly [number, number, number];

/** A sampling mask over [ro, e1, e2]: entry ≠ 0 = sampled. */
export type SamplingMask = ArrayLike<number>;

export interface SenseOperator {
  readonly dims: readonly [number, number, number];
  readonly channels: number;
  /** E·x: image [x, y, z] (complex) → masked k-space [ro, e1, e2, cha]. */
  forward(image: Float32Array, out?: Float32Array): Float32Array;
  /** Eᴴ·y: k-space [ro, e1, e2, cha] → image [x, y, z] (unsampled entries of y are ignored). */
  adjoint(kspace: Float32Array, out?: Float32Array): Float32Array;
  /** EᴴE·x (one forward and one inverse FFT of all channels). */
  normal(image: Float32Array, out?: Float32Array): Float32Array;
}

function checkDims(dims: Dims3, channels: number, who: string): number {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new UhfError('BAD_ARGUMENT', `${who}: bad dims [${dims.join(',')}]`);
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel count ${channels}`);
  return dims[0] * dims[1] * dims[2];
}

/** The encoding operator E = M·F·S for these maps and this mask. */
export function senseOperator(maps: Float32Array, mask: SamplingMask, dims: Dims3, channels: number): SenseOperator {
  const who = 'senseOperator';
  const n = checkDims(dims, channels, who);
  if (maps.length !== 2 * n * channels) throw new UhfError('SHAPE_MISMATCH', `${who}: maps have ${maps.length / 2} complex values, need ${n * channels}`);
  if (mask.length !== n) throw new UhfError('SHAPE_MISMATCH', `${who}: mask has ${mask.length} entries, [${dims.join(',')}] needs ${n}`);
  const c = channels;
  const dd: [number, number, number] = [dims[0], dims[1], dims[2]];
  const shape = [dd[0], dd[1], dd[2], c];
  const axes = [0, 1, 2].filter((a) => dd[a]! > 1);
  const sampled = new Uint8Array(n);
  for (let i = 0; i < n; i++) sampled[i] = mask[i] !== 0 ? 1 : 0;
  const buf = new Float32Array(2 * n * c);

  const expand = (x: Float32Array, dst: Float32Array): void => {
    for (let ch = 0; ch < c; ch++) {
      const o = 2 * n * ch;
      for (let p = 0; p < n; p++) {
        const sr = maps[o + 2 * p]!, si = maps[o + 2 * p + 1]!, xr = x[2 * p]!, xi = x[2 * p + 1]!;
        dst[o + 2 * p] = sr * xr - si * xi;
        dst[o + 2 * p + 1] = sr * xi + si * xr;
      }
    }
  };
  const applyMask = (k: Float32Array): void => {
    for (let ch = 0; ch < c; ch++) {
      const o = 2 * n * ch;
      for (let p = 0; p < n; p++) if (sampled[p] === 0) { k[o + 2 * p] = 0; k[o + 2 * p + 1] = 0; }
    }
  };
  const reduce = (imgs: Float32Array, dst: Float32Array): void => {
    // dst = Σ_c conj(S_c)·imgs_c (Float64 accumulation per voxel)
    for (let p = 0; p < n; p++) {
      let re = 0, im = 0;
      for (let ch = 0; ch < c; ch++) {
        const o = 2 * (p + n * ch);
        const sr = maps[o]!, si = maps[o + 1]!, br = imgs[o]!, bi = imgs[o + 1]!;
        re += sr * br + si * bi;
        im += sr * bi - si * br;
      }
      dst[2 * p] = re;
      dst[2 * p + 1] = im;
    }
  };
  const outImage = (out: Float32Array | undefined): Float32Array => {
    if (out === undefined) return new Float32Array(2 * n);
    if (out.length !== 2 * n) throw new UhfError('SHAPE_MISMATCH', `${who}: out has length ${out.length}, expected ${2 * n}`);
    return out;
  };
  const checkImage = (x: Float32Array): void => {
    if (x.length !== 2 * n) throw new UhfError('SHAPE_MISMATCH', `${who}: image has ${x.length / 2} complex values, expected ${n}`);
  };

  return {
    dims: dd,
    channels: c,
    forward(image: Float32Array, out?: Float32Array): Float32Array {
      checkImage(image);
      const k = out ?? new Float32Array(2 * n * c);
      if (k.length !== 2 * n * c) throw new UhfError('SHAPE_MISMATCH', `${who}: out has length ${k.length}, expected ${2 * n * c}`);
      expand(image, k);
      if (axes.length > 0) fftnd(k, shape, axes);
      applyMask(k);
      return k;
    },
    adjoint(kspace: Float32Array, out?: Float32Array): Float32Array {
      if (kspace.length !== 2 * n * c) throw new UhfError('SHAPE_MISMATCH', `${who}: k-space has ${kspace.length / 2} complex values, expected ${n * c}`);
      buf.set(kspace);
      applyMask(buf);
      if (axes.length > 0) fftnd(buf, shape, axes, { inverse: true });
      const res = outImage(out);
      reduce(buf, res);
      return res;
    },
    normal(image: Float32Array, out?: Float32Array): Float32Array {
      checkImage(image);
      expand(image, buf);
      if (axes.length > 0) fftnd(buf, shape, axes);
      applyMask(buf);
      if (axes.length > 0) fftnd(buf, shape, axes, { inverse: true });
      const res = outImage(out);
      reduce(buf, res);
      return res;
    },
  };
}

export interface DotProductTest {
  /** ⟨E·x, y⟩ = yᴴ·(E·x) (complex). */
  forward: [number, number];
  /** ⟨x, Eᴴ·y⟩ = (Eᴴ·y)ᴴ·x (complex). */
  adjoint: [number, number];
  /** |⟨Ex, y⟩ − ⟨x, Eᴴy⟩| / (‖Ex‖·‖y‖). */
  relativeError: number;
}

/** Deterministic uniform(−1, 1) generator (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** ⟨a, b⟩ = Σ conj(a)·b over interleaved complex arrays (Float64). */
export function innerProduct(a: Float32Array, b: Float32Array): [number, number] {
  if (a.length !== b.length) throw new UhfError('SHAPE_MISMATCH', `innerProduct: lengths ${a.length} and ${b.length}`);
  let re = 0, im = 0;
  for (let i = 0; i < a.length; i += 2) {
    const ar = a[i]!, ai = a[i + 1]!, br = b[i]!, bi = b[i + 1]!;
    re += ar * br + ai * bi;
    im += ar * bi - ai * br;
  }
  return [re, im];
}

/**
 * Adjoint (dot-product) test of a SenseOperator with random complex x (image)
 * and y (full k-space grid): |⟨Ex, y⟩ − ⟨x, Eᴴy⟩| / (‖Ex‖·‖y‖), ≈ 1e-7 for
 * float32 data when Eᴴ is the exact adjoint.
 */
export function dotProductTest(op: SenseOperator, seed = 1): DotProductTest {
  const n = op.dims[0] * op.dims[1] * op.dims[2];
  const rnd = uniform(seed);
  const x = Float32Array.from({ length: 2 * n }, rnd);
  const y = Float32Array.from({ length: 2 * n * op.channels }, rnd);
  const ex = op.forward(x);
  const ehy = op.adjoint(y);
  const fwd = innerProduct(y, ex); // yᴴ·(Ex)
  const bwd = innerProduct(ehy, x); // (Eᴴy)ᴴ·x
  const nex = Math.sqrt(innerProduct(ex, ex)[0]);
  const ny = Math.sqrt(innerProduct(y, y)[0]);
  const err = Math.hypot(fwd[0] - bwd[0], fwd[1] - bwd[1]) / (nex * ny);
  return { forward: fwd, adjoint: bwd, relativeError: err };
}

export interface CgSenseOptions {
  /** Tikhonov λ: solves (EᴴE + λI)ρ = Eᴴy. Default 0. */
  lambda?: number;
  /** Maximum CG iterations. Default 30. */
  iterations?: number;
  /** Stop when ‖r‖ ≤ tolerance·‖Eᴴy‖. Default 1e-6. */
  tolerance?: number;
  /** Start image (default 0). */
  initial?: Float32Array;
}

export interface CgSenseResult {
  /** Reconstructed image [x, y, z], complex. */
  image: Float32Array;
  /** Iterations run. */
  iterations: number;
  /** Final ‖r‖/‖Eᴴy‖ (recursively updated residual). */
  relativeResidual: number;
}

/**
 * CG-SENSE reconstruction of k-space [ro, e1, e2, cha] sampled on `mask`
 * ([ro, e1, e2], ≠ 0 = sampled; unsampled k-space entries are ignored).
 */
export function cgSense(kspace: Float32Array, mask: SamplingMask, maps: Float32Array, dims: Dims3, channels: number, opts: CgSenseOptions = {}): CgSenseResult {
  const who = 'cgSense';
  const n = checkDims(dims, channels, who);
  const lambda = opts.lambda ?? 0;
  const maxIt = opts.iterations ?? 30;
  const tol = opts.tolerance ?? 1e-6;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new UhfError('BAD_ARGUMENT', `${who}: lambda must be ≥ 0, got ${lambda}`);
  if (!Number.isInteger(maxIt) || maxIt < 0) throw new UhfError('BAD_ARGUMENT', `${who}: iterations must be an integer ≥ 0, got ${maxIt}`);
  if (!(tol >= 0)) throw new UhfError('BAD_ARGUMENT', `${who}: tolerance must be ≥ 0, got ${tol}`);
  const op = senseOperator(maps, mask, dims, channels);
  const b = op.adjoint(kspace);
  const x = new Float64Array(2 * n);
  const r = new Float64Array(2 * n);
  const p = new Float32Array(2 * n);
  const q = new Float32Array(2 * n);
  const xf = new Float32Array(2 * n);
  let bnorm2 = 0;
  for (let i = 0; i < 2 * n; i++) bnorm2 += b[i]! * b[i]!;
  if (opts.initial !== undefined) {
    if (opts.initial.length !== 2 * n) throw new UhfError('SHAPE_MISMATCH', `${who}: initial image has length ${opts.initial.length}, expected ${2 * n}`);
    for (let i = 0; i < 2 * n; i++) x[i] = opts.initial[i]!;
    op.normal(opts.initial, q);
    for (let i = 0; i < 2 * n; i++) r[i] = b[i]! - q[i]! - lambda * x[i]!;
  } else {
    for (let i = 0; i < 2 * n; i++) r[i] = b[i]!;
  }
  let rr = 0;
  for (let i = 0; i < 2 * n; i++) { rr += r[i]! * r[i]!; p[i] = r[i]!; }
  const stop = tol * tol * bnorm2;
  let it = 0;
  if (bnorm2 > 0) {
    while (it < maxIt && rr > stop) {
      op.normal(p, q);
      let pq = 0;
      for (let i = 0; i < 2 * n; i++) {
        const qi = q[i]! + lambda * p[i]!;
        q[i] = qi;
        pq += p[i]! * qi; // Re⟨p, Ap⟩ (A Hermitian: ⟨p, Ap⟩ is real)
      }
      if (!(pq > 0)) break;
      const alpha = rr / pq;
      let rrNew = 0;
      for (let i = 0; i < 2 * n; i++) {
        x[i] = x[i]! + alpha * p[i]!;
        const ri = r[i]! - alpha * q[i]!;
        r[i] = ri;
        rrNew += ri * ri;
      }
      const beta = rrNew / rr;
      rr = rrNew;
      for (let i = 0; i < 2 * n; i++) p[i] = r[i]! + beta * p[i]!;
      it++;
    }
  }
  for (let i = 0; i < 2 * n; i++) xf[i] = x[i]!;
  return { image: xf, iterations: it, relativeResidual: bnorm2 > 0 ? Math.sqrt(rr / bnorm2) : 0 };
}
