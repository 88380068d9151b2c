/**
 * Bad input to the reconstruction: every problem is a UhfError with a message that
 * says what is wrong; `uhf recon` exits 1 with ONE line on stderr (no stack trace)
 * and leaves no output or temporary file behind. Readouts outside the encoded
 * matrix are a warning, not an error: they are dropped and counted.
 *
 * Files are simulator scans (test-small, one repetition) written with our ISMRMRD
 * writer after tampering with the acquisitions or the header, or (data length)
 * patched afterwards with h5py, because our writer refuses to write such a file.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isUhfError, type UhfErrorCode } from '../../shared/errors.ts';
import type { Acquisition, IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import { hasFlag } from '../../shared/ismrmrd.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { reconstructFile, type ReconResult } from '../../recon/pipeline/run.ts';
import type { ReconOptions } from '../../recon/pipeline/options.ts';
import { presetParams, simulate, type SimulatedScan } from '../../recon/sim/index.ts';
import { DEBIAN_PYTHON, run, tempDir } from '../helpers/peers.ts';
import { cloneAcquisition, lines, listDir, uhf } from '../helpers/recon.ts';

const tmp = tempDir('uhf-bad-');
afterAll(() => tmp.cleanup());

let scan: SimulatedScan;
let acqs: Acquisition[];
let goodFile: string;
let good: ReconResult;
let fileNo = 0;

beforeAll(async () => {
  scan = simulate(presetParams('test-small', { repetitions: 1 }));
  acqs = [...scan.acquisitions()];
  goodFile = await write(acqs);
  good = await reconstructFile(goodFile, { workers: 0 });
});

async function write(list: Acquisition[], header: IsmrmrdHeader = scan.header): Promise<string> {
  const f = join(tmp.dir, `in-${fileNo++}.h5`);
  await writeIsmrmrd(f, header, list);
  return f;
}

const isNoise = (a: Acquisition) => hasFlag(a.head.flags, 'IS_NOISE_MEASUREMENT');

async function reconError(file: string, options: ReconOptions = {}): Promise<unknown> {
  try {
    await reconstructFile(file, { workers: 0, ...options });
  } catch (e) {
    return e;
  }
  return undefined;
}

async function expectUhfError(file: string, code: UhfErrorCode, message: RegExp, options: ReconOptions = {}): Promise<void> {
  const e = await reconError(file, options);
  expect(isUhfError(e), `expected a UhfError, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  expect((e as Error).message).toMatch(message);
  expect((e as Error).message).toContain(file);
}

/**
 * `uhf recon FILE -o DIR/out.nii.gz ARGS` into a fresh directory: exit 1, one line on
 * stderr that matches, nothing on stdout, and the directory still empty.
 */
function expectCliRefusal(file: string, message: RegExp, args: string[] = []): void {
  const dir = join(tmp.dir, `out-${fileNo++}`);
  mkdirSync(dir);
  const r = uhf(['recon', file, '-o', join(dir, 'out.nii.gz'), ...args]);
  expect(r.status).toBe(1);
  expect(r.stdout).toBe('');
  const err = lines(r.stderr);
  expect(err, r.stderr).toHaveLength(1);
  expect(err[0]).toMatch(/^uhf recon: /);
  expect(err[0]).toMatch(message);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(listDir(dir)).toEqual([]);
}

describe('readouts outside the encoding limits', () => {
  it('are ignored with a warning; the image is that of the file without them', async () => {
    const extra = acqs.filter((a) => !isNoise(a) && a.head.idx.slice === 1).slice(3, 5).map(cloneAcquisition);
    extra[0]!.head.idx.kspaceEncodeStep1 = 32 + 7; // ky beyond the 32 encoded lines
    extra[1]!.head.centerSample = 3; // the readout would stick out of the buffer
    const list = [...acqs];
    list.splice(list.length - 20, 0, ...extra);
    const file = await write(list);
    const r = await reconstructFile(file, { workers: 0 });
    expect(r.report.counts.outsideLimits).toBe(2);
    expect(r.report.warnings.join('\n')).toMatch(/2 readouts lie outside the encoded matrix and were ignored/);
    expect(Array.from(r.volumes[0]!.magnitude.data)).toEqual(Array.from(good.volumes[0]!.magnitude.data));
    const dir = join(tmp.dir, `out-${fileNo++}`);
    mkdirSync(dir);
    const cli = uhf(['recon', file, '-o', join(dir, 'r.nii.gz')]);
    expect(cli.status).toBe(0);
    expect(cli.stderr).toMatch(/^warning: 2 readouts lie outside the encoded matrix/m);
    expect(listDir(dir)).toEqual(['r.json', 'r.nii.gz']);
  });
});

