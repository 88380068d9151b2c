/**
 * Partial-Fourier reconstruction for k-space sampled asymmetrically along e1
 * (partial Fourier, e.g. 5/8, 6/8, 7/8), along readout (asymmetric echo) and/or
 * along e2. Pure functions, no I/O; everything runs per coil, in place.
 *
 * Conventions
 * - k-space: interleaved complex Float32Array, shape [ro, e1, e2, cha] (ro
 *   fastest); the k-space centre of an axis of length n is index floor(n/2)
 *   (as fftc/ifftc); images come out as [x, y, z, cha] with x ↔ ro, y ↔ e1,
 *   z ↔ e2, in ifftc's orthonormal scaling.
 * - Sampled ranges: inclusive index ranges {ro: [first, last], e1: [...],
 *   e2: [...]} on that grid; an omitted axis is fully sampled. Each range must
 *   contain the centre. An axis is *asymmetric* when some sampled index k has
 *   an unsampled conjugate partner (2·centre - k) mod n, i.e. when
 *   centre - first ≠ last - centre, except that for even n index 0 (the
 *   Nyquist line) is its own partner, so [0, n-1] and [1, n-1] are symmetric;
 *   only asymmetric axes are partial-Fourier axes. Its *symmetric region* is
 *   centre ± h with h = min(centre - max(first, 1 if n even), last - centre).
 * - Samples outside the ranges are treated as not acquired (zeroFill clears
 *   them; POCS and homodyne never read them).
 *
 * Low-resolution phase (POCS and homodyne): the k-space of the coil,
 * multiplied along each asymmetric axis by a Hann window spanning the
 * symmetric region (0.5·(1 + cos(π·d/(h + 1))), d = k - centre, zero beyond),
 * transformed to image space; phase = z/|z| (1 where z = 0). Fully sampled and
 * symmetric axes are not windowed. (BART's homodyne instead crops the centre
 * to (fraction - 0.5)·n samples with no window; similar resolution.)
 *
 * POCS (Haacke et al., JMR 92:126, 1991; as Gadgetron's partial_fourier_POCS):
 *   axes that are not asymmetric are transformed to image space once (the
 *   sampling mask is constant along them, so data consistency commutes); then
 *   for `iterations` (default 10): image = ifft(k); image = |image|·phase;
 *   est = fft(image); k = w·measured + (1 - w)·est, with w = 1 inside the
 *   sampled range, 0 outside, and a raised-cosine transition over the last
 *   `transitionWidth` (default 4) samples before a truncated edge, so the
 *   measured and synthesised data join smoothly (w multiplies over axes).
 *   Stops early if ‖k - k_prev‖/‖k‖ < `threshold` (default 0: never).
 *   Returns the completed k-space, in the same buffer.
 *
 * Homodyne (Noll, Nishimura, Macovski, IEEE TMI 10:154, 1991; as BART's
 * `homodyne`): k-space weighted by the Noll filter, transformed to image
 * space, demodulated by conj(low-res phase); the real part is kept.
 *   Per asymmetric axis m(k) = 2 on the extra (asymmetric) side, a linear ramp
 *   1 ∓ d/(h + 1) across the symmetric region (decreasing toward the missing
 *   side), 0 where not sampled; other axes m = 1 where sampled. (Noll's step
 *   filter, 2/1/0, is not offered: its large imaginary part leaks into the
 *   result wherever the phase estimate is unreliable, e.g. the background;
 *   it was far worse than the ramp on BART's phantom.) The weight is
 *   W(k) = 2·m(k)/(m(k) + m(k̄)) with
 *   k̄ the conjugate-symmetric partner ((2·centre - k) mod n per axis) and
 *   m = Π_axes m_a. For one partial axis this is exactly Noll's filter
 *   (except the Nyquist line of an even axis, its own partner, which gets 1);
 *   for several asymmetric axes it keeps W(k) + W(k̄) = 2 wherever either
 *   sample exists, which is what makes Re{·} exact for a real object (with
 *   the exact phase the result is then F⁻¹[K · 1(k or k̄ sampled)]). With
 *   several truncated axes some k have neither sample (e.g. high ro with low
 *   e1 when both high sides are missing): those are lost to any
 *   conjugate-symmetry method, so errors are larger than per axis.
 *   Returns complex coil images [x, y, z, cha] in the same buffer: with
 *   output 'real' (default, as BART) (Re, 0), i.e. each coil's own low-res
 *   phase is removed; with 'rephased' Re·phase, which keeps the coil phase
 *   so the images can still go through adaptive (map-based) coil combination.
 *   BART's `homodyne dim frac` is ours with the range [0, frac·n - 1] along
 *   dim (BART's missing part is at the high indices), up to its phase
 *   estimate (above) and its weight at index 0 (2 there): given the same
 *   phase (`phase` option / `-P`) and no Nyquist sample, the two agree to
 *   float precision (tested).
 */
