/**
 * RSS and sensitivity-weighted coil combination on analytic data.
 */
import { describe, expect, it } from 'vitest';
import { combineRss, combineWeights, combineWithMaps, combineWithWeights } from '../../recon/algorithms/coil-combine.ts';
import { isUhfError } from '../../shared/errors.ts';

function lcg(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

const dims = [9, 7, 3] as const;
const N = 9 * 7 * 3;
const C = 5;

describe('combineRss', () => {
  it('is sqrt(Σ|I_c|²) on analytic data', () => {
    // I_c(p) = (c + 1) · f(p) · exp(iθ_c(p)): RSS = f(p) · sqrt(Σ (c + 1)²) whatever the phases
    const f = (p: number): number => 1 + Math.sin(0.3 * p) ** 2;
    const img = new Float32Array(2 * N * C);
    for (let c = 0; c < C; c++) {
      for (let p = 0; p < N; p++) {
        const th = 0.7 * c + 0.11 * p * (c - 2);
        img[2 * (p + N * c)] = (c + 1) * f(p) * Math.cos(th);
        img[2 * (p + N * c) + 1] = (c + 1) * f(p) * Math.sin(th);
      }
    }
    const k = Math.sqrt(1 + 4 + 9 + 16 + 25);
    const out = combineRss(img, dims, C);
    expect(out.length).toBe(N);
    for (let p = 0; p < N; p++) expect(Math.abs(out[p]! - k * f(p)) / (k * f(p))).toBeLessThan(1e-6);
    // the same into a caller's buffer
    const buf = new Float32Array(N).fill(-1);
    expect(combineRss(img, dims, C, buf)).toBe(buf);
    expect(Array.from(buf)).toEqual(Array.from(out));
  });

  it('rejects mismatched shapes', () => {
    let err: unknown;
    try { combineRss(new Float32Array(2 * N * C - 2), dims, C); } catch (e) { err = e; }
    expect(isUhfError(err, 'SHAPE_MISMATCH')).toBe(true);
  });
});

describe('combineWithMaps', () => {
  // random, non-normalised complex maps; voxel 0 has all maps = 0 (guard)
  const rnd = lcg(42);
  const maps = new Float32Array(2 * N * C);
  for (let i = 0; i < maps.length; i++) maps[i] = 2 * rnd() - 1;
  for (let c = 0; c < C; c++) { maps[2 * N * c] = 0; maps[2 * N * c + 1] = 0; }
  const obj = new Float32Array(2 * N);
  for (let i = 0; i < obj.length; i++) obj[i] = 3 * rnd() - 1;
  const img = new Float32Array(2 * N * C);
  for (let c = 0; c < C; c++) {
    for (let p = 0; p < N; p++) {
      const i = 2 * (p + N * c);
      const sr = maps[i]!, si = maps[i + 1]!, or = obj[2 * p]!, oi = obj[2 * p + 1]!;
      img[i] = sr * or - si * oi;
      img[i + 1] = sr * oi + si * or;
    }
  }

  it('returns the object with the true maps (noise-free), 0 where Σ|S|² = 0', () => {
    const out = combineWithMaps(img, maps, dims, C);
    expect(out.length).toBe(2 * N);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
    let maxErr = 0;
    for (let p = 1; p < N; p++) {
      const e = Math.hypot(out[2 * p]! - obj[2 * p]!, out[2 * p + 1]! - obj[2 * p + 1]!) / Math.max(1e-3, Math.hypot(obj[2 * p]!, obj[2 * p + 1]!));
      maxErr = Math.max(maxErr, e);
    }
    expect(maxErr).toBeLessThan(1e-5);
  });

  it('combineWeights + combineWithWeights give the same result', () => {
    const ref = combineWithMaps(img, maps, dims, C);
    const w = combineWeights(maps, dims, C);
    const out = new Float32Array(2 * N);
    combineWithWeights(img, w, dims, C, out);
    for (let i = 0; i < out.length; i++) expect(out[i]).toBeCloseTo(ref[i]!, 5);
  });

  it('is a plain Σ conj(S)·I for unit-norm maps (conjugation is on the maps)', () => {
    // a single coil with S = i: Σ conj(S)·I / |S|² = -i·I
    const one = new Float32Array([0, 1]);
    const im = new Float32Array([2, 3]);
    const out = combineWithMaps(im, one, [1, 1, 1], 1);
    expect(Array.from(out)).toEqual([3, -2]);
  });
});
