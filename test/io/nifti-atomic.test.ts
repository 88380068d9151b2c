/**
 * Atomic output (all or nothing, no temp left), refusal to write onto an
 * input, and the provenance sidecar.
 */
import { createHash } from 'node:crypto';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UhfError } from '../../shared/errors.ts';
import { identityAffine, type Volume } from '../../shared/volume.ts';
import { assertNotInput, tempPathFor, writeFileAtomic } from '../../recon/io/atomic.ts';
import { readNifti, writeNifti } from '../../recon/io/nifti/index.ts';
import { sha256File, sidecarPathFor, writeSidecar } from '../../recon/io/sidecar.ts';

let root: string;
let n = 0;
/** A fresh empty directory per test, so "nothing left behind" can be checked by listing it. */
async function freshDir(): Promise<string> {
  const d = join(root, `t${n++}`);
  await mkdir(d);
  return d;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'uhf-nifti-atomic-'));
});
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<UhfError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(UhfError);
  return err as UhfError;
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('writeFileAtomic', () => {
  it('writes the whole content, leaving only the target', async () => {
    const d = await freshDir();
    await writeFileAtomic(join(d, 'out.bin'), [bytes('abc'), bytes('def')]);
    expect(await readFile(join(d, 'out.bin'), 'utf8')).toBe('abcdef');
    expect(await readdir(d)).toEqual(['out.bin']);
  });

  it('temp names are hidden, in the same directory, and unique', () => {
    const a = tempPathFor('/x/y/out.nii.gz');
    expect(a).toMatch(new RegExp(`^/x/y/\\.out\\.nii\\.gz\\.tmp-${process.pid}-[0-9a-f]{12}$`));
    expect(tempPathFor('/x/y/out.nii.gz')).not.toBe(a);
  });

  it('a failure mid-write leaves no file and no temp', async () => {
    const d = await freshDir();
    async function* failing() {
      yield bytes('first chunk is written...');
      throw new Error('disk on fire');
    }
    const err = await rejection(writeFileAtomic(join(d, 'out.nii.gz'), failing()));
    expect(err.code).toBe('OUTPUT_WRITE_FAILED');
    expect(err.file).toBe(join(d, 'out.nii.gz'));
    expect(await readdir(d)).toEqual([]);
  });

  it('a failure mid-write leaves an existing target untouched', async () => {
    const d = await freshDir();
    const target = join(d, 'out.nii');
    await writeFile(target, 'previous result');
    function* failing() {
      yield bytes('new');
      throw new UhfError('CANCELLED', 'user pressed stop');
    }
    const err = await rejection(writeFileAtomic(target, failing()));
    expect(err.code).toBe('CANCELLED'); // typed errors pass through unchanged
    expect(await readFile(target, 'utf8')).toBe('previous result');
    expect(await readdir(d)).toEqual(['out.nii']);
  });

  it('a failing rename (target is a directory) removes the temp', async () => {
    const d = await freshDir();
    await mkdir(join(d, 'out.nii'));
    const err = await rejection(writeFileAtomic(join(d, 'out.nii'), bytes('x')));
    expect(err.code).toBe('OUTPUT_WRITE_FAILED');
    expect(await readdir(d)).toEqual(['out.nii']);
    expect((await stat(join(d, 'out.nii'))).isDirectory()).toBe(true);
  });
});

