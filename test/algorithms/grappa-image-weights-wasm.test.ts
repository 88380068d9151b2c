import { afterEach, describe, expect, it } from 'vitest';
import { applyImageWeights, setImageWeightsBackend } from '../../recon/algorithms/grappa/index.ts';

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 1073741824 - 1;
  });
}

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('image-domain GRAPPA unmixing: WebAssembly SIMD (float32) equals the float64 JS loops', () => {
  afterEach(() => setImageWeightsBackend('auto'));
  const cases: [number[], number, number][] = [
    [[64, 64, 1], 16, 16], [[37, 23, 1], 8, 8], [[255, 3, 2], 5, 4], [[300, 1, 1], 32, 32],
  ];
  for (const [dims, cin, cout] of cases) {
    it(`[${dims.join('×')}] voxels, ${cout}×${cin} channels`, () => {
      const n = dims[0]! * dims[1]! * dims[2]!;
      const x = random(2 * n * cin, n + cin), W = random(2 * n * cin * cout, 3 * n + cout);
      setImageWeightsBackend('js');
      const want = applyImageWeights(x, W, dims as [number, number, number], cin, cout);
      setImageWeightsBackend('wasm');
      const got = applyImageWeights(x, W, dims as [number, number, number], cin, cout, undefined, `test-${n}-${cin}`);
      expect(relL2(got, want)).toBeLessThan(1e-6);
      // the kept weights serve the next frame, and a changed frame is read again
      const x2 = random(2 * n * cin, 7 * n);
      const again = applyImageWeights(x2, W, dims as [number, number, number], cin, cout, undefined, `test-${n}-${cin}`);
      setImageWeightsBackend('js');
      expect(relL2(again, applyImageWeights(x2, W, dims as [number, number, number], cin, cout))).toBeLessThan(1e-6);
    });
  }
});
