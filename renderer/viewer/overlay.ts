/**
 * The activation overlay, prepared once per setting change in the stat map's
 * own voxel grid: voxels beyond the positive (or below minus the negative)
 * threshold, in clusters of at least `minClusterSize` voxels (26-connected),
 * encoded for display in [0, 1] — negatives in [0, 0.5), positives in (0.5, 1],
 * and −1 (transparent) for everything else. It is then resampled onto the
 * display planes through the affines like any volume.
 */
export interface OverlayThresholds {
  positive: number;
  negative: number;
  showNegative: boolean;
  minClusterSize: number;
}

/** Sizes of 26-connected components of `mask` (1 = in); returns labels and the size of each label. */
export function clusterSizes(mask: Uint8Array, dims: readonly number[]): { labels: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = dims as [number, number, number];
  const labels = new Int32Array(mask.length);
  const sizes: number[] = [0];
  const stack: number[] = [];
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = sizes.length;
    let size = 0;
    labels[start] = label;
    stack.push(start);
    while (stack.length) {
      const v = stack.pop()!;
      size++;
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / (nx * ny));
      for (let dk = -1; dk <= 1; dk++) {
        const kk = k + dk;
        if (kk < 0 || kk >= nz) continue;
        for (let dj = -1; dj <= 1; dj++) {
          const jj = j + dj;
          if (jj < 0 || jj >= ny) continue;
          for (let di = -1; di <= 1; di++) {
            const ii = i + di;
            if (ii < 0 || ii >= nx) continue;
            const w = ii + jj * nx + kk * nx * ny;
            if (mask[w] && !labels[w]) {
              labels[w] = label;
              stack.push(w);
            }
          }
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

export interface PreparedOverlay {
  /** Encoded display values (see the module comment), frame 0 only. */
  encoded: Float32Array;
  positiveVoxels: number;
  negativeVoxels: number;
  /** The top of each colour scale (max |z| among shown voxels). */
  maxPositive: number;
  maxNegative: number;
}

export function prepareOverlay(stat: Float32Array, dims: readonly number[], t: OverlayThresholds): PreparedOverlay {
  const n = dims[0]! * dims[1]! * dims[2]!;
  const pos = new Uint8Array(n);
  const neg = new Uint8Array(n);
  for (let v = 0; v < n; v++) {
    const z = stat[v]!;
    if (!Number.isFinite(z)) continue;
    if (z >= t.positive && z > 0) pos[v] = 1;
    else if (t.showNegative && z <= -t.negative && z < 0) neg[v] = 1;
  }
  const keep = (mask: Uint8Array) => {
    if (t.minClusterSize <= 1) return mask;
    const { labels, sizes } = clusterSizes(mask, dims);
    for (let v = 0; v < n; v++) if (mask[v] && sizes[labels[v]!]! < t.minClusterSize) mask[v] = 0;
    return mask;
  };
  keep(pos);
  keep(neg);
  let maxPositive = t.positive;
  let maxNegative = t.negative;
  let positiveVoxels = 0;
  let negativeVoxels = 0;
  for (let v = 0; v < n; v++) {
    if (pos[v]) {
      positiveVoxels++;
      maxPositive = Math.max(maxPositive, stat[v]!);
    } else if (neg[v]) {
      negativeVoxels++;
      maxNegative = Math.max(maxNegative, -stat[v]!);
    }
  }
  const encoded = new Float32Array(n).fill(-1);
  const pr = Math.max(1e-6, maxPositive - t.positive);
  const nr = Math.max(1e-6, maxNegative - t.negative);
  for (let v = 0; v < n; v++) {
    if (pos[v]) encoded[v] = 0.501 + 0.499 * Math.min(1, (stat[v]! - t.positive) / pr);
    else if (neg[v]) encoded[v] = 0.499 * (1 - Math.min(1, (-stat[v]! - t.negative) / nr));
  }
  return { encoded, positiveVoxels, negativeVoxels, maxPositive, maxNegative };
}
