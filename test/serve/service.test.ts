// The worker's service on a small simulated scan, in-process: header summary and
// suggested settings, recon into the volume store, voxels out as Float32Array,
// NIfTI save and re-open, tSNR, and cancellation of a running recon.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReconOutcome, ReconPrefill, VolumeData, VolumeRef } from '../../shared/api/types.ts';
import { writeSimulation } from '../../recon/cli/simulate.ts';
import { AppService, suggestReconSettings } from '../../recon/serve/service.ts';
import { ApiFailure } from '../../recon/serve/errors.ts';
import { presetParams, simulate } from '../../recon/sim/index.ts';

let dir: string;
let raw: string;
const noProgress = () => undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uhf-service-'));
  raw = join(dir, 'small.h5');
  await writeSimulation(simulate(presetParams('test-small', { repetitions: 4 })), raw);
}, 60_000);

describe('AppService', () => {
  it('suggests recon settings from the header, with reasons', () => {
    expect(suggestReconSettings({ receiverChannels: 32, acceleration: [2, 1], calibrationMode: 'embedded' })).toMatchObject({ settings: { pi: 'grappa', coils: 16, backend: 'auto' } });
    expect(suggestReconSettings({ receiverChannels: 8, acceleration: [1, 1], calibrationMode: null }).settings).toMatchObject({ pi: 'none', coils: null });
  });

  it('summarises, reconstructs, serves voxels, saves and re-opens NIfTI, computes tSNR', async () => {
    const s = new AppService();
    const prefill = (await s.handle('ismrmrd.summary', { path: raw }, undefined, noProgress)) as ReconPrefill;
    expect(prefill.summary.repetitions).toBe(4);
    expect(prefill.reasons.length).toBeGreaterThan(2);
    const stages: string[] = [];
    const out = (await s.handle('recon.run', { path: raw, settings: { ...prefill.suggested, backend: 'cpu' } }, 'j1', (stage) => stages.push(stage))) as ReconOutcome;
    expect(stages.length).toBeGreaterThan(0);
    expect(out.volumes).toHaveLength(1);
    const bold = out.volumes[0]!;
    expect(bold).toMatchObject({ role: 'bold', name: 'small', source: raw });
    expect(bold.dims[3]).toBe(4);
    expect(bold.stats.p98).toBeGreaterThan(bold.stats.p2);
    const data = (await s.handle('volume.data', { volumeId: bold.id }, undefined, noProgress)) as VolumeData;
    expect(data.data).toBeInstanceOf(Float32Array);
    expect(data.data.length).toBe(bold.dims.reduce((a, b) => a * b, 1));
    const path = join(dir, 'small.nii.gz');
    await s.handle('nifti.save', { volumeId: bold.id, path }, undefined, noProgress);
    const again = (await s.handle('nifti.open', { path }, undefined, noProgress)) as VolumeRef;
    expect(again.dims).toEqual(bold.dims);
    for (let i = 0; i < 16; i++) expect(again.affine[i]).toBeCloseTo(bold.affine[i]!, 4);
    const tsnr = (await s.handle('tsnr.compute', { volumeId: bold.id }, undefined, noProgress)) as VolumeRef;
    expect(tsnr).toMatchObject({ role: 'tsnr', dims: [bold.dims[0], bold.dims[1], bold.dims[2], 1] });
    expect(await s.handle('volume.release', { volumeId: bold.id }, undefined, noProgress)).toEqual({ released: true });
    await expect(s.handle('volume.data', { volumeId: bold.id }, undefined, noProgress)).rejects.toMatchObject({ code: 'VOLUME_NOT_FOUND' });
  }, 60_000);

  it('cancels a running reconstruction', async () => {
    const s = new AppService();
    const run = s.handle('recon.run', { path: raw, settings: { combine: 'rss', pi: 'none', backend: 'cpu', coils: null } }, 'job-c', noProgress);
    expect(await s.handle('job.cancel', { jobId: 'job-c' }, undefined, noProgress)).toEqual({ cancelled: true });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(await s.handle('job.cancel', { jobId: 'job-c' }, undefined, noProgress)).toEqual({ cancelled: false });
  }, 60_000);

  it('refuses host methods and malformed arguments', async () => {
    const s = new AppService();
    await expect(s.handle('app.info', {}, undefined, noProgress)).rejects.toBeInstanceOf(ApiFailure);
    await expect(s.handle('nifti.open', { path: 3 }, undefined, noProgress)).rejects.toThrow(/path/);
  });
});
