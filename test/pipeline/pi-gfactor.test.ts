/**
 * The pipeline's g-factor maps (`--gfactor`, GRAPPA and SENSE) against a
 * Monte-Carlo pseudo-replica estimate computed THROUGH THE SAME PIPELINE.
 *
 * Replicas: the simulator's repetitions. A run of N identical frames (no
 * activation, no drift) carries an independent realisation of the correlated
 * receiver noise in every frame, a noise scan (so the pipeline prewhitens, and
 * the analytic maps are those of prewhitened noise), and ONE separate
 * calibration scan: the pipeline calibrates each slice once and applies that
 * calibration to every replica, so the replicas differ by noise only.
 *
 *   std_acc(p)  = standard deviation over the N accelerated frames of the output magnitude
 *   std_full    = the same for N_full fully sampled frames (same seed → same noise scan →
 *                 same whitener), pooled over the object: after prewhitening the noise of
 *                 an RSS image is the same everywhere (unit variance per real component)
 *   g_PR(p)     = std_acc(p) / (std_full · √R)
 *
 * At high SNR the magnitude's fluctuation is the noise component along the
 * signal, i.e. the noise of the combined complex image (RSS = projection on the
 * signal direction, the combination the analytic GRAPPA map assumes; SENSE =
 * |ρ| with unit-norm ESPIRiT maps). The SNR inside the mask is checked (≥ 10 in
 * every accelerated voxel).
 *
 * Statistics: per voxel, std from N samples has a relative standard error of
 * 1/√(2(N−1)) (7 % for N = 100), so per-voxel agreement within 5 % would take
 * thousands of replicas. The claim is tested as: (1) the mean of g_PR/g over the
 * object within 2 %; (2) on 4×4-voxel blocks (variances averaged, SE ≈ 2 %) the
 * 95th percentile of |g_PR/g − 1| below 5 %; (3) the per-voxel spread of g_PR/g
 * no wider than its sampling error explains.
 *
 * Data: 7t-anat preset (32-channel helmet model reduced to 16 coils, double
 * oblique), 72² (a multiple of R so that SENSE unfolds in closed form and has a
 * map), readout oversampling 2, one slice, R = 3, 24 ACS lines, σ = 0.005.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Volume } from '../../shared/volume.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import type { SimParams, SimulatedScan } from '../../recon/sim/index.ts';
import { simulateFile } from '../../recon/bench/pi.ts';
import { tempDir } from '../helpers/peers.ts';

const tmp = tempDir('uhf-pi-g-');
afterAll(() => tmp.cleanup());

const M = 72;
const R = 3;
const REPLICAS = 100;
const FULL_REPLICAS = 24;
const BLOCK = 4;

/** Per-voxel mean and (n − 1)-normalised variance over the frames of a [x y 1 t] volume. */
function frameStats(v: Volume): { mean: Float64Array; variance: Float64Array } {
  const n = v.dims[0] * v.dims[1] * v.dims[2];
  const frames = v.dims[3];
  const mean = new Float64Array(n), m2 = new Float64Array(n);
  for (let f = 0; f < frames; f++) {
    for (let p = 0; p < n; p++) {
      const x = v.data[p + n * f]!;
      const d = x - mean[p]!;
      mean[p]! += d / (f + 1);
      m2[p]! += d * (x - mean[p]!);
    }
  }
  return { mean, variance: m2.map((s) => s / (frames - 1)) };
}

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

