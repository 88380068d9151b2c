/**
 * GRAPPA: reconstruction quality on noise-free simulated data (BART's analytic
 * Shepp–Logan k-space with 8 simulated coils, 96², 24 integrated ACS lines,
 * R = 2 and 3; a 32³ object × 8 smooth 3D coil maps at R = 2×2 with 16×16
 * ACS), equivalence of the k-space and image-domain paths, the weight layout
 * against a textbook evaluation, the sampling helpers, and the errors for
 * missing calibration data / too much acceleration / mismatched patterns.
 *
 * NRMSE bounds (RSS magnitude vs the fully sampled RSS): the inputs are
 * deterministic (BART's analytic phantom), so the only error is the model
 * error of a finite 5×4 kernel (the analytic phantom is not band-limited:
 * its calibration residual is 0.3 % at R = 2, 0.6 % at R = 3) plus the
 * Tikhonov bias. Measured 0.0143 (R = 2), 0.0314 (R = 3), 0.0223 (3D) against
 * 0.25–0.30 for zero filling; the bounds are ~1.5× those (platform float
 * noise is orders below that) and ≥ 8× below zero filling, so a kernel
 * geometry, sign or scaling error (which leaves ≥ 0.1) cannot pass.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { fftnd } from '../../recon/fft/index.ts';
import { combineRss, combineWeights, combineWithWeights } from '../../recon/algorithms/coil-combine.ts';
import {
  type GrappaKernel,
  acquiredLineMask, applyImageWeights, applyUnmixing, checkLattice, detectLattice, extractAcs, findAcsRegion,
  grappaApplyKspace, grappaCalibrate, grappaImageWeights, grappaUnmixing, latticeMask, maskLines,
} from '../../recon/algorithms/grappa/index.ts';
import { type FitGeometry, directGram, setGrappaGramMethod } from '../../recon/algorithms/grappa/calibration-gram.ts';
import { laggedGram } from '../../recon/algorithms/grappa/lagged-gram.ts';
import { latticeOffsets, readoutOffsets, spanLines, targetOffsets } from '../../recon/algorithms/grappa/kernel.ts';
import { isUhfError, type UhfErrorCode } from '../../shared/errors.ts';
import { readCfl, relL2, runBart, tempDir } from '../helpers/cfl.ts';
import { signedRng } from '../helpers/random.ts';

type D4 = [number, number, number, number];

function ifft3(k: Float32Array, dims: D4): Float32Array {
  const x = Float32Array.from(k);
  fftnd(x, dims, [0, 1, 2], { inverse: true });
  return x;
}

/** Copies the lines with mask[e1 + n1·e2] ≠ 0, zeros elsewhere. */
function undersample(k: Float32Array, dims: D4, mask: Uint8Array): Float32Array {
  const [nro, n1, n2, nc] = dims;
  const out = new Float32Array(k.length);
  for (let c = 0; c < nc; c++) {
    for (let L = 0; L < n1 * n2; L++) {
      if (!mask[L]) continue;
      const o = 2 * nro * (L + n1 * n2 * c);
      out.set(k.subarray(o, o + 2 * nro), o);
    }
  }
  return out;
}

/** Regular lattice (offset 0) plus a centred ACS block of acs1 × acs2 lines. */
function pattern(n1: number, n2: number, accel: [number, number], acs1: number, acs2: number): Uint8Array {
  const m = latticeMask(n1, n2, accel);
  const s1 = Math.floor(n1 / 2) - acs1 / 2, s2 = Math.floor(n2 / 2) - Math.floor(acs2 / 2);
  for (let e2 = s2; e2 < s2 + acs2; e2++) for (let e1 = s1; e1 < s1 + acs1; e1++) m[e1 + n1 * e2] = 1;
  return m;
}

function rss(k: Float32Array, dims: D4): Float32Array {
  return combineRss(ifft3(k, dims), [dims[0], dims[1], dims[2]], dims[3]);
}

function expectUhf(fn: () => unknown, code: UhfErrorCode, ...patterns: RegExp[]): string {
  try {
    fn();
  } catch (e) {
    if (!isUhfError(e, code)) throw new Error(`expected UhfError ${code}, got ${String(e)}`);
    for (const p of patterns) expect(e.message).toMatch(p);
    return e.message;
  }
  throw new Error(`expected UhfError ${code}, nothing was thrown`);
}