import { UhfError } from '../../shared/errors.ts';
import { fftc, ifftc } from '../fft/index.ts';

/** k-space shape [ro, e1, e2, cha]. */
export type KspaceDims = readonly [number, number, number, number];

/** Inclusive sampled index ranges; an omitted axis is fully sampled. */
export interface SampledRanges {
  ro?: readonly [number, number];
  e1?: readonly [number, number];
  e2?: readonly [number, number];
}

export interface PocsOptions {
  /** Number of POCS iterations, default 10. */
  iterations?: number;
  /** Samples of raised-cosine transition before each truncated edge, default 4 (0: hard replacement). */
  transitionWidth?: number;
  /** Early stop on relative k-space change, default 0 (run all iterations). */
  threshold?: number;
}

export interface HomodyneOptions {
  /**
   * Phase reference to demodulate with instead of the low-res estimate:
   * complex images [x, y, z, cha] (same length as the k-space), used as given
   * (not normalised), as `bart homodyne -P`.
   */
  phase?: Float32Array;
  /** 'real' (default): (Re, 0); 'rephased': Re · low-res phase. */
  output?: 'real' | 'rephased';
}

interface Axis {
  n: number;
  first: number;
  last: number;
  centre: number;
  /** Half-width of the symmetric region. */
  h: number;
  /** Some sampled k has an unsampled conjugate partner (2·centre - k) mod n. */
  asym: boolean;
  /** The extra (unpartnered) samples are on the low side. */
  lowExtra: boolean;
}

const AXIS_NAMES = ['ro', 'e1', 'e2'] as const;

function checkDims(kspace: Float32Array, dims: KspaceDims, who: string): number {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad dims [${dims.join(',')}]`);
  }
  const total = dims[0] * dims[1] * dims[2] * dims[3];
  if (kspace.length !== 2 * total) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: k-space has ${kspace.length / 2} complex values, dims [${dims.join(',')}] need ${total}`);
  }
  return total;
}

function axesOf(dims: KspaceDims, ranges: SampledRanges, who: string): [Axis, Axis, Axis] {
  const out: Axis[] = [];
  for (let a = 0; a < 3; a++) {
    const name = AXIS_NAMES[a]!;
    const n = dims[a]!;
    const centre = Math.floor(n / 2);
    const r = ranges[name] ?? [0, n - 1];
    const [first, last] = r;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > n - 1 || first > centre || last < centre) {
      throw new UhfError('BAD_ARGUMENT', `${who}: ${name} range [${first}, ${last}] must lie in [0, ${n - 1}] and contain the k-space centre ${centre}`);
    }
    // For even n, index 0 (the Nyquist line) is its own conjugate partner
    // ((2·centre - 0) mod n = 0): it does not make an axis asymmetric.
    const lowExtent = centre - (n % 2 === 0 && first === 0 ? 1 : first);
    const highExtent = last - centre;
    out.push({ n, first, last, centre, h: Math.min(lowExtent, highExtent), asym: lowExtent !== highExtent, lowExtra: lowExtent > highExtent });
  }
  return [out[0]!, out[1]!, out[2]!];
}

