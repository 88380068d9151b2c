/**
 * Public 1-D building block: uncentred, unnormalised transforms of one strided
 * line of interleaved complex data.
 */
import { getCore } from './plan.ts';

/** Uncentred, unnormalised 1-D building block: a cached plan for length n. */
export interface FftPlan {
  readonly n: number;
  /**
   * In place forward DFT, X[k] = Σ_j x[j] exp(-2πi jk/n), unscaled.
   * `offset` and `stride` count COMPLEX elements: element j of the line is
   * re_im[2*(offset + stride*j)] (real) and re_im[2*(offset + stride*j) + 1] (imag).
   */
  forward(re_im: Float32Array | Float64Array, offset: number, stride: number): void;
  /** In place inverse DFT, x[j] = Σ_k X[k] exp(+2πi jk/n), unscaled (no 1/n). Same addressing as forward. */
  inverse(re_im: Float32Array | Float64Array, offset: number, stride: number): void;
}

let ar = new Float64Array(0), ai = new Float64Array(0), br = new Float64Array(0), bi = new Float64Array(0);

function run(n: number, data: Float32Array | Float64Array, offset: number, stride: number, sgn: number): void {
  if (ar.length < n) {
    ar = new Float64Array(n); ai = new Float64Array(n); br = new Float64Array(n); bi = new Float64Array(n);
  }
  const core = getCore(n);
  const o0 = 2 * offset, st = 2 * stride;
  for (let j = 0, o = o0; j < n; j++, o += st) {
    ar[j] = data[o]!;
    ai[j] = sgn * data[o + 1]!;
  }
  const inY = core.exec(1, ar, ai, br, bi);
  const rr = inY ? br : ar, ri = inY ? bi : ai;
  for (let k = 0, o = o0; k < n; k++, o += st) {
    data[o] = rr[k]!;
    data[o + 1] = sgn * ri[k]!;
  }
}

class Plan implements FftPlan {
  constructor(readonly n: number) {}
  forward(re_im: Float32Array | Float64Array, offset: number, stride: number): void {
    run(this.n, re_im, offset, stride, 1);
  }
  inverse(re_im: Float32Array | Float64Array, offset: number, stride: number): void {
    run(this.n, re_im, offset, stride, -1);
  }
}

const plans = new Map<number, FftPlan>();

/** Cached plan for length n (any integer n ≥ 1). */
export function planFft(n: number): FftPlan {
  let p = plans.get(n);
  if (!p) {
    getCore(n); // validates n and builds twiddles now
    p = new Plan(n);
    plans.set(n, p);
  }
  return p;
}
