/**
 * Cached 1-D DFT "cores": uncentred, unnormalised, forward-only transforms of
 * V interleaved lines held in split real/imaginary Float64 buffers
 * (element j of line v at j*V + v). Lengths whose prime factors are all in
 * {2, 3, 5, 7, 11, 13} use mixed-radix Stockham passes (radices 8, 4, 2, 3, 5,
 * 7, 11, 13; generated straight-line codelets, see codegen.ts); any other
 * length uses Bluestein's chirp-z algorithm on a 2^a·3^b·5^c length ≥ 2n-1.
 * Twiddles are computed in Float64 and cached per length.
 */
import { UhfError } from '../../shared/errors.ts';
import { PASS, FIRST, LAST, type RadixPass } from './codelets.ts';
import { gatherRows, scatterRows } from './gather.ts';

export interface DftCore {
  readonly n: number;
  /** The Stockham passes in execution order, or null for a Bluestein core. */
  readonly stages: readonly Pass[] | null;
  /**
   * Forward DFT of V interleaved lines stored in (xr, xi), length n*V each.
   * (yr, yi) is scratch of the same size. Returns true when the result ended up
   * in (yr, yi), false when it is in (xr, xi).
   */
  exec(V: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): boolean;
  /**
   * Forward DFT of V lines of interleaved Float32 `data`, in place: line v starts
   * at float index base + vs*v; input element j is read from row offset src[j],
   * output element k is written to row offset dst[k]. Imaginary parts are
   * multiplied by `sgn` on input and on output (sgn = -1 gives the inverse DFT),
   * the output is multiplied by `scale`. x*, y* are scratch of length >= n*V.
   */
  execLines(
    V: number, data: Float32Array, base: number, vs: number, src: Int32Array, dst: Int32Array,
    sgn: number, scale: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  ): void;
}

export interface Pass {
  readonly r: number;
  readonly m: number;
  /** Product of the radices of the previous passes. */
  readonly sMul: number;
  readonly fn: RadixPass;
  readonly twr: Float64Array;
  readonly twi: Float64Array;
}

/** Primes that have a dedicated (or generic odd) radix pass. */
const ODD_RADICES = [3, 5, 7, 11, 13];

/**
 * Factorises n into pass radices (8, 4, 2 and the odd primes 3, 5, 7, 11, 13),
 * or returns null if n has another prime factor (→ Bluestein). A power-of-two
 * radix is put first and, where there are two, another one last, because those
 * passes are fused with the gather from / scatter to the Float32 data.
 */
export function smoothFactors(n: number): number[] | null {
  let k = n;
  let e = 0;
  while (k % 2 === 0) { e++; k /= 2; }
  const odd: number[] = [];
  for (const r of ODD_RADICES) while (k % r === 0) { odd.push(r); k /= r; }
  if (k !== 1) return null;
  const p2 = POW2_SPLITS[e] ?? powerOfTwoPasses(e);
  if (p2.length === 0) return odd;
  return [p2[0]!, ...odd, ...p2.slice(1)];
}

/**
 * Radices for 2^e: radix 8 where possible, then 4 (radix 16 spills registers
 * in V8 and measured slower): 2^8 = 8·8·4, 2^7 = 8·4·4, 2^9 = 8·8·8.
 */
function powerOfTwoPasses(e: number): number[] {
  if (e === 0) return [];
  if (e === 1) return [2];
  const rem = e % 3;
  const eights = rem === 1 ? (e - 4) / 3 : (e - rem) / 3;
  const out: number[] = [];
  for (let i = 0; i < eights; i++) out.push(8);
  if (rem === 2) out.push(4);
  if (rem === 1) out.push(4, 4);
  return out;
}

/** Overrides of powerOfTwoPasses for tuning experiments (index = exponent of 2). */
export const POW2_SPLITS: (number[] | undefined)[] = [];

/** Twiddle exp(-2πi k/n) computed with argument reduction for accuracy. */
function cisNeg(k: number, n: number, out: Float64Array, idx: number, outI: Float64Array): void {
  const kk = k % n;
  const a = (-2 * Math.PI * kk) / n;
  out[idx] = Math.cos(a);
  outI[idx] = Math.sin(a);
}

