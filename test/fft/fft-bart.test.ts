/**
 * Compares fftc/ifftc with `bart fft -u [-i] <bitmask>` on the same data.
 * BART is a required CI peer: these tests fail (they do not skip) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fftc, ifftc, axesFromBitmask, setFftBackend, type FftBackend } from '../../recon/fft/index.ts';
import { bartPath, readCfl, relL2, runBart, tempDir, writeCfl } from '../helpers/cfl.ts';

function randomComplex(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(2 * count);
  for (let i = 0; i < out.length; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    out[i] = a / 2147483648 - 1;
  }
  return out;
}

const CASES: { shape: number[]; mask: number }[] = [
  { shape: [96, 120], mask: 3 },
  { shape: [13, 7, 5], mask: 7 },
  { shape: [196, 208], mask: 3 },
  { shape: [64, 64, 8], mask: 3 },
  { shape: [15, 9, 4], mask: 2 },
  { shape: [11, 13, 3], mask: 5 },
  { shape: [97, 21, 2], mask: 1 },
  { shape: [17, 194, 2], mask: 2 },
  { shape: [8, 6, 49], mask: 6 },
  { shape: [33, 1, 25, 2], mask: 13 },
  { shape: [1, 1, 1], mask: 7 },
];

describe('fftc / ifftc agree with bart fft -u', () => {
  let dir = '';
  let cleanup = (): void => {};
  beforeAll(() => {
    bartPath(); // throws with a clear message if bart is missing
    ({ dir, cleanup } = tempDir('uhf-fft-bart-'));
  });
  afterAll(() => cleanup());

  for (const { shape, mask } of CASES) {
    it(`[${shape.join(',')}] bitmask ${mask}`, () => {
      const count = shape.reduce((a, b) => a * b, 1);
      const x = randomComplex(count, count * 31 + mask);
      const inp = join(dir, 'in'), fwd = join(dir, 'fwd'), inv = join(dir, 'inv');
      writeCfl(inp, shape, x);
      runBart(['fft', '-u', String(mask), inp, fwd]);
      runBart(['fft', '-u', '-i', String(mask), inp, inv]);
      const axes = axesFromBitmask(mask, shape.length);
      const bf = readCfl(fwd), bi = readCfl(inv);
      expect(bf.data.length).toBe(x.length);
      for (const be of ['js', 'wasm'] as FftBackend[]) {
        const prev = setFftBackend(be);
        try {
          const ours = x.slice();
          fftc(ours, shape, axes);
          expect(relL2(ours, bf.data), `forward, ${be}`).toBeLessThanOrEqual(1e-6);
          const oursI = x.slice();
          ifftc(oursI, shape, axes);
          expect(relL2(oursI, bi.data), `inverse, ${be}`).toBeLessThanOrEqual(1e-6);
        } finally {
          setFftBackend(prev);
        }
      }
    });
  }

  it('cfl helper round-trips through bart copy', () => {
    const shape = [5, 3, 2];
    const x = randomComplex(30, 9);
    writeCfl(join(dir, 'a'), shape, x);
    runBart(['copy', join(dir, 'a'), join(dir, 'b')]);
    const b = readCfl(join(dir, 'b'));
    expect(b.dims).toEqual(shape);
    expect(Array.from(b.data)).toEqual(Array.from(x));
  });
});
