/**
 * Streamed ISMRMRD v1 reader: acquisitions come in blocks read straight from the
 * file through h5wasm's low-level API; each block's variable-length memory is
 * reclaimed before the next, so memory stays flat whatever the file size.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { Acquisition, AcquisitionBlock, AcquisitionHeader, IsmrmrdHeader } from '../../../shared/ismrmrd.ts';
import { acquisitionLayout, type AcquisitionLayout } from './acquisition-layout.ts';
import { decodeHead, vlenAt } from './acquisition-codec.ts';
import { childNames, datasetMetadata, h5call, openHdf5, type Hdf5Handle } from './hdf5-file.ts';
import { checkHeaderLimits } from './header-limits.ts';
import { parseIsmrmrdHeader } from './header-xml.ts';
import { readStringDataset } from './string-dataset.ts';

export const DEFAULT_BLOCK = 256;

export interface IsmrmrdReader {
  readonly path: string;
  /** HDF5 group holding xml and data, e.g. "/dataset". */
  readonly group: string;
  readonly xml: string;
  readonly header: IsmrmrdHeader;
  /** Number of acquisition rows in the file. */
  readonly count: number;
  /** Rows [start, start+n) decoded and copied out of WASM memory. */
  readBlock(start: number, n: number): Acquisition[];
  /** Only the headers of rows [start, start+n): for scans that need no samples. */
  readHeaders(start: number, n: number): AcquisitionHeader[];
  /** All rows from `from`, in blocks. Checks `signal` between blocks. */
  blocks(options?: { blockSize?: number; from?: number; signal?: AbortSignal }): Generator<AcquisitionBlock>;
  close(): void;
}

export interface OpenOptions {
  /** HDF5 group name; default "dataset" as libismrmrd writes. */
  group?: string;
}

export async function openIsmrmrd(path: string, options: OpenOptions = {}): Promise<IsmrmrdReader> {
  const h = await openHdf5(path, 'r');
  try {
    return makeReader(h, options.group ?? 'dataset');
  } catch (e) {
    h.close();
    throw e;
  }
}

function makeReader(h: Hdf5Handle, groupName: string): IsmrmrdReader {
  const group = `/${groupName.replace(/^\/+|\/+$/g, '')}`;
  const members = childNames(h, group);
  if (members.length === 0) {
    const top = childNames(h, '/');
    throw new UhfError('INGEST_MISSING_DATASET', `no ${group} group (top-level: ${top.join(', ') || 'nothing'}): not an ISMRMRD file`, { file: h.path });
  }
  for (const need of ['xml', 'data']) {
    if (!members.includes(need)) {
      throw new UhfError('INGEST_MISSING_DATASET', `no ${group}/${need} (found: ${members.join(', ')})`, { file: h.path });
    }
  }
  const xml = readStringDataset(h, `${group}/xml`);
  const header = parseIsmrmrdHeader(xml, h.path);
  checkHeaderLimits(header, h.path);
  const dataPath = `${group}/data`;
  const md = datasetMetadata(h, dataPath);
  const layout = acquisitionLayout(md, h.path);
  const count = md.shape?.[0] ?? 0;

  const checkRange = (start: number, n: number) => {
    if (!Number.isInteger(start) || !Number.isInteger(n) || start < 0 || n < 0 || start + n > count) {
      throw new RangeError(`rows [${start}, ${start + n}) outside 0..${count}`);
    }
  };
  const readBlock = (start: number, n: number): Acquisition[] => {
    checkRange(start, n);
    return n === 0 ? [] : (readRows(h, dataPath, layout, start, n, false) as Acquisition[]);
  };
  const readHeaders = (start: number, n: number): AcquisitionHeader[] => {
    checkRange(start, n);
    return n === 0 ? [] : (readRows(h, dataPath, layout, start, n, true) as AcquisitionHeader[]);
  };

  return {
    path: h.path,
    group,
    xml,
    header,
    count,
    readBlock,
    readHeaders,
    *blocks({ blockSize = DEFAULT_BLOCK, from = 0, signal } = {}) {
      for (let start = from; start < count; start += blockSize) {
        if (signal?.aborted) throw new UhfError('CANCELLED', 'reading cancelled', { file: h.path });
        const n = Math.min(blockSize, count - start);
        yield { start, acquisitions: readBlock(start, n) };
      }
    },
    close: () => h.close(),
  };
}

function readRows(
  h: Hdf5Handle,
  dataPath: string,
  L: AcquisitionLayout,
  start: number,
  n: number,
  headersOnly: boolean,
): (Acquisition | AcquisitionHeader)[] {
  const M = h.module;
  const count = [BigInt(n)];
  const ptr = M._malloc(n * L.rowBytes);
  if (!ptr) throw new UhfError('INGEST_ABSURD_SIZE', `cannot allocate ${n} rows`, { file: h.path });
  let filled = false;
  try {
    h5call(h, `reading rows ${start}..${start + n - 1}`, () =>
      M.get_dataset_data(h.fileId, dataPath, count, [BigInt(start)], [1n], BigInt(ptr)),
    );
    filled = true;
    // Take views after the call: reading may grow (and so move) the WASM memory.
    const buf = M.HEAPU8.buffer;
    const view = new DataView(buf);
    const out: (Acquisition | AcquisitionHeader)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const row = ptr + i * L.rowBytes;
      const head = decodeHead(view, row, L);
      const data = vlenAt(view, row + L.data);
      const traj = vlenAt(view, row + L.traj);
      const expectData = 2 * head.activeChannels * head.numberOfSamples;
      if (data.len !== expectData) {
        throw new UhfError(
          'INGEST_DATA_LENGTH',
          `acquisition ${start + i}: data holds ${data.len} floats, header says ${head.activeChannels} channels × ${head.numberOfSamples} samples (${expectData})`,
          { file: h.path },
        );
      }
      const expectTraj = head.trajectoryDimensions * head.numberOfSamples;
      if (traj.len !== expectTraj) {
        throw new UhfError(
          'INGEST_DATA_LENGTH',
          `acquisition ${start + i}: trajectory holds ${traj.len} floats, header says ${head.trajectoryDimensions} dims × ${head.numberOfSamples} samples (${expectTraj})`,
          { file: h.path },
        );
      }
      out[i] = headersOnly ? head : {
        head,
        traj: traj.len ? new Float32Array(buf.slice(traj.ptr, traj.ptr + 4 * traj.len)) : new Float32Array(0),
        data: data.len ? new Float32Array(buf.slice(data.ptr, data.ptr + 4 * data.len)) : new Float32Array(0),
      };
    }
    return out;
  } finally {
    if (filled) M.reclaim_vlen_memory_count(h.fileId, dataPath, '', BigInt(ptr), count);
    M._free(ptr);
  }
}
