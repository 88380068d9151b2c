/**
 * Benjamini–Hochberg false discovery rate. On p-values directly, and on z
 * maps (one-sided, upper tail) as nilearn's fdr_threshold: the returned z
 * threshold declares active every voxel with z ≥ it.
 */
import { zFromP } from './stats.ts';

/** Largest p_(k) with p_(k) ≤ q·k/m (reject all p ≤ it), or −1 when nothing survives. */
export function benjaminiHochbergP(p: ArrayLike<number>, q: number): { threshold: number; count: number } {
  const sorted = Float64Array.from(p).sort();
  const m = sorted.length;
  let best = -1;
  for (let k = m; k >= 1; k--) {
    if (sorted[k - 1]! <= (q * k) / m) {
      best = k;
      break;
    }
  }
  return best < 0 ? { threshold: -1, count: 0 } : { threshold: sorted[best - 1]!, count: best };
}

/** z threshold at FDR q over the given (in-mask) z values; Infinity when nothing survives. */
export function fdrThresholdZ(z: ArrayLike<number>, q: number): number {
  const values = Float64Array.from(z).filter((x) => !Number.isNaN(x));
  values.sort();
  const m = values.length;
  // values ascending, so the k-th largest is values[m − k].
  for (let k = m; k >= 1; k--) {
    const zk = values[m - k]!;
    if (zk >= zFromP((q * k) / m)) return zk;
  }
  return Infinity;
}
