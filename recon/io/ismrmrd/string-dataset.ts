/** Reading and writing the one-element string dataset that holds the ISMRMRD XML. */
import { UhfError } from '../../../shared/errors.ts';
import { datasetMetadata, h5call, type Hdf5Handle } from './hdf5-file.ts';

const H5T_STRING = 3;
/** The XML header of a real scan is tens of kB; refuse anything absurd. */
const MAX_XML_BYTES = 16 * 1024 * 1024;

export function readStringDataset(h: Hdf5Handle, path: string): string {
  const M = h.module;
  const md = datasetMetadata(h, path);
  if (md.type !== H5T_STRING) throw new UhfError('INGEST_BAD_XML', `${path} is not a string dataset`, { file: h.path });
  const n = (md.shape ?? [1]).reduce((a, b) => a * b, 1);
  if (n < 1) throw new UhfError('INGEST_BAD_XML', `${path} is empty`, { file: h.path });
  // Variable-length strings are char* pointers; fixed-length ones are inline bytes.
  const bytes = md.vlen ? 4 * n : md.size * n;
  if (bytes > MAX_XML_BYTES) throw new UhfError('INGEST_ABSURD_SIZE', `${path} is ${bytes} bytes`, { file: h.path });
  const ptr = M._malloc(Math.max(bytes, 8));
  let filled = false;
  try {
    h5call(h, `reading ${path}`, () => M.get_dataset_data(h.fileId, path, null, null, null, BigInt(ptr)));
    filled = true;
    if (md.vlen) {
      const strPtr = new DataView(M.HEAPU8.buffer).getUint32(ptr, true);
      return strPtr ? M.UTF8ToString(strPtr, MAX_XML_BYTES) : '';
    }
    const raw = M.HEAPU8.subarray(ptr, ptr + md.size);
    const end = raw.indexOf(0);
    return Buffer.from(end >= 0 ? raw.subarray(0, end) : raw).toString('utf8');
  } finally {
    if (filled && md.vlen) M.reclaim_vlen_memory(h.fileId, path, '', BigInt(ptr));
    M._free(ptr);
  }
}

/** Create `path` as a 1-element variable-length ASCII string dataset, as libismrmrd writes the header. */
export function writeStringDataset(h: Hdf5Handle, path: string, value: string): void {
  const M = h.module;
  const metadata = {
    type: H5T_STRING, size: 4, signed: false, vlen: true, littleEndian: true, cset: 0, strpad: 0,
    shape: [1n], maxshape: [1n], chunks: null, compression: 0, compression_opts: [], track_order: false,
  };
  h5call(h, `writing ${path}`, () => M.create_vlen_str_dataset(h.fileId, path, [value], metadata));
}