/**
 * Zero-filling: clears every sample outside the sampled ranges (in place) and
 * returns the buffer. A zero-filled reconstruction is then just ifftc; there
 * is nothing else to do (the unmeasured part is taken as 0).
 */
export function zeroFill(kspace: Float32Array, dims: KspaceDims, ranges: SampledRanges): Float32Array {
  const who = 'zeroFill';
  checkDims(kspace, dims, who);
  const ax = axesOf(dims, ranges, who);
  const [nx, ny, nz, nc] = dims;
  for (let c = 0; c < nc; c++) {
    for (let z = 0; z < nz; z++) {
      const zin = z >= ax[2].first && z <= ax[2].last;
      for (let y = 0; y < ny; y++) {
        const base = 2 * (nx * (y + ny * (z + nz * c)));
        if (!zin || y < ax[1].first || y > ax[1].last) {
          kspace.fill(0, base, base + 2 * nx);
          continue;
        }
        kspace.fill(0, base, base + 2 * ax[0].first);
        kspace.fill(0, base + 2 * (ax[0].last + 1), base + 2 * nx);
      }
    }
  }
  return kspace;
}

/** Hann window over the symmetric region of an asymmetric axis; 1 on the sampled range otherwise. */
function phaseWindow(a: Axis): Float64Array {
  const w = new Float64Array(a.n);
  for (let k = 0; k < a.n; k++) {
    if (k < a.first || k > a.last) continue;
    if (!a.asym) { w[k] = 1; continue; }
    const d = k - a.centre;
    w[k] = Math.abs(d) <= a.h ? 0.5 * (1 + Math.cos((Math.PI * d) / (a.h + 1))) : 0;
  }
  return w;
}

/** POCS data-consistency weight along one axis (see the file comment). */
function blendWeight(a: Axis, T: number): Float64Array {
  const w = new Float64Array(a.n);
  for (let k = a.first; k <= a.last; k++) {
    let v = 1;
    if (a.asym && T > 0) {
      if (a.first > 0 && k < a.first + T) v *= 0.5 * (1 - Math.cos((Math.PI * (k - a.first + 1)) / (T + 1)));
      if (a.last < a.n - 1 && k > a.last - T) v *= 0.5 * (1 - Math.cos((Math.PI * (a.last - k + 1)) / (T + 1)));
    }
    w[k] = v;
  }
  return w;
}

/** Noll per-axis weight m(k) (see the file comment). */
function nollAxis(a: Axis): Float64Array {
  const m = new Float64Array(a.n);
  for (let k = a.first; k <= a.last; k++) {
    if (!a.asym) { m[k] = 1; continue; }
    const d = k - a.centre;
    if (Math.abs(d) > a.h) { m[k] = 2; continue; }
    const s = a.lowExtra ? d : -d; // > 0 toward the missing side
    m[k] = 1 - s / (a.h + 1);
  }
  return m;
}

/** Multiplies a [nx, ny, nz] complex volume at `off` (floats) by separable real weights. */
function applySeparable(data: Float32Array | Float64Array, off: number, wx: Float64Array, wy: Float64Array, wz: Float64Array): void {
  const nx = wx.length, ny = wy.length, nz = wz.length;
  let i = off;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const wyz = wy[y]! * wz[z]!;
      for (let x = 0; x < nx; x++, i += 2) {
        const w = wx[x]! * wyz;
        data[i] = data[i]! * w;
        data[i + 1] = data[i + 1]! * w;
      }
    }
  }
}

/** In place: z → z/|z| (1 where z = 0). */
function toPhase(data: Float32Array): void {
  for (let i = 0; i < data.length; i += 2) {
    const re = data[i]!, im = data[i + 1]!;
    const m = Math.hypot(re, im);
    if (m > 0) { data[i] = re / m; data[i + 1] = im / m; } else { data[i] = 1; data[i + 1] = 0; }
  }
}

/**
 * POCS partial-Fourier completion, per coil, in place on [ro, e1, e2, cha]
 * k-space. Returns the same buffer holding completed k-space (measured samples
 * kept, except within `transitionWidth` of a truncated edge where they are
 * blended with the estimate). No-op if no axis is asymmetric.
 */
