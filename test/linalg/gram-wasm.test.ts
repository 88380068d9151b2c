import { afterEach, describe, expect, it } from 'vitest';
import { accumulateGram, setGramBackend } from '../../recon/linalg/gram.ts';
import { gramKernel } from '../../recon/linalg/gram-wasm.ts';
import { calibrationGram, setCalibrationBackend } from '../../recon/algorithms/espirit/calibration.ts';
import { rowWindowKernel } from '../../recon/algorithms/espirit/calibration-wasm.ts';
import { voxelKernel } from '../../recon/algorithms/espirit/voxel-wasm.ts';
import { espirit, extractCalibration, setEspiritVoxelBackend } from '../../recon/algorithms/espirit.ts';
import { fftc } from '../../recon/fft/index.ts';

/** Deterministic pseudo-random numbers in [−1, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

function randomData(n: number, samples: number, seed: number, f32: boolean): Float32Array | Float64Array {
  const r = rng(seed);
  const d = f32 ? new Float32Array(2 * n * samples) : new Float64Array(2 * n * samples);
  for (let i = 0; i < d.length; i++) d[i] = r();
  return d;
}

function gram(backend: 'js' | 'wasm', data: Float32Array | Float64Array, n: number, samples: number, init?: Float64Array): Float64Array {
  const prev = setGramBackend(backend);
  try {
    const acc = init ? init.slice() : new Float64Array(2 * n * n);
    accumulateGram(acc, data, n, samples);
    return acc;
  } finally {
    setGramBackend(prev);
  }
}

function relErr(a: Float64Array, b: Float64Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { num = Math.max(num, Math.abs(a[i]! - b[i]!)); den = Math.max(den, Math.abs(b[i]!)); }
  return den > 0 ? num / den : num;
}

describe('accumulateGram: wasm kernel vs JS', () => {
  afterEach(() => { setGramBackend('auto'); });

  it('has a wasm kernel here (Node has WebAssembly SIMD)', () => {
    expect(gramKernel()).not.toBeNull();
  });

  const cases: [number, number][] = [[1, 1], [1, 7], [2, 3], [3, 1], [5, 17], [7, 64], [8, 65], [13, 200], [32, 513], [33, 129], [64, 1000]];
  for (const [n, samples] of cases) {
    for (const f32 of [false, true]) {
      it(`n = ${n}, ${samples} samples, ${f32 ? 'float32' : 'float64'}`, () => {
        const data = randomData(n, samples, 17 * n + samples, f32);
        const js = gram('js', data, n, samples);
        const wasm = gram('wasm', data, n, samples);
        expect(relErr(wasm, js)).toBeLessThanOrEqual(1e-12);
        // Hermitian with a real diagonal
        for (let i = 0; i < n; i++) {
          expect(wasm[2 * (i * n + i) + 1]).toBe(0);
          for (let j = i + 1; j < n; j++) {
            expect(wasm[2 * (i * n + j)]).toBe(wasm[2 * (j * n + i)]);
            expect(wasm[2 * (i * n + j) + 1]).toBe(-wasm[2 * (j * n + i) + 1]!);
          }
        }
      });
    }
  }

  it('accumulates onto an existing Hermitian matrix', () => {
    const n = 9, samples = 300;
    const first = randomData(n, samples, 1, false);
    const second = randomData(n, samples, 2, false);
    const base = gram('js', first, n, samples);
    expect(relErr(gram('wasm', second, n, samples, base), gram('js', second, n, samples, base))).toBeLessThanOrEqual(1e-12);
  });

  it('handles zero samples', () => {
    const acc = gram('wasm', new Float64Array(0), 4, 0);
    expect(acc.every((v) => v === 0)).toBe(true);
  });
});

describe('ESPIRiT calibrationGram: wasm row windows vs JS', () => {
  afterEach(() => { setCalibrationBackend('auto'); });

  it('has a wasm kernel here', () => {
    expect(rowWindowKernel()).not.toBeNull();
  });

  const cases: { acs: [number, number, number]; kernel: [number, number, number]; channels: number }[] = [
    { acs: [24, 24, 1], kernel: [6, 6, 1], channels: 3 },
    { acs: [37, 11, 1], kernel: [5, 4, 1], channels: 4 },
    { acs: [16, 9, 7], kernel: [3, 3, 3], channels: 2 },
    { acs: [17, 6, 1], kernel: [1, 6, 1], channels: 3 },
    { acs: [20, 8, 1], kernel: [20, 3, 1], channels: 2 },
  ];
  for (const { acs: dims, kernel, channels } of cases) {
    it(`ACS [${dims.join('×')}], kernel [${kernel.join('×')}], ${channels} channels`, () => {
      const na = dims[0] * dims[1] * dims[2];
      const acs = randomData(channels, na, na + channels, true) as Float32Array;
      const prev = setCalibrationBackend('js');
      const js = calibrationGram(acs, dims, channels, kernel);
      setCalibrationBackend('wasm');
      const wasm = calibrationGram(acs, dims, channels, kernel);
      setCalibrationBackend(prev);
      expect(wasm.size).toBe(js.size);
      expect(relErr(wasm.gram, js.gram)).toBeLessThanOrEqual(1e-12);
    });
  }
});

describe('ESPIRiT per-voxel power iteration: wasm matrix-vector product vs JS', () => {
  afterEach(() => { setEspiritVoxelBackend('auto'); });

  it('has a wasm kernel here', () => {
    expect(voxelKernel()).not.toBeNull();
  });

  for (const coils of [8, 9]) {
    it(`same maps and eigenvalues, ${coils} coils`, () => {
      // disk phantom × smooth complex coil profiles, 48×40 grid
      const nx = 48, ny = 40, npix = nx * ny;
      const k = new Float32Array(2 * npix * coils);
      for (let c = 0; c < coils; c++) {
        const cx = nx / 2 + 0.4 * nx * Math.cos((2 * Math.PI * c) / coils), cy = ny / 2 + 0.4 * ny * Math.sin((2 * Math.PI * c) / coils);
        for (let y = 0; y < ny; y++) {
          for (let x = 0; x < nx; x++) {
            const inside = (x - nx / 2) ** 2 / (0.35 * nx) ** 2 + (y - ny / 2) ** 2 / (0.35 * ny) ** 2 < 1 ? 1 + 0.3 * Math.sin(x / 3) : 0;
            const mag = Math.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (0.5 * nx * nx));
            const ph = 0.05 * c * (x - y) + 0.3 * c;
            const o = 2 * (x + nx * (y + ny * c));
            k[o] = inside * mag * Math.cos(ph);
            k[o + 1] = inside * mag * Math.sin(ph);
          }
        }
      }
      fftc(k, [nx, ny, 1, coils], [0, 1]);
      const { acs, dims } = extractCalibration(k, [nx, ny, 1], coils, [24, 16, 1]);
      setEspiritVoxelBackend('js');
      const js = espirit(acs, dims, [nx, ny, 1], coils);
      setEspiritVoxelBackend('wasm');
      const wasm = espirit(acs, dims, [nx, ny, 1], coils);
      expect(wasm.kernelCount).toBe(js.kernelCount);
      let dm = 0, de = 0;
      for (let i = 0; i < js.maps.length; i++) dm = Math.max(dm, Math.abs(wasm.maps[i]! - js.maps[i]!));
      for (let i = 0; i < js.eigenvalues.length; i++) de = Math.max(de, Math.abs(wasm.eigenvalues[i]! - js.eigenvalues[i]!));
      // |S| ≤ 1, λ ≤ 1: rounding-order differences only (and the power
      // iteration's 1e-4 stopping tolerance where a stop test flips)
      expect(dm).toBeLessThan(1e-4);
      expect(de).toBeLessThan(1e-6);
    });
  }
});
