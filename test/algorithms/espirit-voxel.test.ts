/**
 * ESPIRiT's per-voxel stage: the WebAssembly row kernel (espirit/voxel-wasm.ts)
 * against the JS one (espirit/voxel-js.ts).
 *
 * - Whole espirit() calls with either backend give the same maps (max |diff|
 *   ≤ 1e-5·max |map|) and eigenvalues (≤ 1e-6) for 4, 8, 13 and 32 coils, on
 *   grids whose nx is odd and not a multiple of the kernel's four-row block,
 *   with the hard, soft and no crop and every phase reference; 2D and 3D.
 * - The row solvers alone on synthetic rows with the corner cases (G = 0,
 *   rank one, equal eigenvalues, background voxels between converged ones),
 *   and the solutions are eigenvectors of G.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { espirit, extractCalibration, setEspiritVoxelBackend, type EspiritOptions } from '../../recon/algorithms/espirit.ts';
import { jsRowSolver } from '../../recon/algorithms/espirit/voxel-js.ts';
import { voxelKernel, wasmRowSolver } from '../../recon/algorithms/espirit/voxel-wasm.ts';
import type { VoxelStageConfig } from '../../recon/algorithms/espirit/voxel-common.ts';
import { fftc } from '../../recon/fft/index.ts';
import { rng } from '../helpers/random.ts';

/** k-space of an ellipsoid × smooth complex coil profiles on `dims`. */
function phantomKspace(dims: readonly [number, number, number], coils: number): Float32Array {
  const [nx, ny, nz] = dims;
  const npix = nx * ny * nz;
  const k = new Float32Array(2 * npix * coils);
  for (let c = 0; c < coils; c++) {
    const ang = (2 * Math.PI * c) / coils;
    const cx = nx / 2 + 0.4 * nx * Math.cos(ang), cy = ny / 2 + 0.4 * ny * Math.sin(ang), cz = nz / 2 + 0.3 * nz * Math.cos(3 * ang);
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const r2 = ((x - nx / 2) / (0.35 * nx)) ** 2 + ((y - ny / 2) / (0.35 * ny)) ** 2 + (nz > 1 ? ((z - nz / 2) / (0.4 * nz)) ** 2 : 0);
          const inside = r2 < 1 ? 1 + 0.3 * Math.sin(x / 3) : 0;
          const mag = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2 + (z - cz) ** 2) / (0.5 * nx * nx));
          const ph = 0.05 * c * (x - y + z) + 0.3 * c;
          const o = 2 * (x + nx * (y + ny * (z + nz * c)));
          k[o] = inside * mag * Math.cos(ph);
          k[o + 1] = inside * mag * Math.sin(ph);
        }
      }
    }
  }
  fftc(k, [nx, ny, nz, coils], nz > 1 ? [0, 1, 2] : [0, 1]);
  return k;
}

function maxAbs(a: Float32Array): number {
  let m = 0;
  for (const v of a) m = Math.max(m, Math.abs(v));
  return m;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('espirit: wasm per-voxel stage vs JS', () => {
  afterEach(() => { setEspiritVoxelBackend('auto'); });

  it('has a wasm kernel here', () => {
    expect(voxelKernel()).not.toBeNull();
  });

  const cases: { coils: number; dims: [number, number, number]; acs: [number, number, number]; kernel?: EspiritOptions['kernel'] }[] = [
    { coils: 4, dims: [37, 30, 1], acs: [24, 16, 1] },
    { coils: 8, dims: [45, 32, 1], acs: [24, 20, 1] },
    { coils: 13, dims: [33, 26, 1], acs: [20, 16, 1], kernel: [5, 5, 1] },
    { coils: 32, dims: [41, 24, 1], acs: [16, 12, 1], kernel: [4, 4, 1] },
    { coils: 4, dims: [19, 14, 7], acs: [10, 8, 6], kernel: 3 },
  ];
  const variants: { name: string; opts: EspiritOptions }[] = [
    { name: 'default', opts: {} },
    { name: 'soft crop', opts: { softCrop: true } },
    { name: 'crop 0', opts: { crop: 0 } },
    { name: 'coil phase reference', opts: { phaseReference: 1 } },
    { name: 'no phase reference, soft crop 0.5', opts: { phaseReference: 'none', softCrop: true, crop: 0.5 } },
  ];
  for (const { coils, dims, acs: acsSize, kernel } of cases) {
    it(`same maps and eigenvalues: ${coils} coils, grid ${dims.join('×')}`, () => {
      const k = phantomKspace(dims, coils);
      const { acs, dims: acsDims } = extractCalibration(k, dims, coils, acsSize);
      for (const { name, opts } of variants) {
        const o = { ...opts, kernel };
        setEspiritVoxelBackend('js');
        const js = espirit(acs, acsDims, dims, coils, o);
        setEspiritVoxelBackend('wasm');
        const wasm = espirit(acs, acsDims, dims, coils, o);
        expect(wasm.kernelCount, name).toBe(js.kernelCount);
        expect(maxDiff(wasm.maps, js.maps) / maxAbs(js.maps), name).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(wasm.eigenvalues, js.eigenvalues), name).toBeLessThanOrEqual(1e-6);
        // the crop keeps some voxels and drops others (the comparison is not vacuous)
        const kept = js.eigenvalues.filter((l) => l > 0.8).length;
        expect(kept, name).toBeGreaterThan(0);
        if (opts.crop === undefined) expect(kept, name).toBeLessThan(js.eigenvalues.length);
      }
    });
  }
});

