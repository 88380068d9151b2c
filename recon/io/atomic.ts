/**
 * Output safety: files appear complete or not at all (write to a temp file
 * in the same directory, then rename, which is atomic within a file system),
 * and an output may never land on one of the inputs.
 */
import { randomBytes } from 'node:crypto';
import { open, realpath, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { UhfError } from '../../shared/errors.ts';

/** Whole contents, or chunks produced on the fly (a throwing producer aborts the write). */
export type ByteSource = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** `.name.tmp-<pid>-<random>` beside the target: same directory, so rename cannot cross devices. */
export function tempPathFor(path: string): string {
  const abs = resolve(path);
  return join(dirname(abs), `.${basename(abs)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

async function* chunksOf(data: ByteSource): AsyncIterable<Uint8Array> {
  if (data instanceof Uint8Array) {
    yield data;
    return;
  }
  yield* data;
}

async function writeAll(fh: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, done, chunk.length - done);
    done += bytesWritten;
  }
}

/**
 * Write `data` to `path` atomically. On any failure the temp file is removed,
 * the target is left as it was, and the error is rethrown (a UhfError as is,
 * anything else as OUTPUT_WRITE_FAILED naming the target).
 */
export async function writeFileAtomic(path: string, data: ByteSource, options: { mode?: number } = {}): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: FileHandle | undefined;
  try {
    // 'wx': never follow or clobber something already at the temp name.
    fh = await open(tmp, 'wx', options.mode ?? 0o644);
    for await (const chunk of chunksOf(data)) await writeAll(fh, chunk);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    if (err instanceof UhfError) throw err;
    throw new UhfError('OUTPUT_WRITE_FAILED', `cannot write: ${(err as Error).message}`, { file: path, cause: err });
  }
  await syncDirectory(dirname(tmp));
}

/** Make the rename itself durable; best effort, as not every platform can fsync a directory. */
async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r').catch(() => undefined);
  if (!fh) return;
  await fh.sync().catch(() => undefined);
  await fh.close().catch(() => undefined);
}

/** The real path of `p`, or of its nearest existing parent joined with the rest when `p` does not exist yet. */
async function canonicalPath(p: string): Promise<string> {
  const abs = resolve(p);
  try {
    return await realpath(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return join(await canonicalPath(parent), basename(abs));
  }
}

async function fileId(p: string): Promise<string | undefined> {
  try {
    const st = await stat(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Refuse to write `outPath` when it is one of `inputPaths`, whether named
 * directly, through `..`, through a symlink, or as a hard link to it.
 */
export async function assertNotInput(outPath: string, inputPaths: readonly string[]): Promise<void> {
  const out = await canonicalPath(outPath);
  const outId = await fileId(out);
  for (const input of inputPaths) {
    const same = (await canonicalPath(input)) === out || (outId !== undefined && (await fileId(input)) === outId);
    if (same) {
      throw new UhfError('OUTPUT_EXISTS_AS_INPUT', `refusing to overwrite input file ${input}`, { file: outPath });
    }
  }
}
