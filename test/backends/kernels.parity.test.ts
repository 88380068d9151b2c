/**
 * Every non-FFT kernel of the WebGPU backend against the CPU backend (relative
 * L2 ≤ 1e-5, float32): channel matrix (whitening and compression), centred
 * resize (crop and pad, odd and even), RSS, scaling, line weighting; and the
 * whole image chain through a KernelSet against the CPU chain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CpuKernels } from '../../recon/backends/cpu/index.ts';
import { webgpuKernels, type WebGpuKernels } from '../../recon/backends/webgpu/kernels.ts';
import { reconstructImageWithKernels } from '../../recon/backends/webgpu/reconstruct-image-gpu.ts';
import type { DeviceArray, KernelSet } from '../../recon/kernels/types.ts';
import { fftc } from '../../recon/fft/index.ts';
import type { KspaceBuffer } from '../../recon/pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageRecipe } from '../../recon/pipeline/reconstruct-image.ts';
import { emptyAcquisitionHeader } from '../../recon/io/ismrmrd/acquisition-codec.ts';
import { noise, relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
const gk: WebGpuKernels | null = gpu ? webgpuKernels(gpu.device, { description: gpu.label, software: gpu.adapter.isFallbackAdapter }) : null;
const cpu = new CpuKernels();
afterAll(() => {
  gk?.dispose();
  gpu?.release();
});

const TOL = 1e-5;

/** Runs the same kernel program on a backend and reads the result. */
async function run<A extends DeviceArray>(k: KernelSet<A>, input: Float32Array, program: (k: KernelSet<A>, a: A) => A): Promise<Float32Array> {
  return k.checked(() => {
    const a = k.upload(input);
    const out = program(k, a);
    const r = k.read(out);
    k.free(a);
    k.free(out);
    return r;
  });
}

async function parity(input: Float32Array, program: <A extends DeviceArray>(k: KernelSet<A>, a: A) => A): Promise<number> {
  const want = await run(cpu, input, program);
  const got = await run(gk!, input, program);
  return relL2(got, want);
}

function complexMatrix(rows: number, cols: number, seed: number, lowerTriangular = false): Float64Array {
  const m = Float64Array.from(noise(2 * rows * cols, seed));
  if (lowerTriangular) for (let r = 0; r < rows; r++) for (let c = r + 1; c < cols; c++) m[2 * (r * cols + c)] = m[2 * (r * cols + c) + 1] = 0;
  return m;
}