/**
 * ‖A·X − B‖_F / ‖B‖_F evaluated explicitly, row by row: every anchor whose
 * sources and targets all lie inside the ACS block is one fit row, predicted
 * with the textbook sum Σ_s weights[t][d][s]·source_s (independent of the
 * Gram-matrix shortcut grappaCalibrate uses). Returns the rows counted too.
 */
function explicitResidual(acs: Float32Array, dims: D4, ker: GrappaKernel): { rows: number; relative: number } {
  const [nro, n1, n2, cin] = dims;
  const [kro, ke1, ke2] = ker.kernelSize;
  const S = kro * ke1 * ke2 * cin, T = ker.targets.length / 2, cout = ker.channelsOut;
  const inside = (r: number, a: number, b: number): boolean => r >= 0 && r < nro && a >= 0 && a < n1 && b >= 0 && b < n2;
  const at = (r: number, a: number, b: number, c: number): number => 2 * (r + nro * (a + n1 * (b + n2 * c)));
  let rows = 0, res = 0, bb = 0;
  for (let a2 = 0; a2 < n2; a2++) {
    for (let a1 = 0; a1 < n1; a1++) {
      for (let r = 0; r < nro; r++) {
        let ok = true;
        for (const o of ker.srcRo) for (const p of ker.srcE1) for (const q of ker.srcE2) ok &&= inside(r + o, a1 + p, a2 + q);
        for (let t = 0; t < T; t++) ok &&= inside(r, a1 + ker.targets[2 * t]!, a2 + ker.targets[2 * t + 1]!);
        if (!ok) continue;
        rows++;
        for (let t = 0; t < T; t++) {
          for (let d = 0; d < cout; d++) {
            let pr = 0, pi = 0;
            for (let c = 0; c < cin; c++) {
              for (let l = 0; l < ke2; l++) {
                for (let j = 0; j < ke1; j++) {
                  for (let i = 0; i < kro; i++) {
                    const w = 2 * ((t * cout + d) * S + ((c * ke2 + l) * ke1 + j) * kro + i);
                    const x = at(r + ker.srcRo[i]!, a1 + ker.srcE1[j]!, a2 + ker.srcE2[l]!, c);
                    pr += ker.weights[w]! * acs[x]! - ker.weights[w + 1]! * acs[x + 1]!;
                    pi += ker.weights[w]! * acs[x + 1]! + ker.weights[w + 1]! * acs[x]!;
                  }
                }
              }
            }
            const y = at(r, a1 + ker.targets[2 * t]!, a2 + ker.targets[2 * t + 1]!, d);
            res += (pr - acs[y]!) ** 2 + (pi - acs[y + 1]!) ** 2;
            bb += acs[y]! ** 2 + acs[y + 1]! ** 2;
          }
        }
      }
    }
  }
  return { rows, relative: Math.sqrt(res / bb) };
}

let dir = '';
let cleanup = (): void => {};
let k2: Float32Array;
const dims2: D4 = [96, 96, 1, 8];
let truth2: Float32Array;

/** 32³ phantom (BART's 3D object) × 8 smooth coil maps varying along all three axes. */
let k3: Float32Array;
const dims3: D4 = [32, 32, 32, 8];

function coilImages3d(obj: Float32Array, n: number, C: number): Float32Array {
  const N = n * n * n;
  const img = new Float32Array(2 * N * C);
  for (let c = 0; c < C; c++) {
    const ring = c < C / 2 ? -1 : 1;
    const az = (c % (C / 2)) * (2 * Math.PI / (C / 2)) + (ring > 0 ? Math.PI / 4 : 0);
    const cx = 1.12 * Math.cos(az), cy = 1.12 * Math.sin(az), cz = 0.9 * ring;
    for (let z = 0; z < n; z++) {
      for (let y = 0; y < n; y++) {
        for (let x = 0; x < n; x++) {
          const X = (x - n / 2) / (n / 2), Y = (y - n / 2) / (n / 2), Z = (z - n / 2) / (n / 2);
          const mag = 1 / (0.3 + (X - cx) ** 2 + (Y - cy) ** 2 + (Z - cz) ** 2);
          const ph = 0.7 * c + 0.8 * (X * Math.cos(az) + Y * Math.sin(az)) + 0.5 * Z * ring;
          const p = x + n * (y + n * z);
          const or = obj[2 * p]!, oi = obj[2 * p + 1]!;
          const sr = mag * Math.cos(ph), si = mag * Math.sin(ph);
          img[2 * (p + N * c)] = or * sr - oi * si;
          img[2 * (p + N * c) + 1] = or * si + oi * sr;
        }
      }
    }
  }
  return img;
}

