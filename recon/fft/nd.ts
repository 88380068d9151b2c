/**
 * Multi-dimensional FFTs over interleaved complex Float32Array data (BART
 * layout: fastest axis first). Lines along the transformed axis are gathered in
 * blocks of V into split Float64 scratch (element j of line v at j*V + v),
 * transformed together, and scattered back. The centring shifts are folded into
 * the gather/scatter as index rotations (c = floor(n/2)):
 *
 *   ifftshift: X[j] = x[(j + c) mod n]      fftshift: out[i] = Y[(i - c) mod n]
 *
 * so fftc(x) = fftshift(DFT(ifftshift(x)))/sqrt(n) for even and odd n, which is
 * exactly what `bart fft -u` computes. Inverses use conj ∘ forward ∘ conj, with
 * the conjugations folded into the gather/scatter too. The gather is fused with
 * the first radix pass and the scatter with the last one (codelets.ts).
 *
 * Two interchangeable backends: pure JS (codelets.ts) and WebAssembly SIMD
 * (wasm-kernels.ts / wasm-backend.ts, about 2x faster; the array is copied into
 * wasm memory once per call). 'auto' picks wasm for arrays of >= 256 complex
 * elements when available.
 */
import { UhfError } from '../../shared/errors.ts';
import { getCore } from './plan.ts';
import { wasmFft, type WasmAxisJob } from './wasm-backend.ts';

export type FftNorm = 'ortho' | 'none' | 'backward';

export interface FftOptions {
  /** exp(+2πi jk/n) instead of exp(-2πi jk/n). Default false. */
  inverse?: boolean;
  /** ifftshift before and fftshift after the DFT (k-space centre at floor(n/2)). Default true. */
  centred?: boolean;
  /**
   * 'ortho': 1/sqrt(n) per axis (default); 'none': unscaled; 'backward': unscaled
   * forward, 1/n on the inverse.
   */
  norm?: FftNorm;
}

// Module-level scratch, grown on demand (single-threaded use).
let sxr = new Float64Array(0), sxi = new Float64Array(0), syr = new Float64Array(0), syi = new Float64Array(0);
let rows = new Int32Array(0);

function ensureScratch(size: number, n: number): void {
  if (sxr.length < size) {
    sxr = new Float64Array(size); sxi = new Float64Array(size);
    syr = new Float64Array(size); syi = new Float64Array(size);
  }
  if (rows.length < n) rows = new Int32Array(n);
}

/** Target number of complex elements per gathered block (n * V). */
let BLOCK_ELEMS = 2048;
let MAX_V = 64;

/** For benchmarking/tuning only. */
export function setBlockParams(elems: number, maxV: number): void {
  BLOCK_ELEMS = elems;
  MAX_V = maxV;
}

/**
 * Lines per block: about BLOCK_ELEMS complex values, but never a power of two
 * ≥ 16 (power-of-two strides between the radix-r inputs alias in the L1 cache).
 */
function blockLines(n: number, lines: number): number {
  let V = Math.max(1, Math.min(MAX_V, Math.floor(BLOCK_ELEMS / n), lines));
  if (V >= 16 && (V & (V - 1)) === 0 && V < lines) V -= V >> 2;
  return V;
}

function scaleFor(n: number, norm: FftNorm, inverse: boolean): number {
  if (norm === 'ortho') return 1 / Math.sqrt(n);
  if (norm === 'backward' && inverse) return 1 / n;
  return 1;
}

/** Transforms every line of `data` (interleaved complex) along `axis` of `shape` (validated). */
export function fftAxis(data: Float32Array, shape: readonly number[], axis: number, opts: FftOptions = {}): void {
  fftnd(data, shape, [axis], opts);
}

/** JS implementation of one axis; no validation. */
function axisJs(data: Float32Array, shape: readonly number[], axis: number, inverse: boolean, centred: boolean, norm: FftNorm): void {
  const n = shape[axis]!;
  let inner = 1, outer = 1;
  for (let d = 0; d < axis; d++) inner *= shape[d]!;
  for (let d = axis + 1; d < shape.length; d++) outer *= shape[d]!;
  const scale = scaleFor(n, norm, inverse);
  if (n === 1) {
    if (scale !== 1) for (let i = 0; i < data.length; i++) data[i] = data[i]! * scale;
    return;
  }
  const lines = inner * outer;
  if (lines === 0) return;
  const core = getCore(n);
  const rot = centred ? Math.floor(n / 2) : 0;
  const Vmax = blockLines(n, lines);
  ensureScratch(n * Vmax, n);
  // Row offsets (in floats) of input element j / output element k within a line.
  const es = 2 * inner;
  for (let j = 0; j < n; j++) {
    let r = j + rot;
    if (r >= n) r -= n;
    rows[j] = r * es;
  }
  const sgn = inverse ? -1 : 1;
  const lineBlock = 2 * inner * n;
  // Blocks of lines whose starts are equally spaced: base + vs*v.
  if (inner === 1 || inner >= Vmax) {
    if (inner === 1) {
      for (let o0 = 0; o0 < outer; o0 += Vmax) {
        const V = Math.min(Vmax, outer - o0);
        core.execLines(V, data, lineBlock * o0, lineBlock, rows, rows, sgn, scale, sxr, sxi, syr, syi);
      }
    } else {
      for (let o = 0; o < outer; o++) {
        for (let i0 = 0; i0 < inner; i0 += Vmax) {
          const V = Math.min(Vmax, inner - i0);
          core.execLines(V, data, 2 * i0 + lineBlock * o, 2, rows, rows, sgn, scale, sxr, sxi, syr, syi);
        }
      }
    }
  } else {
    for (let i = 0; i < inner; i++) {
      for (let o0 = 0; o0 < outer; o0 += Vmax) {
        const V = Math.min(Vmax, outer - o0);
        core.execLines(V, data, 2 * i + lineBlock * o0, lineBlock, rows, rows, sgn, scale, sxr, sxi, syr, syi);
      }
    }
  }
}

