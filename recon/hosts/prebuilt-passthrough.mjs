// Module loader hook, registered after tsx's: large prebuilt ES modules (h5wasm's
// 4 MB Emscripten build with its WebAssembly inlined) are loaded as they are,
// instead of being re-transpiled by tsx on every start (≈ 1.5 s and 600 MB).
import { readFile } from 'node:fs/promises';

const PREBUILT = /\/node_modules\/h5wasm\/dist\/node\/hdf5_util\.js$/;

export async function load(url, context, nextLoad) {
  if (PREBUILT.test(url)) return { format: 'module', source: await readFile(new URL(url)), shortCircuit: true };
  return nextLoad(url, context);
}
