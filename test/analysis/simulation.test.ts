/**
 * Simulated runs with known activations (synthetic.ts: blobs × HRF-convolved
 * blocks + AR(1) noise + drift): sensitivity and false-positive rate, bounded.
 */
import { describe, expect, it } from 'vitest';
import { analyseVolume, type AnalysisResult } from '../../recon/analysis/analyse.ts';
import { makeSyntheticRun, type SyntheticRun } from '../../recon/analysis/synthetic.ts';

interface Rates {
  sensitivity: number;
  fpr: number;
  fdp: number;
}

/** Per contrast named after a condition: detected/true inside the blob, false/null outside all blobs. */
function rates(run: SyntheticRun, r: AnalysisResult, name: string): Rates {
  const c = r.contrasts.find((x) => x.maps.name === name)!;
  const truth = run.truth.get(name)!;
  const any = new Uint8Array(truth.length);
  for (const t of run.truth.values()) t.forEach((x, v) => (any[v] = any[v]! | x));
  let tp = 0;
  let pos = 0;
  let fp = 0;
  let neg = 0;
  for (let v = 0; v < r.mask.length; v++) {
    if (!r.mask[v]) continue;
    const active = c.maps.z[v]! >= c.threshold.z;
    if (truth[v]) {
      pos++;
      if (active) tp++;
    } else if (!any[v]) {
      neg++;
      if (active) fp++;
    }
  }
  return { sensitivity: tp / pos, fpr: fp / neg, fdp: tp + fp ? fp / (tp + fp) : 0 };
}

const fresh = (run: SyntheticRun) => ({ ...run.volume, data: new Float32Array(run.volume.data) });
const report = (label: string, x: Rates) =>
  console.log(`${label}: sensitivity ${x.sensitivity.toFixed(3)}, false-positive rate ${x.fpr.toFixed(4)}, FDP ${x.fdp.toFixed(3)}`);

describe('simulated activations', () => {
  const run = makeSyntheticRun({ seed: 2, dims: [32, 32, 16], nFrames: 160 });
  const contrasts = ['faces=faces', 'houses=houses', 'diff=faces - houses'];

  it('AR(1): detects the blobs and keeps false positives near p', async () => {
    const r = await analyseVolume(fresh(run), run.events, { tr: 2, contrasts, pThreshold: 0.001 });
    for (const name of ['faces', 'houses']) {
      const x = rates(run, r, name);
      report(`AR(1) p<0.001 ${name}`, x);
      expect(x.sensitivity).toBeGreaterThanOrEqual(0.6);
      expect(x.fpr).toBeLessThanOrEqual(0.004);
    }
    // The strongest cluster of each contrast sits on its blob.
    const faces = r.contrasts[0]!.clusters[0]!;
    const truth = run.truth.get('faces')!;
    const [i, j, k] = faces.peakVoxel;
    expect(truth[i + 32 * (j + 32 * k)]).toBe(1);
    expect(faces.size).toBeGreaterThan(30);
    // faces − houses is positive on the faces blob and negative on the houses blob.
    const diff = r.contrasts[2]!.maps.z;
    const meanOver = (m: Uint8Array) => {
      let s = 0;
      let n = 0;
      m.forEach((x, v) => {
        if (x && r.mask[v]) {
          s += diff[v]!;
          n++;
        }
      });
      return s / n;
    };
    expect(meanOver(run.truth.get('faces')!)).toBeGreaterThan(2);
    expect(meanOver(run.truth.get('houses')!)).toBeLessThan(-2);
  });

  it('FDR 0.05: the false discovery proportion stays small', async () => {
    const r = await analyseVolume(fresh(run), run.events, { tr: 2, contrasts, fdrQ: 0.05 });
    for (const name of ['faces', 'houses']) {
      const x = rates(run, r, name);
      report(`AR(1) FDR 0.05 ${name}`, x);
      expect(x.fdp).toBeLessThanOrEqual(0.1);
      expect(x.sensitivity).toBeGreaterThanOrEqual(0.5);
    }
  });

  it('OLS ignores the autocorrelation and pays in false positives; smoothing buys sensitivity', async () => {
    const ols = await analyseVolume(fresh(run), run.events, { tr: 2, contrasts, noise: 'ols' });
    const ar1 = await analyseVolume(fresh(run), run.events, { tr: 2, contrasts });
    const smooth = await analyseVolume(fresh(run), run.events, { tr: 2, contrasts, fwhmMm: 6 });
    const o = rates(run, ols, 'houses');
    const a = rates(run, ar1, 'houses');
    const s = rates(run, smooth, 'houses');
    report('OLS p<0.001 houses', o);
    report('AR(1) FWHM 6 mm p<0.001 houses', s);
    expect(o.fpr).toBeGreaterThan(2 * a.fpr);
    expect(s.sensitivity).toBeGreaterThan(a.sensitivity);
    expect(smooth.smoothingSigmas![0]).toBeCloseTo(6 / Math.sqrt(8 * Math.log(2)) / 3, 12);
  });

  it('null data: the false-positive rate matches p over the whole mask', async () => {
    let fp = 0;
    let n = 0;
    for (const seed of [11, 12]) {
      const nullRun = makeSyntheticRun({ seed, dims: [32, 32, 16], nFrames: 160, activations: [] });
      const r = await analyseVolume(nullRun.volume, nullRun.events, { tr: 2, contrasts: ['faces=faces'], pThreshold: 0.01 });
      const z = r.contrasts[0]!.maps.z;
      r.mask.forEach((m, v) => {
        if (!m) return;
        n++;
        if (z[v]! >= r.contrasts[0]!.threshold.z) fp++;
      });
    }
    console.log(`null AR(1) p<0.01: false-positive rate ${(fp / n).toFixed(4)} over ${n} voxels`);
    expect(fp / n).toBeGreaterThan(0.004);
    expect(fp / n).toBeLessThan(0.02);
  });

  it('worker threads give exactly the inline result', async () => {
    const small = makeSyntheticRun({ seed: 5, dims: [20, 20, 10], nFrames: 80 });
    const a = await analyseVolume(fresh(small), small.events, { tr: 2, contrasts, threads: 1, chunkVoxels: 256 });
    const b = await analyseVolume(fresh(small), small.events, { tr: 2, contrasts, threads: 2, chunkVoxels: 256 });
    expect(b.fit.threads).toBe(2);
    for (let i = 0; i < contrasts.length; i++) expect(b.contrasts[i]!.maps.z).toEqual(a.contrasts[i]!.maps.z);
    expect(b.fit.ar1).toEqual(a.fit.ar1);
  });
});
