/** `uhf glm` end to end on a small simulated MNI-space run, and its bad-input handling. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atlasLabelAt, loadAalAtlas } from '../../recon/analysis/atlas.ts';
import type { GlmReport } from '../../recon/analysis/outputs.ts';
import { formatEventsTsv, makeSyntheticRun } from '../../recon/analysis/synthetic.ts';
import { main } from '../../recon/cli/main.ts';
import { NIFTI_INTENT, readNifti, writeNifti } from '../../recon/io/nifti/index.ts';
import { asAffine, type Volume } from '../../shared/volume.ts';
import { tempDir } from '../helpers/peers.ts';

const tmp = tempDir('uhf-glm-cli-');
afterAll(() => tmp.cleanup());
const path = (name: string) => join(tmp.dir, name);

async function uhf(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += `${t}\n`), stderr: (t) => (stderr += `${t}\n`), stderrIsTty: false });
  return { code, stdout, stderr };
}

// 4 mm MNI grid: voxel (i, j, k) → (4i − 58, 4j − 86, 4k − 50) mm.
const affine = asAffine([4, 0, 0, -58, 0, 4, 0, -86, 0, 0, 4, -50, 0, 0, 0, 1]);
const run = makeSyntheticRun({
  seed: 4,
  dims: [30, 36, 30],
  nFrames: 100,
  affine,
  activations: [
    { condition: 'faces', centre: [5, 16, 15], radius: 2, percent: 2 },
    { condition: 'houses', centre: [24, 16, 15], radius: 2, percent: 2 },
  ],
});

beforeAll(async () => {
  await writeNifti(path('bold.nii.gz'), run.volume, { xformCode: 'mni' });
  mkdirSync(path('in'));
  writeFileSync(path('events.tsv'), run.eventsTsv);
  const noTr: Volume = { ...run.volume };
  delete noTr.trSec;
  await writeNifti(path('notr.nii.gz'), noTr);
  const nan = new Float32Array(run.volume.data);
  for (let t = 0; t < 100; t += 7) nan[t * 32400 + 14 + 30 * (18 + 36 * 14)] = NaN;
  await writeNifti(path('nan.nii.gz'), { ...run.volume, data: nan });
  await writeNifti(path('3d.nii.gz'), { ...run.volume, dims: [30, 36, 30, 1], data: run.volume.data.subarray(0, 32400) });
  writeFileSync(path('late.tsv'), formatEventsTsv(run.events.map((e) => ({ ...e, onset: e.onset + 1000 }))));
});

describe('uhf glm', () => {
  it('writes z/t/beta maps, clusters with AAL labels, the design and a JSON report', async () => {
    const out = path('out');
    const r = await uhf('glm', path('bold.nii.gz'), '--events', path('events.tsv'), '-o', out, '--contrast', 'faces=faces', '--contrast', 'diff=faces - houses', '--contrast', 'any=F(faces, houses)', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as GlmReport;
    expect(report.tr).toEqual({ seconds: 2, source: 'header', header: 2, sidecar: null });
    expect(report.volume.space).toBe('MNI');
    expect(report.design.columns.slice(0, 2)).toEqual(['faces', 'houses']);
    expect(report.contrasts.map((c) => [c.name, c.type])).toEqual([['faces', 't'], ['diff', 't'], ['any', 'F']]);
    expect(report.contrasts[0]!.weights).toEqual([{ faces: 1 }]);
    for (const f of ['faces_z', 'faces_t', 'faces_beta', 'faces_psc', 'diff_z', 'any_z', 'any_F', 'tsnr', 'mask', 'residvar', 'ar1']) {
      expect(existsSync(join(out, `${f}.nii.gz`)), f).toBe(true);
    }
    for (const f of ['design.tsv', 'design.svg', 'faces_clusters.tsv', 'any_clusters.tsv', 'report.json']) expect(existsSync(join(out, f)), f).toBe(true);

    const t = await readNifti(join(out, 'faces_t.nii.gz'));
    expect(t.volume.intentCode).toBe(NIFTI_INTENT.TTEST);
    expect(t.volume.intentParams![0]).toBe(report.design.dof);
    expect(t.header.sformCode).toBe(4);
    t.volume.affine.forEach((x, i) => expect(x).toBeCloseTo(affine[i]!, 5));
    expect((await readNifti(join(out, 'faces_z.nii.gz'))).volume.intentCode).toBe(NIFTI_INTENT.ZSCORE);
    const f = await readNifti(join(out, 'any_F.nii.gz'));
    expect(f.volume.intentCode).toBe(NIFTI_INTENT.FTEST);
    expect(f.volume.intentParams!.slice(0, 2)).toEqual([2, report.design.dof]);

    // The top faces cluster is on the faces blob, labelled from AAL at its peak.
    const faces = report.contrasts[0]!;
    expect(faces.clusterCount).toBeGreaterThan(0);
    const top = faces.clusters[0]!;
    expect(Math.hypot(top.peakMm[0]! + 38, top.peakMm[1]! + 22, top.peakMm[2]! - 10)).toBeLessThanOrEqual(10);
    const atlas = await loadAalAtlas();
    expect(top.label).toBe(atlasLabelAt(atlas, top.peakMm as [number, number, number]));
    const tsv = readFileSync(join(out, 'faces_clusters.tsv'), 'utf8').split('\n');
    expect(tsv[1]!.split('\t').at(-1)).toBe(top.label);
    expect(readFileSync(join(out, 'design.tsv'), 'utf8').split('\n')[0]).toBe(report.design.columns.join('\t'));
  });

  it('prints a text summary naming the TR source; --tr that disagrees is a warning', async () => {
    const r = await uhf('glm', path('bold.nii.gz'), '--events', path('events.tsv'), '-o', path('out2'), '--tr', '2.5', '--noise', 'ols', '--hrf', 'spm+derivative');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/TR 2.5 s \(from --tr\)/);
    expect(r.stdout).toMatch(/faces \[t: faces\]: \d+ cluster/);
    expect(r.stderr).toMatch(/--tr 2.5 s disagrees with the NIfTI header's TR of 2 s/);
  });

  it('reads the TR in the header’s time unit (ms here)', async () => {
    // An uncompressed copy with pixdim[4] = 2000 and xyzt_units = mm | ms.
    await writeNifti(path('ms.nii'), run.volume);
    const bytes = readFileSync(path('ms.nii'));
    bytes.writeFloatLE(2000, 76 + 4 * 4);
    bytes[123] = 2 | 16;
    writeFileSync(path('ms.nii'), bytes);
    const r = await uhf('glm', path('ms.nii'), '--events', path('events.tsv'), '-o', path('out-ms'), '--json', '--noise', 'ols');
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as GlmReport).tr).toMatchObject({ seconds: 2, source: 'header', header: 2 });
  });

  it('warns about NaN voxels and leaves them out', async () => {
    const r = await uhf('glm', path('nan.nii.gz'), '--events', path('events.tsv'), '-o', path('out3'), '--json', '--noise', 'ols');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/1 voxel\(s\) have NaN or infinite values/);
    const z = await readNifti(path('out3/faces_z.nii.gz'));
    expect(z.volume.data.every(Number.isFinite)).toBe(true);
    expect(z.volume.data[14 + 30 * (18 + 36 * 14)]).toBe(0);
  });

  it.each([
    ['a 3D file', ['3d.nii.gz', '--events', 'events.tsv'], /3D image \[30, 36, 30\]: the GLM needs a 4D time series/],
    ['no TR anywhere', ['notr.nii.gz', '--events', 'events.tsv'], /TR is unknown.*--tr SECONDS/],
    ['events outside the run', ['bold.nii.gz', '--events', 'late.tsv'], /no event falls inside the run \(0–200 s.*TR/],
    ['an unknown condition', ['bold.nii.gz', '--events', 'events.tsv', '--contrast', 'x=faces - cars'], /unknown condition 'cars' in contrast 'x' \(conditions: faces, houses\)/],
    ['a missing events file', ['bold.nii.gz', '--events', 'nope.tsv'], /cannot read events/],
    ['a bad --noise', ['bold.nii.gz', '--events', 'events.tsv', '--noise', 'ar2'], /--noise must be one of ar1, ar1-nilearn, ols/],
  ])('fails with one clear line on %s', async (_what, args, message) => {
    const [file, ...rest] = args as string[];
    const r = await uhf('glm', path(file!), ...rest.map((a, i) => (rest[i - 1] === '--events' ? path(a) : a)), '-o', path('bad'));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });

  it('refuses to overwrite its input, and writes nothing', async () => {
    await writeNifti(path('in/tsnr.nii.gz'), run.volume);
    const r = await uhf('glm', path('in/tsnr.nii.gz'), '--events', path('events.tsv'), '-o', path('in'), '--noise', 'ols');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/refusing to overwrite input file/);
    expect(existsSync(path('in/faces_z.nii.gz'))).toBe(false);
  });
});
