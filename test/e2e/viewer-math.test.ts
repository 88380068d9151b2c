// The renderer's pure viewer math (no browser needed): affines, display planes
// in world space, sampling volumes of other resolutions and orientations through
// their affines, radiological flips, and the overlay's threshold + cluster filter.
import { describe, expect, it } from 'vitest';
import { apply, invertAffine, makePlane, planeToWorld, samplePlane, worldBounds, worldToPlane, worldToVoxel, type Vec3 } from '../../renderer/viewer/geometry.ts';
import { clusterSizes, prepareOverlay } from '../../renderer/viewer/overlay.ts';
import { olsFit } from '../../renderer/plots/fit.ts';

/** A rotation about z by `deg`, voxel sizes `s`, origin `o`. */
function affine(deg: number, s: Vec3, o: Vec3): number[] {
  const c = Math.cos((deg * Math.PI) / 180);
  const n = Math.sin((deg * Math.PI) / 180);
  return [c * s[0], -n * s[1], 0, o[0], n * s[0], c * s[1], 0, o[1], 0, 0, s[2], o[2], 0, 0, 0, 1];
}

/** A volume whose value is a linear function of world position: exact under trilinear sampling. */
function linearVolume(a: number[], dims: Vec3, f: (w: Vec3) => number) {
  const data = new Float32Array(dims[0] * dims[1] * dims[2]);
  for (let k = 0; k < dims[2]; k++) for (let j = 0; j < dims[1]; j++) for (let i = 0; i < dims[0]; i++) data[i + dims[0] * (j + dims[1] * k)] = f(apply(a, [i, j, k]));
  return { dims: [...dims, 1], data, inverse: invertAffine(a) };
}

describe('viewer geometry', () => {
  it('inverts affines', () => {
    const a = affine(17, [2, 3, 4], [-10, 5, 7]);
    const inv = invertAffine(a);
    const p: Vec3 = [3.5, -2, 11];
    const back = apply(inv, apply(a, p));
    for (let d = 0; d < 3; d++) expect(back[d]).toBeCloseTo(p[d]!, 10);
    expect(() => invertAffine([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])).toThrow(/singular/);
  });

  it('samples an oblique, anisotropic volume at the right world positions', () => {
    const a = affine(25, [3, 2, 4], [-20, -15, -10]);
    const f = (w: Vec3) => 2 * w[0] - w[1] + 0.5 * w[2] + 100;
    const vol = linearVolume(a, [16, 20, 8], f);
    const bounds = worldBounds(a, vol.dims);
    const centre = apply(a, [7.5, 9.5, 3.5]);
    const plane = makePlane('axial', bounds, centre, 1, false);
    const values = samplePlane(vol, 0, plane);
    let checked = 0;
    for (let r = 0; r < plane.rows; r += 3) {
      for (let c = 0; c < plane.cols; c += 3) {
        const w = planeToWorld(plane, c, r);
        const ijk = apply(vol.inverse, w);
        const inside = ijk.every((x, d) => x >= 0 && x <= [15, 19, 7][d]!);
        if (!inside) continue;
        expect(values[r * plane.cols + c]).toBeCloseTo(f(w), 2);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it('lines up two volumes of different grids through their affines', () => {
    const f = (w: Vec3) => w[0] + 10 * w[1];
    const anat = linearVolume(affine(0, [1, 1, 1], [-32, -32, -8]), [64, 64, 16], f);
    const stat = linearVolume(affine(10, [3, 3, 3], [-30, -30, -6]), [20, 20, 5], f);
    const plane = makePlane('coronal', worldBounds(affine(0, [1, 1, 1], [-32, -32, -8]), anat.dims), [0, 1.3, 0], 0.5, true);
    const a = samplePlane(anat, 0, plane);
    const s = samplePlane(stat, 0, plane);
    let n = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i]!) || Number.isNaN(s[i]!)) continue;
      const w = planeToWorld(plane, i % plane.cols, Math.floor(i / plane.cols));
      const ij = apply(stat.inverse, w);
      if (ij.some((x, d) => x < 0 || x > [19, 19, 4][d]!)) continue;
      // Inside both grids' voxel centres (at the very edge sampling clamps, by design).
      if (apply(anat.inverse, w).some((x, d) => x < 0 || x > [63, 63, 15][d]!)) continue;
      expect(s[i]).toBeCloseTo(a[i]!, 2);
      n++;
    }
    expect(n).toBeGreaterThan(100);
  });

  it('puts the patient right on the screen left in radiological display', () => {
    const a = affine(0, [1, 1, 1], [-10, -10, -10]);
    const b = worldBounds(a, [21, 21, 21]);
    for (const [radio, sign] of [[true, -1], [false, 1]] as const) {
      const p = makePlane('axial', b, [0, 0, 0], 1, radio);
      const right = worldToPlane(p, [5, 0, 0]).col;
      const left = worldToPlane(p, [-5, 0, 0]).col;
      expect(Math.sign(right - left)).toBe(sign);
      expect(worldToPlane(p, [0, 5, 0]).row).toBeGreaterThan(worldToPlane(p, [0, -5, 0]).row);
    }
    expect(worldToVoxel({ dims: [21, 21, 21], inverse: invertAffine(a) }, [0.4, -0.4, 10])).toEqual([10, 10, 20]);
    expect(worldToVoxel({ dims: [21, 21, 21], inverse: invertAffine(a) }, [0, 0, 11])).toBeNull();
  });
});

describe('overlay', () => {
  it('keeps voxels beyond the thresholds in clusters of the minimum size', () => {
    const dims = [6, 6, 1];
    const z = new Float32Array(36);
    for (const v of [0, 1, 6, 7]) z[v] = 5; // a 4-voxel positive cluster
    z[20] = 6; // a single positive voxel
    for (const v of [34, 35]) z[v] = -4; // a 2-voxel negative cluster
    z[14] = 2; // below threshold
    expect(clusterSizes(Uint8Array.from(z, (x) => (x > 3 ? 1 : 0)), dims).sizes.slice(1).sort()).toEqual([1, 4]);
    const a = prepareOverlay(z, dims, { positive: 3, negative: 3, showNegative: true, minClusterSize: 2 });
    expect([a.positiveVoxels, a.negativeVoxels]).toEqual([4, 2]);
    expect(a.encoded[20]).toBe(-1);
    expect(a.encoded[14]).toBe(-1);
    expect(a.encoded[0]).toBeGreaterThan(0.5);
    expect(a.encoded[34]).toBeLessThan(0.5);
    expect(a.encoded[34]).toBeGreaterThanOrEqual(0);
    const b = prepareOverlay(z, dims, { positive: 3, negative: 3, showNegative: false, minClusterSize: 1 });
    expect([b.positiveVoxels, b.negativeVoxels]).toEqual([5, 0]);
  });
});

describe('time-course fit', () => {
  it('recovers a series that lies in the span of the design', () => {
    const n = 30;
    const p = 3;
    const X = new Float64Array(n * p);
    for (let t = 0; t < n; t++) {
      X[t * p] = t % 10 < 5 ? 1 : 0;
      X[t * p + 1] = t / n;
      X[t * p + 2] = 1;
    }
    const y = Array.from({ length: n }, (_, t) => 3 * X[t * p]! - 2 * X[t * p + 1]! + 50);
    const fit = olsFit(X, n, p, y);
    for (let t = 0; t < n; t++) expect(fit[t]).toBeCloseTo(y[t]!, 6);
  });
});