beforeAll(() => {
  ({ dir, cleanup } = tempDir('uhf-grappa-'));
  runBart(['phantom', '-x', '96', '-s', '8', '-k', join(dir, 'k2')]);
  const a = readCfl(join(dir, 'k2'));
  expect(a.dims).toEqual([96, 96, 1, 8]);
  k2 = a.data;
  truth2 = rss(k2, dims2);
  runBart(['phantom', '-3', '-x', '32', join(dir, 'obj3')]);
  const o = readCfl(join(dir, 'obj3'));
  expect(o.dims).toEqual([32, 32, 32]);
  k3 = coilImages3d(o.data, 32, 8);
  fftnd(k3, dims3, [0, 1, 2]);
});
afterAll(() => cleanup());

describe('GRAPPA 2D (BART phantom, 8 coils, 96², 24 ACS lines)', () => {
  const bounds: Record<number, number> = { 2: 0.022, 3: 0.047 };
  for (const R of [2, 3]) {
    it(`R = ${R}: NRMSE far below zero filling; measured lines kept`, () => {
      const mask = pattern(96, 1, [R, 1], 24, 1);
      const und = undersample(k2, dims2, mask);
      const zf = relL2(rss(und, dims2), truth2);
      const { acs, acsDims, region } = extractAcs(und, dims2);
      expect(acsDims[1]).toBeGreaterThanOrEqual(24);
      expect(region.start[0]).toBeLessThanOrEqual(36);
      const t0 = performance.now();
      const ker = grappaCalibrate(acs, acsDims, { accel: [R, 1] });
      const t1 = performance.now();
      const filled = grappaApplyKspace(und, dims2, ker);
      const t2 = performance.now();
      const err = relL2(rss(filled, dims2), truth2);
      console.log(`GRAPPA 2D R=${R}: NRMSE ${err.toFixed(4)} (zero-filled ${zf.toFixed(4)}), ACS fit residual ${ker.fit.relativeResidual.toExponential(2)}, ${ker.fit.rows} rows × ${ker.fit.unknowns} unknowns; calibrate ${(t1 - t0).toFixed(0)} ms, apply ${(t2 - t1).toFixed(0)} ms`);
      expect(ker.kernelSize).toEqual([5, 4, 1]);
      expect(ker.targets.length / 2).toBe(R - 1);
      expect(err).toBeLessThan(bounds[R]!);
      expect(err).toBeLessThan(zf / 8);
      // every acquired line is passed through unchanged
      for (let c = 0; c < 8; c++) {
        for (let e = 0; e < 96; e++) {
          if (!mask[e]) continue;
          const o = 2 * 96 * (e + 96 * c);
          expect(filled.subarray(o, o + 192)).toEqual(und.subarray(o, o + 192));
        }
      }
      // lattice-only input (ACS discarded after calibration): still far below zero filling
      const lat = latticeMask(96, 1, [R, 1]);
      const onlyLat = grappaApplyKspace(undersample(k2, dims2, lat), dims2, ker, { mask: lat, keepAcquired: false });
      expect(relL2(rss(onlyLat, dims2), truth2)).toBeLessThan(bounds[R]! * 1.2);
    });
  }

  it('k-space application equals the image-domain weights (R = 2, 3) and the combined unmixing', () => {
    const id: [number, number, number] = [96, 96, 1];
    for (const R of [2, 3]) {
      const und = undersample(k2, dims2, pattern(96, 1, [R, 1], 24, 1));
      const { acs, acsDims } = extractAcs(und, dims2);
      const ker = grappaCalibrate(acs, acsDims, { accel: [R, 1] });
      const lat = latticeMask(96, 1, [R, 1]);
      const y = maskLines(und, dims2, lat); // integrated ACS lines stripped
      expect(relL2(y, undersample(k2, dims2, lat))).toBe(0);
      const viaK = ifft3(grappaApplyKspace(y, dims2, ker, { mask: lat, keepAcquired: false }), dims2);
      const W = grappaImageWeights(ker, id);
      const aliased = ifft3(y, dims2);
      const viaW = applyImageWeights(aliased, W, id, 8, 8);
      const d = relL2(viaW, viaK);
      console.log(`GRAPPA R=${R}: k-space vs image-domain coil images NRMSE ${d.toExponential(2)}`);
      expect(d).toBeLessThan(1e-4);
      // combined: u_c = Σ_d w_d W_dc, image = Σ_c u_c a_c  ==  Σ_d w_d (W a)_d
      const w = combineWeights(viaK, id, 8); // any smooth-enough weights will do
      const u = grappaUnmixing(ker, id, w);
      const one = applyUnmixing(aliased, u, id, 8);
      const ref = combineWithWeights(viaW, w, id, 8);
      expect(relL2(one, ref)).toBeLessThan(1e-5);
    }
  });

  it('missing samples equal the textbook sum Σ weights[t][d][s]·source_s (layout check)', () => {
    const R = 3;
    const und = undersample(k2, dims2, pattern(96, 1, [R, 1], 24, 1));
    const { acs, acsDims } = extractAcs(und, dims2);
    const ker = grappaCalibrate(acs, acsDims, { accel: [R, 1] });
    const filled = grappaApplyKspace(und, dims2, ker);
    const [kro, ke1] = ker.kernelSize;
    const S = kro * ke1 * 8;
    for (const [ro, e1, d] of [[40, 10, 0], [3, 20, 5], [95, 80, 7], [50, 17, 2]] as const) {
      const t1 = e1 % R, a = e1 - t1; // anchor lattice line
      const t = t1 - 1; // targets are t1 = 1, 2
      let re = 0, im = 0;
      for (let c = 0; c < 8; c++) {
        for (let j = 0; j < ke1; j++) {
          for (let i = 0; i < kro; i++) {
            const s = (c * ke1 + j) * kro + i;
            const wr = ker.weights[2 * ((t * 8 + d) * S + s)]!, wi = ker.weights[2 * ((t * 8 + d) * S + s) + 1]!;
            const sro = (ro + ker.srcRo[i]! + 96) % 96, se1 = (a + ker.srcE1[j]! + 96) % 96;
            const q = 2 * (sro + 96 * (se1 + 96 * c));
            // sources are lattice lines only (ACS lines off the lattice are not sources)
            const yr = se1 % R === 0 ? und[q]! : 0, yi = se1 % R === 0 ? und[q + 1]! : 0;
            re += wr * yr - wi * yi;
            im += wr * yi + wi * yr;
          }
        }
      }
      const q = 2 * (ro + 96 * (e1 + 96 * d));
      const scale = Math.hypot(re, im) + 1e-3 * Math.hypot(k2[q]!, k2[q + 1]!);
      expect(Math.abs(filled[q]! - re) / scale).toBeLessThan(1e-5);
      expect(Math.abs(filled[q + 1]! - im) / scale).toBeLessThan(1e-5);
    }
  });

  it('outChannels: the first K targets match the full calibration; λ trades fit for regularisation', () => {
    const und = undersample(k2, dims2, pattern(96, 1, [2, 1], 24, 1));
    const { acs, acsDims } = extractAcs(und, dims2);
    const full = grappaCalibrate(acs, acsDims, { accel: [2, 1] });
    const four = grappaCalibrate(acs, acsDims, { accel: [2, 1], outChannels: 4 });
    expect(four.channelsOut).toBe(4);
    const S = 5 * 4 * 8;
    const a = four.weights, b = full.weights.subarray(0, 2 * 4 * S);
    expect(relL2(a, b)).toBeLessThan(1e-10);
    const outK = grappaApplyKspace(und, dims2, four);
    expect(outK.length).toBe(2 * 96 * 96 * 4);
    const small = grappaCalibrate(acs, acsDims, { accel: [2, 1], lambda: 1e-6 });
    const large = grappaCalibrate(acs, acsDims, { accel: [2, 1], lambda: 0.1 });
    expect(small.fit.relativeResidual).toBeLessThan(full.fit.relativeResidual);
    expect(full.fit.relativeResidual).toBeLessThan(large.fit.relativeResidual);
    expect(large.lambdaAbsolute / full.lambdaAbsolute).toBeCloseTo(200, 6);
  });

  it('fit.relativeResidual equals ‖A·X − B‖ / ‖B‖ evaluated row by row (low-residual data)', () => {
    for (const R of [2, 3]) {
      const und = undersample(k2, dims2, pattern(96, 1, [R, 1], 24, 1));
      const { acs, acsDims } = extractAcs(und, dims2);
      const ker = grappaCalibrate(acs, acsDims, { accel: [R, 1] });
      const ex = explicitResidual(acs, acsDims, ker);
      expect(ex.rows).toBe(ker.fit.rows);
      // ~0.3–0.6 % residual: the shortcut subtracts nearly equal sums, so this
      // also bounds its cancellation error
      expect(ker.fit.relativeResidual).toBeLessThan(0.01);
      expect(Math.abs(ker.fit.relativeResidual - ex.relative) / ex.relative).toBeLessThan(1e-8);
    }
  });

  it('R = 1: a trivial kernel that passes the data through', () => {
    const ker = grappaCalibrate(new Float32Array(0), [96, 0, 1, 8], { accel: [1, 1] });
    expect(ker.targets.length).toBe(0);
    const out = grappaApplyKspace(k2, dims2, ker);
    let same = true;
    for (let i = 0; i < k2.length; i++) if (out[i] !== k2[i]) same = false;
    expect(same).toBe(true);
  });
});

