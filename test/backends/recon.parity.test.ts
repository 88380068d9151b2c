/**
 * Whole reconstructions: `--backend webgpu` must equal `--backend cpu` to
 * NRMSE ≤ 1e-4 (‖gpu − cpu‖/‖cpu‖ over every volume) on simulated 7 T-like
 * data (prewhitening from noise scans, oblique slices, repetitions) and on
 * ismrmrd-tools' Shepp-Logan data, and the `--json` report must say where it ran.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readNifti } from '../../recon/io/nifti/index.ts';
import type { ReconOptions } from '../../recon/pipeline/options.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { presetParams, simulate } from '../../recon/sim/index.ts';
import { generateSheppLogan, tempDir } from '../helpers/peers.ts';
import { uhf } from '../helpers/recon.ts';
import { relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
const tmp = tempDir('uhf-gpu-recon-');
afterAll(() => {
  tmp.cleanup();
  gpu?.release();
});

const NRMSE = 1e-4;
let simulated: string;
let sheppLogan: string;

beforeAll(async () => {
  simulated = join(tmp.dir, 'sim.h5');
  // 7 T-like: 8 receive channels with correlated noise + noise scans, oblique slices,
  // 2x readout oversampling; a non-power-of-two matrix (40×36) for the FFT.
  const scan = simulate(presetParams('test-small', { coils: 8, matrix: [40, 36], slices: 3, repetitions: 2 }));
  await writeIsmrmrd(simulated, scan.header, scan.acquisitions());
  sheppLogan = join(tmp.dir, 'sl.h5');
  generateSheppLogan(sheppLogan, { matrix: 48, coils: 6, noiseCalibration: true, repetitions: 2 });
});

async function compare(file: string, opts: ReconOptions): Promise<number> {
  const cpu = await reconstructFile(file, { ...opts, backend: 'cpu', workers: 0 });
  const gpuRun = await reconstructFile(file, { ...opts, backend: 'webgpu' });
  expect(cpu.report.backend).toBe('cpu');
  expect(gpuRun.report.backend).toBe('webgpu');
  expect(gpuRun.report.backendReason).toMatch(/requested/);
  expect(gpuRun.report.warnings).toEqual(cpu.report.warnings);
  expect(gpuRun.volumes.length).toBe(cpu.volumes.length);
  let worst = 0;
  cpu.volumes.forEach((v, i) => {
    const g = gpuRun.volumes[i]!;
    expect(g.magnitude.dims).toEqual(v.magnitude.dims);
    expect(g.magnitude.affine).toEqual(v.magnitude.affine);
    worst = Math.max(worst, relL2(g.magnitude.data, v.magnitude.data));
  });
  return worst;
}

describe.skipIf(!gpu)('uhf recon on WebGPU equals the CPU backend', () => {
  const cases: [string, () => string, ReconOptions][] = [
    ['simulated, RSS, prewhitened', () => simulated, {}],
    ['simulated, coil compression to 5', () => simulated, { coils: 5 }],
    ['simulated, adaptive (Walsh) combination with phase', () => simulated, { combine: 'walsh', phase: true }],
    ['ismrmrd-tools Shepp-Logan, RSS', () => sheppLogan, {}],
    ['ismrmrd-tools Shepp-Logan, no prewhitening, Inati', () => sheppLogan, { prewhiten: 'off', combine: 'inati' }],
  ];
  for (const [name, file, opts] of cases) {
    it(name, async () => {
      const err = await compare(file(), opts);
      console.log(`recon ${name}: NRMSE ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(NRMSE);
    });
  }

  it('undersampled data (parallel imaging, default GRAPPA): on the GPU too (more cases in pi-recon.parity.test.ts)', async () => {
    const file = join(tmp.dir, 'accel.h5');
    const scan = simulate(presetParams('test-small', { coils: 8, matrix: [40, 36], slices: 2, repetitions: 1, acceleration: 2 }));
    await writeIsmrmrd(file, scan.header, scan.acquisitions());
    const err = await compare(file, {});
    console.log(`recon undersampled, GRAPPA: NRMSE ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(NRMSE);
  });

  it('uhf recon --backend webgpu --json says "backend": "webgpu", and its NIfTI equals --backend cpu', async () => {
    const outs: Record<string, string> = {};
    for (const backend of ['cpu', 'webgpu']) {
      outs[backend] = join(tmp.dir, `cli-${backend}.nii.gz`);
      const r = uhf(['recon', simulated, '-o', outs[backend]!, '--backend', backend, '--json'], { timeoutMs: 300_000 });
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout) as { backend: string; backendReason: string; backendDevice: string; timingsMs: Record<string, number> };
      expect(report.backend).toBe(backend);
      if (backend === 'webgpu') {
        expect(report.backendDevice).toMatch(/\S/);
        expect(report.timingsMs).toHaveProperty('backend');
      }
    }
    const [c, g] = await Promise.all([readNifti(outs['cpu']!), readNifti(outs['webgpu']!)]);
    const err = relL2(g.volume.data, c.volume.data);
    console.log(`CLI NIfTI webgpu vs cpu: NRMSE ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(NRMSE);
  });
});