describe('bad data: a UhfError, and `uhf recon` exits 1 with one line and no output', () => {
  it('a slice that was never acquired (middle, or the last the header announces)', async () => {
    for (const missing of [1, 2]) {
      const file = await write(acqs.filter((a) => isNoise(a) || a.head.idx.slice !== missing));
      await expectUhfError(file, 'UNSUPPORTED_DATA', new RegExp(`slice ${missing} of 0\\.\\.2 never acquired`));
      if (missing === 2) expectCliRefusal(file, /slice 2 of 0\.\.2 never acquired/);
    }
  });

  it('a channel count that changes within the scan (or differs between noise and imaging readouts)', async () => {
    const list = acqs.map(cloneAcquisition);
    const late = list.length - 10;
    const h = list[late]!.head;
    h.activeChannels = 3;
    h.availableChannels = 3;
    list[late]!.data = list[late]!.data.slice(0, 2 * 3 * h.numberOfSamples);
    const file = await write(list);
    await expectUhfError(file, 'UNSUPPORTED_DATA', /channel count changes within the scan \(4 → 3/);
    expectCliRefusal(file, /channel count changes within the scan/);
    // Noise scans with fewer channels than the imaging readouts.
    const noisy = acqs.map((a) => {
      if (!isNoise(a)) return a;
      const b = cloneAcquisition(a);
      b.head.activeChannels = 3;
      b.head.availableChannels = 3;
      b.data = a.data.slice(0, 2 * 3 * a.head.numberOfSamples);
      return b;
    });
    await expectUhfError(await write(noisy), 'UNSUPPORTED_DATA', /noise readouts have 3 channels, imaging readouts 4/);
  });

  it('data length disagreeing with the acquisition header (caught at read)', async () => {
    const file = join(tmp.dir, `badlen-${fileNo++}.h5`);
    copyFileSync(goodFile, file);
    run(DEBIAN_PYTHON, ['-c', `
import h5py
d = h5py.File(${JSON.stringify(file)}, 'r+')['dataset/data']
r = d[20]
r['head']['number_of_samples'] = 60
d[20] = r`]);
    await expectUhfError(file, 'INGEST_DATA_LENGTH', /acquisition 20/);
    expectCliRefusal(file, /acquisition 20/);
  });

  it('a non-Cartesian trajectory in the header, named in the error', async () => {
    for (const trajectory of ['radial', 'spiral'] as const) {
      const header = structuredClone(scan.header);
      header.encoding[0]!.trajectory = trajectory;
      const file = await write(acqs, header);
      await expectUhfError(file, 'UNSUPPORTED_DATA', new RegExp(`${trajectory} trajectory is not supported`));
      if (trajectory === 'radial') expectCliRefusal(file, /radial trajectory is not supported: only Cartesian/);
    }
  });

  it('undersampled data that parallel imaging cannot unfold (no calibration lines): says so, and that --pi none gives an aliased image', async () => {
    // Without ACS lines there is nothing to calibrate GRAPPA or SENSE with, whichever --pi.
    const acc = simulate(presetParams('test-small', { repetitions: 1, acceleration: 2, acsLines: 0 }));
    const file = await write([...acc.acquisitions()], acc.header);
    for (const pi of ['auto', 'grappa', 'sense'] as const) {
      await expectUhfError(file, 'UNSUPPORTED_DATA', /undersampled \(R = 2×1\).*(parallel imaging|calibration).*--pi none.*aliased/, { pi });
    }
    expectCliRefusal(file, /undersampled.*--pi none.*aliased/);
    const r = await reconstructFile(file, { workers: 0, pi: 'none' });
    expect(r.report.warnings.join('\n')).toMatch(/undersampled \(R = 2×1\) and parallel imaging is off: the image is zero-filled and aliased/);
    expect(r.volumes[0]!.magnitude.dims).toEqual([32, 32, 3, 1]);
  });
});

describe('the output must never be the input', () => {
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

  it('is refused (same path, a symlink to it, or the sidecar landing on it), input untouched, nothing written', () => {
    const dir = join(tmp.dir, `same-${fileNo++}`);
    mkdirSync(dir);
    // An ISMRMRD file may have any name: here one the output would also have.
    const input = join(dir, 'scan.nii.gz');
    copyFileSync(goodFile, input);
    const asJson = join(dir, 'raw.json');
    copyFileSync(goodFile, asJson);
    symlinkSync('scan.nii.gz', join(dir, 'link.nii.gz'));
    const before = sha(input);
    const listing = listDir(dir);
    for (const [inp, out] of [[input, input], [input, join(dir, 'link.nii.gz')], [asJson, join(dir, 'raw.nii.gz')]] as const) {
      const r = uhf(['recon', inp, '-o', out]);
      expect(r.status).toBe(1);
      const err = lines(r.stderr);
      expect(err, r.stderr).toHaveLength(1);
      expect(err[0]).toMatch(/^uhf recon: .*refusing to overwrite input file/);
      expect(listDir(dir)).toEqual(listing);
    }
    expect(sha(input)).toBe(before);
    expect(sha(asJson)).toBe(before);
  });
});
