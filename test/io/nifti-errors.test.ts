/**
 * Bad input gives a typed UhfError naming the file, quickly and without
 * allocating what a lying header asks for. Bad writer arguments leave no file.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UhfError, type UhfErrorCode } from '../../shared/errors.ts';
import { identityAffine, type Volume } from '../../shared/volume.ts';
import { niftiInfo, readNifti, writeNifti } from '../../recon/io/nifti/index.ts';

let dir: string;
let good3d: Uint8Array; // plain .nii bytes written by writeNifti, float32 [4,3,2]
let good4d: Uint8Array; // float32 [2,2,2,2]

const vol = (dims: [number, number, number, number]): Volume => ({
  dims,
  affine: identityAffine(),
  data: Float32Array.from({ length: dims[0] * dims[1] * dims[2] * dims[3] }, (_, i) => i - 3.5),
});

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'uhf-nifti-err-'));
  await writeNifti(join(dir, 'good3d.nii'), vol([4, 3, 2, 1]));
  await writeNifti(join(dir, 'good4d.nii'), vol([2, 2, 2, 2]), { trSec: 1 });
  good3d = await readFile(join(dir, 'good3d.nii'));
  good4d = await readFile(join(dir, 'good4d.nii'));
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Copy of `bytes` with little-endian edits applied. */
function patched(bytes: Uint8Array, edit: (v: DataView) => void): Uint8Array {
  const copy = new Uint8Array(bytes);
  edit(new DataView(copy.buffer));
  return copy;
}

async function put(name: string, bytes: Uint8Array | string): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

async function expectUhfError(p: Promise<unknown>, code: UhfErrorCode, file: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'expected a rejection').toBeInstanceOf(UhfError);
  const u = err as UhfError;
  expect(u.code, u.message).toBe(code);
  expect(u.file).toBe(file);
  expect(u.message).toContain(file);
  if (message) expect(u.message).toMatch(message);
}

/** A minimal NIfTI-2 header with the given dims (int64), float32 data claimed, no data. */
function nifti2Header(dims: bigint[]): Uint8Array {
  const b = new Uint8Array(544);
  const v = new DataView(b.buffer);
  v.setInt32(0, 540, true);
  b.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  v.setInt16(12, 16, true);
  v.setInt16(14, 32, true);
  [BigInt(dims.length), ...dims].forEach((d, i) => v.setBigInt64(16 + 8 * i, d, true));
  for (let i = 0; i < 8; i++) v.setFloat64(104 + 8 * i, 1, true);
  v.setBigInt64(168, 544n, true);
  return b;
}

