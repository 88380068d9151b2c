/**
 * GRAPPA g-factor: the analytic map (image-domain unmixing coefficients and
 * coil-combination weights, prewhitened noise) against a Monte-Carlo
 * pseudo-replica estimate that reconstructs through the independent k-space
 * path: BART's phantom k-space (48², 8 coils), kernel calibrated on 16
 * noise-free ACS lines, combination weights conj(S)/Σ|S|² from BART's
 * simulated sensitivities (`bart phantom -S`).
 *
 * Tolerance: the issue asks for agreement within 5 % inside the object. With
 * M complex replicas each std estimate has a relative standard error of about
 * 1/sqrt(2M) and their ratio about 1/sqrt(M); with M = 300 that is 5.8 % per
 * voxel, so the median |relative difference| over the object is expected at
 * ≈ 0.67·5.8 % ≈ 3.9 % (measured 2–2.5 % as the two estimates share the noise
 * draws on the acquired lines) — below 5 % unless the analytic map is wrong.
 * A bias (wrong R scaling, missing sqrt(N) in the weights) shows in the signed
 * median, held to 2 %.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fftnd } from '../../recon/fft/index.ts';
import { combineRss, combineWeights, combineWithWeights } from '../../recon/algorithms/coil-combine.ts';
import { grappaApplyKspace, grappaCalibrate, latticeMask } from '../../recon/algorithms/grappa/index.ts';
import { grappaGFactor, grappaGFactorMap, pseudoReplicaGFactor } from '../../recon/algorithms/gfactor-grappa.ts';
import { readCfl, runBart, tempDir } from '../helpers/cfl.ts';

const n = 48, C = 8;
const dims = [n, n, 1, C] as const;
const id: [number, number, number] = [n, n, 1];

function ifft3(k: Float32Array): Float32Array {
  const x = Float32Array.from(k);
  fftnd(x, [n, n, 1, C], [0, 1, 2], { inverse: true });
  return x;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

let dir = '';
let cleanup = (): void => {};
let k: Float32Array;
let w: Float32Array;
let inside: Uint8Array;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('uhf-grappa-g-'));
  runBart(['phantom', '-x', String(n), '-s', String(C), '-k', join(dir, 'k')]);
  runBart(['phantom', '-x', String(n), '-S', String(C), join(dir, 's')]);
  k = readCfl(join(dir, 'k')).data;
  w = combineWeights(readCfl(join(dir, 's')).data, id, C);
  const rss = combineRss(ifft3(k), id, C);
  let mx = 0;
  for (const v of rss) mx = Math.max(mx, v);
  inside = Uint8Array.from(rss, (v) => (v > 0.1 * mx ? 1 : 0));
});
afterAll(() => cleanup());

describe('GRAPPA g-factor: analytic vs pseudo-replica', () => {
  it('R = 3, 300 replicas: median |relative difference| inside the object < 5 %', () => {
    const R = 3;
    // 16 ACS lines from the noise-free data
    const acs = new Float32Array(2 * n * 16 * C);
    for (let c = 0; c < C; c++) for (let e = 0; e < 16; e++) acs.set(k.subarray(2 * n * (16 + e + n * c), 2 * n * (17 + e + n * c)), 2 * n * (e + 16 * c));
    const ker = grappaCalibrate(acs, [n, 16, 1, C], { accel: [R, 1] });
    const t0 = performance.now();
    const { gfactor } = grappaGFactorMap(ker, id, w);
    const t1 = performance.now();
    const lat = latticeMask(n, 1, [R, 1]);
    const mc = pseudoReplicaGFactor({
      dims, acceleratedMask: lat, accel: R,
      reconAccelerated: (ks) => combineWithWeights(ifft3(grappaApplyKspace(ks, dims, ker, { mask: lat, latticeOffset: [0, 0], keepAcquired: false })), w, id, C),
      reconFull: (ks) => combineWithWeights(ifft3(ks), w, id, C),
    }, { replicas: 300, seed: 7 });
    const t2 = performance.now();
    const rel: number[] = [];
    let gMean = 0, gMax = 0;
    for (let p = 0; p < n * n; p++) {
      if (!inside[p]) continue;
      rel.push((mc.gfactor[p]! - gfactor[p]!) / gfactor[p]!);
      gMean += gfactor[p]!;
      gMax = Math.max(gMax, gfactor[p]!);
    }
    gMean /= rel.length;
    const medAbs = median(rel.map(Math.abs)), medSigned = median(rel);
    console.log(`GRAPPA g-factor R=${R} (48², 8 coils): analytic mean ${gMean.toFixed(3)}, max ${gMax.toFixed(3)} over ${rel.length} voxels; vs 300 pseudo-replicas median |rel diff| ${(100 * medAbs).toFixed(2)} %, signed ${(100 * medSigned).toFixed(2)} %; analytic ${(t1 - t0).toFixed(0)} ms, replicas ${(t2 - t1).toFixed(0)} ms`);
    expect(rel.length).toBeGreaterThan(500);
    expect(gMean).toBeGreaterThan(1.1); // R = 3 with 8 coils: a real noise penalty to measure
    expect(medAbs).toBeLessThan(0.05);
    expect(Math.abs(medSigned)).toBeLessThan(0.02);
  });

  it('R = 1 gives g = 1; the map scales as 1/R for fixed unmixing', () => {
    const ker = grappaCalibrate(new Float32Array(0), [n, 0, 1, C], { accel: [1, 1] });
    const { gfactor, unmix } = grappaGFactorMap(ker, id, w);
    for (let p = 0; p < n * n; p++) expect(gfactor[p]!).toBeCloseTo(1, 5);
    // unmix = w here, so R = 4 in the formula gives 1/4
    const g4 = grappaGFactor(unmix, w, id, C, C, [2, 2]);
    expect(g4[n * 24 + 24]!).toBeCloseTo(0.25, 5);
  });
});