function checkShape(data: Float32Array, shape: readonly number[], axes: readonly number[]): void {
  let total = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `FFT shape must contain positive integers, got [${shape.join(', ')}]`);
    total *= d;
  }
  if (data.length !== 2 * total) {
    throw new UhfError('SHAPE_MISMATCH', `FFT data has ${data.length / 2} complex elements but shape [${shape.join(', ')}] needs ${total}`);
  }
  const seen = new Set<number>();
  for (const a of axes) {
    if (!Number.isInteger(a) || a < 0 || a >= shape.length) throw new UhfError('BAD_ARGUMENT', `FFT axis ${a} out of range for ${shape.length}-D shape`);
    if (seen.has(a)) throw new UhfError('BAD_ARGUMENT', `FFT axis ${a} listed twice`);
    seen.add(a);
  }
}

export type FftBackend = 'auto' | 'js' | 'wasm';
let backend: FftBackend = 'auto';

/**
 * Selects the implementation: 'wasm' (WebAssembly SIMD kernels, every length;
 * falls back to JS if WebAssembly is unavailable or the array needs more than
 * 2 GiB of wasm memory), 'js' (pure JS), or 'auto' (default: wasm when
 * available and the array has >= 256 complex elements). Both backends compute
 * in Float64; results agree to float32 rounding. Returns the previous setting.
 */
export function setFftBackend(b: FftBackend): FftBackend {
  const prev = backend;
  backend = b;
  return prev;
}

/** Whether the WebAssembly SIMD kernels could be loaded in this runtime. */
export function wasmAvailable(): boolean {
  return wasmFft() !== null;
}

/** Below this many complex elements 'auto' stays in JS (copying in/out of wasm memory is not worth it). */
const WASM_MIN_ELEMS = 256;

/** General in-place N-D FFT along `axes` (see FftOptions; defaults = fftc). */
export function fftnd(data: Float32Array, shape: readonly number[], axes: readonly number[], opts: FftOptions = {}): void {
  checkShape(data, shape, axes);
  const inverse = opts.inverse ?? false;
  const centred = opts.centred ?? true;
  const norm = opts.norm ?? 'ortho';
  const active = axes.filter((a) => shape[a]! > 1); // length-1 axes: identity for every norm
  if (active.length === 0 || data.length === 0) return;
  const useWasm = (backend === 'wasm' || (backend === 'auto' && data.length >= 2 * WASM_MIN_ELEMS))
    && wasmFft() !== null;
  // With several axes, do all of them on cache-sized chunks (groups of whole
  // slices along the untransformed outer axes) before moving on, so the data
  // stays in cache between the axis passes.
  const k = Math.max(...active) + 1;
  let slice = 1;
  for (let d = 0; d < k; d++) slice *= shape[d]!;
  let outer = 1;
  for (let d = k; d < shape.length; d++) outer *= shape[d]!;
  // (Measured: no gain for the wasm kernels, so they take whole arrays.)
  const chunkElems = useWasm ? 0 : CHUNK_ELEMS;
  if (active.length > 1 && outer > 1 && slice <= chunkElems) {
    const g = Math.max(1, Math.floor(chunkElems / slice));
    const sub = shape.slice(0, k);
    for (let o0 = 0; o0 < outer; o0 += g) {
      const cnt = Math.min(g, outer - o0);
      const view = data.subarray(2 * slice * o0, 2 * slice * (o0 + cnt));
      transform(view, [...sub, cnt], active, inverse, centred, norm, useWasm);
    }
    return;
  }
  transform(data, shape, active, inverse, centred, norm, useWasm);
}

function transform(
  data: Float32Array, shape: readonly number[], axes: readonly number[],
  inverse: boolean, centred: boolean, norm: FftNorm, useWasm: boolean,
): void {
  if (useWasm) {
    const jobs: WasmAxisJob[] = axes.map((axis) => {
      const n = shape[axis]!;
      let inner = 1, outer = 1;
      for (let d = 0; d < axis; d++) inner *= shape[d]!;
      for (let d = axis + 1; d < shape.length; d++) outer *= shape[d]!;
      return { n, inner, outer, inverse, centred, scale: scaleFor(n, norm, inverse), axis };
    });
    if (wasmFft()!.run(data, jobs, blockLines)) return;
  }
  for (const a of axes) axisJs(data, shape, a, inverse, centred, norm);
}

/** Complex elements per chunk for multi-axis transforms (~512 KiB of Float32 data). */
let CHUNK_ELEMS = 65536;

/** For benchmarking/tuning only. */
export function setChunkElems(elems: number): void {
  CHUNK_ELEMS = elems;
}

/** In place: centred orthonormal forward FFT along each of `axes` of interleaved complex `data` of `shape` (fastest first). */
export function fftc(data: Float32Array, shape: readonly number[], axes: readonly number[]): void {
  fftnd(data, shape, axes, { inverse: false, centred: true, norm: 'ortho' });
}

/** In place inverse of fftc. */
export function ifftc(data: Float32Array, shape: readonly number[], axes: readonly number[]): void {
  fftnd(data, shape, axes, { inverse: true, centred: true, norm: 'ortho' });
}

/** Axes whose bit is set in a BART-style bitmask (bit d = axis d). */
export function axesFromBitmask(mask: number, ndim: number): number[] {
  const axes: number[] = [];
  for (let d = 0; d < ndim; d++) if ((mask >> d) & 1) axes.push(d);
  return axes;
}