describe('GRAPPA 3D (32³, 8 coils, R = 2×2, 16×16 ACS)', () => {
  let ker: GrappaKernel;
  it('NRMSE far below zero filling; k-space == image domain', () => {
    const mask = pattern(32, 32, [2, 2], 16, 16);
    const und = undersample(k3, dims3, mask);
    const truth = rss(k3, dims3);
    const zf = relL2(rss(und, dims3), truth);
    const { acs, acsDims, region } = extractAcs(und, dims3);
    expect(acsDims).toEqual([32, 16, 16, 8]);
    expect(region.start).toEqual([8, 8]);
    const t0 = performance.now();
    ker = grappaCalibrate(acs, acsDims, { accel: [2, 2] });
    const t1 = performance.now();
    const filled = grappaApplyKspace(und, dims3, ker);
    const t2 = performance.now();
    const err = relL2(rss(filled, dims3), truth);
    console.log(`GRAPPA 3D 2×2: NRMSE ${err.toFixed(4)} (zero-filled ${zf.toFixed(4)}), kernel ${ker.kernelSize.join('×')}, ${ker.fit.rows} rows × ${ker.fit.unknowns} unknowns, residual ${ker.fit.relativeResidual.toExponential(2)}; calibrate ${(t1 - t0).toFixed(0)} ms, apply ${(t2 - t1).toFixed(0)} ms`);
    expect(ker.kernelSize).toEqual([5, 4, 4]);
    expect(ker.targets.length / 2).toBe(3);
    expect(err).toBeLessThan(0.035);
    expect(err).toBeLessThan(zf / 8);

    const lat = latticeMask(32, 32, [2, 2]);
    const y = undersample(k3, dims3, lat);
    const viaK = ifft3(grappaApplyKspace(y, dims3, ker, { mask: lat, keepAcquired: false }), dims3);
    const t3 = performance.now();
    const W = grappaImageWeights(ker, [32, 32, 32]);
    const t4 = performance.now();
    const viaW = applyImageWeights(ifft3(y, dims3), W, [32, 32, 32], 8, 8);
    const t5 = performance.now();
    const d = relL2(viaW, viaK);
    console.log(`GRAPPA 3D: k-space vs image-domain NRMSE ${d.toExponential(2)}; weights ${(t4 - t3).toFixed(0)} ms, apply ${(t5 - t4).toFixed(0)} ms`);
    expect(d).toBeLessThan(1e-4);
  });

  it('overDetermineRatio caps the calibration rows', () => {
    const und = undersample(k3, dims3, pattern(32, 32, [2, 2], 16, 16));
    const { acs, acsDims } = extractAcs(und, dims3);
    const capped = grappaCalibrate(acs, acsDims, { accel: [2, 2], kernel: [3, 3, 3], overDetermineRatio: 2 });
    expect(capped.fit.rows).toBe(2 * 3 * 3 * 3 * 8);
    expect(capped.fit.relativeResidual).toBeLessThan(0.2);
  });
});

