/**
 * FFT plans for the WGSL kernels (pure TypeScript, no GPU): the radix sequence of
 * a Stockham autosort transform, its twiddle table, and the Bluestein tables for
 * lengths with a prime factor above 7. Tables are computed in float64 and stored
 * as float32 (WGSL's sin/cos are far less accurate than float32 rounding).
 *
 * Stockham stage with radix R after stages whose radices multiply to Ns (one
 * dispatch per stage, ping-pong between two buffers): thread j < n/R reads
 * x[j + r·n/R] (r < R), multiplies by w^(k·r) with k = j mod Ns and
 * w = exp(∓2πi/(Ns·R)), does a length-R DFT, and writes element r to
 * (j div Ns)·Ns·R + k + r·Ns. The output is in natural order.
 */
import { planFft } from '../../fft/index.ts';

/** Radices with a WGSL codelet. */
export const RADICES = [2, 3, 4, 5, 7, 8, 16] as const;
export type Radix = (typeof RADICES)[number];

export interface StockhamStage {
  radix: Radix;
  /** Product of the radices of the stages before. */
  ns: number;
  /** Offset (complex elements) of this stage's twiddles in the table: Ns·(R−1) values w^(k·r), k < Ns, 1 ≤ r < R. */
  twiddleOffset: number;
}

export interface StockhamPlan {
  kind: 'stockham';
  n: number;
  stages: StockhamStage[];
  /** Forward twiddles (exp(−2πi…)), interleaved complex float32; the inverse uses their conjugates. */
  twiddles: Float32Array;
}

export interface BluesteinPlan {
  kind: 'bluestein';
  n: number;
  /** Padded length (2,3,5,7-smooth, ≥ 2n − 1). */
  m: number;
  inner: StockhamPlan;
  /** chirp[j] = exp(−iπ j²/n), j < n (forward; the inverse uses the conjugate). Interleaved complex. */
  chirp: Float32Array;
  /** FFT_m of the conjugate chirp (zero-padded, wrapped), ×1/m, for the forward transform. */
  kernelForward: Float32Array;
  /** The same for the inverse transform. */
  kernelInverse: Float32Array;
}

export type GpuFftPlan = StockhamPlan | BluesteinPlan;

function factorSmooth(n: number): number[] | null {
  const f: number[] = [];
  for (const p of [2, 3, 5, 7]) {
    while (n % p === 0) {
      f.push(p);
      n /= p;
    }
  }
  return n === 1 ? f : null;
}

/**
 * Radices for a 2,3,5,7-smooth n: the power of two in as few stages of 16/8/4/2
 * as possible, spread evenly (256 → 16·16, 512 → 8·8·8), then 3s, 5s, 7s.
 */
export function radicesFor(n: number): Radix[] | null {
  const f = factorSmooth(n);
  if (!f) return null;
  const p = f.filter((x) => x === 2).length;
  const out: Radix[] = [];
  if (p > 0) {
    const stages = Math.ceil(p / 4);
    const base = Math.floor(p / stages);
    let extra = p - base * stages;
    for (let s = 0; s < stages; s++) {
      const bits = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      out.push((1 << bits) as Radix);
    }
  }
  for (const x of f) if (x !== 2) out.push(x as Radix);
  return out;
}

function stockham(n: number, radices: Radix[]): StockhamPlan {
  const stages: StockhamStage[] = [];
  let ns = 1;
  let off = 0;
  for (const radix of radices) {
    stages.push({ radix, ns, twiddleOffset: off });
    off += ns * (radix - 1);
    ns *= radix;
  }
  const tw = new Float32Array(2 * Math.max(1, off));
  for (const s of stages) {
    const L = s.ns * s.radix;
    for (let k = 0; k < s.ns; k++) {
      for (let r = 1; r < s.radix; r++) {
        // exact reduction of k·r mod L keeps the angle small and accurate
        const a = (-2 * Math.PI * ((k * r) % L)) / L;
        const i = s.twiddleOffset + k * (s.radix - 1) + (r - 1);
        tw[2 * i] = Math.cos(a);
        tw[2 * i + 1] = Math.sin(a);
      }
    }
  }
  return { kind: 'stockham', n, stages, twiddles: tw };
}

/** Smallest 2,3,5,7-smooth number ≥ x. */
export function nextSmooth(x: number): number {
  for (let m = Math.max(1, x); ; m++) if (factorSmooth(m)) return m;
}

const cache = new Map<number, GpuFftPlan>();

/** The (cached) plan for length n ≥ 2. */
export function gpuFftPlan(n: number): GpuFftPlan {
  let p = cache.get(n);
  if (p) return p;
  const r = radicesFor(n);
  if (r) {
    p = stockham(n, r);
  } else {
    const m = nextSmooth(2 * n - 1);
    const inner = stockham(m, radicesFor(m)!);
    const chirp = new Float32Array(2 * n);
    const chirp64 = new Float64Array(2 * n);
    for (let j = 0; j < n; j++) {
      // j² mod 2n keeps the angle exact for large j
      const a = (-Math.PI * ((j * j) % (2 * n))) / n;
      chirp64[2 * j] = Math.cos(a);
      chirp64[2 * j + 1] = Math.sin(a);
      chirp[2 * j] = chirp64[2 * j]!;
      chirp[2 * j + 1] = chirp64[2 * j + 1]!;
    }
    const kernel = (sign: number): Float32Array => {
      // b[j] = conj(chirp_s[j]) for j < n and b[m − j] = b[j]; chirp_s = chirp (forward) or conj (inverse)
      const b = new Float64Array(2 * m);
      for (let j = 0; j < n; j++) {
        const re = chirp64[2 * j]!, im = -sign * chirp64[2 * j + 1]!;
        b[2 * j] = re;
        b[2 * j + 1] = im;
        if (j > 0) {
          b[2 * (m - j)] = re;
          b[2 * (m - j) + 1] = im;
        }
      }
      planFft(m).forward(b, 0, 1);
      const out = new Float32Array(2 * m);
      for (let i = 0; i < 2 * m; i++) out[i] = b[i]! / m;
      return out;
    };
    p = { kind: 'bluestein', n, m, inner, chirp, kernelForward: kernel(1), kernelInverse: kernel(-1) };
  }
  cache.set(n, p);
  return p;
}