describe('readNifti / niftiInfo reject bad input with typed errors', () => {
  it('sanity: the unpatched fixtures read fine (so each failure below is caused by its patch)', async () => {
    expect((await readNifti(await put('ok3d.nii', good3d))).volume.dims).toEqual([4, 3, 2, 1]);
    expect((await readNifti(await put('ok4d.nii.gz', gzipSync(good4d)))).volume.dims).toEqual([2, 2, 2, 2]);
  });

  it('missing file and directory', async () => {
    const missing = join(dir, 'nope.nii.gz');
    await expectUhfError(readNifti(missing), 'NIFTI_INVALID', missing, /cannot open/);
    const sub = join(dir, 'adir.nii');
    await mkdir(sub, { recursive: true });
    await expectUhfError(readNifti(sub), 'NIFTI_INVALID', sub, /regular file/);
  });

  it('empty file', async () => {
    const p = await put('empty.nii', new Uint8Array(0));
    await expectUhfError(readNifti(p), 'NIFTI_INVALID', p, /empty/);
    await expectUhfError(niftiInfo(p), 'NIFTI_INVALID', p, /empty/);
  });

  it('not NIfTI: text, short junk, wrong magic, Analyze, hdr/img pair', async () => {
    const text = await put('text.nii', 'this is not an image\n'.repeat(40));
    await expectUhfError(readNifti(text), 'NIFTI_INVALID', text, /not a NIfTI/);
    const short = await put('short.nii', new Uint8Array([1, 2, 3]));
    await expectUhfError(readNifti(short), 'NIFTI_INVALID', short, /too short/);
    const magic = await put('magic.nii', patched(good3d, (v) => v.setUint8(345, 0x3f)));
    await expectUhfError(readNifti(magic), 'NIFTI_INVALID', magic, /magic/);
    const analyze = await put('analyze.nii', patched(good3d, (v) => v.setUint32(344, 0)));
    await expectUhfError(readNifti(analyze), 'NIFTI_UNSUPPORTED', analyze, /Analyze/);
    const pair = await put('pair.nii', patched(good3d, (v) => v.setUint8(345, 0x69)));
    await expectUhfError(readNifti(pair), 'NIFTI_UNSUPPORTED', pair, /pair/);
  });

  it('truncated header and truncated data (.nii and .nii.gz)', async () => {
    const hdr = await put('hdr-cut.nii', good3d.subarray(0, 200));
    await expectUhfError(readNifti(hdr), 'NIFTI_INVALID', hdr, /truncated header/);
    const plain = await put('data-cut.nii', good3d.subarray(0, good3d.length - 5));
    await expectUhfError(readNifti(plain), 'NIFTI_INVALID', plain, /truncated|holds/);
    await expectUhfError(niftiInfo(plain), 'NIFTI_INVALID', plain, /truncated|holds/);
    // complete gzip stream of too little data
    const shortGz = await put('data-cut.nii.gz', gzipSync(good3d.subarray(0, good3d.length - 8)));
    await expectUhfError(readNifti(shortGz), 'NIFTI_INVALID', shortGz, /truncated/);
    await expectUhfError(niftiInfo(shortGz), 'NIFTI_INVALID', shortGz, /truncated/);
    // the gzip stream itself cut short
    const gz = gzipSync(good4d);
    const cutGz = await put('stream-cut.nii.gz', gz.subarray(0, gz.length - 20));
    await expectUhfError(readNifti(cutGz), 'NIFTI_INVALID', cutGz, /truncated/);
  });

  it('corrupt gzip', async () => {
    const junk = new Uint8Array(600).map((_, i) => (i * 73 + 11) & 0xff);
    junk.set([0x1f, 0x8b, 0x08, 0x00], 0);
    const p = await put('corrupt.nii.gz', junk);
    await expectUhfError(readNifti(p), 'NIFTI_INVALID', p, /gzip/);
    await expectUhfError(niftiInfo(p), 'NIFTI_INVALID', p, /gzip/);
  });

  it('absurd dims are refused before any allocation (NIfTI-1 plain and gz, NIfTI-2)', async () => {
    const huge = patched(good3d, (v) => [4, 32767, 32767, 32767, 32767].forEach((d, i) => v.setInt16(40 + 2 * i, d, true)));
    const started = Date.now();
    const plain = await put('huge.nii', huge);
    await expectUhfError(readNifti(plain), 'NIFTI_INVALID', plain, /holds/);
    const gz = await put('huge.nii.gz', gzipSync(huge));
    await expectUhfError(readNifti(gz), 'NIFTI_INVALID', gz, /holds/);
    const n2 = await put('huge2.nii', nifti2Header([1n << 40n, 1n << 40n, 1n << 40n]));
    await expectUhfError(readNifti(n2), 'NIFTI_INVALID', n2, /holds/);
    await expectUhfError(niftiInfo(n2), 'NIFTI_INVALID', n2, /holds/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('invalid dims: dim[0] out of range, zero or negative sizes', async () => {
    const d0 = await put('dim0.nii', patched(good3d, (v) => v.setInt16(40, 9, true)));
    await expectUhfError(readNifti(d0), 'NIFTI_INVALID', d0, /dim\[0\]/);
    const neg = await put('neg.nii', patched(good3d, (v) => v.setInt16(42, -4, true)));
    await expectUhfError(readNifti(neg), 'NIFTI_INVALID', neg, /positive/);
  });

  it('unsupported: RGB24, binary, unknown datatype, 5D', async () => {
    const rgb = await put('rgb.nii', patched(good3d, (v) => (v.setInt16(70, 128, true), v.setInt16(72, 24, true))));
    await expectUhfError(readNifti(rgb), 'NIFTI_UNSUPPORTED', rgb, /RGB24/);
    expect((await niftiInfo(rgb)).datatype).toBe('RGB24'); // info still describes it
    const bin = await put('bin.nii', patched(good3d, (v) => v.setInt16(70, 1, true)));
    await expectUhfError(readNifti(bin), 'NIFTI_UNSUPPORTED', bin, /binary/);
    const unk = await put('unk.nii', patched(good3d, (v) => v.setInt16(70, 3, true)));
    await expectUhfError(readNifti(unk), 'NIFTI_INVALID', unk, /datatype code 3/);
    const fiveD = await put('5d.nii', patched(good4d, (v) => [5, 2, 2, 2, 1, 2].forEach((d, i) => v.setInt16(40 + 2 * i, d, true))));
    await expectUhfError(readNifti(fiveD), 'NIFTI_UNSUPPORTED', fiveD, /5D/);
  });

  it('bad qform quaternion (qform only) and NaN intercept with a valid slope', async () => {
    const q = await put('quat.nii', patched(good3d, (v) => {
      v.setInt16(254, 0, true); // sform_code 0 so the qform is used
      [0.9, 0.9, 0.9].forEach((x, i) => v.setFloat32(256 + 4 * i, x, true));
    }));
    await expectUhfError(readNifti(q), 'NIFTI_INVALID', q, /quaternion/);
    const inter = await put('inter.nii', patched(good3d, (v) => (v.setFloat32(112, 2, true), v.setFloat32(116, NaN, true))));
    await expectUhfError(readNifti(inter), 'NIFTI_INVALID', inter, /scl_inter/);
  });
});

describe('writeNifti rejects bad arguments and leaves nothing behind', () => {
  it('wrong data length, bad name, singular affine, too-large dims', async () => {
    const out = join(dir, 'w');
    await mkdir(out, { recursive: true });
    const bad = { ...vol([4, 3, 2, 1]), data: new Float32Array(5) };
    await expectUhfError(writeNifti(join(out, 'a.nii.gz'), bad), 'SHAPE_MISMATCH', join(out, 'a.nii.gz'));
    await expectUhfError(writeNifti(join(out, 'a.img'), vol([2, 2, 2, 1])), 'BAD_ARGUMENT', join(out, 'a.img'));
    const singular = { ...vol([2, 2, 2, 1]), affine: identityAffine().map((x, i) => (i === 5 ? 0 : x)) as typeof bad.affine };
    await expectUhfError(writeNifti(join(out, 'b.nii'), singular), 'BAD_ARGUMENT', join(out, 'b.nii'), /singular/);
    const wide = { ...vol([1, 1, 1, 1]), dims: [40000, 1, 1, 1] as [number, number, number, number], data: new Float32Array(40000) };
    await expectUhfError(writeNifti(join(out, 'c.nii'), wide), 'NIFTI_UNSUPPORTED', join(out, 'c.nii'));
    const missingDir = join(out, 'no', 'such', 'dir.nii.gz');
    await expectUhfError(writeNifti(missingDir, vol([2, 2, 2, 1])), 'OUTPUT_WRITE_FAILED', missingDir);
    expect(await readdir(out)).toEqual([]);
  });
});