describe('GRAPPA calibration residual on random data', () => {
  /** Random ACS with a smooth envelope (a spread of singular values). */
  function randomAcs(dims: D4, seed: number): Float32Array {
    const [nro, n1, n2, nc] = dims;
    const r = signedRng(seed);
    const a = new Float32Array(2 * nro * n1 * n2 * nc);
    for (let c = 0; c < nc; c++) {
      for (let z = 0; z < n2; z++) {
        for (let y = 0; y < n1; y++) {
          for (let x = 0; x < nro; x++) {
            const w = 1 / (1 + ((x - nro / 2) ** 2 + (y - n1 / 2) ** 2 + (z - n2 / 2) ** 2) / 20);
            const o = 2 * (x + nro * (y + n1 * (z + n2 * c)));
            a[o] = w * r() + 0.01 * r();
            a[o + 1] = w * r() + 0.01 * r();
          }
        }
      }
    }
    return a;
  }
  const cases: { dims: D4; accel: [number, number]; kernel?: [number, number, number]; lambda?: number; outChannels?: number }[] = [
    { dims: [40, 20, 1, 6], accel: [3, 1] },
    { dims: [40, 20, 1, 6], accel: [3, 1], lambda: 0.2 },
    { dims: [33, 14, 1, 5], accel: [2, 1], kernel: [3, 2, 1], outChannels: 3 },
    { dims: [16, 10, 9, 4], accel: [2, 2], kernel: [3, 2, 2] },
  ];
  for (const { dims, accel, kernel, lambda, outChannels } of cases) {
    it(`ACS [${dims.join('×')}], R = ${accel.join('×')}${kernel ? `, kernel ${kernel.join('×')}` : ''}${lambda ? `, λ = ${lambda}` : ''}`, () => {
      const acs = randomAcs(dims, dims.reduce((p, v) => p * v, 1));
      const ker = grappaCalibrate(acs, dims, { accel, kernel, lambda, outChannels });
      const ex = explicitResidual(acs, dims, ker);
      expect(ex.rows).toBe(ker.fit.rows);
      expect(ker.fit.relativeResidual).toBeGreaterThan(0);
      expect(Math.abs(ker.fit.relativeResidual - ex.relative) / ex.relative).toBeLessThan(1e-9);
    });
  }
});