export function pocs(kspace: Float32Array, dims: KspaceDims, ranges: SampledRanges, opts: PocsOptions = {}): Float32Array {
  const who = 'pocs';
  checkDims(kspace, dims, who);
  const ax = axesOf(dims, ranges, who);
  const iters = opts.iterations ?? 10;
  const T = opts.transitionWidth ?? 4;
  const thresh = opts.threshold ?? 0;
  if (!Number.isInteger(iters) || iters < 0) throw new UhfError('BAD_ARGUMENT', `${who}: iterations must be an integer ≥ 0, got ${iters}`);
  if (!Number.isInteger(T) || T < 0) throw new UhfError('BAD_ARGUMENT', `${who}: transitionWidth must be an integer ≥ 0, got ${T}`);
  zeroFill(kspace, dims, ranges);
  const pfAxes = [0, 1, 2].filter((a) => ax[a]!.asym);
  if (pfAxes.length === 0 || iters === 0) return kspace;
  const otherAxes = [0, 1, 2].filter((a) => !ax[a]!.asym && ax[a]!.n > 1);
  const [nx, ny, nz, nc] = dims;
  const shape = [nx, ny, nz];
  const nv = nx * ny * nz;
  const ones = (a: Axis): Float64Array => new Float64Array(a.n).fill(1);
  const pw = ax.map((a) => (a.asym ? phaseWindow(a) : ones(a)));
  const bw = ax.map((a) => (a.asym ? blendWeight(a, T) : ones(a)));
  const meas = new Float32Array(2 * nv);
  const phase = new Float32Array(2 * nv);
  const work = new Float32Array(2 * nv);
  // blend weight per voxel (product over axes)
  const wv = new Float32Array(nv);
  for (let z = 0, i = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++, i++) wv[i] = bw[0]![x]! * bw[1]![y]! * bw[2]![z]!;

  for (let c = 0; c < nc; c++) {
    const coil = kspace.subarray(2 * nv * c, 2 * nv * (c + 1));
    // hybrid space: image along the non-partial axes
    if (otherAxes.length > 0) ifftc(coil, shape, otherAxes);
    meas.set(coil);
    // low-res phase
    phase.set(coil);
    applySeparable(phase, 0, pw[0]!, pw[1]!, pw[2]!);
    ifftc(phase, shape, pfAxes);
    toPhase(phase);
    for (let it = 0; it < iters; it++) {
      work.set(coil);
      ifftc(work, shape, pfAxes);
      for (let i = 0; i < 2 * nv; i += 2) {
        const m = Math.hypot(work[i]!, work[i + 1]!);
        work[i] = m * phase[i]!;
        work[i + 1] = m * phase[i + 1]!;
      }
      fftc(work, shape, pfAxes);
      let num = 0, den = 0;
      for (let p = 0; p < nv; p++) {
        const w = wv[p]!, i = 2 * p;
        const re = w * meas[i]! + (1 - w) * work[i]!;
        const im = w * meas[i + 1]! + (1 - w) * work[i + 1]!;
        if (thresh > 0) {
          const dr = re - coil[i]!, di = im - coil[i + 1]!;
          num += dr * dr + di * di;
          den += re * re + im * im;
        }
        coil[i] = re;
        coil[i + 1] = im;
      }
      if (thresh > 0 && den > 0 && Math.sqrt(num / den) < thresh) break;
    }
    if (otherAxes.length > 0) fftc(coil, shape, otherAxes);
  }
  return kspace;
}

/** Low-res phase of one coil's k-space `coil` into `phase` (both 2·nv floats). */
function coilPhase(coil: Float32Array, phase: Float32Array, shape: number[], pw: Float64Array[]): void {
  phase.set(coil);
  applySeparable(phase, 0, pw[0]!, pw[1]!, pw[2]!);
  ifftc(phase, shape, [0, 1, 2]);
  toPhase(phase);
}

/**
 * The low-resolution phase homodyne demodulates with (see the file comment):
 * unit-magnitude complex images [x, y, z, cha]. `kspace` is not modified
 * (samples outside the ranges are ignored).
 */
