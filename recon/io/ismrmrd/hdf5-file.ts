/**
 * Opening HDF5 files through h5wasm with checks first, so that a missing, empty,
 * non-HDF5 or truncated file gets one typed error that names it, not an HDF5 stack.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UhfError } from '../../../shared/errors.ts';
import { clearDiagnostics, h5, lastDiagnostic, quietly, type H5Metadata, type H5Module } from './h5-module.ts';

const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/** HDF5 puts its superblock at 0, 512, 1024, 2048… (a user block may precede it). */
function hasHdf5Signature(path: string, size: number): boolean {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(8);
    for (let at = 0; at + 8 <= size; at = at === 0 ? 512 : at * 2) {
      if (readSync(fd, buf, 0, 8, at) === 8 && buf.equals(HDF5_SIGNATURE)) return true;
    }
    return false;
  } finally {
    closeSync(fd);
  }
}

export interface Hdf5Handle {
  module: H5Module;
  fileId: bigint;
  path: string;
  close(): void;
}

export async function openHdf5(path: string, mode: 'r' | 'a'): Promise<Hdf5Handle> {
  const abs = resolve(path);
  let size: number;
  try {
    const st = statSync(abs);
    if (!st.isFile()) throw new UhfError('INGEST_NOT_FOUND', 'is not a regular file', { file: path });
    size = st.size;
  } catch (e) {
    if (e instanceof UhfError) throw e;
    throw new UhfError('INGEST_NOT_FOUND', 'no such file', { file: path, cause: e });
  }
  if (size === 0) throw new UhfError('INGEST_EMPTY', 'the file is empty', { file: path });
  if (!hasHdf5Signature(abs, size)) throw new UhfError('INGEST_NOT_HDF5', 'not an HDF5 file (no HDF5 signature)', { file: path });
  const M = await h5();
  clearDiagnostics();
  let fileId: bigint;
  try {
    fileId = quietly(() => M.open(abs, mode === 'r' ? M.H5F_ACC_RDONLY : M.H5F_ACC_RDWR, false, -1, -1));
  } catch (e) {
    fileId = -1n;
    clearDiagnostics();
    throw new UhfError('INGEST_NOT_HDF5', `HDF5 cannot open it: ${String(e)}`, { file: path, cause: e });
  }
  if (fileId < 0n) {
    const why = lastDiagnostic() ?? 'unknown HDF5 error';
    const code = /truncat/i.test(why) ? 'INGEST_TRUNCATED' : 'INGEST_NOT_HDF5';
    throw new UhfError(code, `HDF5 cannot open it: ${why}`, { file: path });
  }
  let open = true;
  return {
    module: M,
    fileId,
    path,
    close() {
      if (open) M.close_file(fileId);
      open = false;
    },
  };
}

/** Run an HDF5 call; a negative status or a throw becomes a typed error with HDF5's reason. */
export function h5call(h: Hdf5Handle, what: string, fn: () => number): void {
  clearDiagnostics();
  let status: number;
  try {
    status = quietly(fn);
  } catch (e) {
    throw new UhfError(classify(), `${what} failed: ${lastDiagnostic() ?? String(e)}`, { file: h.path, cause: e });
  }
  if (status < 0) throw new UhfError(classify(), `${what} failed: ${lastDiagnostic() ?? `status ${status}`}`, { file: h.path });
}

function classify(): 'INGEST_TRUNCATED' | 'INGEST_UNSUPPORTED' {
  const why = lastDiagnostic() ?? '';
  return /truncat|addr overflow|read failed|eof/i.test(why) ? 'INGEST_TRUNCATED' : 'INGEST_UNSUPPORTED';
}

/** Names directly under an HDF5 group; empty when it does not exist. */
export function childNames(h: Hdf5Handle, group: string): string[] {
  clearDiagnostics();
  try {
    return quietly(() =>
      h.module.get_type(h.fileId, group) === h.module.H5O_TYPE_GROUP ? h.module.get_names(h.fileId, group, false) : [],
    );
  } catch {
    return [];
  }
}

/** A dataset's metadata, with HDF5's reason as a typed error when it cannot be read. */
export function datasetMetadata(h: Hdf5Handle, path: string): H5Metadata {
  clearDiagnostics();
  try {
    return quietly(() => h.module.get_dataset_metadata(h.fileId, path));
  } catch (e) {
    throw new UhfError(classify(), `cannot read ${path}: ${lastDiagnostic() ?? String(e)}`, { file: h.path, cause: e });
  }
}