describe('GRAPPA calibration Gram: lag sums (lagged-gram.ts) vs gathered rows', () => {
  afterEach(() => { setGrappaGramMethod('auto'); });

  /** The fit geometry grappaCalibrate builds: every anchor with all sources and targets inside the ACS. */
  function geometry(dims: D4, kernel: [number, number, number], accel: [number, number], cout: number): FitGeometry {
    const [ry, rz] = accel;
    const srcRo = readoutOffsets(kernel[0]), srcE1 = latticeOffsets(kernel[1], ry), srcE2 = latticeOffsets(kernel[2], rz);
    const sp1 = spanLines(srcE1, ry), sp2 = spanLines(srcE2, rz);
    return {
      dims, cout, srcRo, srcE1, srcE2, targets: targetOffsets(ry, rz),
      start: [-srcRo[0]!, -sp1.lo, -sp2.lo], count: [dims[0] - kernel[0] + 1, dims[1] - sp1.lines + 1, dims[2] - sp2.lines + 1],
    };
  }
  const cases: { dims: D4; kernel: [number, number, number]; accel: [number, number]; cout?: number }[] = [
    { dims: [40, 20, 1, 6], kernel: [5, 4, 1], accel: [2, 1] },
    { dims: [40, 20, 1, 6], kernel: [5, 4, 1], accel: [3, 1] },
    { dims: [40, 24, 1, 6], kernel: [5, 4, 1], accel: [4, 1] },
    { dims: [33, 17, 1, 5], kernel: [4, 3, 1], accel: [3, 1], cout: 3 },
    { dims: [20, 12, 1, 3], kernel: [1, 2, 1], accel: [2, 1] },
    { dims: [24, 14, 1, 4], kernel: [3, 1, 1], accel: [2, 1], cout: 1 },
    { dims: [30, 16, 3, 4], kernel: [5, 4, 1], accel: [3, 1] },
    { dims: [16, 10, 9, 4], kernel: [3, 2, 2], accel: [2, 2] },
    { dims: [14, 12, 12, 3], kernel: [5, 4, 4], accel: [2, 2] },
    { dims: [12, 12, 9, 2], kernel: [3, 3, 2], accel: [3, 2], cout: 1 },
    { dims: [12, 16, 8, 3], kernel: [2, 3, 3], accel: [4, 1] },
    { dims: [16, 8, 10, 4], kernel: [3, 2, 3], accel: [1, 2] },
  ];
  for (const { dims, kernel, accel, cout } of cases) {
    it(`ACS [${dims.join('×')}], kernel ${kernel.join('×')}, R = ${accel.join('×')}${cout ? `, ${cout} targets` : ''}: equal to rounding, exactly Hermitian`, () => {
      const acs = Float32Array.from({ length: 2 * dims[0] * dims[1] * dims[2] * dims[3] }, signedRng(dims[0] * 7 + dims[3]));
      const geo = geometry(dims, kernel, accel, cout ?? dims[3]);
      const rows = geo.count[0] * geo.count[1] * geo.count[2];
      const lagged = laggedGram(acs, geo);
      expect(lagged).not.toBeNull();
      const direct = directGram(acs, geo, rows);
      expect(lagged!.length).toBe(direct.length);
      let diff = 0, max = 0;
      for (let i = 0; i < direct.length; i++) { diff = Math.max(diff, Math.abs(lagged![i]! - direct[i]!)); max = Math.max(max, Math.abs(direct[i]!)); }
      expect(diff / max).toBeLessThan(1e-12);
      const N = Math.sqrt(direct.length / 2);
      let hermitian = true;
      for (let i = 0; i < N; i++) {
        hermitian &&= lagged![2 * (i * N + i) + 1] === 0;
        for (let j = i + 1; j < N; j++) {
          hermitian &&= lagged![2 * (i * N + j)] === lagged![2 * (j * N + i)] && lagged![2 * (i * N + j) + 1] === -lagged![2 * (j * N + i) + 1]!;
        }
      }
      expect(hermitian).toBe(true);
    });
  }

  it('grappaCalibrate: the same kernel and residual either way (2D and 3D)', () => {
    for (const [dims, accel] of [[[48, 20, 1, 6], [3, 1]], [[20, 12, 12, 4], [2, 2]]] as [D4, [number, number]][]) {
      const acs = Float32Array.from({ length: 2 * dims[0] * dims[1] * dims[2] * dims[3] }, signedRng(5));
      const viaLags = grappaCalibrate(acs, dims, { accel });
      setGrappaGramMethod('direct');
      const viaRows = grappaCalibrate(acs, dims, { accel });
      setGrappaGramMethod('auto');
      expect(relL2(viaLags.weights, viaRows.weights)).toBeLessThan(1e-10);
      expect(Math.abs(viaLags.fit.relativeResidual - viaRows.fit.relativeResidual)).toBeLessThan(1e-12);
      expect(viaLags.lambdaAbsolute / viaRows.lambdaAbsolute).toBeCloseTo(1, 12);
    }
  });
});

