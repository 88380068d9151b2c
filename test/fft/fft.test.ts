import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fftc, ifftc, fftnd, planFft, setFftBackend, wasmAvailable, type FftBackend } from '../../recon/fft/index.ts';
import { relL2 } from '../helpers/cfl.ts';
import { randomComplexVector, signedRng } from '../helpers/random.ts';

/** Naive float64 DFT of one line; sign -1 forward, +1 inverse; no scaling. */
function naiveDft(re: Float64Array, im: Float64Array, sign: number): [Float64Array, Float64Array] {
  const n = re.length;
  const outR = new Float64Array(n), outI = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let sr = 0, si = 0;
    for (let j = 0; j < n; j++) {
      const a = (sign * 2 * Math.PI * ((j * k) % n)) / n;
      const c = Math.cos(a), s = Math.sin(a);
      sr += re[j]! * c - im[j]! * s;
      si += re[j]! * s + im[j]! * c;
    }
    outR[k] = sr; outI[k] = si;
  }
  return [outR, outI];
}

/** Reference: fftshift(DFT(ifftshift(x))) with optional 1/sqrt(n), straight from the definition. */
function naiveLine(re: Float64Array, im: Float64Array, inverse: boolean, centred: boolean, ortho: boolean): [Float64Array, Float64Array] {
  const n = re.length;
  const c = Math.floor(n / 2);
  const sr = new Float64Array(n), si = new Float64Array(n);
  // ifftshift: X[j] = x[(j + c) mod n]
  for (let j = 0; j < n; j++) {
    const src = centred ? (j + c) % n : j;
    sr[j] = re[src]!; si[j] = im[src]!;
  }
  const [yr, yi] = naiveDft(sr, si, inverse ? 1 : -1);
  const scale = ortho ? 1 / Math.sqrt(n) : 1;
  const outR = new Float64Array(n), outI = new Float64Array(n);
  // fftshift: out[i] = Y[(i - c) mod n]
  for (let i = 0; i < n; i++) {
    const src = centred ? (i - c + n) % n : i;
    outR[i] = yr[src]! * scale; outI[i] = yi[src]! * scale;
  }
  return [outR, outI];
}

/** Applies naiveLine along `axis` of `shape` to interleaved data, in float64. */
function naiveAxis(data: Float64Array, shape: readonly number[], axis: number, inverse: boolean): Float64Array {
  const n = shape[axis]!;
  let inner = 1, outer = 1;
  for (let d = 0; d < axis; d++) inner *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) outer *= shape[d]!;
  const out = new Float64Array(data.length);
  const re = new Float64Array(n), im = new Float64Array(n);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = i + inner * n * o;
      for (let j = 0; j < n; j++) { const idx = 2 * (base + inner * j); re[j] = data[idx]!; im[j] = data[idx + 1]!; }
      const [yr, yi] = naiveLine(re, im, inverse, true, true);
      for (let j = 0; j < n; j++) { const idx = 2 * (base + inner * j); out[idx] = yr[j]!; out[idx + 1] = yi[j]!; }
    }
  }
  return out;
}

const SCANNER = [64, 96, 120, 128, 160, 192, 196, 208, 224, 240, 256, 320, 336, 448, 512];
const BLUESTEIN = [97, 143, 194, 202, 389];
const SMALL = Array.from({ length: 64 }, (_, i) => i + 1);
const TOL = 1e-6;

describe('planFft (uncentred, unnormalised, offset/stride) vs naive DFT', () => {
  for (const n of [1, 2, 3, 5, 7, 8, 11, 12, 13, 16, 30, 49, 64, 97, 128, 194, 196, 240]) {
    it(`n=${n}`, () => {
      const stride = 3, offset = 2;
      for (const F of [Float32Array, Float64Array]) {
        const buf = new F(2 * (offset + stride * n + 1));
        const r = signedRng(n);
        for (let i = 0; i < buf.length; i++) buf[i] = r();
        const before = buf.slice();
        const re = new Float64Array(n), im = new Float64Array(n);
        for (let j = 0; j < n; j++) { re[j] = buf[2 * (offset + stride * j)]!; im[j] = buf[2 * (offset + stride * j) + 1]!; }
        for (const inverse of [false, true]) {
          const y = buf.slice();
          const plan = planFft(n);
          expect(plan.n).toBe(n);
          if (inverse) plan.inverse(y, offset, stride); else plan.forward(y, offset, stride);
          const [yr, yi] = naiveDft(re, im, inverse ? 1 : -1);
          const got = new Float64Array(2 * n), ref = new Float64Array(2 * n);
          for (let k = 0; k < n; k++) {
            got[2 * k] = y[2 * (offset + stride * k)]!; got[2 * k + 1] = y[2 * (offset + stride * k) + 1]!;
            ref[2 * k] = yr[k]!; ref[2 * k + 1] = yi[k]!;
          }
          expect(relL2(got, ref)).toBeLessThan(F === Float64Array ? 1e-12 : TOL);
          // elements not on the line are untouched
          for (let i = 0; i < buf.length; i++) {
            const c = i >> 1;
            if (c >= offset && (c - offset) % stride === 0 && (c - offset) / stride < n) continue;
            expect(y[i]).toBe(before[i]);
          }
        }
      }
    });
  }
});

