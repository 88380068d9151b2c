/**
 * ISMRMRD v1 writer that libismrmrd reads. h5wasm cannot create HDF5
 * variable-length types, so we start from a shipped template whose empty, chunked,
 * unlimited `/dataset/data` has libismrmrd's exact datatype (see template/README.md),
 * add the XML, then grow and fill the table block by block. The file is built under
 * a temporary name beside the target and renamed only when complete.
 */
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UhfError } from '../../../shared/errors.ts';
import type { Acquisition, IsmrmrdHeader } from '../../../shared/ismrmrd.ts';
import { acquisitionLayout } from './acquisition-layout.ts';
import { encodeHead } from './acquisition-codec.ts';
import { datasetMetadata, h5call, openHdf5 } from './hdf5-file.ts';
import { serializeIsmrmrdHeader } from './header-xml.ts';
import { writeStringDataset } from './string-dataset.ts';

export const TEMPLATE_PATH = fileURLToPath(new URL('./template/ismrmrd-v1-template.h5', import.meta.url));

export interface WriteOptions {
  /** Rows per HDF5 write. */
  blockSize?: number;
  signal?: AbortSignal;
}

export async function writeIsmrmrd(
  path: string,
  header: IsmrmrdHeader | string,
  acquisitions: Iterable<Acquisition>,
  options: WriteOptions = {},
): Promise<{ count: number }> {
  const target = resolve(path);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const xml = typeof header === 'string' ? header : serializeIsmrmrdHeader(header);
  if (!existsSync(dirname(target))) throw new UhfError('OUTPUT_WRITE_FAILED', `the directory ${dirname(target)} does not exist`, { file: path });
  try {
    copyFileSync(TEMPLATE_PATH, tmp);
  } catch (e) {
    throw new UhfError('OUTPUT_WRITE_FAILED', `cannot create a file beside it: ${(e as Error).message}`, { file: path, cause: e });
  }
  let count = 0;
  try {
    const h = await openHdf5(tmp, 'a');
    try {
      writeStringDataset(h, '/dataset/xml', xml);
      const layout = acquisitionLayout(datasetMetadata(h, '/dataset/data'), path);
      let block: Acquisition[] = [];
      const flush = () => {
        writeRows(h, layout, count, block);
        count += block.length;
        block = [];
      };
      for (const acq of acquisitions) {
        block.push(acq);
        if (block.length >= (options.blockSize ?? 256)) {
          if (options.signal?.aborted) throw new UhfError('CANCELLED', 'writing cancelled', { file: path });
          flush();
        }
      }
      if (block.length) flush();
      h.module.flush(h.fileId);
    } finally {
      h.close();
    }
    renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { force: true });
    if (e instanceof UhfError) throw e;
    throw new UhfError('OUTPUT_WRITE_FAILED', (e as Error).message, { file: path, cause: e });
  }
  return { count };
}

function writeRows(
  h: Awaited<ReturnType<typeof openHdf5>>,
  L: ReturnType<typeof acquisitionLayout>,
  at: number,
  rows: Acquisition[],
): void {
  const M = h.module;
  for (const [i, a] of rows.entries()) {
    const want = 2 * a.head.activeChannels * a.head.numberOfSamples;
    if (a.data.length !== want) {
      throw new UhfError('SHAPE_MISMATCH', `acquisition ${at + i}: data has ${a.data.length} floats, header implies ${want}`);
    }
    if (a.traj.length !== a.head.trajectoryDimensions * a.head.numberOfSamples) {
      throw new UhfError('SHAPE_MISMATCH', `acquisition ${at + i}: trajectory length disagrees with its header`);
    }
  }
  const floats = rows.reduce((s, a) => s + a.data.length + a.traj.length, 0);
  const rowPtr = M._malloc(rows.length * L.rowBytes);
  const payload = M._malloc(Math.max(4 * floats, 8));
  try {
    const heap = M.HEAPU8;
    heap.fill(0, rowPtr, rowPtr + rows.length * L.rowBytes);
    const view = new DataView(heap.buffer);
    const f32 = new Float32Array(heap.buffer);
    let cursor = payload;
    const putVlen = (at: number, xs: Float32Array) => {
      view.setUint32(at, xs.length, true);
      view.setUint32(at + 4, xs.length ? cursor : 0, true);
      f32.set(xs, cursor >> 2);
      cursor += 4 * xs.length;
    };
    rows.forEach((a, i) => {
      const row = rowPtr + i * L.rowBytes;
      encodeHead(view, row, L, a.head);
      putVlen(row + L.traj, a.traj);
      putVlen(row + L.data, a.data);
    });
    h5call(h, 'growing /dataset/data', () => M.resize_dataset(h.fileId, '/dataset/data', [BigInt(at + rows.length)]));
    h5call(h, 'writing /dataset/data', () =>
      M.set_dataset_data(h.fileId, '/dataset/data', [BigInt(rows.length)], [BigInt(at)], [1n], BigInt(rowPtr)),
    );
  } finally {
    M._free(payload);
    M._free(rowPtr);
  }
}
