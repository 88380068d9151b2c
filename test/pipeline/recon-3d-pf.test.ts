/**
 * 3D (kz) encoding and partial Fourier through the whole pipeline, on synthetic
 * k-space of an analytic object: 3D data must come back as one volume with the
 * slab geometry, and partial-Fourier data must be completed (POCS, homodyne) far
 * better than zero-filling.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagsOf, type Acquisition, type IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import { voxelToWorld } from '../../shared/volume.ts';
import { fftc } from '../../recon/fft/index.ts';
import { emptyAcquisitionHeader } from '../../recon/io/ismrmrd/acquisition-codec.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { tempDir } from '../helpers/peers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A smooth ellipsoid with a linear phase, and `nc` coils with smooth Gaussian sensitivities. [x y z cha] */
function coilImages(n: [number, number, number], nc: number, withPhase: boolean): { images: Float32Array; object: Float32Array } {
  const [nx, ny, nz] = n;
  const object = new Float32Array(nx * ny * nz);
  const images = new Float32Array(2 * nx * ny * nz * nc);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const v = x + nx * (y + ny * z);
    const dz = nz > 1 ? (z - nz / 2) / nz : 0;
    const r2 = ((x - nx / 2) / (0.35 * nx)) ** 2 + ((y - ny / 2 - 2) / (0.3 * ny)) ** 2 + (dz / 0.3) ** 2;
    const inner = ((x - nx / 2 - 4) / (0.1 * nx)) ** 2 + ((y - ny / 2) / (0.12 * ny)) ** 2 + (dz / 0.2) ** 2;
    const m = r2 < 1 ? (inner < 1 ? 2 : 1) : 0;
    object[v] = m;
    const ph = withPhase ? 0.6 * ((x - nx / 2) / nx) + 0.4 * ((y - ny / 2) / ny) : 0;
    for (let c = 0; c < nc; c++) {
      const a = (2 * Math.PI * c) / nc;
      const sx = nx / 2 + 0.45 * nx * Math.cos(a), sy = ny / 2 + 0.45 * ny * Math.sin(a);
      const s = Math.exp(-(((x - sx) / nx) ** 2 + ((y - sy) / ny) ** 2) * 2);
      const cp = ph + 0.3 * c;
      images[2 * (v + nx * ny * nz * c)] = m * s * Math.cos(cp);
      images[2 * (v + nx * ny * nz * c) + 1] = m * s * Math.sin(cp);
    }
  }
  return { images, object };
}

function header(enc: [number, number, number], fov: [number, number, number], nc: number, limitsE1: [number, number, number]): IsmrmrdHeader {
  const space = { matrixSize: { x: enc[0], y: enc[1], z: enc[2] }, fieldOfViewMm: { x: fov[0], y: fov[1], z: fov[2] } };
  return {
    experimentalConditions: { H1resonanceFrequencyHz: 297_200_000 },
    acquisitionSystemInformation: { receiverChannels: nc, systemFieldStrengthT: 7, coilLabel: [] },
    encoding: [{
      encodedSpace: space,
      reconSpace: space,
      encodingLimits: {
        kspaceEncodingStep1: { minimum: limitsE1[0], maximum: limitsE1[1], center: limitsE1[2] },
        kspaceEncodingStep2: { minimum: 0, maximum: enc[2] - 1, center: Math.floor(enc[2] / 2) },
      },
      trajectory: 'cartesian',
    }],
    userParameters: { long: [], double: [], string: [], base64: [] },
  };
}

/** Readouts of k-space [x y z cha] for lines e1 in [first, last], all e2. */
function* readouts(k: Float32Array, n: [number, number, number], nc: number, first: number, last: number): Generator<Acquisition> {
  const [nx, ny, nz] = n;
  let counter = 0;
  for (let z = 0; z < nz; z++) for (let y = first; y <= last; y++) {
    const head = emptyAcquisitionHeader();
    head.scanCounter = counter++;
    head.numberOfSamples = nx;
    head.activeChannels = head.availableChannels = nc;
    head.centerSample = Math.floor(nx / 2);
    head.sampleTimeUs = 5;
    head.idx.kspaceEncodeStep1 = y;
    head.idx.kspaceEncodeStep2 = z;
    head.position = [10, -20, 30];
    head.readDir = [1, 0, 0];
    head.phaseDir = [0, 1, 0];
    head.sliceDir = [0, 0, 1];
    if (z === nz - 1 && y === last) head.flags = flagsOf(['LAST_IN_SLICE']);
    const data = new Float32Array(2 * nx * nc);
    for (let c = 0; c < nc; c++) data.set(k.subarray(2 * (nx * (y + ny * (z + nz * c))), 2 * (nx * (y + ny * (z + nz * c)) + nx)), 2 * nx * c);
    yield { head, traj: new Float32Array(0), data };
  }
}

