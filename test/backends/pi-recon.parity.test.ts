/**
 * Whole reconstructions of undersampled data: `--backend webgpu` must equal
 * `--backend cpu` to NRMSE ≤ 1e-4 (‖gpu − cpu‖/‖cpu‖ over every volume) with
 * GRAPPA (image-domain weights, and k-space application when the lattice does
 * not tile the matrix) and SENSE (closed-form unfolding, and CG-SENSE when the
 * matrix is not a multiple of R), on simulated 7 T-like data and on
 * ismrmrd-tools' Shepp-Logan data; the report must say the images were made on
 * the GPU (no CPU-only images, no fallback).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagMask } from '../../shared/ismrmrd.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readNifti } from '../../recon/io/nifti/index.ts';
import type { ReconOptions } from '../../recon/pipeline/options.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { presetParams, simulate, type SimParams } from '../../recon/sim/index.ts';
import { generateSheppLogan, tempDir } from '../helpers/peers.ts';
import { uhfInProcess } from '../helpers/recon.ts';
import { relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
const tmp = tempDir('uhf-gpu-pi-');
afterAll(() => {
  tmp.cleanup();
  gpu?.release();
});

const NRMSE = 1e-4;
let fileCount = 0;

async function simulated(overrides: Partial<SimParams>, acsAsImageLines = false): Promise<string> {
  const file = join(tmp.dir, `sim-${fileCount++}.h5`);
  const scan = simulate(presetParams('test-small', { slices: 1, repetitions: 1, coils: 6, ...overrides }));
  const calOnly = flagMask('IS_PARALLEL_CALIBRATION'), calImg = flagMask('IS_PARALLEL_CALIBRATION_AND_IMAGING');
  const acquisitions = acsAsImageLines
    ? (function* () {
      for (const a of scan.acquisitions()) yield a.head.flags & calOnly ? { ...a, head: { ...a.head, flags: (a.head.flags & ~calOnly) | calImg } } : a;
    })()
    : scan.acquisitions();
  await writeIsmrmrd(file, scan.header, acquisitions);
  return file;
}

function sheppLogan(): string {
  // a fresh name every time: the generator appends to an existing file
  const file = join(tmp.dir, `sl-${fileCount++}.h5`);
  generateSheppLogan(file, { matrix: 48, coils: 6, acceleration: 2, calibrationWidth: 16, repetitions: 2, noiseLevel: 0.01 });
  return file;
}

/** Which application the data lead to, from the report: what each case is meant to cover. */
type Path = 'grappa-image' | 'grappa-kspace' | 'sense-unfold' | 'cg-sense';

async function compare(file: string, opts: ReconOptions, path: Path): Promise<number> {
  const cpu = await reconstructFile(file, { ...opts, backend: 'cpu', workers: 0 });
  // Both calibrate in this thread, so that the comparison is of the application alone (worker-thread
  // calibration, whose arrays come back on SharedArrayBuffers, is covered in recon.parity.test.ts).
  const g = await reconstructFile(file, { ...opts, backend: 'webgpu', workers: 0 });
  const [, e1] = g.report.plan.bufferMatrix;
  const tiles = e1 % g.report.plan.acceleration[0] === 0;
  expect(tiles, `${path}: ${e1} lines at R = ${g.report.plan.acceleration[0]}`).toBe(path === 'grappa-image' || path === 'sense-unfold');
  if (path === 'cg-sense') expect(g.report.warnings.join('\n')).toMatch(/CG-SENSE/);
  expect(cpu.report.backend).toBe('cpu');
  expect(g.report.backend).toBe('webgpu');
  expect(g.report.backendReason).toMatch(/requested/);
  expect(g.report.backendReason).not.toMatch(/CPU/);
  expect(g.report.parallelImaging?.method).toBe(opts.pi);
  expect(g.report.warnings).toEqual(cpu.report.warnings);
  expect(g.volumes.length).toBe(cpu.volumes.length);
  let worst = 0;
  cpu.volumes.forEach((v, i) => {
    const gv = g.volumes[i]!;
    expect(gv.suffix).toBe(v.suffix);
    expect(gv.magnitude.dims).toEqual(v.magnitude.dims);
    worst = Math.max(worst, relL2(gv.magnitude.data, v.magnitude.data));
  });
  return worst;
}

