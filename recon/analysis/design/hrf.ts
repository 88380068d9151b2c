/**
 * Haemodynamic response kernels sampled on the fine time grid (step dt).
 *
 * 'spm' is SPM12's spm_hrf with default parameters [6 16 1 1 6 0 32]:
 *   h(t) = g(t; 6) − g(t; 16)/6 at t = k·dt, k = 0..ceil(32/dt), scaled to
 *   unit sum (g: gamma density, unit scale); the temporal derivative is
 *   spm_get_bf's (h(t) − h(t − 1 s)) / 1 s.
 * 'nipy' reproduces nipy 0.5's hemodynamic_models.spm_hrf exactly, quirks
 *   included, so that designs can be checked column by column against nipy:
 *   linspace(0, 32, int(32/dt)) grid, scipy gamma.pdf(t, a, dt) (dt is the
 *   *location*), ratio 0.167, and a derivative (h(t − 0.1/dt) − h(t)) / 0.1.
 */
import { lnGamma } from '../inference/stats.ts';

export type HrfConvention = 'spm' | 'nipy';

/** Gamma density with shape `a`, unit scale, shifted by `loc` (scipy's gamma.pdf(x, a, loc)). */
export function gammaPdf(x: number, a: number, loc = 0): number {
  const y = x - loc;
  if (!(y > 0)) return y === 0 && a === 1 ? 1 : 0;
  return Math.exp((a - 1) * Math.log(y) - y - lnGamma(a));
}

function normalise(h: Float64Array): Float64Array {
  let sum = 0;
  for (const v of h) sum += v;
  for (let i = 0; i < h.length; i++) h[i] = h[i]! / sum;
  return h;
}

/** SPM canonical HRF on a grid of step dt (seconds), delayed by `onset` seconds, unit sum. */
export function spmHrf(dt: number, options: { convention?: HrfConvention; onset?: number; timeLength?: number } = {}): Float64Array {
  const convention = options.convention ?? 'spm';
  const onset = options.onset ?? 0;
  const length = options.timeLength ?? 32;
  if (convention === 'nipy') {
    const n = Math.trunc(length / dt);
    const h = new Float64Array(n);
    const step = length / (n - 1);
    for (let k = 0; k < n; k++) {
      const t = (k === n - 1 ? length : k * step) - onset / dt;
      h[k] = gammaPdf(t, 6, dt) - 0.167 * gammaPdf(t, 16, dt);
    }
    return normalise(h);
  }
  const n = Math.ceil(length / dt) + 1;
  const h = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const t = k * dt - onset;
    h[k] = gammaPdf(t, 6) - gammaPdf(t, 16) / 6;
  }
  return normalise(h);
}

/** Temporal derivative kernel matching `spmHrf` under the same convention. */
export function spmTimeDerivative(dt: number, convention: HrfConvention = 'spm'): Float64Array {
  if (convention === 'nipy') {
    const d0 = 0.1;
    const a = spmHrf(dt, { convention, onset: d0 });
    const b = spmHrf(dt, { convention });
    return a.map((v, i) => (v - b[i]!) / d0);
  }
  const a = spmHrf(dt);
  const b = spmHrf(dt, { onset: 1 });
  return a.map((v, i) => v - b[i]!);
}

/** Kernels for an HRF model: the canonical response, then its derivative when asked. */
export function hrfKernels(model: 'spm' | 'spm+derivative', dt: number, convention: HrfConvention): Float64Array[] {
  const kernels = [spmHrf(dt, { convention })];
  if (model === 'spm+derivative') kernels.push(spmTimeDerivative(dt, convention));
  return kernels;
}
