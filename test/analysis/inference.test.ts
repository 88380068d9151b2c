/** FDR, clusters, atlas labels, smoothing and the EPI mask (scipy / nibabel as references). */
import { beforeAll, describe, expect, it } from 'vitest';
import { atlasLabelAt, loadAalAtlas, parseLabelTable } from '../../recon/analysis/atlas.ts';
import { findClusters, formatClusterTsv } from '../../recon/analysis/inference/clusters.ts';
import { benjaminiHochbergP, fdrThresholdZ } from '../../recon/analysis/inference/fdr.ts';
import { zFromP } from '../../recon/analysis/inference/stats.ts';
import { computeEpiMask } from '../../recon/analysis/mask.ts';
import { makeGaussian, makeRng } from '../../recon/analysis/synthetic.ts';
import { gaussianKernel, smoothFrame } from '../../recon/analysis/smooth.ts';
import { asAffine, identityAffine } from '../../shared/volume.ts';
import { runPythonJson } from '../helpers/python.ts';
import { maxAbsDiff } from './helpers.ts';

describe('Benjamini–Hochberg FDR', () => {
  it('matches the step-up rule on p-values and on z', () => {
    // Benjamini & Hochberg (1995), section 4: 15 p-values, 4 rejected at q = 0.05.
    const p = [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1];
    expect(benjaminiHochbergP(p, 0.05)).toEqual({ threshold: 0.0095, count: 4 });
    expect(benjaminiHochbergP([0.5, 0.9], 0.05).count).toBe(0);
    const z = p.map((x) => zFromP(x));
    expect(fdrThresholdZ(z, 0.05)).toBeCloseTo(zFromP(0.0095), 12);
    expect(fdrThresholdZ([0, 0.1, -1], 0.05)).toBe(Infinity);
  });

  it('controls the FDR on simulated nulls + signals', () => {
    const gauss = makeGaussian(makeRng(7));
    const z: number[] = [];
    const truth: boolean[] = [];
    for (let i = 0; i < 20000; i++) {
      const signal = i < 2000;
      z.push(gauss() + (signal ? 4 : 0));
      truth.push(signal);
    }
    const thr = fdrThresholdZ(z, 0.05);
    let fp = 0;
    let hits = 0;
    z.forEach((v, i) => {
      if (v >= thr) {
        hits++;
        if (!truth[i]) fp++;
      }
    });
    expect(fp / hits).toBeLessThan(0.07);
    expect(hits).toBeGreaterThan(1500);
  });
});

describe('clusters', () => {
  const dims: [number, number, number] = [6, 6, 6];
  const at = (i: number, j: number, k: number) => i + 6 * (j + 6 * k);
  const mask = new Uint8Array(216).fill(1);

  it('joins voxels by 6, 18 or 26 neighbours and applies the minimum size', () => {
    const z = new Float32Array(216);
    // Two voxels sharing a face, one touching by an edge, one by a corner only.
    z[at(1, 1, 1)] = 5;
    z[at(2, 1, 1)] = 4;
    z[at(3, 2, 1)] = 4.5; // edge neighbour of (2,1,1)
    z[at(4, 3, 2)] = 6; // corner neighbour of (3,2,1)
    const count = (connectivity: 6 | 18 | 26, minSize = 1) =>
      findClusters(z, mask, dims, identityAffine(), { threshold: 3, connectivity, minSize }).clusters.map((c) => c.size);
    // Sorted by peak: 6 (corner voxel), 5 (the face pair), 4.5 (edge voxel).
    expect(count(6)).toEqual([1, 2, 1]);
    expect(count(18)).toEqual([1, 3]);
    expect(count(26)).toEqual([4]);
    expect(count(6, 2)).toEqual([2]);
  });

  it('reports peak, mm coordinates and volume; negative clusters when two-sided', () => {
    const z = new Float32Array(216);
    z[at(1, 1, 1)] = 5;
    z[at(1, 2, 1)] = 7;
    z[at(4, 4, 4)] = -8;
    const affine = asAffine([2, 0, 0, -10, 0, 2, 0, 20, 0, 0, 3, 5, 0, 0, 0, 1]);
    const { clusters, labels } = findClusters(z, mask, dims, affine, { threshold: 3, twoSided: true });
    expect(clusters.map((c) => [c.sign, c.size, c.peakZ])).toEqual([[-1, 1, -8], [1, 2, 7]]);
    expect(clusters[1]!.peakMm).toEqual([-8, 24, 8]);
    expect(clusters[1]!.volumeMm3).toBe(24);
    expect(labels[at(1, 1, 1)]).toBe(2);
    const tsv = formatClusterTsv(clusters).split('\n');
    expect(tsv[0]!.split('\t')).toContain('atlas_label');
    expect(tsv[2]!.split('\t').slice(0, 8)).toEqual(['2', '+', '2', '24', '7', '-8', '24', '8']);
  });
});

