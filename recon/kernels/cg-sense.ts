/**
 * CG-SENSE on a KernelSet: the conjugate-gradient loop of
 * recon/algorithms/sense/cg-sense.ts (same start, updates, stopping rule and
 * iteration limit) with every vector on the backend. The host only steers:
 * per iteration it reads back the two inner products ⟨p, EᴴE·p⟩ and ‖r‖² that
 * give the step sizes and the stopping test.
 *
 * Each step is issued inside its own `checked` (the loop awaits between
 * steps), so backend failures surface as the usual UhfErrors.
 */
import { UhfError } from '../../shared/errors.ts';
import type { KernelSenseOperator } from './sense-operator.ts';
import type { DeviceArray, KernelSet } from './types.ts';

export interface KernelCgSenseOptions<A extends DeviceArray = DeviceArray> {
  /** Tikhonov λ: solves (EᴴE + λI)ρ = Eᴴy. Default 0. */
  lambda?: number;
  /** Maximum CG iterations. Default 30. */
  iterations?: number;
  /** Stop when ‖r‖ ≤ tolerance·‖Eᴴy‖. Default 1e-6. */
  tolerance?: number;
  /** Start image [x, y, z] on the backend (default 0; not modified). */
  initial?: A;
}

export interface KernelCgSenseResult<A extends DeviceArray> {
  /** The image [x, y, z] on the backend (the caller frees it). */
  image: A;
  iterations: number;
  /** Final ‖r‖/‖Eᴴy‖ (recursively updated residual). */
  relativeResidual: number;
}

/** Reads a one-value array and frees it. */
async function scalar<A extends DeviceArray>(k: KernelSet<A>, a: A): Promise<number> {
  try {
    return (await k.read(a))[0]!;
  } finally {
    k.free(a);
  }
}

/** CG-SENSE of k-space `y` [ro, e1, e2, cha] (on the backend; unsampled entries ignored). */
export async function kernelCgSense<A extends DeviceArray>(k: KernelSet<A>, op: KernelSenseOperator<A>, y: A, opts: KernelCgSenseOptions<A> = {}): Promise<KernelCgSenseResult<A>> {
  const lambda = opts.lambda ?? 0;
  const maxIt = opts.iterations ?? 30;
  const tol = opts.tolerance ?? 1e-6;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new UhfError('BAD_ARGUMENT', `kernelCgSense: lambda must be ≥ 0, got ${lambda}`);
  if (!Number.isInteger(maxIt) || maxIt < 0) throw new UhfError('BAD_ARGUMENT', `kernelCgSense: iterations must be an integer ≥ 0, got ${maxIt}`);
  if (!(tol >= 0)) throw new UhfError('BAD_ARGUMENT', `kernelCgSense: tolerance must be ≥ 0, got ${tol}`);
  const n2 = 2 * op.dims[0] * op.dims[1] * op.dims[2];
  const live: A[] = [];
  const hold = (a: A): A => {
    live.push(a);
    return a;
  };
  try {
    // x = x₀ (default 0), r = p = Eᴴy − (EᴴE + λ)x₀, as cgSense
    const [x, r, p, bnorm2, rr0] = await k.checked(() => {
      const init = opts.initial;
      const x = hold(init ? k.copy(init) : k.zeros(n2));
      const r = hold(op.adjoint(y));
      const b2 = scalar(k, k.dot(r, r));
      if (init) {
        const q = op.normal(x);
        if (lambda !== 0) k.axpby(q, x, 1, lambda);
        k.axpby(r, q, 1, -1);
        k.free(q);
      }
      const p = hold(k.copy(r));
      return Promise.all([x, r, p, b2, init ? scalar(k, k.dot(r, r)) : b2] as const);
    });
    let rr = rr0;
    const stop = tol * tol * bnorm2;
    let it = 0;
    // p ← r + β·p is issued with the next step (the last one is never needed)
    let beta: number | null = null;
    if (bnorm2 > 0) {
      while (it < maxIt && rr > stop) {
        const b = beta;
        const [q, pq] = await k.checked(() => {
          if (b !== null) k.axpby(p, r, b, 1);
          const q = hold(op.normal(p));
          if (lambda !== 0) k.axpby(q, p, 1, lambda);
          return Promise.all([q, scalar(k, k.dot(p, q))] as const);
        });
        if (!(pq > 0)) break;
        const alpha = rr / pq;
        const rrNew = await k.checked(() => {
          k.axpby(x, p, 1, alpha);
          k.axpby(r, q, 1, -alpha);
          k.free(q);
          return scalar(k, k.dot(r, r));
        });
        beta = rrNew / rr;
        rr = rrNew;
        it++;
      }
    }
    live.splice(live.indexOf(x), 1);
    return { image: x, iterations: it, relativeResidual: bnorm2 > 0 ? Math.sqrt(rr / bnorm2) : 0 };
  } finally {
    for (const a of live) k.free(a);
  }
}
