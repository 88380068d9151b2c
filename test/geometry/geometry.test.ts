import { describe, expect, it } from 'vitest';
import {
  imageAffine, imageAffineChecked, invertAffine, lpsToRas, orthonormalizeDirections, pixelToLps, rasToLps,
  sliceGeometriesFromHeaders, sliceGeometryFromAffine, stackSlices, tiltedDirections, worldToVoxel, geometryFromAcquisition,
  type SliceGeometry,
} from '../../recon/geometry/index.ts';
import { cross, dot, norm } from '../../recon/geometry/vec.ts';
import type { AcquisitionHeader, Encoding, Vec3 } from '../../shared/ismrmrd.ts';
import { flagsOf } from '../../shared/ismrmrd.ts';
import { voxelToWorld, voxelSizes } from '../../shared/volume.ts';
import { isUhfError } from '../../shared/errors.ts';

const close = (a: readonly number[], b: readonly number[], tol = 1e-9) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(Math.abs(v - b[i]!), `index ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));
};

function geom(over: Partial<SliceGeometry> = {}): SliceGeometry {
  return {
    position: [10, 20, 30],
    readDir: [1, 0, 0],
    phaseDir: [0, 1, 0],
    sliceDir: [0, 0, 1],
    matrix: [4, 6, 1],
    fovMm: [40, 60, 5],
    ...over,
  };
}

/** Reference: world RAS of pixel (i, j, k) straight from the documented formula. */
function refRas(g: SliceGeometry, i: number, j: number, k = 0): Vec3 {
  const [nx, ny, nz] = g.matrix;
  const [fx, fy, fz] = g.fovMm;
  const w = [0, 1, 2].map((a) =>
    g.position[a]! +
    (i - Math.floor(nx / 2)) * (fx / nx) * g.readDir[a]! +
    (j - Math.floor(ny / 2)) * (fy / ny) * g.phaseDir[a]! +
    (k - Math.floor(nz / 2)) * (fz / nz) * g.sliceDir[a]!) as Vec3;
  return [-w[0], -w[1], w[2]];
}

function checkAllPixels(g: SliceGeometry, tol = 1e-9): void {
  const a = imageAffine(g);
  for (let k = 0; k < g.matrix[2]; k++) {
    for (let j = 0; j < g.matrix[1]; j++) {
      for (let i = 0; i < g.matrix[0]; i++) close(voxelToWorld(a, i, j, k), refRas(g, i, j, k), tol);
    }
  }
}

describe('LPS / RAS', () => {
  it('flips x and y only', () => {
    expect(lpsToRas([1, 2, 3])).toEqual([-1, -2, 3]);
    expect(rasToLps([-1, -2, 3])).toEqual([1, 2, 3]);
    const v: Vec3 = [12.5, -7, 3.25];
    expect(rasToLps(lpsToRas(v))).toEqual(v);
  });
  it('patient left (LPS +x) is RAS −x; posterior (LPS +y) is RAS −y; superior stays +z', () => {
    const a = imageAffine(geom({ position: [0, 0, 0], matrix: [2, 2, 1], fovMm: [2, 2, 1] }));
    // pixel (1,1) is the centre; pixel 0 is 1 mm towards patient right (−read = −L = R)
    const r = voxelToWorld(a, 0, 1, 0);
    expect(r[0]).toBeCloseTo(1, 12); // RAS +x = Right
    const p = voxelToWorld(a, 1, 0, 0);
    expect(p[1]).toBeCloseTo(1, 12); // one step −phase = anterior = RAS +y
  });
});

describe('imageAffine: analytic orientations', () => {
  it('axial', () => {
    const g = geom();
    const a = imageAffine(g);
    // columns: RAS of read·dx, phase·dy, slice·dz; translation: RAS of pixel (0,0,0)
    close(Array.from(a), [-10, 0, 0, 10, 0, -10, 0, 10, 0, 0, 5, 30, 0, 0, 0, 1]);
    checkAllPixels(g);
    close(voxelSizes(a), [10, 10, 5]);
  });

  it('the centre pixel floor(n/2) sits at `position` (even and odd matrices)', () => {
    for (const matrix of [[4, 6, 1], [5, 7, 1], [3, 3, 3], [8, 5, 4]] as [number, number, number][]) {
      const g = geom({ matrix, fovMm: [matrix[0] * 2, matrix[1] * 3, matrix[2] * 1.5] });
      const a = imageAffine(g);
      close(voxelToWorld(a, Math.floor(matrix[0] / 2), Math.floor(matrix[1] / 2), Math.floor(matrix[2] / 2)), lpsToRas(g.position));
      checkAllPixels(g);
    }
  });

  it('sagittal (read A→P, phase S→I)', () => {
    const g = geom({ readDir: [0, 1, 0], phaseDir: [0, 0, -1], sliceDir: [-1, 0, 0], position: [-5, 0, 12] });
    const a = imageAffine(g);
    // read +P → RAS −y; phase −S → RAS −z; slice −L (= R) → RAS +x
    close([a[0]!, a[4]!, a[8]!], [0, -10, 0]);
    close([a[1]!, a[5]!, a[9]!], [0, 0, -10]);
    close([a[2]!, a[6]!, a[10]!], [5, 0, 0]);
    checkAllPixels(g);
  });

  it('coronal (read R→L, phase S→I)', () => {
    const g = geom({ readDir: [1, 0, 0], phaseDir: [0, 0, -1], sliceDir: [0, 1, 0], position: [0, -20, 5] });
    const a = imageAffine(g);
    close([a[2]!, a[6]!, a[10]!], [0, -5, 0]);
    checkAllPixels(g);
  });

  it('oblique and double oblique match the formula and are orthonormal', () => {
    for (const [lr, ap, si] of [[20, 0, 0], [0, -25, 0], [15, 10, 0], [15, 10, 30], [-40, 33, -12]] as const) {
      const d = tiltedDirections(lr, ap, si);
      expect(norm(d.readDir)).toBeCloseTo(1, 12);
      expect(dot(d.readDir, d.phaseDir)).toBeCloseTo(0, 12);
      close(cross(d.readDir, d.phaseDir), d.sliceDir, 1e-12);
      const g = geom({ ...d, position: [3, -7, 22], matrix: [6, 5, 1], fovMm: [66, 50, 2] });
      const r = imageAffineChecked(g);
      expect(r.warnings).toEqual([]);
      expect(r.fallback).toBe(false);
      checkAllPixels(g);
    }
  });

  it('tiltedDirections: tilt about LR moves the slice normal towards A/P; about AP towards L/R', () => {
    const t = tiltedDirections(15, 0);
    close(t.sliceDir, [0, -Math.sin((15 * Math.PI) / 180), Math.cos((15 * Math.PI) / 180)], 1e-12);
    close(t.readDir, [1, 0, 0], 1e-12);
    const u = tiltedDirections(0, 10);
    close(u.sliceDir, [Math.sin((10 * Math.PI) / 180), 0, Math.cos((10 * Math.PI) / 180)], 1e-12);
  });

  it('pixelToLps agrees with the affine', () => {
    const g = geom({ ...tiltedDirections(15, 10), matrix: [7, 4, 1], fovMm: [70, 44, 3] });
    const a = imageAffine(g);
    close(voxelToWorld(a, 2, 3, 0), lpsToRas(pixelToLps(g, 2, 3, 0)), 1e-9);
  });
});

describe('round trips', () => {
  it('world → voxel → world and affine → geometry → affine', () => {
    const g = geom({ ...tiltedDirections(15, 10, 5), position: [3, -7, 22], matrix: [64, 48, 1], fovMm: [220, 165, 2.5] });
    const a = imageAffine(g);
    for (const [i, j, k] of [[0, 0, 0], [63, 47, 0], [12.5, 30.25, 0.5]] as Vec3[]) {
      close(worldToVoxel(a, voxelToWorld(a, i, j, k)), [i, j, k], 1e-9);
    }
    const inv = invertAffine(a);
    const back = invertAffine(inv);
    close(Array.from(back), Array.from(a), 1e-9);
    const g2 = sliceGeometryFromAffine(a, g.matrix);
    close(g2.position, g.position, 1e-9);
    close(g2.readDir, g.readDir, 1e-12);
    close(g2.phaseDir, g.phaseDir, 1e-12);
    close(g2.sliceDir, g.sliceDir, 1e-12);
    close(g2.fovMm, g.fovMm, 1e-9);
  });
});

describe('stackSlices', () => {
  const dirs = tiltedDirections(15, 10);
  const mk = (s: number, spacing = 4, base: Vec3 = [1, 2, 3], d = dirs): SliceGeometry => ({
    position: [0, 1, 2].map((a) => base[a]! + s * spacing * d.sliceDir[a]!) as Vec3,
    ...d,
    matrix: [8, 6, 1],
    fovMm: [80, 60, 3],
  });

  it('ascending slices: identity permutation, spacing, affine through every slice centre', () => {
    const slices = [0, 1, 2, 3, 4].map((s) => mk(s));
    const r = stackSlices(slices);
    expect(r.warnings).toEqual([]);
    expect(r.zOfSlice).toEqual([0, 1, 2, 3, 4]);
    expect(r.sliceAtZ).toEqual([0, 1, 2, 3, 4]);
    expect(r.spacingMm).toBeCloseTo(4, 12);
    expect(r.thicknessMm).toBe(3);
    expect(r.dims).toEqual([8, 6, 5]);
    close(voxelSizes(r.affine), [10, 10, 4], 1e-12);
    slices.forEach((g, s) => {
      for (const [i, j] of [[0, 0], [7, 5], [3, 2]]) close(voxelToWorld(r.affine, i!, j!, r.zOfSlice[s]!), refRas(g, i!, j!), 1e-9);
    });
  });

  it('reversed slice order (slice index runs against sliceDir): z sorted along the normal', () => {
    const slices = [0, 1, 2, 3].map((s) => mk(-s));
    const r = stackSlices(slices);
    expect(r.warnings).toEqual([]);
    expect(r.zOfSlice).toEqual([3, 2, 1, 0]);
    expect(r.sliceAtZ).toEqual([3, 2, 1, 0]);
    // z axis points along +sliceDir
    close([r.affine[2]!, r.affine[6]!, r.affine[10]!], lpsToRas(dirs.sliceDir).map((x) => 4 * x), 1e-12);
    slices.forEach((g, s) => close(voxelToWorld(r.affine, 4, 3, r.zOfSlice[s]!), refRas(g, 4, 3), 1e-9));
  });

  it('interleaved positions (slice index ≠ spatial order) are sorted by position, not index', () => {
    const spatial = [2, 0, 4, 1, 3]; // slice s sits at spatial position spatial[s]
    const slices = spatial.map((p) => mk(p));
    const r = stackSlices(slices);
    expect(r.warnings).toEqual([]);
    expect(r.zOfSlice).toEqual(spatial);
    expect(r.sliceAtZ).toEqual([1, 3, 0, 4, 2]);
    slices.forEach((g, s) => close(voxelToWorld(r.affine, 1, 1, r.zOfSlice[s]!), refRas(g, 1, 1), 1e-9));
  });

  it('left-handed frame (sliceDir = −read×phase) keeps the given slice direction', () => {
    const d = { readDir: dirs.readDir, phaseDir: dirs.phaseDir, sliceDir: dirs.sliceDir.map((x) => -x) as Vec3 };
    const slices = [0, 1, 2].map((s) => mk(s, 4, [0, 0, 0], d));
    const r = stackSlices(slices);
    expect(r.warnings).toEqual([]);
    expect(r.zOfSlice).toEqual([0, 1, 2]);
    close(r.sliceDir, d.sliceDir, 1e-12);
    slices.forEach((g, s) => close(voxelToWorld(r.affine, 2, 2, r.zOfSlice[s]!), refRas(g, 2, 2), 1e-9));
  });

  it('one slice: spacing = thickness, same as imageAffine', () => {
    const g = mk(0);
    const r = stackSlices([g]);
    expect(r.spacingMm).toBe(3);
    close(Array.from(r.affine), Array.from(imageAffine(g)), 1e-12);
  });

  it('uneven spacing, non-parallel slices and in-plane offsets are reported as warnings', () => {
    const uneven = [0, 1, 2.5, 3].map((s) => mk(s));
    expect(stackSlices(uneven).warnings.join(' ')).toMatch(/not evenly spaced/);

    const tilted = [mk(0), mk(1), { ...mk(2), ...tiltedDirections(15.5, 10), position: mk(2).position }];
    expect(stackSlices(tilted).warnings.join(' ')).toMatch(/not parallel/);

    const shifted = [mk(0), mk(1), { ...mk(2), position: [0, 1, 2].map((a) => mk(2).position[a]! + 2 * dirs.readDir[a]!) as Vec3 }];
    expect(stackSlices(shifted).warnings.join(' ')).toMatch(/offset in-plane/);

    const dup = [mk(0), mk(0)];
    const r = stackSlices(dup);
    expect(r.warnings.join(' ')).toMatch(/same position/);
    expect(r.spacingMm).toBe(3);
  });

  it('no geometry (all directions zero): axial fallback with a reason', () => {
    const zero: SliceGeometry = { position: [0, 0, 0], readDir: [0, 0, 0], phaseDir: [0, 0, 0], sliceDir: [0, 0, 0], matrix: [8, 6, 1], fovMm: [80, 60, 3] };
    const r = stackSlices([zero, zero, zero]);
    expect(r.fallback).toBe(true);
    expect(r.reason).toMatch(/no geometry/);
    expect(r.zOfSlice).toEqual([0, 1, 2]);
    close(Array.from(r.affine).slice(0, 12), [-10, 0, 0, 40, 0, -10, 0, 30, 0, 0, 3, -3], 1e-12);
    const one = imageAffineChecked(zero);
    expect(one.fallback).toBe(true);
    expect(one.reason).toMatch(/no geometry/);
    close(voxelSizes(one.affine), [10, 10, 3]);
    // mixing slices with and without geometry is an error
    expect(() => stackSlices([mk(0), zero])).toThrow(/no geometry/);
  });

  it('a single 3D slab keeps its own grid', () => {
    const g = { ...mk(0), matrix: [8, 6, 4] as [number, number, number], fovMm: [80, 60, 20] as [number, number, number] };
    const r = stackSlices([g]);
    expect(r.dims).toEqual([8, 6, 4]);
    expect(r.spacingMm).toBe(5);
    close(Array.from(r.affine), Array.from(imageAffine(g)), 1e-12);
    expect(() => stackSlices([g, g])).toThrow(/3D slab/);
  });

  it('different matrices cannot be stacked', () => {
    expect(() => stackSlices([mk(0), { ...mk(1), matrix: [8, 8, 1] }])).toThrow(/differing/);
  });
});

describe('degenerate directions', () => {
  it('small deviations are re-orthonormalised with a warning; float32 round-off silently', () => {
    const f32 = (v: Vec3) => Array.from(Float32Array.from(v)) as Vec3;
    const d = tiltedDirections(15, 10, 3);
    const silent = orthonormalizeDirections(f32(d.readDir), f32(d.phaseDir), f32(d.sliceDir));
    expect(silent.warnings).toEqual([]);

    const r = orthonormalizeDirections([2, 0, 0], [0.01, 1, 0], [0, 0, 1]);
    expect(r.warnings.join(' ')).toMatch(/norm 2/);
    expect(r.warnings.join(' ')).toMatch(/not orthogonal/);
    close(r.readDir, [1, 0, 0], 1e-12);
    close(r.phaseDir, [0, 1, 0], 1e-12);
    close(r.sliceDir, [0, 0, 1], 1e-12);

    const z = orthonormalizeDirections([1, 0, 0], [0, 1, 0], [0, 0, 0]);
    expect(z.warnings.join(' ')).toMatch(/slice direction is zero/);
    close(z.sliceDir, [0, 0, 1]);
  });

  it('unusable directions are rejected with UNSUPPORTED_DATA', () => {
    const bad: [Vec3, Vec3, Vec3][] = [
      [[1, 0, 0], [1, 0, 0], [0, 0, 1]], // read ∥ phase
      [[1, 0, 0], [0, 0, 0], [0, 0, 1]], // zero phase
      [[1, 0, 0], [0, 1, 0], [1, 0, 0.2]], // slice in-plane
      [[Number.NaN, 0, 0], [0, 1, 0], [0, 0, 1]],
    ];
    for (const [r, p, s] of bad) {
      let err: unknown;
      try {
        orthonormalizeDirections(r, p, s);
      } catch (e) {
        err = e;
      }
      expect(isUhfError(err, 'UNSUPPORTED_DATA'), String(err)).toBe(true);
    }
  });
});

describe('from ISMRMRD headers', () => {
  const encoding: Encoding = {
    encodedSpace: { matrixSize: { x: 128, y: 64, z: 1 }, fieldOfViewMm: { x: 440, y: 220, z: 3 } },
    reconSpace: { matrixSize: { x: 64, y: 64, z: 1 }, fieldOfViewMm: { x: 220, y: 220, z: 3 } },
    encodingLimits: {},
    trajectory: 'cartesian',
  };
  const head = (slice: number, z: number, flags: bigint = 0n): AcquisitionHeader => ({
    version: 1, flags, measurementUid: 0, scanCounter: 0, acquisitionTimeStamp: 0, physiologyTimeStamp: [0, 0, 0],
    numberOfSamples: 128, availableChannels: 1, activeChannels: 1, channelMask: new Array<bigint>(16).fill(0n),
    discardPre: 0, discardPost: 0, centerSample: 64, encodingSpaceRef: 0, trajectoryDimensions: 0, sampleTimeUs: 5,
    position: [0, 0, z], readDir: [1, 0, 0], phaseDir: [0, 1, 0], sliceDir: [0, 0, 1], patientTablePosition: [0, 0, 0],
    idx: { kspaceEncodeStep1: 0, kspaceEncodeStep2: 0, average: 0, slice, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] },
    userInt: [0, 0, 0, 0, 0, 0, 0, 0], userFloat: [0, 0, 0, 0, 0, 0, 0, 0],
  });

  it('uses the recon space and skips noise scans', () => {
    const g = geometryFromAcquisition(head(0, 5), encoding);
    expect(g.matrix).toEqual([64, 64, 1]);
    expect(g.fovMm).toEqual([220, 220, 3]);
    const heads = [head(0, 99, flagsOf(['IS_NOISE_MEASUREMENT'])), head(1, 4), head(0, 0), head(2, 8), head(1, 4)];
    const geoms = sliceGeometriesFromHeaders(heads, encoding);
    expect(geoms.map((x) => x.position[2])).toEqual([0, 4, 8]);
    expect(() => sliceGeometriesFromHeaders([head(0, 0), head(2, 8)], encoding)).toThrow(/slice 1/);
  });
});
