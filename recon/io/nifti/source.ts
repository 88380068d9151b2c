/**
 * Bounded byte access to a .nii or .nii.gz file. Files are only ever opened
 * read-only. Nothing is allocated from a size found in the header: plain
 * files are checked against their length first, and gzip streams are
 * collected chunk by chunk, so memory is bounded by what really decompresses.
 */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { UhfError } from '../../../shared/errors.ts';

/** deflate cannot expand more than ~1032:1; a bigger claim is certainly false. */
const MAX_DEFLATE_RATIO = 1032;

export interface NiftiSource {
  readonly path: string;
  readonly fileSize: number;
  readonly gzip: boolean;
}

export async function openNiftiSource(path: string): Promise<NiftiSource> {
  let fileSize: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new UhfError('NIFTI_INVALID', 'not a regular file', { file: path });
    fileSize = st.size;
  } catch (err) {
    if (err instanceof UhfError) throw err;
    throw new UhfError('NIFTI_INVALID', `cannot open: ${(err as Error).message}`, { file: path, cause: err });
  }
  if (fileSize === 0) throw new UhfError('NIFTI_INVALID', 'empty file', { file: path });
  const magic = await readPlainRange(path, 0, Math.min(2, fileSize));
  // Detect gzip by content, not by name: mislabelled files are common.
  const gzip = magic.length === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
  return { path, fileSize, gzip };
}

/** Upper bound on the decompressed length the file can possibly hold. */
export function maxContentLength(src: NiftiSource): number {
  return src.gzip ? src.fileSize * MAX_DEFLATE_RATIO + 1024 : src.fileSize;
}

/**
 * The first `length` bytes of the (decompressed) content, or fewer when the
 * content is shorter. Callers compare the length they got with what they need.
 */
export async function readPrefix(src: NiftiSource, length: number): Promise<Uint8Array> {
  if (!src.gzip) return readPlainRange(src.path, 0, Math.min(length, src.fileSize));
  const { bytes } = await gunzipPrefix(src.path, length, true);
  return bytes;
}

/**
 * Bytes [offset, offset + length) of the content; shorter when the content
 * ends early. For gzip the stream is decompressed up to offset + length.
 */
export async function readRange(src: NiftiSource, offset: number, length: number): Promise<Uint8Array> {
  if (!src.gzip) {
    const available = Math.max(0, Math.min(length, src.fileSize - offset));
    return readPlainRange(src.path, offset, available);
  }
  const { bytes } = await gunzipPrefix(src.path, offset + length, true);
  return bytes.subarray(Math.min(offset, bytes.length));
}

/** Length of the content up to `limit` bytes, without keeping it (validates gzip streams cheaply). */
export async function contentLengthUpTo(src: NiftiSource, limit: number): Promise<number> {
  if (!src.gzip) return Math.min(limit, src.fileSize);
  return (await gunzipPrefix(src.path, limit, false)).total;
}

async function readPlainRange(path: string, offset: number, length: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === length ? out : out.subarray(0, done);
  } finally {
    await fh.close();
  }
}

/**
 * Decompress at most `limit` bytes, then stop reading. A corrupt stream is
 * an error; a stream that ends early just returns fewer bytes, unless zlib
 * itself reports the truncation (then it is an error naming the file).
 */
function gunzipPrefix(path: string, limit: number, keep: boolean): Promise<{ bytes: Uint8Array; total: number }> {
  return new Promise((resolve, reject) => {
    const input = createReadStream(path, { flags: 'r' });
    const gunzip = createGunzip();
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const finish = (err?: Error, whileReading = false) => {
      if (settled) return;
      settled = true;
      input.destroy();
      gunzip.destroy();
      if (err) {
        const msg = whileReading
          ? `cannot read: ${err.message}`
          : err.message.includes('unexpected end')
            ? 'gzip stream is truncated'
            : `gzip stream is corrupt (${err.message})`;
        reject(new UhfError('NIFTI_INVALID', msg, { file: path, cause: err }));
        return;
      }
      resolve({ bytes: keep ? Buffer.concat(chunks, total) : new Uint8Array(0), total });
    };
    gunzip.on('data', (chunk: Buffer) => {
      if (settled) return;
      const take = Math.min(chunk.length, limit - total);
      if (keep && take > 0) chunks.push(take < chunk.length ? chunk.subarray(0, take) : chunk);
      total += take;
      if (total >= limit) finish();
    });
    gunzip.on('end', () => finish());
    gunzip.on('error', (err) => finish(err));
    input.on('error', (err) => finish(err, true));
    input.pipe(gunzip);
  });
}
