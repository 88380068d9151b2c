/**
 * What the two implementations of ESPIRiT's per-voxel stage (steps 4–5 of
 * espirit.ts: voxel-js.ts, voxel-wasm.ts) share: their configuration, the
 * row-solver interface, and the crop rules.
 *
 * A row solver takes one row of nx voxels along x, G(x) as the packed upper
 * triangle ([x][pair] interleaved complex float32, pairs a ≤ b row by row,
 * what image-gram.ts writes), and for each voxel
 *  - unpacks G to a full c×c float64 matrix (trace(G) ≥ λ₁ on the way),
 *  - starts the power iteration from 2·v(x−1) − v(x−2) after two converged
 *    neighbours along x, from v(x−1) after one, else from G's column with the
 *    largest diagonal entry (the neighbours count from the row start; a
 *    background voxel or one with λ ≤ 0 resets them),
 *  - iterates y = G·v, λ = vᴴy, v = y/‖y‖ at most maxIterations times (one
 *    for background voxels, trace(G) ≤ the background level: only their λ is
 *    wanted), stopping at ‖y − λv‖² ≤ 1e-8·λ²,
 *  - writes λ, and the map v·w·conj(phase)/|phase| (w: the crop weight;
 *    phase: uᴴv, v_ref or 1) or 0 in the background / where w = 0.
 */

export interface VoxelStageConfig {
  channels: number;
  /** Voxels per row (x). */
  nx: number;
  maxIterations: number;
  /** Eigenvalue crop, [0, 1); 0 keeps all voxels. */
  crop: number;
  softCrop: boolean;
  /** Phase reference: the principal component u (c interleaved complex), a coil index, or none. */
  phase: Float64Array | number | null;
}

export interface VoxelRowSolver {
  /** Where the caller puts G of the next row: [x][pair] interleaved complex, 2·nx·c(c+1)/2 floats. */
  readonly input: Float32Array;
  /**
   * Solves the row in `input`: voxel x's eigenvalue to eig[vox0 + x] and its
   * map of channel a to maps[2·(vox0 + x + npix·a)] (re, im).
   */
  solve(maps: Float32Array, eig: Float32Array, vox0: number, npix: number): void;
}

/**
 * trace(G) at or below which a voxel is background (its maps are 0 whatever
 * λ₁ ≤ trace is): the crop, or for the soft crop the λ whose weight is 0.
 */
export function backgroundLevel(crop: number, soft: boolean): number {
  return crop === 0 ? -Infinity : soft ? Math.max(0, 2 * crop - 1) ** 2 : crop;
}

/** BART's soft-crop weight (calib.c: scurve((√λ − c)/(1 − c))). */
export function softWeight(crop: number, lambda: number): number {
  const x = (Math.sqrt(Math.max(lambda, 0)) - crop) / (1 - crop);
  if (x <= -1) return 0;
  if (x >= 1) return 1;
  return 0.5 * (1 + (2 * x) / (1 + x * x));
}

/** Map weight for eigenvalue λ: 1 without crop, the soft weight, or the hard 0/1 threshold. */
export function cropWeight(crop: number, soft: boolean, lambda: number): number {
  return crop === 0 ? 1 : soft ? softWeight(crop, lambda) : lambda <= crop ? 0 : 1;
}
