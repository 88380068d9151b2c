/**
 * `uhf simulate` as a subprocess: the raw ISMRMRD file and its ground truth
 * beside it, deterministic from --seed, with the requested parameters.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openIsmrmrd } from '../../recon/io/ismrmrd/reader.ts';
import { readNifti } from '../../recon/io/nifti/index.ts';
import { tempDir } from '../helpers/peers.ts';
import { expectUsageErrors } from '../helpers/cli.ts';
import { listDir, uhf, uhfInProcess } from '../helpers/recon.ts';

const tmp = tempDir('uhf-cli-sim-');
afterAll(() => tmp.cleanup());

const ARGS = ['--preset', 'test-small', '--coils', '2', '--slices', '2', '--matrix', '24,20', '--repetitions', '3', '--tilt', '12,-4', '--seed', '5', '--json'];

async function acquisitionData(file: string): Promise<Float32Array[]> {
  const r = await openIsmrmrd(file);
  try {
    return r.readBlock(0, r.count).map((a) => a.data);
  } finally {
    r.close();
  }
}

describe('uhf simulate', () => {
  it('--help exits 0', () => {
    const r = uhf(['simulate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: uhf simulate --preset NAME -o FILE\.h5/);
    expect(r.stdout).toMatch(/presets: .*test-small/);
  });

  it('writes the raw file and the truth files, with the requested parameters', async () => {
    const dir = join(tmp.dir, 'a');
    mkdirSync(dir);
    const raw = join(dir, 'scan.h5');
    const r = uhf(['simulate', '-o', raw, ...ARGS]);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { raw: string; truth: string[]; events?: string; acquisitions: number };
    expect(out.raw).toBe(raw);
    const stem = join(dir, 'scan');
    expect(out.truth).toEqual([`${stem}_truth.nii.gz`, `${stem}_truth-rss.nii.gz`, `${stem}_labels.nii.gz`, `${stem}_activation.nii.gz`, `${stem}_coilmaps-magnitude.nii.gz`, `${stem}_truth.json`]);
    expect(out.events).toBe(`${stem}_events.tsv`);
    expect(listDir(dir)).toEqual(['scan.h5', 'scan_activation.nii.gz', 'scan_coilmaps-magnitude.nii.gz', 'scan_events.tsv', 'scan_labels.nii.gz', 'scan_truth-rss.nii.gz', 'scan_truth.json', 'scan_truth.nii.gz']);
    // 4 noise scans + 3 repetitions × 2 slices × 20 lines
    expect(out.acquisitions).toBe(4 + 3 * 2 * 20);
    const info = JSON.parse(uhf(['info', raw, '--json']).stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ receiverChannels: 2, reconMatrix: [24, 20, 1], encodedMatrix: [48, 20, 1], slices: 2, repetitions: 3, acquisitions: out.acquisitions });
    const truth = await readNifti(`${stem}_truth.nii.gz`);
    expect(truth.volume.dims).toEqual([24, 20, 2, 1]);
    const maps = await readNifti(`${stem}_coilmaps-magnitude.nii.gz`);
    expect(maps.volume.dims).toEqual([24, 20, 2, 2]);
    expect(maps.volume.affine).toEqual(truth.volume.affine);
    const meta = JSON.parse(readFileSync(`${stem}_truth.json`, 'utf8')) as { params: { seed: number; tiltLRDeg: number; tiltAPDeg: number }; acquisitions: number };
    expect(meta.params).toMatchObject({ seed: 5, tiltLRDeg: 12, tiltAPDeg: -4 });
    expect(meta.acquisitions).toBe(out.acquisitions);
    expect(readFileSync(`${stem}_events.tsv`, 'utf8')).toMatch(/^onset\tduration\ttrial_type\n/);
  });

  it('is deterministic from --seed (same samples), and another seed gives other noise', async () => {
    const dirs = ['b', 'c', 'd'].map((d) => join(tmp.dir, d));
    for (const [i, d] of dirs.entries()) {
      mkdirSync(d);
      const args = i === 2 ? ARGS.map((a) => (a === '5' ? '6' : a)) : ARGS;
      expect((await uhfInProcess(['simulate', '-o', join(d, 's.h5'), ...args])).status).toBe(0);
    }
    const [b, c, d] = await Promise.all(dirs.map((x) => acquisitionData(join(x, 's.h5'))));
    expect(c!.length).toBe(b!.length);
    expect(c!.every((v, i) => v.every((x, j) => x === b![i]![j]))).toBe(true);
    expect(d!.some((v, i) => v.some((x, j) => x !== b![i]![j]))).toBe(true);
    expect(readFileSync(join(dirs[1]!, 's_truth.nii.gz'))).toEqual(readFileSync(join(dirs[0]!, 's_truth.nii.gz')));
  });

  it('wrong usage exits 1 with one line and writes nothing', async () => {
    const dir = join(tmp.dir, 'bad');
    mkdirSync(dir);
    const raw = join(dir, 'x.h5');
    await expectUsageErrors(/^uhf simulate: /, [
      [['simulate', '-o', raw], /missing --preset/],
      [['simulate', '--preset', 'test-small'], /missing -o/],
      [['simulate', '--preset', 'nope', '-o', raw], /unknown preset 'nope'/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--coils', '0'], /--coils must be an integer ≥ 1/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--matrix', '32'], /--matrix takes 2 comma-separated numbers/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--noise=-1'], /--noise must be ≥ 0/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--noise', '-1'], /'--noise' argument is ambiguous/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--field', '99'], /--field must be in/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--calibration', 'both'], /--calibration must be embedded or separate/],
      [['simulate', '--preset', 'test-small', '-o', raw, '--frobnicate'], /Unknown option '--frobnicate'/],
      [['simulate', '--preset', 'test-small', '-o', raw, 'extra'], /unexpected argument 'extra'/],
      [['simulate', '--preset', 'test-small', '-o', join(dir, 'no', 'such', 'dir', 'x.h5')], /does not exist/],
    ]);
    expect(listDir(dir)).toEqual([]);
    expect(existsSync(raw)).toBe(false);
  });
});