describe.skipIf(!gk)('WebGPU kernels: parity with the CPU backend', () => {
  it('channel matrix: whitening (square, triangular) and compression (fewer rows), odd sample counts', async () => {
    for (const [rows, cols, samples, tri] of [[8, 8, 1000, true], [4, 13, 96 * 5, false], [32, 32, 64 * 3, true], [1, 3, 7, false], [5, 5, 70_001, false]] as [number, number, number, boolean][]) {
      const m = complexMatrix(rows, cols, rows * cols, tri);
      const err = await parity(noise(2 * cols * samples, samples), (k, a) => k.channelMatrix(m, rows, cols, a, samples));
      expect(err, `${rows}×${cols}, ${samples} samples`).toBeLessThanOrEqual(TOL);
    }
  });

  it('centred resize: crop, zero-pad, mixed, odd and even, 2-4 axes', async () => {
    const cases: [number[], number[]][] = [
      [[13, 12], [9, 16]],
      [[120, 96, 1, 3], [64, 64, 1, 3]],
      [[64, 64, 1, 4], [96, 120, 1, 4]],
      [[7, 9, 11, 2], [8, 8, 13, 2]],
      [[196, 13, 3], [195, 14, 3]],
      [[5, 5], [1, 1]],
    ];
    for (const [from, to] of cases) {
      const total = from.reduce((a, b) => a * b, 1);
      const err = await parity(noise(2 * total, total), (k, a) => k.resize(a, from, to));
      expect(err, `${from} → ${to}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('RSS over channels, scaling, and line weights (averages + zero-fill)', async () => {
    for (const [voxels, channels] of [[96 * 120, 8], [13, 1], [1000, 32]] as [number, number][]) {
      const err = await parity(noise(2 * voxels * channels, voxels), (k, a) => k.rss(a, voxels, channels));
      expect(err).toBeLessThanOrEqual(TOL);
    }
    const x = noise(2 * 13 * 7 * 3, 5);
    expect(await parity(x, (k, a) => { k.scale(a, -0.37); return a; })).toBeLessThanOrEqual(TOL);
    const w = Float32Array.from({ length: 7 }, (_, i) => (i === 2 ? 0 : i === 4 ? 0.5 : 1));
    for (const [first, last] of [[0, 12], [3, 9], [12, 12], [9, 3]]) {
      const err = await parity(x, (k, a) => { k.weightLines(a, 13, 7, 3, w, first!, last!); return a; });
      expect(err, `range ${first}..${last}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('zeros, and arrays from another backend are refused', async () => {
    const z = gk!.zeros(10);
    expect(Array.from(await gk!.read(z))).toEqual(new Array(10).fill(0));
    gk!.free(z);
    const c = cpu.upload(new Float32Array(4));
    expect(() => gk!.scale(c as never, 2)).toThrow(/another backend/);
  });
});

// ---- the image chain -------------------------------------------------------------

/** A k-space buffer of a smooth object seen by nc coils: [ro, e1, e2, cha]. */
function kspaceBuffer(dims: [number, number, number, number], opts: { e1?: [number, number]; averages?: number[] } = {}): KspaceBuffer {
  const [n0, n1, n2, nc] = dims;
  const data = new Float32Array(2 * n0 * n1 * n2 * nc);
  for (let c = 0; c < nc; c++) for (let z = 0; z < n2; z++) for (let y = 0; y < n1; y++) for (let x = 0; x < n0; x++) {
    const r2 = ((x - n0 / 2) / (0.3 * n0)) ** 2 + ((y - n1 / 2) / (0.35 * n1)) ** 2 + (n2 > 1 ? ((z - n2 / 2) / (0.4 * n2)) ** 2 : 0);
    const i = x + n0 * (y + n1 * (z + n2 * c));
    const s = Math.exp(-(((x - (c * n0) / nc) / n0) ** 2) * 3);
    const ph = 0.4 * c + (0.5 * x) / n0;
    data[2 * i] = r2 < 1 ? s * Math.cos(ph) * (1 + 0.3 * Math.sin(x)) : 0;
    data[2 * i + 1] = r2 < 1 ? s * Math.sin(ph) : 0;
  }
  fftc(data, dims, n2 > 1 ? [0, 1, 2] : [0, 1]);
  const lineCount = new Uint16Array(n1 * n2).fill(1);
  const [lo, hi] = opts.e1 ?? [0, n1 - 1];
  for (let z = 0; z < n2; z++) for (let y = 0; y < n1; y++) {
    if (y < lo || y > hi) {
      lineCount[y + n1 * z] = 0;
      for (let c = 0; c < nc; c++) {
        const at = 2 * n0 * (y + n1 * (z + n2 * c));
        data.fill(0, at, at + 2 * n0);
      }
    }
  }
  for (const y of opts.averages ?? []) {
    lineCount[y] = 3;
    for (let c = 0; c < nc; c++) for (let i = 0; i < 2 * n0; i++) data[2 * n0 * (y + n1 * n2 * c) + i]! *= 3;
  }
  return {
    key: { slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0 },
    dims,
    data,
    lineCount,
    roRange: [0, n0 - 1],
    first: emptyAcquisitionHeader(),
  };
}

function copyBuffer(b: KspaceBuffer): KspaceBuffer {
  return { ...b, data: b.data.slice(), lineCount: b.lineCount.slice() };
}

const chainCases: [string, [number, number, number, number], ImageRecipe, { e1?: [number, number]; averages?: number[] }][] = [
  ['RSS, oversampled readout cropped, averages', [96, 60, 1, 4], { is3D: false, reconMatrix: [48, 60, 1], gridMatrix: [96, 60, 1], combine: 'rss', partialFourier: 'pocs', keepPhase: false }, { averages: [30, 31] }],
  ['RSS, prewhitening in image space, resolution change', [120, 50, 1, 5], {
    is3D: false, reconMatrix: [60, 49, 1], gridMatrix: [128, 49, 1], combine: 'rss', partialFourier: 'pocs', keepPhase: false,
    channelMatrix: { m: complexMatrix(5, 5, 9, true), rows: 5, cols: 5 },
  }, {}],
  ['RSS, coil compression in k-space, zero-filled partial Fourier', [64, 48, 1, 6], {
    is3D: false, reconMatrix: [32, 48, 1], gridMatrix: [64, 48, 1], combine: 'rss', partialFourier: 'zerofill', keepPhase: false,
    channelMatrix: { m: complexMatrix(3, 6, 4), rows: 3, cols: 6 },
  }, { e1: [10, 47] }],
  ['Walsh with phase, POCS partial Fourier on the CPU', [64, 48, 1, 4], { is3D: false, reconMatrix: [32, 48, 1], gridMatrix: [64, 48, 1], combine: 'walsh', partialFourier: 'pocs', keepPhase: true }, { e1: [12, 47] }],
  ['homodyne, RSS, resize after the image-space step', [64, 40, 1, 3], { is3D: false, reconMatrix: [32, 32, 1], gridMatrix: [64, 32, 1], combine: 'rss', partialFourier: 'homodyne', keepPhase: false }, { e1: [8, 39] }],
  ['3-D, odd sizes (Bluestein)', [26, 13, 11, 3], { is3D: true, reconMatrix: [13, 13, 11], gridMatrix: [26, 13, 11], combine: 'rss', partialFourier: 'pocs', keepPhase: false }, {}],
];

describe('the image chain through a KernelSet', () => {
  it('on the CPU backend equals reconstructImage', async () => {
    for (const [name, dims, recipe, opts] of chainCases) {
      const b = kspaceBuffer(dims, opts);
      const want = reconstructImage(copyBuffer(b), recipe);
      const before = b.data.slice();
      const got = await reconstructImageWithKernels(cpu, b, recipe);
      expect(b.data, `${name}: input untouched`).toEqual(before);
      expect(relL2(got.magnitude, want.magnitude), name).toBeLessThanOrEqual(1e-6);
      expect(got.partialFourier).toEqual(want.partialFourier);
      if (want.phase) expect(got.phase).toBeDefined();
    }
  });

  it.skipIf(!gk)('on WebGPU equals reconstructImage (relL2 ≤ 1e-5)', async () => {
    for (const [name, dims, recipe, opts] of chainCases) {
      const b = kspaceBuffer(dims, opts);
      const want = reconstructImage(copyBuffer(b), recipe);
      const before = b.data.slice();
      const got = await reconstructImageWithKernels(gk!, b, recipe);
      expect(b.data, `${name}: input untouched`).toEqual(before);
      const err = relL2(got.magnitude, want.magnitude);
      console.log(`chain ${name}: relL2 ${err.toExponential(2)}`);
      expect(err, name).toBeLessThanOrEqual(TOL);
      if (want.phase) {
        // compare the phase as unit phasors where the magnitude is not negligible
        const m = Math.max(...want.magnitude);
        let worst = 0;
        for (let v = 0; v < want.phase.length; v++) {
          if (want.magnitude[v]! < 1e-3 * m) continue;
          const d = Math.abs(Math.atan2(Math.sin(got.phase![v]! - want.phase[v]!), Math.cos(got.phase![v]! - want.phase[v]!)));
          worst = Math.max(worst, d);
        }
        expect(worst, `${name}: phase`).toBeLessThan(1e-3);
      }
    }
  });
});