it('the WebAssembly SIMD backend loads in this runtime', () => {
  expect(wasmAvailable()).toBe(true);
});

for (const be of ['js', 'wasm'] as FftBackend[]) {
  describe(`backend ${be}`, () => {
    let prev: FftBackend = 'auto';
    beforeAll(() => { prev = setFftBackend(be); });
    afterAll(() => { setFftBackend(prev); });

    describe('fftc / ifftc vs naive float64 DFT (1-D)', () => {
      for (const n of [...SMALL, ...SCANNER, ...BLUESTEIN]) {
        it(`n=${n}`, () => {
          const x = randomComplexVector(n, 1000 + n);
          const re = new Float64Array(n), im = new Float64Array(n);
          for (let j = 0; j < n; j++) { re[j] = x[2 * j]!; im[j] = x[2 * j + 1]!; }
          for (const inverse of [false, true]) {
            const [yr, yi] = naiveLine(re, im, inverse, true, true);
            const ref = new Float64Array(2 * n);
            for (let k = 0; k < n; k++) { ref[2 * k] = yr[k]!; ref[2 * k + 1] = yi[k]!; }
            const y = x.slice();
            (inverse ? ifftc : fftc)(y, [n], [0]);
            expect(relL2(y, ref)).toBeLessThan(TOL);
          }
        });
      }
    });

    describe('fftc along middle / last axes of a batched 3-D array', () => {
      for (const n of [...SMALL, ...SCANNER, ...BLUESTEIN]) {
        it(`n=${n}`, () => {
          const cases: { shape: number[]; axis: number }[] = [
            { shape: [3, n, 4], axis: 1 },
            { shape: [5, 2, n], axis: 2 },
            { shape: [n, 3, 2], axis: 0 },
          ];
          for (const { shape, axis } of cases) {
            const count = shape.reduce((a, b) => a * b, 1);
            const x = randomComplexVector(count, 7 * n + axis);
            const x64 = Float64Array.from(x);
            for (const inverse of [false, true]) {
              const ref = naiveAxis(x64, shape, axis, inverse);
              const y = x.slice();
              (inverse ? ifftc : fftc)(y, shape, [axis]);
              expect(relL2(y, ref), `shape [${shape}] axis ${axis} inverse=${inverse}`).toBeLessThan(TOL);
            }
          }
        });
      }
    });

    describe('round trip and Parseval', () => {
      const shapes: { shape: number[]; axes: number[] }[] = [
        { shape: [256, 256, 4], axes: [0, 1] },
        { shape: [96, 120, 3], axes: [0, 1] },
        { shape: [13, 7, 5], axes: [0, 1, 2] },
        { shape: [196, 208], axes: [1] },
        { shape: [97, 11, 6], axes: [0, 1] },
        { shape: [1, 64, 1, 3], axes: [0, 1, 2] },
      ];
      for (const { shape, axes } of shapes) {
        it(`[${shape}] axes [${axes}]`, () => {
          const count = shape.reduce((a, b) => a * b, 1);
          const x = randomComplexVector(count, count);
          const y = x.slice();
          fftc(y, shape, axes);
          let ex = 0, ey = 0;
          for (let i = 0; i < x.length; i++) { ex += x[i]! * x[i]!; ey += y[i]! * y[i]!; }
          expect(Math.abs(ey / ex - 1)).toBeLessThan(1e-6);
          ifftc(y, shape, axes);
          expect(relL2(y, x)).toBeLessThan(TOL);
        });
      }

      it('fftnd options: uncentred backward-normalised round trip and linearity of centring', () => {
        const shape = [30, 14, 3];
        const x = randomComplexVector(30 * 14 * 3, 5);
        const y = x.slice();
        fftnd(y, shape, [0, 1], { centred: false, norm: 'backward' });
        fftnd(y, shape, [0, 1], { centred: false, norm: 'backward', inverse: true });
        expect(relL2(y, x)).toBeLessThan(TOL);
      });

      it('rejects bad shapes and axes', () => {
        const x = new Float32Array(2 * 12);
        expect(() => fftc(x, [3, 5], [0])).toThrow(/shape/);
        expect(() => fftc(x, [3, 4], [2])).toThrow(/axis/);
        expect(() => fftc(x, [3, 4], [1, 1])).toThrow(/twice/);
        expect(() => planFft(0)).toThrow();
      });
    });
  });
}
