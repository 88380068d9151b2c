/**
 * The voxelwise least-squares kernel, by projection: with Q an orthonormal
 * basis of the design, Qᵀy gives the parameters (β = B·Qᵀy) and the residual
 * sum of squares is ‖y‖² − ‖Qᵀy‖² — r + 1 passes over the data instead of
 * the 2p of β-then-residuals. Data are centred per voxel first (see
 * LinearModel.ones), so the subtraction loses no more than the model's R².
 * A block of voxels is held time-major (y[t·m + v]) so that every inner loop
 * runs over contiguous voxels.
 */
import type { LinearModel } from './model.ts';

export interface BlockFit {
  /** r × m: Qᵀy. */
  qy: Float64Array;
  /** Residual sum of squares per voxel. */
  rss: Float64Array;
}

export function projectBlock(model: LinearModel, y: Float64Array, m: number): BlockFit {
  const { n, rank: r, qt } = model;
  const qy = new Float64Array(r * m);
  const rss = new Float64Array(m);
  for (let t = 0; t < n; t++) {
    const off = t * m;
    for (let v = 0; v < m; v++) rss[v] = rss[v]! + y[off + v]! * y[off + v]!;
    // Four basis vectors per pass over the frame: each y value is loaded once for all four.
    let k = 0;
    for (; k + 4 <= r; k += 4) {
      const w0 = qt[k * n + t]!;
      const w1 = qt[(k + 1) * n + t]!;
      const w2 = qt[(k + 2) * n + t]!;
      const w3 = qt[(k + 3) * n + t]!;
      const o0 = k * m;
      const o1 = o0 + m;
      const o2 = o1 + m;
      const o3 = o2 + m;
      for (let v = 0; v < m; v++) {
        const yv = y[off + v]!;
        qy[o0 + v] = qy[o0 + v]! + w0 * yv;
        qy[o1 + v] = qy[o1 + v]! + w1 * yv;
        qy[o2 + v] = qy[o2 + v]! + w2 * yv;
        qy[o3 + v] = qy[o3 + v]! + w3 * yv;
      }
    }
    for (; k < r; k++) {
      const w = qt[k * n + t]!;
      const o = k * m;
      for (let v = 0; v < m; v++) qy[o + v] = qy[o + v]! + w * y[off + v]!;
    }
  }
  for (let k = 0; k < r; k++) {
    const o = k * m;
    for (let v = 0; v < m; v++) rss[v] = rss[v]! - qy[o + v]! * qy[o + v]!;
  }
  for (let v = 0; v < m; v++) if (rss[v]! < 0) rss[v] = 0;
  return { qy, rss };
}

/** n × m residuals y − Q(Qᵀy). */
export function residualsBlock(model: LinearModel, y: Float64Array, qy: Float64Array, m: number): Float64Array {
  const { n, rank: r, qt } = model;
  const resid = new Float64Array(y);
  for (let t = 0; t < n; t++) {
    const off = t * m;
    let k = 0;
    for (; k + 4 <= r; k += 4) {
      const w0 = qt[k * n + t]!;
      const w1 = qt[(k + 1) * n + t]!;
      const w2 = qt[(k + 2) * n + t]!;
      const w3 = qt[(k + 3) * n + t]!;
      const o0 = k * m;
      const o1 = o0 + m;
      const o2 = o1 + m;
      const o3 = o2 + m;
      for (let v = 0; v < m; v++) resid[off + v] = resid[off + v]! - (w0 * qy[o0 + v]! + w1 * qy[o1 + v]! + w2 * qy[o2 + v]! + w3 * qy[o3 + v]!);
    }
    for (; k < r; k++) {
      const w = qt[k * n + t]!;
      const o = k * m;
      for (let v = 0; v < m; v++) resid[off + v] = resid[off + v]! - w * qy[o + v]!;
    }
  }
  return resid;
}

/** Time-major float64 copy with each voxel's temporal mean removed; returns the means too. */
export function centreBlock(y: Float32Array | Float64Array, n: number, m: number): { yc: Float64Array; mean: Float64Array } {
  const yc = new Float64Array(n * m);
  const mean = new Float64Array(m);
  for (let t = 0; t < n; t++) {
    const off = t * m;
    for (let v = 0; v < m; v++) {
      const x = y[off + v]!;
      yc[off + v] = x;
      mean[v] = mean[v]! + x;
    }
  }
  for (let v = 0; v < m; v++) mean[v] = mean[v]! / n;
  for (let t = 0; t < n; t++) {
    const off = t * m;
    for (let v = 0; v < m; v++) yc[off + v] = yc[off + v]! - mean[v]!;
  }
  return { yc, mean };
}
