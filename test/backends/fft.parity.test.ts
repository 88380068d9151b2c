/**
 * WebGPU FFT kernels against the CPU FFT (recon/fft, float64 inside): relative
 * L2 ≤ 1e-5 in float32 over Stockham lengths (powers of two and 3/5/7
 * mixtures: 96, 120, 196 …), Bluestein lengths (13, 11·?, primes), every axis
 * position, both directions, all normalisations, and batches that need a 2-D
 * dispatch grid or chunking to the binding limit.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fftnd, type FftOptions } from '../../recon/fft/index.ts';
import { gpuFftPlan, radicesFor } from '../../recon/backends/webgpu/fft-plan.ts';
import { dftCodelet } from '../../recon/backends/webgpu/wgsl.ts';
import { webgpuKernels, type WebGpuKernels } from '../../recon/backends/webgpu/kernels.ts';
import { noise, relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
type Variant = 'stages' | 'fused';
const VARIANTS: Variant[] = ['stages', 'fused'];
const sets = new Map<Variant, WebGpuKernels>(gpu ? VARIANTS.map((v) => [v, webgpuKernels(gpu.device, { description: gpu.label, fftKernel: v })]) : []);
afterAll(() => {
  for (const k of sets.values()) k.dispose();
  gpu?.release();
});

const TOL = 1e-5;

async function gpuFft(k: WebGpuKernels, x: Float32Array, shape: number[], axes: number[], opts: FftOptions = {}): Promise<Float32Array> {
  return k.checked(() => {
    const a = k.upload(x);
    k.fft(a, shape, axes, opts);
    const r = k.read(a);
    k.free(a);
    return r;
  });
}

function cpuFft(x: Float32Array, shape: number[], axes: number[], opts: FftOptions = {}): Float32Array {
  const y = x.slice();
  fftnd(y, shape, axes, opts);
  return y;
}

describe('FFT plans (no GPU)', () => {
  it('splits powers of two into few, balanced stages and keeps 3/5/7', () => {
    expect(radicesFor(256)).toEqual([16, 16]);
    expect(radicesFor(512)).toEqual([8, 8, 8]);
    expect(radicesFor(96)).toEqual([8, 4, 3]);
    expect(radicesFor(120)).toEqual([8, 3, 5]);
    expect(radicesFor(196)).toEqual([4, 7, 7]);
    expect(radicesFor(13)).toBeNull();
    const p = gpuFftPlan(13);
    expect(p.kind).toBe('bluestein');
    if (p.kind === 'bluestein') expect(p.m).toBeGreaterThanOrEqual(25);
  });

  it('generates codelets that compute the DFT (evaluated in JS)', () => {
    for (const R of [2, 3, 4, 5, 7, 8, 16]) {
      for (const sgn of [-1, 1] as const) {
        const lines: string[] = [];
        const ys = dftCodelet(Array.from({ length: R }, (_, r) => `x${r}`), sgn, lines);
        // evaluate the generated WGSL statements in JS, values as {x, y}
        const x = Array.from({ length: R }, (_, r) => ({ x: Math.cos(r * 1.7) + r, y: Math.sin(r * 0.3) - 0.5 * r }));
        const env = new Map<string, { x: number; y: number }>(x.map((v, r) => [`x${r}`, v]));
        const scalar = (e: string): number => {
          const names = [...env.keys()];
          return new Function(...names, `return ${e};`)(...names.map((n) => env.get(n))) as number;
        };
        for (const line of lines) {
          const m = /^let (\w+) = (.*);$/.exec(line)!;
          const expr = m[2]!;
          let v: { x: number; y: number };
          if (expr.startsWith('vec2<f32>(')) {
            const inner = expr.slice('vec2<f32>('.length, -1);
            let depth = 0, cut = -1;
            for (let i = 0; i < inner.length; i++) {
              if (inner[i] === '(') depth++;
              else if (inner[i] === ')') depth--;
              else if (inner[i] === ',' && depth === 0) cut = i;
            }
            v = { x: scalar(inner.slice(0, cut)), y: scalar(inner.slice(cut + 1)) };
          } else {
            v = { x: scalar(expr.replace(/\b([a-z]\d+)\b/g, '$1.x')), y: scalar(expr.replace(/\b([a-z]\d+)\b/g, '$1.y')) };
          }
          env.set(m[1]!, v);
        }
        for (let k = 0; k < R; k++) {
          let re = 0, im = 0;
          for (let r = 0; r < R; r++) {
            const a = (sgn * 2 * Math.PI * r * k) / R;
            re += x[r]!.x * Math.cos(a) - x[r]!.y * Math.sin(a);
            im += x[r]!.x * Math.sin(a) + x[r]!.y * Math.cos(a);
          }
          const y = env.get(ys[k]!)!;
          expect(Math.abs(y.x - re) + Math.abs(y.y - im)).toBeLessThan(1e-5 * (1 + Math.abs(re) + Math.abs(im)));
        }
      }
    }
  });
});

describe.skipIf(!gpu).each(VARIANTS)('WebGPU FFT parity with the CPU FFT (%s kernels)', (variant) => {
  const k = sets.get(variant)!;

  it('1-D lines of every kind of length, forward and inverse', async () => {
    // The fused kernels are specialised per length (and compile slowly on a software driver): fewer lengths.
    const lengths = variant === 'stages'
      ? [1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 25, 32, 49, 64, 96, 97, 100, 120, 127, 128, 196, 210, 256, 343, 384, 500, 1000]
      : [7, 13, 120];
    const worst: Record<string, number> = {};
    for (const n of lengths) {
      const lines = 3;
      const x = noise(2 * n * lines, n);
      for (const inverse of [false, true]) {
        const got = await gpuFft(k, x, [n, lines], [0], { inverse });
        const err = relL2(got, cpuFft(x, [n, lines], [0], { inverse }));
        worst[`${n}${inverse ? 'i' : ''}`] = err;
        expect(err, `n=${n} inverse=${inverse}`).toBeLessThanOrEqual(TOL);
      }
    }
    console.log(`FFT 1-D (${variant}) relL2 max`, Math.max(...Object.values(worst)).toExponential(2));
  });

  it('along every axis of 3-D and 4-D arrays (strided lines), centred and not, every norm', async () => {
    const cases: [number[], number[], FftOptions][] = [
      [[13, 12, 5], [1], {}],
      [[6, 96, 3], [1], { inverse: true }],
      [[5, 7, 120], [2], {}],
      [[11, 4, 3, 2], [0, 1, 2], { inverse: true }],
      [[120, 96, 2], [0, 1], {}],
      [[196, 13, 2], [0, 1], { inverse: true }],
      [[10, 9, 8, 3], [3], { centred: false }],
      [[24, 9, 2], [0, 1], { norm: 'none' }],
      [[24, 9, 2], [0, 1], { norm: 'backward', inverse: true }],
      [[15, 13, 2], [1, 0], { centred: false, norm: 'backward' }],
    ];
    for (const [shape, axes, opts] of variant === 'stages' ? cases : ([[[7, 5, 120], [2], {}], [[120, 7, 3], [0, 1], { inverse: true }]] as typeof cases)) {
      const total = shape.reduce((a, b) => a * b, 1);
      const x = noise(2 * total, total);
      const err = relL2(await gpuFft(k, x, shape, axes, opts), cpuFft(x, shape, axes, opts));
      expect(err, `${JSON.stringify(shape)} axes ${axes} ${JSON.stringify(opts)}`).toBeLessThanOrEqual(TOL);
    }
  });

  it('batched 2-D FFT of many coils (256² and 120×196 multi-coil images)', async () => {
    for (const [shape, axes] of (variant === 'stages' ? [[[256, 256, 4], [0, 1]], [[120, 196, 3], [0, 1]]] : [[[120, 120, 6], [0, 1]]]) as [number[], number[]][]) {
      const total = shape.reduce((a, b) => a * b, 1);
      const x = noise(2 * total, 7);
      for (const inverse of [false, true]) {
        const err = relL2(await gpuFft(k, x, shape, axes, { inverse }), cpuFft(x, shape, axes, { inverse }));
        console.log(`FFT ${shape.join('×')} ${inverse ? 'inverse' : 'forward'} (${variant}) relL2 ${err.toExponential(2)}`);
        expect(err).toBeLessThanOrEqual(TOL);
      }
    }
  });

  it('batches larger than one dispatch row (2-D workgroup grid) and than one binding (chunked)', async () => {
    // The device's real limits (65535 workgroups, 1 GiB bindings) need arrays too big for a software
    // driver; kernel sets with lower limits exercise the same code paths on small data.
    const narrow = webgpuKernels(gpu!.device, { maxWorkgroupsX: 3, fftKernel: variant });
    const chunked = webgpuKernels(gpu!.device, { maxBindingBytes: 16 * 1024, fftKernel: variant });
    try {
      const cases: [number[], number[]][] = [
        [[96, 40], [0]], // 96/8·40 threads > 3 workgroups of 64
        [[4, 3000], [0]], // fused: 12 000 lines / 256 per workgroup > 3 workgroups
        [[13, 50], [0]], // Bluestein, 50 lines
        [[12, 13, 40], [1]], // strided, 480 lines
        [[64, 9, 11], [0, 1]], // 6336 complex = 50 KiB: chunks of whole slices
        [[7, 13, 60], [0, 1]], // Bluestein in chunks, odd sizes
        [[5, 6, 7, 20], [2]],
      ];
      for (const kk of [narrow, chunked]) {
        for (const [shape, axes] of variant === 'stages' ? cases : ([[[7, 3000], [0]], [[7, 13, 60], [0, 1]], [[120, 7, 9], [1]]] as typeof cases)) {
          const total = shape.reduce((a, b) => a * b, 1);
          const x = noise(2 * total, 11);
          for (const inverse of [false, true]) {
            const err = relL2(await gpuFft(kk, x, shape, axes, { inverse }), cpuFft(x, shape, axes, { inverse }));
            expect(err, `${JSON.stringify(shape)} axes ${axes} inverse=${inverse}`).toBeLessThanOrEqual(TOL);
          }
        }
      }
      expect(narrow.counters.gridDispatches).toBeGreaterThan(0);
      expect(chunked.counters.fftChunks).toBeGreaterThan(chunked.counters.fftChunksCopied);
      expect(chunked.counters.fftChunksCopied).toBeGreaterThan(0);
      expect(k.counters.fusedFfts > 0).toBe(variant === 'fused');
    } finally {
      narrow.dispose();
      chunked.dispose();
    }
  });

  it('rejects bad shapes like the CPU FFT', () => {
    const a = k.upload(new Float32Array(2 * 12));
    expect(() => k.fft(a, [5, 2], [0])).toThrow(/needs 10/);
    expect(() => k.fft(a, [12], [1])).toThrow(/axis/);
    k.free(a);
  });
});
