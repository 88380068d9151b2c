/**
 * Cluster-extent inference on a z map: voxels beyond the threshold, joined
 * by 6/18/26-connectivity, clusters smaller than the minimum size dropped;
 * and the cluster table (size, peak z, peak voxel and mm, atlas label).
 */
import { voxelSizes, voxelToWorld, type Affine } from '../../../shared/volume.ts';
import { labelComponents, type Connectivity } from '../morphology.ts';

export interface ClusterOptions {
  /** z threshold (voxels with z ≥ it; with twoSided also z ≤ −it). */
  threshold: number;
  connectivity?: Connectivity;
  /** Minimum cluster size in voxels (default 1). */
  minSize?: number;
  twoSided?: boolean;
}

export interface Cluster {
  id: number;
  /** +1 activation, −1 deactivation. */
  sign: 1 | -1;
  size: number;
  volumeMm3: number;
  peakZ: number;
  peakVoxel: [number, number, number];
  peakMm: [number, number, number];
  /** Centre of mass (unweighted) in mm. */
  centreMm: [number, number, number];
  label?: string;
}

export interface ClusterResult {
  clusters: Cluster[];
  /** Cluster id per voxel (0 = none), ids as in `clusters`. */
  labels: Int32Array;
}

export function findClusters(
  z: Float32Array,
  mask: Uint8Array,
  dims: readonly [number, number, number],
  affine: Affine,
  options: ClusterOptions,
): ClusterResult {
  const connectivity = options.connectivity ?? 26;
  const minSize = Math.max(1, options.minSize ?? 1);
  const [nx, ny] = dims;
  const [sx, sy, sz] = voxelSizes(affine);
  const voxelVolume = sx * sy * sz;
  const labels = new Int32Array(z.length);
  const found: (Cluster & { members: number[] })[] = [];
  for (const sign of options.twoSided ? ([1, -1] as const) : ([1] as const)) {
    const binary = new Uint8Array(z.length);
    if (Number.isFinite(options.threshold)) {
      for (let v = 0; v < z.length; v++) if (mask[v] && sign * z[v]! >= options.threshold) binary[v] = 1;
    }
    const comp = labelComponents(binary, dims, connectivity);
    const members: number[][] = comp.sizes.map(() => []);
    for (let v = 0; v < z.length; v++) if (comp.labels[v]) members[comp.labels[v]!]!.push(v);
    for (let l = 1; l < comp.sizes.length; l++) {
      const vox = members[l]!;
      if (vox.length < minSize) continue;
      let peak = vox[0]!;
      let cx = 0;
      let cy = 0;
      let cz = 0;
      for (const v of vox) {
        if (sign * z[v]! > sign * z[peak]!) peak = v;
        cx += v % nx;
        cy += Math.floor(v / nx) % ny;
        cz += Math.floor(v / (nx * ny));
      }
      const pv: [number, number, number] = [peak % nx, Math.floor(peak / nx) % ny, Math.floor(peak / (nx * ny))];
      found.push({
        id: 0,
        sign,
        size: vox.length,
        volumeMm3: vox.length * voxelVolume,
        peakZ: z[peak]!,
        peakVoxel: pv,
        peakMm: voxelToWorld(affine, ...pv),
        centreMm: voxelToWorld(affine, cx / vox.length, cy / vox.length, cz / vox.length),
        members: vox,
      });
    }
  }
  found.sort((a, b) => Math.abs(b.peakZ) - Math.abs(a.peakZ) || b.size - a.size);
  const clusters = found.map(({ members, ...c }, i) => {
    for (const v of members) labels[v] = i + 1;
    return { ...c, id: i + 1 };
  });
  return { clusters, labels };
}

const fmt = (x: number, digits: number) => (Number.isFinite(x) ? Number(x.toFixed(digits)).toString() : String(x));

/** NAME_clusters.tsv (BIDS-style: tab-separated, n/a for missing). */
export function formatClusterTsv(clusters: readonly Cluster[]): string {
  const header = ['cluster_id', 'sign', 'size_voxels', 'volume_mm3', 'peak_z', 'peak_x_mm', 'peak_y_mm', 'peak_z_mm', 'peak_i', 'peak_j', 'peak_k', 'centre_x_mm', 'centre_y_mm', 'centre_z_mm', 'atlas_label'];
  const rows = clusters.map((c) =>
    [
      c.id,
      c.sign > 0 ? '+' : '-',
      c.size,
      fmt(c.volumeMm3, 3),
      fmt(c.peakZ, 4),
      ...c.peakMm.map((x) => fmt(x, 2)),
      ...c.peakVoxel,
      ...c.centreMm.map((x) => fmt(x, 2)),
      c.label ?? 'n/a',
    ].join('\t'),
  );
  return `${[header.join('\t'), ...rows].join('\n')}\n`;
}
