/**
 * Parallel-imaging kernels on WebGPU against the CPU code of
 * recon/algorithms/{grappa,sense} (relative L2 ≤ 1e-5, float32):
 * GRAPPA image-domain weights (applyImageWeights), SENSE unfolding weights
 * (senseUnfoldWeights + applySenseWeights, also GRAPPA unmixing), and the
 * CG-SENSE operators E, Eᴴ, EᴴE (senseOperator) composed from KernelSet kernels.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { applyImageWeights } from '../../recon/algorithms/grappa/index.ts';
import { applySenseWeights, senseOperator, senseUnfoldWeights } from '../../recon/algorithms/sense/index.ts';
import { CpuKernels } from '../../recon/backends/cpu/index.ts';
import { webgpuKernels, type WebGpuKernels } from '../../recon/backends/webgpu/kernels.ts';
import { kernelSenseOperator } from '../../recon/kernels/sense-operator.ts';
import type { DeviceArray, KernelSet } from '../../recon/kernels/types.ts';
import { noise, relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
const gk: WebGpuKernels | null = gpu ? webgpuKernels(gpu.device, { software: gpu.adapter.isFallbackAdapter }) : null;
const cpu = new CpuKernels();
afterAll(() => {
  gk?.dispose();
  gpu?.release();
});
const TOL = 1e-5;

/** Smooth, overlapping coil maps [x, y, z, cha]. */
function maps(dims: [number, number, number], nc: number): Float32Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const m = new Float32Array(2 * n * nc);
  for (let c = 0; c < nc; c++) for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const p = x + nx * (y + ny * z);
    const a = (2 * Math.PI * c) / nc;
    const g = Math.exp(-(((x / nx - 0.5 - 0.4 * Math.cos(a)) ** 2 + (y / ny - 0.5 - 0.4 * Math.sin(a)) ** 2) * 3));
    m[2 * (p + n * c)] = g * Math.cos(0.5 * c + x / nx);
    m[2 * (p + n * c) + 1] = g * Math.sin(0.5 * c + x / nx);
  }
  return m;
}

async function both<T>(f: <A extends DeviceArray>(k: KernelSet<A>) => Promise<T>): Promise<{ cpu: T; gpu: T }> {
  return { cpu: await f(cpu), gpu: await f(gk!) };
}

describe.skipIf(!gk)('parallel-imaging kernels: WebGPU vs the CPU algorithms', () => {
  it('GRAPPA image-domain weights (voxelMatrix, cout × cin per voxel)', async () => {
    for (const [dims, cin, cout] of [[[24, 20, 1], 6, 6], [[13, 11, 3], 4, 2], [[96, 7, 1], 3, 1]] as [[number, number, number], number, number][]) {
      const N = dims[0] * dims[1] * dims[2];
      const x = noise(2 * N * cin, N), W = noise(2 * N * cin * cout, N + 1);
      const want = applyImageWeights(x, W, dims, cin, cout);
      const got = await gk!.checked(() => {
        const a = gk!.upload(x), w = gk!.upload(W);
        const o = gk!.voxelMatrix(a, w, N, cin, cout);
        const r = gk!.read(o);
        for (const t of [a, w, o]) gk!.free(t);
        return r;
      });
      expect(relL2(got, want), `${dims} ${cout}×${cin}`).toBeLessThanOrEqual(TOL);
      const viaCpu = await cpu.read(cpu.voxelMatrix(cpu.upload(x), cpu.upload(W), N, cin, cout));
      expect(relL2(viaCpu, want)).toBeLessThanOrEqual(1e-6);
    }
  });

  it('SENSE unfolding (and GRAPPA unmixing): Σ_c w_c·a_c per voxel', async () => {
    const dims: [number, number, number] = [32, 30, 1];
    const nc = 6;
    const N = dims[0] * dims[1];
    const S = maps(dims, nc);
    const { weights } = senseUnfoldWeights(S, dims, nc, [2, 1]);
    const aliased = noise(2 * N * nc, 3);
    const want = applySenseWeights(aliased, weights, dims, nc);
    const got = await gk!.checked(() => {
      const a = gk!.upload(aliased), w = gk!.upload(weights);
      const o = gk!.voxelMatrix(a, w, N, nc, 1);
      const r = gk!.read(o);
      for (const t of [a, w, o]) gk!.free(t);
      return r;
    });
    const err = relL2(got, want);
    console.log(`SENSE unfold relL2 ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(TOL);
  });

  it('CG-SENSE operators E, Eᴴ, EᴴE (non-power-of-two 2-D and 3-D, random mask)', async () => {
    for (const [dims, nc] of [[[40, 36, 1], 4], [[12, 10, 7], 3]] as [[number, number, number], number][]) {
      const N = dims[0] * dims[1] * dims[2];
      const S = maps(dims, nc);
      const mask = Array.from(noise(N, 5), (v, i) => (v > -0.3 || i % 7 === 0 ? 1 : 0));
      const ref = senseOperator(S, mask, dims, nc);
      const x = noise(2 * N, 9), y = noise(2 * N * nc, 10);
      const want = { forward: ref.forward(x), adjoint: ref.adjoint(y), normal: ref.normal(x) };
      const res = await both(async (k) => k.checked(async () => {
        const op = kernelSenseOperator(k, S, mask, dims, nc);
        const xa = k.upload(x), ya = k.upload(y);
        const outs = [op.forward(xa), op.adjoint(ya), op.normal(xa)];
        const reads = await Promise.all(outs.map((o) => k.read(o)));
        for (const t of [xa, ya, ...outs]) k.free(t);
        op.free();
        return { forward: reads[0]!, adjoint: reads[1]!, normal: reads[2]! };
      }));
      for (const key of ['forward', 'adjoint', 'normal'] as const) {
        expect(relL2(res.cpu[key], want[key]), `cpu ${key} ${dims}`).toBeLessThanOrEqual(1e-6);
        const err = relL2(res.gpu[key], want[key]);
        console.log(`CG-SENSE ${key} ${dims.join('×')}: relL2 ${err.toExponential(2)}`);
        expect(err, `gpu ${key} ${dims}`).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('copy and multiplyVoxels', async () => {
    const x = noise(2 * 30 * 3, 1), w = noise(30, 2);
    const r = await both(async (k) => {
      const a = k.upload(x), b = k.copy(a), m = k.upload(w);
      k.multiplyVoxels(b, m, 30, 3);
      const [ra, rb] = await Promise.all([k.read(a), k.read(b)]);
      return { ra, rb };
    });
    expect(Array.from(r.gpu.ra)).toEqual(Array.from(x));
    expect(relL2(r.gpu.rb, r.cpu.rb)).toBeLessThanOrEqual(TOL);
  });
});
