/**
 * ESPIRiT's per-voxel stage (steps 4–5 of espirit.ts): the dominant
 * eigenvector of G(x) per voxel, cropped and phase-rotated into the maps, one
 * row of voxels at a time (algorithm: voxel-common.ts). Two implementations,
 * equal to rounding: WebAssembly SIMD (voxel-wasm.ts; ~5× faster for 32
 * coils) and JS (voxel-js.ts).
 */
import { jsRowSolver } from './voxel-js.ts';
import { wasmRowSolver } from './voxel-wasm.ts';
import type { ImageGram } from './image-gram.ts';
import type { VoxelRowSolver, VoxelStageConfig } from './voxel-common.ts';

export type EspiritVoxelBackend = 'auto' | 'js' | 'wasm';
let backend: EspiritVoxelBackend = 'auto';

/**
 * Selects the implementation of the per-voxel stage: 'wasm' or 'auto' (the
 * WebAssembly SIMD kernel; JS where WebAssembly is unavailable) or 'js'.
 * Results agree to rounding. Returns the previous setting.
 */
export function setEspiritVoxelBackend(b: EspiritVoxelBackend): EspiritVoxelBackend {
  const prev = backend;
  backend = b;
  return prev;
}

function rowSolver(cfg: VoxelStageConfig): VoxelRowSolver {
  return (backend === 'js' ? null : wasmRowSolver(cfg)) ?? jsRowSolver(cfg);
}

/**
 * Maps [x, y, z, cha] and first eigenvalues [x, y, z] from G on the image
 * grid `dims`.
 */
export function voxelStage(gram: ImageGram, dims: readonly [number, number, number], cfg: Omit<VoxelStageConfig, 'nx'>): { maps: Float32Array; eigenvalues: Float32Array } {
  const [nx, ny, nz] = dims;
  const npix = nx * ny * nz;
  const maps = new Float32Array(2 * npix * cfg.channels);
  const eigenvalues = new Float32Array(npix);
  const solver = rowSolver({ ...cfg, nx });
  for (let z = 0; z < nz; z++) {
    gram.slice(z);
    for (let y = 0; y < ny; y++) {
      gram.row(y, solver.input);
      solver.solve(maps, eigenvalues, nx * (y + ny * z), npix);
    }
  }
  return { maps, eigenvalues };
}
