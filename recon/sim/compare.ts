/**
 * Comparing a reconstruction with the simulator's truth.
 *
 * compareToTruth(recon, truth, mask?):
 *   s     = argmin_s ‖s·recon − truth‖² = ⟨recon, truth⟩ / ⟨recon, recon⟩
 *   nrmse = ‖s·recon − truth‖ / ‖truth‖
 * over the voxels where mask ≠ 0 (all voxels without a mask). Magnitudes are
 * compared as given (take |·| of complex recons first).
 */
import { UhfError } from '../../shared/errors.ts';

export interface Comparison {
  nrmse: number;
  scale: number;
  voxels: number;
}

export function compareToTruth(recon: ArrayLike<number>, truth: ArrayLike<number>, mask?: ArrayLike<number>): Comparison {
  if (recon.length !== truth.length || (mask && mask.length !== truth.length)) {
    throw new UhfError('SHAPE_MISMATCH', `compareToTruth: lengths ${recon.length}, ${truth.length}${mask ? `, mask ${mask.length}` : ''}`);
  }
  let rt = 0, rr = 0, tt = 0, n = 0;
  for (let i = 0; i < truth.length; i++) {
    if (mask && !mask[i]) continue;
    const r = recon[i]!, t = truth[i]!;
    rt += r * t;
    rr += r * r;
    tt += t * t;
    n++;
  }
  const scale = rr > 0 ? rt / rr : 0;
  let err = 0;
  for (let i = 0; i < truth.length; i++) {
    if (mask && !mask[i]) continue;
    const d = scale * recon[i]! - truth[i]!;
    err += d * d;
  }
  return { nrmse: tt > 0 ? Math.sqrt(err / tt) : Math.sqrt(err), scale, voxels: n };
}

/** Plain NRMSE without rescaling: ‖a − b‖ / ‖b‖ (complex interleaved or real arrays alike). */
export function nrmse(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new UhfError('SHAPE_MISMATCH', `nrmse: lengths ${a.length} and ${b.length}`);
  let e = 0, t = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    e += d * d;
    t += b[i]! * b[i]!;
  }
  return t > 0 ? Math.sqrt(e / t) : Math.sqrt(e);
}