describe('AAL atlas (mricron-data)', () => {
  const points: [number, number, number][] = [[-38, -22, 56], [40, -20, 52], [0, -60, 20], [-22, -4, -18], [10, 50, 20], [0, 0, 200]];
  let expected: string[];
  beforeAll(async () => {
    expected = await runPythonJson<string[]>(String.raw`
import numpy as np, nibabel as nib
img = nib.load('/usr/share/mricron/templates/aal.nii.gz')
d = np.asarray(img.dataobj)
names = {int(l.split()[0]): l.split()[1] for l in open('/usr/share/mricron/templates/aal.nii.txt') if l.strip()}
inv = np.linalg.inv(img.affine)
out = []
for p in INPUT:
    i, j, k = np.rint(inv @ np.array(p + [1.0]))[:3].astype(int)
    if min(i, j, k) < 0 or i >= d.shape[0] or j >= d.shape[1] or k >= d.shape[2]: out.append('outside atlas'); continue
    v = int(d[i, j, k]); out.append('unlabelled' if v == 0 else names[v])
emit(out)
`, points);
  });

  it('labels MNI coordinates as nibabel does', async () => {
    const atlas = await loadAalAtlas();
    expect(atlas.labels.size).toBe(116);
    expect(points.map((p) => atlasLabelAt(atlas, p))).toEqual(expected);
    expect(expected[0]).toMatch(/central_L$/);
    expect(expected.at(-1)).toBe('outside atlas');
    expect(parseLabelTable('1 A 10\r\n\r\n2 B 20\r\n').get(2)).toBe('B');
  });
});

describe('Gaussian smoothing', () => {
  it('matches scipy.ndimage.gaussian_filter (reflect, truncate 4)', async () => {
    const dims: [number, number, number] = [9, 7, 5];
    const gauss = makeGaussian(makeRng(3));
    const frame = Float32Array.from({ length: 9 * 7 * 5 }, () => gauss());
    const sigmas: [number, number, number] = [1.2, 0.8, 2.5];
    const ref = await runPythonJson<number[]>(String.raw`
import numpy as np
from scipy.ndimage import gaussian_filter
a = np.array(INPUT['data'], dtype=np.float64).reshape(INPUT['dims'][::-1])  # [z y x]
s = INPUT['sigmas']
emit(gaussian_filter(a, sigma=[s[2], s[1], s[0]], mode='reflect', truncate=4.0).ravel())
`, { data: Array.from(frame), dims, sigmas });
    smoothFrame(frame, dims, sigmas);
    expect(maxAbsDiff(frame, ref)).toBeLessThan(1e-5);
    expect(gaussianKernel(1).length).toBe(9);
  });
});

describe('EPI mask', () => {
  it('finds the bright object, drops excluded voxels, skips opening on thin volumes', () => {
    const dims: [number, number, number] = [20, 20, 10];
    const mean = new Float32Array(4000);
    const inside = new Uint8Array(4000);
    for (let k = 0; k < 10; k++) for (let j = 0; j < 20; j++) for (let i = 0; i < 20; i++) {
      const r = Math.hypot(i - 9.5, j - 9.5, (k - 4.5) * 2);
      const v = i + 20 * (j + 20 * k);
      mean[v] = r < 8 ? 1000 + (i % 3) : 30 + (j % 5);
      inside[v] = r < 8 ? 1 : 0;
    }
    const exclude = new Uint8Array(4000);
    exclude[9 + 20 * (9 + 20 * 5)] = 1;
    const m = computeEpiMask(mean, dims, { exclude });
    expect(m.threshold).toBeGreaterThan(40);
    expect(m.threshold).toBeLessThan(1000);
    expect(m.mask[9 + 20 * (9 + 20 * 5)]).toBe(0);
    let outside = 0;
    let missed = 0;
    let total = 0;
    m.mask.forEach((x, v) => {
      total += inside[v]!;
      if (x && !inside[v]) outside++;
      if (!x && inside[v]) missed++;
    });
    expect(outside).toBe(0);
    // nilearn's opening (erode 2, dilate 4, erode 2 with the 6-cross) rounds the surface off.
    expect(missed).toBeLessThan(0.2 * total);
    expect(computeEpiMask(mean, dims, { opening: 0 }).count).toBe(total);
    const thin = computeEpiMask(mean.subarray(0, 1200), [20, 20, 3]);
    expect(thin.notes.join()).toMatch(/opening skipped/);
  });
});