class StockhamCore implements DftCore {
  readonly n: number;
  private readonly passes: Pass[];
  get stages(): readonly Pass[] { return this.passes; }

  constructor(n: number, factors: number[]) {
    this.n = n;
    this.passes = [];
    let L = n;
    let sMul = 1;
    for (const r of factors) {
      const m = L / r;
      const twr = new Float64Array((r - 1) * m);
      const twi = new Float64Array((r - 1) * m);
      for (let p = 0; p < m; p++) {
        for (let u = 1; u < r; u++) cisNeg(p * u, L, twr, (r - 1) * p + (u - 1), twi);
      }
      const fn = PASS[r];
      if (!fn) throw new UhfError('INTERNAL', `no radix-${r} pass`);
      this.passes.push({ r, m, sMul, fn, twr, twi });
      sMul *= r;
      L = m;
    }
  }

  exec(V: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array): boolean {
    let inY = false;
    let ar = xr, ai = xi, br = yr, bi = yi;
    for (const ps of this.passes) {
      ps.fn(ar, ai, br, bi, ps.m, ps.sMul * V, ps.twr, ps.twi);
      const tr = ar, ti = ai;
      ar = br; ai = bi; br = tr; bi = ti;
      inY = !inY;
    }
    return inY;
  }

  execLines(
    V: number, data: Float32Array, base: number, vs: number, src: Int32Array, dst: Int32Array,
    sgn: number, scale: number, xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,
  ): void {
    const passes = this.passes;
    const np = passes.length;
    const n = this.n;
    let ar = xr, ai = xi, br = yr, bi = yi;
    let from = 0, to = np;
    const p0 = passes[0]!, pl = passes[np - 1]!;
    const firstFn = np >= 2 ? FIRST[p0.r] : undefined;
    const lastFn = np >= 2 ? LAST[pl.r] : undefined;
    if (firstFn) {
      firstFn(data, base, vs, src, sgn, ar, ai, p0.m, V, p0.twr, p0.twi);
      from = 1;
    } else {
      gatherRows(data, base, vs, src, sgn, n, V, ar, ai);
    }
    if (lastFn) to = np - 1;
    for (let i = from; i < to; i++) {
      const ps = passes[i]!;
      ps.fn(ar, ai, br, bi, ps.m, ps.sMul * V, ps.twr, ps.twi);
      const tr = ar, ti = ai;
      ar = br; ai = bi; br = tr; bi = ti;
    }
    if (lastFn) lastFn(ar, ai, data, base, vs, dst, scale, sgn, n / pl.r, V);
    else scatterRows(data, base, vs, dst, scale, sgn, n, V, ar, ai);
  }
}

function nextSmooth(m: number): number {
  let best = Infinity;
  for (let p2 = 1; p2 < 2 * m; p2 *= 2) {
    for (let p3 = p2; p3 < 2 * m; p3 *= 3) {
      for (let p5 = p3; p5 < 2 * m; p5 *= 5) {
        if (p5 >= m && p5 < best) best = p5;
      }
    }
  }
  return best;
}

export class BluesteinCore implements DftCore {
  readonly n: number;
  readonly stages = null;
  /** Convolution length (2^a·3^b·5^c ≥ 2n-1) and its core. */
  readonly M: number;
  readonly inner: DftCore;
  /** Chirp exp(-πi j²/n), j < n. */
  readonly cr: Float64Array;
  readonly ci: Float64Array;
  /** FFT_M of the conjugate chirp, divided by M. */
  readonly br: Float64Array;
  readonly bi: Float64Array;
  private bufs: Float64Array[] = [];

