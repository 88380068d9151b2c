/**
 * One h5wasm (HDF5 compiled to WebAssembly, Node build) instance for the process,
 * used through its low-level Module API only: the high-level `Dataset.slice()` leaks
 * the variable-length memory of compound rows (~68 KB per acquisition), and we need
 * HDF5's diagnostic stack captured (not printed) so bad files give one clear error.
 *
 * Version pinned in package.json (0.10.3): the low-level API is not a public contract.
 */
import fs, { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** HDF5 datatype metadata as h5wasm reports it (the subset we read). */
export interface H5Metadata {
  type: number;
  size: number;
  signed: boolean;
  vlen: boolean;
  littleEndian: boolean;
  shape: number[] | null;
  maxshape: (number | null)[] | null;
  chunks: number[] | null;
  compound_type?: { nmembers: number; members: (H5Metadata & { name: string; offset: number })[] };
  array_type?: H5Metadata & { shape: number[] };
  vlen_type?: H5Metadata;
}

/** The low-level h5wasm calls this project uses (h5wasm 0.10.3, wasm32: pointers are 4 bytes). */
export interface H5Module {
  HEAPU8: Uint8Array;
  H5F_ACC_RDONLY: number;
  H5F_ACC_RDWR: number;
  _malloc(n: number): number;
  _free(ptr: number): void;
  open(path: string, mode: number, trackOrder: boolean, libverLow: number, libverHigh: number): bigint;
  close_file(fileId: bigint): number;
  get_names(fileId: bigint, path: string, recursive: boolean): string[];
  get_type(fileId: bigint, path: string): number;
  H5O_TYPE_DATASET: number;
  H5O_TYPE_GROUP: number;
  get_dataset_metadata(fileId: bigint, path: string): H5Metadata;
  get_dataset_data(fileId: bigint, path: string, count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, ptr: bigint): number;
  set_dataset_data(fileId: bigint, path: string, count: bigint[] | null, offset: bigint[] | null, strides: bigint[] | null, ptr: bigint): number;
  resize_dataset(fileId: bigint, path: string, size: bigint[]): number;
  reclaim_vlen_memory(fileId: bigint, obj: string, attr: string, ptr: bigint): number;
  reclaim_vlen_memory_count(fileId: bigint, obj: string, attr: string, ptr: bigint, count: bigint[]): number;
  create_vlen_str_dataset(fileId: bigint, name: string, data: string[], metadata: object): number;
  flush(fileId: bigint): number;
  UTF8ToString(ptr: number, maxBytes?: number): string;
}

let modulePromise: Promise<H5Module> | undefined;
const diagnostics: string[] = [];
let capturing = 0;

/**
 * Under NODERAWFS, HDF5's error stack goes to fd 2 through `fs.writeSync`, not through
 * Emscripten's printErr. While one of our HDF5 calls runs, take those writes as
 * diagnostics (for the typed error) instead of letting them reach the user's terminal.
 */
function captureHdf5Stderr(): void {
  const original = fs.writeSync;
  const patched = function (this: unknown, fd: number, buffer: unknown, ...rest: unknown[]): number {
    if (capturing > 0 && fd === 2) {
      if (typeof buffer === 'string') {
        pushDiagnostic(buffer);
        return Buffer.byteLength(buffer);
      }
      const bytes = buffer as Uint8Array;
      const offset = (rest[0] as number | undefined) ?? 0;
      const length = (rest[1] as number | undefined) ?? bytes.length - offset;
      pushDiagnostic(Buffer.from(bytes.buffer, bytes.byteOffset + offset, length).toString('utf8'));
      return length;
    }
    return (original as (...a: unknown[]) => number).call(this, fd, buffer, ...rest);
  };
  fs.writeSync = patched as typeof fs.writeSync;
}

let partialLine = '';

/** HDF5 writes its stack in fragments; keep whole lines. */
function pushDiagnostic(text: string): void {
  const lines = (partialLine + text).split('\n');
  partialLine = lines.pop() ?? '';
  for (const line of lines) if (line.trim()) diagnostics.push(line);
  if (diagnostics.length > 200) diagnostics.splice(0, diagnostics.length - 200);
}

/** Run `fn` with HDF5's stderr captured into the diagnostics. */
export function quietly<T>(fn: () => T): T {
  capturing++;
  try {
    return fn();
  } finally {
    capturing--;
  }
}

/** Locate h5wasm's Node build; its package "exports" do not list the factory file. */
function factoryPath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'node_modules', 'h5wasm', 'dist', 'node', 'hdf5_util.js');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('h5wasm is not installed (node_modules/h5wasm/dist/node/hdf5_util.js not found)');
    dir = parent;
  }
}

export function h5(): Promise<H5Module> {
  modulePromise ??= (async () => {
    const { default: factory } = (await import(pathToFileURL(factoryPath()).href)) as {
      default: (arg: object) => Promise<H5Module>;
    };
    // Electron and Node ≥ 21 define `navigator` with a browser user agent, and the
    // Node build refuses to start under one (h5wasm README): hide it while it starts.
    captureHdf5Stderr();
    const nav = Object.getOwnPropertyDescriptor(globalThis, 'navigator');
    if (nav) Reflect.deleteProperty(globalThis, 'navigator');
    try {
      return await factory({
        noInitialRun: true,
        printErr: pushDiagnostic,
      });
    } finally {
      if (nav) Object.defineProperty(globalThis, 'navigator', nav);
    }
  })();
  return modulePromise;
}

/** Forget diagnostics captured so far (call before an HDF5 operation). */
export function clearDiagnostics(): void {
  diagnostics.length = 0;
  partialLine = '';
}

/**
 * The most specific message of HDF5's last error stack, e.g.
 * "truncated file: eof = 20000, sblock->base_addr = 0, stored_eof = 745368".
 */
export function lastDiagnostic(): string | undefined {
  if (partialLine.trim()) pushDiagnostic('\n');
  for (let i = diagnostics.length - 1; i >= 0; i--) {
    const m = /^\s*#\d+: .* in [\w]+\(\): (.*)$/.exec(diagnostics[i]!);
    if (m) return m[1];
  }
  return undefined;
}