describe('GRAPPA sampling helpers', () => {
  it('finds the ACS block, the lattice offset and the acquired lines', () => {
    const m = pattern(32, 32, [2, 2], 16, 16);
    expect(findAcsRegion(m, 32, 32)).toEqual({ start: [8, 8], size: [16, 16] });
    // 2D: the lattice line next to the ACS block joins it
    const m2 = pattern(96, 1, [2, 1], 24, 1);
    expect(findAcsRegion(m2, 96, 1)).toEqual({ start: [36, 0], size: [25, 1] });
    expect(findAcsRegion(latticeMask(96, 1, [2, 1]), 96, 1)).toBeNull();
    // lattice shifted by one line
    const shifted = latticeMask(96, 1, [3, 1], [1, 0]);
    for (let e = 36; e < 60; e++) shifted[e] = 1;
    expect(detectLattice(shifted, 96, 1, [3, 1]).offset).toEqual([1, 0]);
    // elliptical 3D lattice (corners missing) passes
    const ell = latticeMask(32, 32, [2, 2]);
    for (let b = 0; b < 32; b++) for (let a = 0; a < 32; a++) if (((a - 16) / 16) ** 2 + ((b - 16) / 16) ** 2 > 1) ell[a + 32 * b] = 0;
    expect(checkLattice(ell, 32, 32, [2, 2], [0, 0]).fill).toBeGreaterThan(0.7);
    const und = undersample(k2, dims2, m2);
    expect(Array.from(acquiredLineMask(und, dims2))).toEqual(Array.from(m2));
  });
});

