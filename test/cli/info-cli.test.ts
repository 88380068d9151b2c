/**
 * `uhf info FILE [--json]` on ISMRMRD raw data (ours and libismrmrd's) and on
 * NIfTI images, as a subprocess from the repository root.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { writeNifti } from '../../recon/io/nifti/index.ts';
import { presetParams, simulate } from '../../recon/sim/index.ts';
import { generateSheppLogan, tempDir } from '../helpers/peers.ts';
import { expectUsageErrors } from '../helpers/cli.ts';
import { uhf } from '../helpers/recon.ts';

const tmp = tempDir('uhf-cli-info-');
afterAll(() => tmp.cleanup());

const ISMRMRD_KEYS = ['format', 'fieldStrengthT', 'receiverChannels', 'encodedMatrix', 'reconMatrix', 'fovMm', 'slices', 'repetitions', 'contrasts', 'acceleration', 'calibrationMode', 'acquisitions', 'noiseAcquisitions', 'calibrationAcquisitions', 'trajectory'];
const NIFTI_KEYS = ['format', 'dims', 'voxelSizeMm', 'affine', 'datatype', 'trSec'];

let sim: string;
let sl: string;
let nii4d: string;
let nii3d: string;
beforeAll(async () => {
  const scan = simulate(presetParams('test-small', { coils: 3, slices: 2, repetitions: 2, acceleration: 2, acsLines: 8, calibrationMode: 'separate', fieldStrengthT: 9.4 }));
  sim = join(tmp.dir, 'sim.h5');
  await writeIsmrmrd(sim, scan.header, scan.acquisitions());
  sl = join(tmp.dir, 'sl.h5');
  generateSheppLogan(sl, { matrix: 32, coils: 2, noiseCalibration: true });
  nii4d = join(tmp.dir, 'v4.nii.gz');
  const affine = [-2, 0, 0, 30, 0, 2.5, 0, -40, 0, 0, 3, 10, 0, 0, 0, 1] as const;
  await writeNifti(nii4d, { dims: [4, 5, 6, 3], data: new Float32Array(360).map((_, i) => i), affine: [...affine] as never, trSec: 1.5 });
  nii3d = join(tmp.dir, 'v3.nii');
  await writeNifti(nii3d, { dims: [4, 5, 6, 1], data: new Float32Array(120), affine: [...affine] as never }, { datatype: 'int16' });
});

function infoJson(file: string): Record<string, unknown> {
  const r = uhf(['info', file, '--json']);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

describe('uhf info', () => {
  it('--help exits 0', () => {
    const r = uhf(['info', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: uhf info FILE \[--json\]/);
  });

  it('ISMRMRD (simulated, accelerated with a separate calibration pass): the summary keys and values', () => {
    const j = infoJson(sim);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(ISMRMRD_KEYS));
    expect(j).toMatchObject({
      format: 'ismrmrd', fieldStrengthT: 9.4, receiverChannels: 3, encodedMatrix: [64, 32, 1], reconMatrix: [32, 32, 1],
      fovMm: [220, 220, 5], slices: 2, repetitions: 2, contrasts: 1, acceleration: [2, 1], calibrationMode: 'separate',
      noiseAcquisitions: 4, calibrationAcquisitions: 2 * 8, trajectory: 'cartesian',
    });
    // 4 noise + 2 slices × 8 calibration lines + 2 repetitions × 2 slices × 16 lines
    expect(j.acquisitions).toBe(4 + 16 + 64);
  });

  it('ISMRMRD (libismrmrd’s generator, which states no field strength)', () => {
    const j = infoJson(sl);
    expect(Object.keys(j)).toEqual(expect.arrayContaining(ISMRMRD_KEYS));
    expect(j).toMatchObject({ format: 'ismrmrd', fieldStrengthT: null, receiverChannels: 2, encodedMatrix: [64, 32, 1], reconMatrix: [32, 32, 1], fovMm: [300, 300, 6], acquisitions: 33, noiseAcquisitions: 1, trajectory: 'cartesian' });
  });

  it('NIfTI 4D and 3D: the image keys and values', () => {
    const j4 = infoJson(nii4d);
    expect(Object.keys(j4)).toEqual(expect.arrayContaining(NIFTI_KEYS));
    expect(j4).toMatchObject({ format: 'nifti1', dims: [4, 5, 6, 3], voxelSizeMm: [2, 2.5, 3], datatype: 'float32', trSec: 1.5 });
    expect(j4.affine).toEqual([[-2, 0, 0, 30], [0, 2.5, 0, -40], [0, 0, 3, 10], [0, 0, 0, 1]]);
    const j3 = infoJson(nii3d);
    expect(Object.keys(j3)).toEqual(expect.arrayContaining(NIFTI_KEYS));
    expect(j3).toMatchObject({ format: 'nifti1', dims: [4, 5, 6], datatype: 'int16', trSec: null });
  });

  it('text output by default', () => {
    const r = uhf(['info', sim]);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(50);
    expect(() => JSON.parse(r.stdout) as unknown).toThrow();
  });

  it('wrong usage and unreadable files: exit 1, one line', async () => {
    await expectUsageErrors(/^uhf info: /, [
      [['info'], /expected exactly one FILE/],
      [['info', sim, nii4d], /expected exactly one FILE/],
      [['info', sim, '--bogus'], /Unknown option '--bogus'/],
      [['info', join(tmp.dir, 'nope.h5')], /nope\.h5/],
      [['info', join(tmp.dir, 'nope.nii.gz')], /nope\.nii\.gz/],
    ]);
  });
});