export function lowResolutionPhase(kspace: Float32Array, dims: KspaceDims, ranges: SampledRanges): Float32Array {
  const who = 'lowResolutionPhase';
  checkDims(kspace, dims, who);
  const ax = axesOf(dims, ranges, who);
  const [nx, ny, nz, nc] = dims;
  const nv = nx * ny * nz;
  const pw = ax.map(phaseWindow);
  const out = new Float32Array(kspace.length);
  for (let c = 0; c < nc; c++) {
    // the window is 0 outside the sampled ranges, so unsampled samples do not leak in
    coilPhase(kspace.subarray(2 * nv * c, 2 * nv * (c + 1)), out.subarray(2 * nv * c, 2 * nv * (c + 1)), [nx, ny, nz], pw);
  }
  return out;
}

/**
 * Homodyne partial-Fourier reconstruction, per coil, in place: the
 * [ro, e1, e2, cha] k-space buffer becomes complex coil images [x, y, z, cha]
 * (see the file comment for the weighting, phase and `output`). Returns it.
 */
export function homodyne(kspace: Float32Array, dims: KspaceDims, ranges: SampledRanges, opts: HomodyneOptions = {}): Float32Array {
  const who = 'homodyne';
  checkDims(kspace, dims, who);
  const ax = axesOf(dims, ranges, who);
  const output = opts.output ?? 'real';
  if (output !== 'real' && output !== 'rephased') throw new UhfError('BAD_ARGUMENT', `${who}: output must be 'real' or 'rephased'`);
  zeroFill(kspace, dims, ranges);
  const [nx, ny, nz, nc] = dims;
  const shape = [nx, ny, nz];
  const nv = nx * ny * nz;
  // Noll weights W(k) = 2 m(k) / (m(k) + m(k̄))
  const m = ax.map(nollAxis);
  const mirror = ax.map((a) => {
    const r = new Int32Array(a.n);
    for (let k = 0; k < a.n; k++) r[k] = (((2 * a.centre - k) % a.n) + a.n) % a.n;
    return r;
  });
  const [m0, m1, m2] = [m[0]!, m[1]!, m[2]!];
  const [r0, r1, r2] = [mirror[0]!, mirror[1]!, mirror[2]!];
  const W = new Float32Array(nv);
  for (let z = 0, i = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      const myz = m1[y]! * m2[z]!, mbyz = m1[r1[y]!]! * m2[r2[z]!]!;
      for (let x = 0; x < nx; x++, i++) {
        const mk = m0[x]! * myz;
        const mb = m0[r0[x]!]! * mbyz;
        W[i] = mk > 0 ? (2 * mk) / (mk + mb) : 0;
      }
    }
  }
  const pw = ax.map(phaseWindow);
  const given = opts.phase;
  if (given !== undefined && given.length !== kspace.length) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: phase has ${given.length / 2} complex values, the k-space ${kspace.length / 2}`);
  }
  let phase: Float32Array = new Float32Array(given === undefined ? 2 * nv : 0);
  for (let c = 0; c < nc; c++) {
    const coil = kspace.subarray(2 * nv * c, 2 * nv * (c + 1));
    if (given === undefined) coilPhase(coil, phase, shape, pw);
    else phase = given.subarray(2 * nv * c, 2 * nv * (c + 1));
    for (let p = 0; p < nv; p++) {
      const w = W[p]!;
      coil[2 * p] = coil[2 * p]! * w;
      coil[2 * p + 1] = coil[2 * p + 1]! * w;
    }
    ifftc(coil, shape, [0, 1, 2]);
    for (let i = 0; i < 2 * nv; i += 2) {
      const pr = phase[i]!, pi = phase[i + 1]!;
      const re = coil[i]! * pr + coil[i + 1]! * pi; // Re(z · conj(phase))
      if (output === 'real') { coil[i] = re; coil[i + 1] = 0; } else { coil[i] = re * pr; coil[i + 1] = re * pi; }
    }
  }
  return kspace;
}