describe('GRAPPA errors: never a silently aliased image', () => {
  it('too few ACS lines for the kernel: says how many are needed', () => {
    const und = undersample(k2, dims2, pattern(96, 1, [3, 1], 8, 1));
    const { acs, acsDims } = extractAcs(und, dims2);
    expect(acsDims[1]).toBe(8);
    expectUhf(() => grappaCalibrate(acs, acsDims, { accel: [3, 1] }), 'UNSUPPORTED_DATA', /too few ACS lines/, /spans 10/, /at least 10 ACS lines in e1/);
    // enough lines for the span but too few kernel fits for the unknowns
    const small = new Float32Array(2 * 12 * 8 * 8); // readout points 40…51 of the 8 ACS lines
    for (let c = 0; c < 8; c++) for (let e = 0; e < 8; e++) small.set(acs.subarray(2 * (40 + 96 * (e + 8 * c)), 2 * (52 + 96 * (e + 8 * c))), 2 * 12 * (e + 8 * c));
    expectUhf(() => grappaCalibrate(small, [12, 8, 1, 8], { accel: [2, 1] }), 'UNSUPPORTED_DATA', /too few ACS lines/, /16 kernel fits for 160 unknowns/, /at least 26 ACS lines in e1/);
  });

  it('acceleration without calibration data', () => {
    expectUhf(() => grappaCalibrate(new Float32Array(0), [96, 0, 1, 8], { accel: [2, 1] }), 'UNSUPPORTED_DATA', /no calibration \(ACS\) data/, /at least 7 ACS lines/);
    const latOnly = undersample(k2, dims2, latticeMask(96, 1, [2, 1]));
    expectUhf(() => extractAcs(latOnly, dims2), 'UNSUPPORTED_DATA', /no calibration \(ACS\) data/, /reference scan/);
    expectUhf(() => grappaCalibrate(new Float32Array(2 * 96 * 24 * 8), [96, 24, 1, 8], { accel: [2, 1] }), 'UNSUPPORTED_DATA', /all zero/);
  });

  it('more acceleration than coils', () => {
    const four = k2.subarray(0, 2 * 96 * 96 * 4);
    const und = undersample(four, [96, 96, 1, 4], pattern(96, 1, [5, 1], 32, 1));
    const { acs, acsDims } = extractAcs(und, [96, 96, 1, 4]);
    expectUhf(() => grappaCalibrate(acs, acsDims, { accel: [5, 1] }), 'UNSUPPORTED_DATA', /R = 5×1 = 5 exceeds the 4 receive channels/);
    expectUhf(() => grappaCalibrate(new Float32Array(2 * 32 * 16 * 16 * 3), [32, 16, 16, 3], { accel: [2, 2] }), 'UNSUPPORTED_DATA', /exceeds the 3 receive channels/);
  });

  it('data sampled with another acceleration than the kernel, or other channels', () => {
    const und2 = undersample(k2, dims2, pattern(96, 1, [2, 1], 24, 1));
    const und4 = undersample(k2, dims2, pattern(96, 1, [4, 1], 24, 1));
    const acs = extractAcs(und2, dims2);
    const ker3 = grappaCalibrate(acs.acs, acs.acsDims, { accel: [3, 1] });
    const ker2 = grappaCalibrate(acs.acs, acs.acsDims, { accel: [2, 1] });
    expectUhf(() => grappaApplyKspace(und2, dims2, ker3), 'UNSUPPORTED_DATA', /regular R = 3×1 pattern/, /another acceleration/);
    expectUhf(() => grappaApplyKspace(und4, dims2, ker2), 'UNSUPPORTED_DATA', /regular R = 2×1 pattern/, /% of the lattice lines/);
    // a wrong explicit lattice offset is caught too
    expectUhf(() => grappaApplyKspace(und2, dims2, ker2, { latticeOffset: [1, 0] }), 'UNSUPPORTED_DATA', /regular R = 2×1 pattern/);
    expectUhf(() => grappaApplyKspace(und2.subarray(0, 2 * 96 * 96 * 4), [96, 96, 1, 4], ker2), 'SHAPE_MISMATCH', /4 channels but the kernel was calibrated for 8/);
  });
});