describe(`g-factor maps vs pseudo-replicas through the pipeline (7 T sim, ${M}², 16 coils, R = ${R}, ${REPLICAS} replicas)`, () => {
  let acc: { scan: SimulatedScan; file: string };
  let fullVariance: number;
  let mask: Uint8Array;
  const base: Partial<SimParams> = { matrix: [M, M], slices: 1, coils: 16, noiseSigma: 0.005, blocks: null, driftPercent: 0 };

  beforeAll(async () => {
    acc = await simulateFile(tmp.dir, { ...base, acceleration: R, acsLines: 24, calibrationMode: 'separate', repetitions: REPLICAS }, 'g-acc');
    const full = await simulateFile(tmp.dir, { ...base, acceleration: 1, repetitions: FULL_REPLICAS }, 'g-full');
    const r = await reconstructFile(full.file, { workers: 0 });
    expect(r.report.noise.prewhitened).toBe(true);
    const s = frameStats(r.volumes[0]!.magnitude);
    mask = Uint8Array.from(acc.scan.truth.image.data, (v) => (v >= 0.4 ? 1 : 0));
    let sum = 0, count = 0;
    for (let p = 0; p < mask.length; p++) {
      if (!mask[p]) continue;
      sum += s.variance[p]!;
      count++;
    }
    fullVariance = sum / count;
    // Uniform, as pooling assumes: 8×8-block means scatter no more than their sampling error explains.
    const blocks: number[] = [];
    let expectedSd = 0;
    for (let by = 0; by < M; by += 8) {
      for (let bx = 0; bx < M; bx += 8) {
        let v = 0, k = 0;
        for (let y = by; y < by + 8; y++) for (let x = bx; x < bx + 8; x++) if (mask[x + M * y]) { v += s.variance[x + M * y]!; k++; }
        if (k < 32) continue;
        blocks.push(v / k / fullVariance);
        expectedSd = Math.max(expectedSd, Math.sqrt(2 / (k * (FULL_REPLICAS - 1))));
      }
    }
    const spread = Math.sqrt(blocks.reduce((a, b) => a + (b - 1) ** 2, 0) / blocks.length);
    console.log(`[pi g-factor] fully sampled: pooled noise variance ${fullVariance.toFixed(4)} over ${count} voxels × ${FULL_REPLICAS} replicas (prewhitened RSS: 1 per real component); 8×8-block spread ${spread.toFixed(4)} (sampling ≤ ${expectedSd.toFixed(4)})`);
    expect(spread).toBeLessThan(1.5 * expectedSd);
    expect(fullVariance).toBeGreaterThan(0.9);
    expect(fullVariance).toBeLessThan(1.1);
  });

  for (const pi of ['grappa', 'sense'] as const) {
    it(`${pi.toUpperCase()}: the --gfactor map agrees with the pseudo-replica estimate within 5 % inside the object`, async () => {
      const r = await reconstructFile(acc.file, { pi, gfactor: true, workers: 0 });
      expect(r.report.parallelImaging).toMatchObject({ method: pi, calibrationMode: 'separate', calibratedSlices: 1 });
      expect(r.report.noise.prewhitened).toBe(true);
      const main = r.volumes.find((v) => v.suffix === '')!.magnitude;
      const gVol = r.volumes.find((v) => v.suffix === '_gfactor');
      expect(gVol, 'a g-factor volume').toBeDefined();
      const g = gVol!.magnitude.data;
      expect(main.dims).toEqual([M, M, 1, REPLICAS]);
      expect(gVol!.magnitude.dims).toEqual([M, M, 1, 1]);
      const s = frameStats(main);
      const ratios: number[] = [];
      let minSnr = Infinity, gMin = Infinity, gMax = 0;
      for (let p = 0; p < mask.length; p++) {
        if (!mask[p] || !(g[p]! > 0)) continue;
        const gPr = Math.sqrt(s.variance[p]! / (fullVariance * R));
        ratios.push(gPr / g[p]!);
        minSnr = Math.min(minSnr, s.mean[p]! / Math.sqrt(s.variance[p]!));
        gMin = Math.min(gMin, g[p]!);
        gMax = Math.max(gMax, g[p]!);
      }
      expect(ratios.length).toBeGreaterThan(1500);
      // Blocks: mean variance over the block's object voxels vs mean g² there.
      const blockDev: number[] = [];
      for (let by = 0; by < M; by += BLOCK) {
        for (let bx = 0; bx < M; bx += BLOCK) {
          let v = 0, g2 = 0, k = 0;
          for (let y = by; y < by + BLOCK; y++) {
            for (let x = bx; x < bx + BLOCK; x++) {
              const p = x + M * y;
              if (!mask[p] || !(g[p]! > 0)) continue;
              v += s.variance[p]!;
              g2 += g[p]! ** 2;
              k++;
            }
          }
          if (k >= 12) blockDev.push(Math.sqrt(v / (fullVariance * R) / g2) - 1);
        }
      }
      const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
      const medAbs = quantile(ratios.map((x) => Math.abs(x - 1)), 0.5);
      const se = 1 / Math.sqrt(2 * (REPLICAS - 1));
      const p95 = quantile(blockDev.map(Math.abs), 0.95);
      const worst = Math.max(...blockDev.map(Math.abs));
      console.log(`[pi g-factor ${pi}] g in [${gMin.toFixed(3)}, ${gMax.toFixed(3)}] over ${ratios.length} object voxels (min SNR ${minSnr.toFixed(0)}); g_PR/g: mean ${mean.toFixed(4)}, median |dev| ${medAbs.toFixed(4)} (sampling alone ≈ ${(0.674 * se).toFixed(4)}); ${blockDev.length} ${BLOCK}×${BLOCK} blocks: 95th pct |dev| ${p95.toFixed(4)}, worst ${worst.toFixed(4)}`);
      expect(gMax).toBeGreaterThan(1.05);
      expect(minSnr).toBeGreaterThan(10);
      expect(Math.abs(mean - 1)).toBeLessThan(0.02);
      expect(p95).toBeLessThan(0.05);
      expect(medAbs).toBeLessThan(1.5 * 0.674 * se);
    });
  }
});
