/**
 * Read/write BART .cfl/.hdr pairs (complex float32, column-major, fastest dim
 * first) and run the `bart` CLI on them. Shared by tests that compare against BART.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CflArray {
  /** Dimensions, fastest first, trailing singleton dims trimmed (at least one kept). */
  dims: number[];
  /** Interleaved complex float32 (re, im). */
  data: Float32Array;
}

/** Writes `base`.hdr and `base`.cfl. `base` has no extension. */
export function writeCfl(base: string, dims: readonly number[], data: Float32Array): void {
  const total = dims.reduce((a, b) => a * b, 1);
  if (data.length !== 2 * total) {
    throw new Error(`writeCfl: data has ${data.length / 2} complex values, dims [${dims.join(',')}] need ${total}`);
  }
  const padded = [...dims];
  while (padded.length < 16) padded.push(1);
  writeFileSync(`${base}.hdr`, `# Dimensions\n${padded.join(' ')}\n`);
  writeFileSync(`${base}.cfl`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/** Reads `base`.hdr and `base`.cfl. */
export function readCfl(base: string): CflArray {
  const hdr = readFileSync(`${base}.hdr`, 'utf8').split('\n');
  const at = hdr.findIndex((l) => l.trim() === '# Dimensions');
  const line = at >= 0 ? hdr[at + 1] : undefined;
  if (line === undefined) throw new Error(`readCfl: no '# Dimensions' in ${base}.hdr`);
  const dims = line.trim().split(/\s+/).map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) throw new Error(`readCfl: bad dimensions '${line}' in ${base}.hdr`);
  while (dims.length > 1 && dims[dims.length - 1] === 1) dims.pop();
  const total = dims.reduce((a, b) => a * b, 1);
  const buf = readFileSync(`${base}.cfl`);
  if (buf.byteLength !== 8 * total) throw new Error(`readCfl: ${base}.cfl has ${buf.byteLength} bytes, expected ${8 * total}`);
  const data = new Float32Array(2 * total);
  new Uint8Array(data.buffer).set(buf);
  return { dims, data };
}

/** Path of the bart executable ($BART or `bart` on PATH). Throws a clear error if it cannot run. */
let bartChecked: string | undefined;
export function bartPath(): string {
  if (bartChecked !== undefined) return bartChecked;
  const exe = process.env['BART'] ?? 'bart';
  try {
    execFileSync(exe, ['version'], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(`BART is required for these tests but '${exe}' could not be run (install Debian's 'bart' or set $BART): ${String(e)}`);
  }
  bartChecked = exe;
  return exe;
}

/** Runs `bart <args>` (file arguments are paths without extension). */
export function runBart(args: readonly string[]): void {
  execFileSync(bartPath(), args, { stdio: 'pipe' });
}

/** A fresh temporary directory plus a cleanup function. */
export function tempDir(prefix = 'uhf-cfl-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Relative L2 error ||a - b|| / ||b|| (computed in float64). */
export function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relL2: length ${a.length} vs ${b.length}`);
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    num += d * d;
    den += b[i]! * b[i]!;
  }
  return den === 0 ? Math.sqrt(num) : Math.sqrt(num / den);
}