describe('per-voxel row solvers', () => {
  /** Row of nx packed Hermitian PSD matrices G ∝ B·Bᴴ (B c×3), smooth along x, with special voxels every 11. */
  function syntheticRow(c: number, nx: number, seed: number): Float32Array {
    const u = rng(seed);
    const P = (c * (c + 1)) / 2;
    const r = 3;
    const B0 = Float64Array.from({ length: 2 * c * r }, () => u() - 0.5);
    const B1 = Float64Array.from({ length: 2 * c * r }, () => u() - 0.5);
    const out = new Float32Array(2 * nx * P);
    for (let x = 0; x < nx; x++) {
      const kind = x % 11;
      const P0 = x * P;
      if (kind === 7) {
        // equal eigenvalues: G = (1.4/c)·I
        for (let a = 0, p = 0; a < c; p += c - a, a++) out[2 * (P0 + p)] = 1.4 / c;
        continue;
      }
      const B = B0.map((v, i) => v + ((0.3 * x) / nx) * B1[i]!);
      // column scales: distinct eigenvalues, or rank one
      const scale = kind === 3 ? [1, 0, 0] : [1, 0.5, 0.25];
      let norm = 0;
      for (let i = 0; i < c; i++) for (let k = 0; k < r; k++) norm += scale[k]! ** 2 * (B[2 * (i * r + k)]! ** 2 + B[2 * (i * r + k) + 1]! ** 2);
      // trace(G) = amp: G = 0, a background voxel, the rest above the crop
      const amp = kind === 5 ? 0 : kind === 9 ? 0.3 : 1.4;
      let p = 0;
      for (let a = 0; a < c; a++) {
        for (let b = a; b < c; b++, p++) {
          let re = 0, im = 0;
          for (let k = 0; k < r; k++) {
            const s = scale[k]! ** 2;
            const ar = B[2 * (a * r + k)]!, ai = B[2 * (a * r + k) + 1]!, br = B[2 * (b * r + k)]!, bi = B[2 * (b * r + k) + 1]!;
            re += s * (ar * br + ai * bi);
            im += s * (ai * br - ar * bi);
          }
          out[2 * (P0 + p)] = (amp * re) / norm;
          out[2 * (P0 + p) + 1] = a === b ? 0 : (amp * im) / norm;
        }
      }
    }
    return out;
  }

  const configs: { name: string; cfg: Omit<VoxelStageConfig, 'channels' | 'nx' | 'phase'>; phase: 'u' | 'ref' | 'none' }[] = [
    { name: 'hard crop, principal', cfg: { maxIterations: 30, crop: 0.8, softCrop: false }, phase: 'u' },
    { name: 'soft crop, coil', cfg: { maxIterations: 30, crop: 0.6, softCrop: true }, phase: 'ref' },
    { name: 'no crop, none, 3 steps', cfg: { maxIterations: 3, crop: 0, softCrop: false }, phase: 'none' },
  ];
  for (const c of [1, 4, 5, 13, 32]) {
    for (const { name, cfg, phase } of configs) {
      it(`${c} channels, ${name}: JS and wasm agree and solve G·v = λv`, () => {
        const nx = 23, npix = nx;
        const row = syntheticRow(c, nx, 7 + c);
        const u = new Float64Array(2 * c);
        for (let a = 0; a < c; a++) { u[2 * a] = Math.cos(a); u[2 * a + 1] = Math.sin(0.7 * a); }
        const full: VoxelStageConfig = { ...cfg, channels: c, nx, phase: phase === 'u' ? u : phase === 'ref' ? c - 1 : null };
        const js = jsRowSolver(full);
        const wasm = wasmRowSolver(full);
        expect(wasm).not.toBeNull();
        const out = [js, wasm!].map((s) => {
          s.input.set(row);
          const maps = new Float32Array(2 * npix * c).fill(Number.NaN), eig = new Float32Array(npix).fill(Number.NaN);
          s.solve(maps, eig, 0, npix);
          return { maps, eig };
        });
        expect(maxDiff(out[1]!.maps, out[0]!.maps)).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(out[1]!.eig, out[0]!.eig)).toBeLessThanOrEqual(1e-6);
        const { maps, eig } = out[0]!;
        const P = (c * (c + 1)) / 2;
        let zero = 0;
        for (let x = 0; x < nx; x++) {
          let n2 = 0;
          for (let a = 0; a < c; a++) n2 += maps[2 * (x + npix * a)]! ** 2 + maps[2 * (x + npix * a) + 1]! ** 2;
          if (n2 === 0) { zero++; continue; }
          if (cfg.maxIterations < 30) continue;
          // G·S = λ·S·w (S = the unit eigenvector scaled by the crop weight)
          const at = (a: number, b: number): [number, number] => {
            const [i, j, s] = a <= b ? [a, b, 1] : [b, a, -1];
            const p = i * c - (i * (i - 1)) / 2 + (j - i);
            return [row[2 * (x * P + p)]!, s * row[2 * (x * P + p) + 1]!];
          };
          for (let a = 0; a < c; a++) {
            let re = 0, im = 0;
            for (let b = 0; b < c; b++) {
              const [gr, gi] = at(a, b), sr = maps[2 * (x + npix * b)]!, si = maps[2 * (x + npix * b) + 1]!;
              re += gr * sr - gi * si;
              im += gr * si + gi * sr;
            }
            expect(Math.hypot(re - eig[x]! * maps[2 * (x + npix * a)]!, im - eig[x]! * maps[2 * (x + npix * a) + 1]!)).toBeLessThan(2e-4);
          }
          if (phase === 'ref') expect(Math.abs(maps[2 * (x + npix * (c - 1)) + 1]!)).toBeLessThan(1e-6);
        }
        for (const l of eig) expect(Number.isFinite(l)).toBe(true);
        if (cfg.crop > 0) expect(zero).toBeGreaterThan(0);
      });
    }
  }
});