describe('assertNotInput', () => {
  it('refuses the same file by path, relative path, symlink and hard link; allows others', async () => {
    const d = await freshDir();
    const input = join(d, 'in.nii.gz');
    await writeFile(input, 'data');
    await symlink(input, join(d, 'alias.nii.gz'));
    await link(input, join(d, 'hard.nii.gz'));
    await mkdir(join(d, 'sub'));
    await symlink(d, join(d, 'dirlink'));
    const refused = [
      input,
      relative(process.cwd(), input),
      join(d, 'sub', '..', 'in.nii.gz'),
      join(d, 'alias.nii.gz'),
      join(d, 'hard.nii.gz'),
      join(d, 'dirlink', 'in.nii.gz'),
    ];
    for (const out of refused) {
      const err = await rejection(assertNotInput(out, [join(d, 'other.nii'), input]));
      expect(err.code, out).toBe('OUTPUT_EXISTS_AS_INPUT');
      expect(err.file).toBe(out);
    }
    // reverse roles: the input named through a symlink
    expect((await rejection(assertNotInput(input, [join(d, 'alias.nii.gz')]))).code).toBe('OUTPUT_EXISTS_AS_INPUT');
    await expect(assertNotInput(join(d, 'out.nii.gz'), [input])).resolves.toBeUndefined();
    await expect(assertNotInput(join(d, 'new', 'deep', 'out.nii.gz'), [input])).resolves.toBeUndefined();
  });

  it('writeNifti onto its input is refused and the input is unchanged', async () => {
    const d = await freshDir();
    const input = join(d, 'in.nii.gz');
    const volume: Volume = { dims: [2, 2, 2, 1], affine: identityAffine(), data: new Float32Array(8).fill(7) };
    await writeNifti(input, volume);
    const before = await readFile(input);
    const other: Volume = { ...volume, data: new Float32Array(8).fill(-1) };
    const err = await rejection(writeNifti(join(d, '.', 'in.nii.gz'), other, { inputs: [input] }));
    expect(err.code).toBe('OUTPUT_EXISTS_AS_INPUT');
    expect(Buffer.compare(await readFile(input), before)).toBe(0);
    expect(Array.from((await readNifti(input)).volume.data)).toEqual(Array(8).fill(7));
    expect(await readdir(d)).toEqual(['in.nii.gz']);
  });
});

describe('sidecar', () => {
  it('sha256File streams and matches a one-shot hash (multi-chunk file)', async () => {
    const d = await freshDir();
    const p = join(d, 'big.bin');
    const content = Buffer.alloc(3 * 1024 * 1024 + 17).map((_, i) => (i * 31 + (i >> 9)) & 0xff);
    await writeFile(p, content);
    const expected = createHash('sha256').update(content).digest('hex');
    expect(await sha256File(p)).toEqual({ sha256: expected, bytes: content.length });
  });

  it('sidecarPathFor follows BIDS naming', () => {
    expect(sidecarPathFor('/a/sub-01_bold.nii.gz')).toBe('/a/sub-01_bold.json');
    expect(sidecarPathFor('/a/x.NII')).toBe('/a/x.json');
    expect(() => sidecarPathFor('/a/x.img')).toThrow(UhfError);
  });

  it('writes OUT.json beside OUT.nii.gz with inputs, hashes, parameters, software, timings and date', async () => {
    const d = await freshDir();
    const inA = join(d, 'raw.h5');
    const inB = join(d, 'ref.nii.gz');
    await writeFile(inA, 'raw k-space');
    await writeFile(inB, 'reference');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name: string;
      version: string;
    };
    const path = await writeSidecar(join(d, 'out.nii.gz'), {
      inputs: [inA, inB],
      parameters: { recon: 'sense', R: 3 },
      timingsSec: { recon: 1.25 },
      date: new Date('2024-05-06T07:08:09.000Z'),
      extra: { RepetitionTime: 2.0, TaskName: 'motor' },
    });
    expect(path).toBe(join(d, 'out.json'));
    const json = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(json).toEqual({
      RepetitionTime: 2.0,
      TaskName: 'motor',
      GeneratedBy: [{ Name: pkg.name, Version: pkg.version }],
      Sources: [
        { Path: inA, SHA256: sha('raw k-space'), Bytes: 11 },
        { Path: inB, SHA256: sha('reference'), Bytes: 9 },
      ],
      Parameters: { recon: 'sense', R: 3 },
      TimingsSec: { recon: 1.25 },
      DateTime: '2024-05-06T07:08:09.000Z',
    });
    expect((await readdir(d)).sort()).toEqual(['out.json', 'raw.h5', 'ref.nii.gz']);
  });

  it('refuses to write a sidecar onto an input', async () => {
    const d = await freshDir();
    const input = join(d, 'out.json');
    await writeFile(input, '{"keep": true}');
    const err = await rejection(writeSidecar(join(d, 'out.nii'), { inputs: [input] }));
    expect(err.code).toBe('OUTPUT_EXISTS_AS_INPUT');
    expect(await readFile(input, 'utf8')).toBe('{"keep": true}');
  });
});