  constructor(n: number) {
    this.n = n;
    const M = nextSmooth(2 * n - 1);
    this.M = M;
    this.inner = getCore(M);
    this.cr = new Float64Array(n);
    this.ci = new Float64Array(n);
    const twoN = 2 * n;
    // exp(-πi j²/n), with j² reduced exactly mod 2n: (j+1)² = j² + 2j + 1.
    let k = 0;
    for (let j = 0; j < n; j++) {
      const a = (-Math.PI * k) / n;
      this.cr[j] = Math.cos(a);
      this.ci[j] = Math.sin(a);
      k = (k + 2 * j + 1) % twoN;
    }
    const br = new Float64Array(M), bi = new Float64Array(M);
    for (let j = 0; j < n; j++) {
      br[j] = this.cr[j]!; bi[j] = -this.ci[j]!;
      if (j > 0) { br[M - j] = this.cr[j]!; bi[M - j] = -this.ci[j]!; }
    }
    const sr = new Float64Array(M), si = new Float64Array(M);
    const inY = this.inner.exec(1, br, bi, sr, si);
    const rr = inY ? sr : br, ri = inY ? si : bi;
    this.br = new Float64Array(M); this.bi = new Float64Array(M);
    for (let k = 0; k < M; k++) { this.br[k] = rr[k]! / M; this.bi[k] = ri[k]! / M; }
  }

  private scratch(size: number): Float64Array[] {
    if (this.bufs.length === 0 || this.bufs[0]!.length < size) {
      this.bufs = [new Float64Array(size), new Float64Array(size), new Float64Array(size), new Float64Array(size)];
    }
    return this.bufs;
  }

  exec(V: number, xr: Float64Array, xi: Float64Array): boolean {
    const { n, M, cr, ci, br, bi } = this;
    const [ar, ai, tr, ti] = this.scratch(M * V) as [Float64Array, Float64Array, Float64Array, Float64Array];
    for (let j = 0; j < n; j++) {
      const c = cr[j]!, d = ci[j]!;
      const b = j * V;
      for (let v = 0; v < V; v++) {
        const u = xr[b + v]!, w = xi[b + v]!;
        ar[b + v] = u * c - w * d;
        ai[b + v] = u * d + w * c;
      }
    }
    ar.fill(0, n * V, M * V);
    ai.fill(0, n * V, M * V);
    let inY = this.inner.exec(V, ar, ai, tr, ti);
    const rr = inY ? tr : ar, ri = inY ? ti : ai;
    // Z = R * Bhat, store conj(Z) in place.
    for (let k = 0; k < M; k++) {
      const c = br[k]!, d = bi[k]!;
      const b = k * V;
      for (let v = 0; v < V; v++) {
        const u = rr[b + v]!, w = ri[b + v]!;
        rr[b + v] = u * c - w * d;
        ri[b + v] = -(u * d + w * c);
      }
    }
    const sr = inY ? ar : tr, si = inY ? ai : ti;
    inY = this.inner.exec(V, rr, ri, sr, si);
    const qr = inY ? sr : rr, qi = inY ? si : ri;
    // X = c * conj(S)
    for (let k = 0; k < n; k++) {
      const c = cr[k]!, d = ci[k]!;
      const b = k * V;
      for (let v = 0; v < V; v++) {
        const u = qr[b + v]!, w = -qi[b + v]!;
        xr[b + v] = u * c - w * d;
        xi[b + v] = u * d + w * c;
      }
    }
    return false;
  }

  execLines(
    V: number, data: Float32Array, base: number, vs: number, src: Int32Array, dst: Int32Array,
    sgn: number, scale: number, xr: Float64Array, xi: Float64Array,
  ): void {
    gatherRows(data, base, vs, src, sgn, this.n, V, xr, xi);
    this.exec(V, xr, xi);
    scatterRows(data, base, vs, dst, scale, sgn, this.n, V, xr, xi);
  }
}

const cores = new Map<number, DftCore>();

/** Drops all cached plans (for tuning/benchmarks). */
export function clearCores(): void {
  cores.clear();
}

/** The cached forward DFT core for length n (any n ≥ 1). */
export function getCore(n: number): DftCore {
  let c = cores.get(n);
  if (c) return c;
  if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `FFT length must be a positive integer, got ${n}`);
  const f = smoothFactors(n);
  c = f ? new StockhamCore(n, f) : new BluesteinCore(n);
  cores.set(n, c);
  return c;
}