describe.skipIf(!gpu)('uhf recon --pi grappa|sense on WebGPU equals the CPU backend', () => {
  const cases: [string, () => Promise<string> | string, ReconOptions, Path][] = [
    ['GRAPPA, image-domain weights (R = 2, 40×36, 6 coils, 2 slices)', () => simulated({ matrix: [40, 36], slices: 2, acceleration: 2, acsLines: 16 }), { pi: 'grappa' }, 'grappa-image'],
    ['GRAPPA, image-domain weights, ACS lines off the lattice also image lines (put back)', () => simulated({ matrix: [40, 36], acceleration: 3, acsLines: 16 }, true), { pi: 'grappa' }, 'grappa-image'],
    ['GRAPPA, k-space (R = 3 does not tile 32 lines), Walsh with phase', () => simulated({ matrix: [40, 32], acceleration: 3, acsLines: 16 }), { pi: 'grappa', combine: 'walsh', phase: true }, 'grappa-kspace'],
    ['GRAPPA, coil compression to 4, g-factor map', () => simulated({ matrix: [40, 36], acceleration: 2, acsLines: 16 }), { pi: 'grappa', coils: 4, gfactor: true }, 'grappa-image'],
    ['SENSE, unfolding finished by CG over ACS lines that are image lines too (R = 3)', () => simulated({ matrix: [40, 36], acceleration: 3, acsLines: 16 }, true), { pi: 'sense' }, 'sense-unfold'],
    ['SENSE, closed-form unfolding (R = 2), g-factor map', () => simulated({ matrix: [40, 36], acceleration: 2, acsLines: 16 }), { pi: 'sense', gfactor: true }, 'sense-unfold'],
    ['CG-SENSE (R = 3, 32 lines)', () => simulated({ matrix: [40, 32], acceleration: 3, acsLines: 16 }), { pi: 'sense' }, 'cg-sense'],
    ['ismrmrd-tools Shepp-Logan (interleaved, R = 2), GRAPPA', sheppLogan, { pi: 'grappa' }, 'grappa-image'],
    ['ismrmrd-tools Shepp-Logan (interleaved, R = 2), SENSE', sheppLogan, { pi: 'sense' }, 'sense-unfold'],
  ];
  for (const [name, file, opts, path] of cases) {
    it(name, async () => {
      const err = await compare(await file(), opts, path);
      console.log(`recon ${name}: NRMSE ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(NRMSE);
    });
  }

  it('uhf recon --pi sense --backend webgpu --json says "backend": "webgpu", and its NIfTI equals --backend cpu', async () => {
    const file = await simulated({ matrix: [40, 36], acceleration: 2, acsLines: 16 });
    const outs: Record<string, string> = {};
    for (const backend of ['cpu', 'webgpu']) {
      outs[backend] = join(tmp.dir, `cli-pi-${backend}.nii.gz`);
      const r = await uhfInProcess(['recon', file, '-o', outs[backend]!, '--pi', 'sense', '--backend', backend, '--json']);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { backend: string; parallelImaging?: { method: string } };
      expect(report.backend).toBe(backend);
      expect(report.parallelImaging?.method).toBe('sense');
    }
    const [c, g] = await Promise.all([readNifti(outs['cpu']!), readNifti(outs['webgpu']!)]);
    const err = relL2(g.volume.data, c.volume.data);
    console.log(`CLI --pi sense NIfTI webgpu vs cpu: NRMSE ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(NRMSE);
  });
});