function nrmseScaled(a: Float32Array, truth: Float32Array): number {
  let ab = 0, aa = 0;
  for (let i = 0; i < truth.length; i++) { ab += a[i]! * truth[i]!; aa += a[i]! * a[i]!; }
  const s = ab / aa;
  let num = 0, den = 0;
  for (let i = 0; i < truth.length; i++) { num += (s * a[i]! - truth[i]!) ** 2; den += truth[i]! ** 2; }
  return Math.sqrt(num / den);
}

describe('3D encoding and partial Fourier', () => {
  const n: [number, number, number] = [32, 28, 20];
  const nc = 4;

  it('reconstructs a 3D (kz) acquisition into one volume with the slab geometry', async () => {
    const { images } = coilImages(n, nc, false);
    const k = Float32Array.from(images);
    fftc(k, [...n, nc], [0, 1, 2]);
    const file = join(tmp.dir, '3d.h5');
    await writeIsmrmrd(file, header(n, [160, 140, 100], nc, [0, n[1] - 1, Math.floor(n[1] / 2)]), readouts(k, n, nc, 0, n[1] - 1));
    const r = await reconstructFile(file, { workers: 0 });
    expect(r.report.plan.is3D).toBe(true);
    const v = r.volumes[0]!.magnitude;
    expect(v.dims).toEqual([32, 28, 20, 1]);
    // Noise-free RSS = sqrt(Σ|coil image|²) exactly.
    const rss = new Float32Array(n[0] * n[1] * n[2]);
    for (let i = 0; i < rss.length; i++) {
      let s = 0;
      for (let c = 0; c < nc; c++) s += images[2 * (i + rss.length * c)]! ** 2 + images[2 * (i + rss.length * c) + 1]! ** 2;
      rss[i] = Math.sqrt(s);
    }
    expect(nrmseScaled(v.data, rss)).toBeLessThan(1e-5);
    // Voxel (nx/2, ny/2, nz/2) sits at the slab position (LPS [10,-20,30] → RAS [-10,20,30]); 5 mm voxels along z.
    const c = voxelToWorld(v.affine, n[0] / 2, n[1] / 2, n[2] / 2);
    expect(c[0]).toBeCloseTo(-10, 4);
    expect(c[1]).toBeCloseTo(20, 4);
    expect(c[2]).toBeCloseTo(30, 4);
    expect(v.affine[10]).toBeCloseTo(5, 5);
  });

  it('completes 5/8 partial Fourier in e1 better than zero-filling (POCS, homodyne)', async () => {
    const n2: [number, number, number] = [64, 64, 1];
    const { images, object } = coilImages(n2, nc, true);
    const k = Float32Array.from(images);
    fftc(k, [...n2, nc], [0, 1]);
    const first = 64 - 40; // 40 of 64 lines: the centre and the upper side
    const file = join(tmp.dir, 'pf.h5');
    await writeIsmrmrd(file, header(n2, [200, 200, 5], nc, [0, 63, 32]), readouts(k, n2, nc, first, 63));
    const full = join(tmp.dir, 'full.h5');
    await writeIsmrmrd(full, header(n2, [200, 200, 5], nc, [0, 63, 32]), readouts(k, n2, nc, 0, 63));
    const ref = (await reconstructFile(full, { workers: 0 })).volumes[0]!.magnitude.data;
    const err: Record<string, number> = {};
    for (const m of ['zerofill', 'pocs', 'homodyne'] as const) {
      const r = await reconstructFile(file, { workers: 0, partialFourier: m });
      if (m !== 'zerofill') expect(r.report.partialFourier).toEqual({ axes: ['e1'], method: m });
      err[m] = nrmseScaled(r.volumes[0]!.magnitude.data, ref);
    }
    console.log('partial Fourier 40/64 lines, NRMSE vs full:', err);
    expect(object.some((x) => x > 0)).toBe(true);
    expect(err['pocs']!).toBeLessThan(0.5 * err['zerofill']!);
    expect(err['homodyne']!).toBeLessThan(0.7 * err['zerofill']!);
  });
});
