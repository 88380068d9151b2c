/**
 * Channel Gram matrix of multi-channel samples: G[i][j] += Σ_s x_i[s]·conj(x_j[s])
 * for data laid out [channel][sample] (interleaved complex, channel slowest),
 * i.e. G = X·Xᴴ with X the channels×samples data matrix. G is Hermitian; it is
 * computed once per pair i ≤ j and mirrored. Large problems run in the
 * WebAssembly SIMD kernel of gram-wasm.ts (≈ 3–7× the JS loops), see
 * setGramBackend.
 */
import { UhfError } from '../../shared/errors.ts';
import { gramKernel } from './gram-wasm.ts';

export type GramBackend = 'auto' | 'js' | 'wasm';
let backend: GramBackend = 'auto';

/**
 * Selects the implementation: 'wasm' (the WebAssembly SIMD kernel of
 * gram-wasm.ts; JS if WebAssembly is unavailable), 'js', or 'auto' (wasm for
 * ≥ 4 channels and ≥ 2¹⁶ channel-pair·samples). Results agree to rounding.
 * Returns the previous setting.
 */
export function setGramBackend(b: GramBackend): GramBackend {
  const prev = backend;
  backend = b;
  return prev;
}

/** Samples per block of the wasm kernel (16 bytes each per channel row). */
const WASM_BLOCK = 256;
/** Largest data chunk copied into the wasm memory at once. */
const WASM_CHUNK_BYTES = 32 << 20;

/** Samples per block: two rows of a block stay in L1 while every pair visits them. */
const BLOCK = 256;

/**
 * Adds X·Xᴴ of `data` ([channel][sample], `channels`×`samples` complex) to
 * `acc` (complex channels×channels, row-major interleaved, float64).
 * Sums are float64 and exact up to float64 rounding of float32 products.
 */
export function accumulateGram(acc: Float64Array, data: Float32Array | Float64Array, channels: number, samples: number): void {
  if (!Number.isInteger(channels) || channels < 1 || !Number.isInteger(samples) || samples < 0) {
    throw new UhfError('BAD_ARGUMENT', `accumulateGram: bad size ${channels} channels × ${samples} samples`);
  }
  if (data.length !== 2 * channels * samples) {
    throw new UhfError('SHAPE_MISMATCH', `accumulateGram: data has ${data.length / 2} complex values, expected ${channels}×${samples}`);
  }
  if (acc.length !== 2 * channels * channels) {
    throw new UhfError('SHAPE_MISMATCH', `accumulateGram: accumulator holds ${acc.length / 2} values, expected ${channels}×${channels}`);
  }
  const n = channels;
  const useWasm = backend === 'wasm' || (backend === 'auto' && n >= 4 && (n * (n + 1) / 2) * samples >= 1 << 16);
  if (!(useWasm && samples > 0 && accumulateGramWasm(acc, data, n, samples))) accumulateGramJs(acc, data, n, samples);
  mirrorUpper(acc, n);
}

/**
 * The wasm path: adds the upper triangle of X·Xᴴ to `acc`. False (nothing
 * done) where the kernel is unavailable or its memory cannot hold the data.
 */
function accumulateGramWasm(acc: Float64Array, data: Float32Array | Float64Array, n: number, samples: number): boolean {
  const k = gramKernel();
  if (k === null) return false;
  const np = n + (n & 1);
  const gBytes = 16 * np * np;
  const cs = Math.max(1, Math.min(samples, Math.floor(WASM_CHUNK_BYTES / (16 * np))));
  if (!k.ensure(gBytes + 16 * np * cs)) return false;
  const mem = new Float64Array(k.memory.buffer);
  const gLen = 2 * np * np;
  mem.fill(0, 0, gLen);
  for (let c0 = 0; c0 < samples; c0 += cs) {
    const cnt = Math.min(cs, samples - c0);
    for (let ch = 0; ch < n; ch++) {
      const src = 2 * (ch * samples + c0);
      mem.set(data.subarray(src, src + 2 * cnt), gLen + 2 * ch * cnt);
    }
    if (np > n) mem.fill(0, gLen + 2 * n * cnt, gLen + 2 * np * cnt);
    for (let s0 = 0; s0 < cnt; s0 += WASM_BLOCK) k.gram(np, Math.min(WASM_BLOCK, cnt - s0), gBytes + 16 * s0, 0, 16 * cnt);
  }
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      acc[2 * (i * n + j)]! += mem[2 * (i * np + j)]!;
      acc[2 * (i * n + j) + 1]! += mem[2 * (i * np + j) + 1]!;
    }
  }
  return true;
}

function accumulateGramJs(acc: Float64Array, data: Float32Array | Float64Array, n: number, samples: number): void {
  for (let s0 = 0; s0 < samples; s0 += BLOCK) {
    const e = 2 * Math.min(BLOCK, samples - s0);
    for (let i = 0; i < n; i++) {
      const oi = 2 * (i * samples + s0);
      // diagonal: Σ |x_i|²
      let d = 0;
      for (let s = 0; s < e; s += 2) {
        const r = data[oi + s]!, m = data[oi + s + 1]!;
        d += r * r + m * m;
      }
      acc[2 * (i * n + i)]! += d;
      let j = i + 1;
      // two columns at a time: row i is loaded once for both
      for (; j + 1 < n; j += 2) {
        const oj = 2 * (j * samples + s0), ok = oj + 2 * samples;
        let re1 = 0, im1 = 0, re2 = 0, im2 = 0;
        for (let s = 0; s < e; s += 2) {
          const ar = data[oi + s]!, ai = data[oi + s + 1]!;
          const br = data[oj + s]!, bi = data[oj + s + 1]!;
          const cr = data[ok + s]!, ci = data[ok + s + 1]!;
          // a·conj(b), a·conj(c)
          re1 += ar * br + ai * bi;
          im1 += ai * br - ar * bi;
          re2 += ar * cr + ai * ci;
          im2 += ai * cr - ar * ci;
        }
        acc[2 * (i * n + j)]! += re1;
        acc[2 * (i * n + j) + 1]! += im1;
        acc[2 * (i * n + j + 1)]! += re2;
        acc[2 * (i * n + j + 1) + 1]! += im2;
      }
      for (; j < n; j++) {
        const oj = 2 * (j * samples + s0);
        let re = 0, im = 0;
        for (let s = 0; s < e; s += 2) {
          const ar = data[oi + s]!, ai = data[oi + s + 1]!;
          const br = data[oj + s]!, bi = data[oj + s + 1]!;
          re += ar * br + ai * bi;
          im += ai * br - ar * bi;
        }
        acc[2 * (i * n + j)]! += re;
        acc[2 * (i * n + j) + 1]! += im;
      }
    }
  }
}

/** Mirrors the upper triangle (already accumulated) into the lower one; real diagonal. */
function mirrorUpper(acc: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    acc[2 * (i * n + i) + 1] = 0;
    for (let j = i + 1; j < n; j++) {
      acc[2 * (j * n + i)] = acc[2 * (i * n + j)]!;
      acc[2 * (j * n + i) + 1] = -acc[2 * (i * n + j) + 1]!;
    }
  }
}
