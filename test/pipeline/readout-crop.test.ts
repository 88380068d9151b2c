import { describe, expect, it } from 'vitest';
import { ifftc } from '../../recon/fft/index.ts';
import { cropReadout, croppedReadoutLength, planWithCroppedReadout } from '../../recon/pipeline/readout-crop.ts';
import { resizeCentred } from '../../recon/pipeline/resize.ts';
import type { ReconPlan } from '../../recon/pipeline/plan.ts';

function random(n: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 1073741824 - 1;
  }
  return out;
}

/** The field-of-view crop as the fully sampled chain does it: whole encoded line, inverse FFT, centred crop. */
function imageCrop(line: Float32Array, offset: number, samples: number, channels: number, encoded: number, keep: number): Float32Array {
  const full = new Float32Array(2 * encoded * channels);
  for (let c = 0; c < channels; c++) full.set(line.subarray(2 * c * samples, 2 * (c + 1) * samples), 2 * (c * encoded + offset));
  ifftc(full, [encoded, channels], [0]);
  return resizeCentred(full, [encoded, channels], [keep, channels]);
}

function relDiff(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / den);
}

describe('readout oversampling removed per readout', () => {
  const cases: [string, number, number, number, number][] = [
    // name, encoded, keep, samples, centre
    ['2× oversampling, even', 384, 192, 384, 192],
    ['odd lengths', 255, 127, 255, 127],
    ['asymmetric echo (zero-filled)', 256, 128, 200, 72],
    ['1.5× oversampling', 192, 128, 192, 96],
  ];
  for (const [name, encoded, keep, samples, centre] of cases) {
    it(`${name}: the image of the cropped readout is the cropped image of the readout`, () => {
      const channels = 3;
      const data = random(2 * samples * channels, encoded + keep);
      const r = cropReadout({ data, channels, samples, centerSample: centre }, encoded, keep)!;
      expect(r.samples).toBe(keep);
      expect(r.centerSample).toBe(Math.floor(keep / 2));
      const img = r.data.slice();
      ifftc(img, [keep, channels], [0]);
      const want = imageCrop(data, Math.floor(encoded / 2) - centre, samples, channels, encoded, keep);
      expect(relDiff(img, want)).toBeLessThan(1e-6);
    });
  }

  it('refuses a readout that does not fit the encoded grid', () => {
    const r = { data: new Float32Array(2 * 300), channels: 1, samples: 300, centerSample: 10 };
    expect(cropReadout(r, 256, 128)).toBeNull();
  });

  it('the cropped plan covers the recon FOV at the encoded sample spacing', () => {
    const plan = { bufferRo: 384, readoutKeepFraction: 0.5, bufferFovMm: [440, 220, 5] } as unknown as ReconPlan;
    expect(croppedReadoutLength(plan)).toBe(192);
    const p = planWithCroppedReadout(plan);
    expect(p.bufferRo).toBe(192);
    expect(p.bufferFovMm[0]).toBeCloseTo(220, 10);
    expect(p.readoutKeepFraction).toBe(1);
    const none = { ...plan, readoutKeepFraction: 1 } as ReconPlan;
    expect(planWithCroppedReadout(none)).toBe(none);
  });
});
