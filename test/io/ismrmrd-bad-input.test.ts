/** Bad ISMRMRD input: a typed error that names the file, never a crash, a hang or a huge allocation. */
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isUhfError, type UhfErrorCode } from '../../shared/errors.ts';
import { openIsmrmrd } from '../../recon/io/ismrmrd/reader.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { readAll } from '../helpers/ismrmrd.ts';
import { DEBIAN_PYTHON, generateSheppLogan, run, tempDir } from '../helpers/peers.ts';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function failure(file: string): Promise<unknown> {
  try {
    const r = await openIsmrmrd(file);
    try {
      for (const _ of r.blocks({ blockSize: 16 })) { /* read everything */ }
    } finally {
      r.close();
    }
  } catch (e) {
    return e;
  }
  return undefined;
}

async function expectCode(file: string, code: UhfErrorCode, mentions?: RegExp) {
  const e = await failure(file);
  expect(isUhfError(e), `expected a UhfError, got ${String(e)}`).toBe(true);
  expect((e as { code: string }).code).toBe(code);
  expect((e as Error).message).toContain(file);
  if (mentions) expect((e as Error).message).toMatch(mentions);
}

const good = join(tmp.dir, 'good.h5');
generateSheppLogan(good, { matrix: 32, coils: 2 });

describe('ISMRMRD bad input', () => {
  it('missing file', async () => expectCode(join(tmp.dir, 'nope.h5'), 'INGEST_NOT_FOUND'));

  it('empty file', async () => {
    const f = join(tmp.dir, 'empty.h5');
    writeFileSync(f, '');
    await expectCode(f, 'INGEST_EMPTY');
  });

  it('not HDF5', async () => {
    const f = join(tmp.dir, 'text.h5');
    writeFileSync(f, 'this is not hdf5\n'.repeat(100));
    await expectCode(f, 'INGEST_NOT_HDF5');
  });

  it('truncated file', async () => {
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(good);
    for (const keep of [600, Math.floor(bytes.length / 2), bytes.length - 100]) {
      const f = join(tmp.dir, `trunc-${keep}.h5`);
      writeFileSync(f, bytes.subarray(0, keep));
      await expectCode(f, 'INGEST_TRUNCATED', /truncat/i);
    }
  });

  it('HDF5 without /dataset', async () => {
    const f = join(tmp.dir, 'other.h5');
    run(DEBIAN_PYTHON, ['-c', `import h5py; h5py.File(${JSON.stringify(f)}, 'w').create_dataset('images/x', data=[1, 2, 3])`]);
    await expectCode(f, 'INGEST_MISSING_DATASET', /images/);
  });

  it('malformed XML header', async () => {
    const a = await readAll(good, 64);
    const f = join(tmp.dir, 'badxml.h5');
    await writeIsmrmrd(f, '<ismrmrdHeader><encoding><encodedSpace>', a.acqs);
    await expectCode(f, 'INGEST_BAD_XML');
  });

  it('absurd matrix size in the header', async () => {
    const a = await readAll(good, 64);
    const f = join(tmp.dir, 'absurd.h5');
    await writeIsmrmrd(f, a.xml.replace(/<x>64<\/x>/, '<x>60000</x>'), a.acqs);
    await expectCode(f, 'INGEST_ABSURD_SIZE');
  });

  it('an acquisition whose data length disagrees with its header', async () => {
    const f = join(tmp.dir, 'badlen.h5');
    copyFileSync(good, f);
    run(DEBIAN_PYTHON, ['-c', `
import h5py
d = h5py.File(${JSON.stringify(f)}, 'r+')['dataset/data']
r = d[7]
r['head']['number_of_samples'] = 9999
d[7] = r`]);
    await expectCode(f, 'INGEST_DATA_LENGTH', /acquisition 7/);
  });
});
