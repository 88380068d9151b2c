/**
 * Image-domain SENSE unfolding, g-factor and SNR units.
 *
 * Data
 * - Consistent synthetic data: ρ = `bart phantom` image (2D 96², 3D 32³),
 *   smooth complex Gaussian coil maps (8 coils on a ring / two rings, so the
 *   3D maps vary along z too), k = fftc(S·ρ). With the exact maps SENSE is
 *   exact: NRMSE ~1e-6 (float32) for R = 2, 3 and 2×2, any line offset.
 * - `bart phantom -x 96 -s 8 -k` (analytic k-space, 2D), maps from our ESPIRiT
 *   on the centred 24² ACS block; the 3D case uses the synthetic 3D data with
 *   ESPIRiT maps (3³ kernel; BART's 3D phantom maps do not vary along z, so
 *   they cannot unfold along e2). The truth is the fully sampled SENSE image
 *   with the same maps (Σ_c conj(S_c)·I_c, Σ|S|² = 1). The remaining error is
 *   the part of the coil images the single ESPIRiT map does not explain
 *   (≈ 2 %, see espirit.test.ts), amplified by g.
 *
 * - NRMSE small and ≤ 1/10 of the zero-filled reconstruction's; other
 *   sampled-line offsets give the same error (the aliasing phases are
 *   modelled; a wrong offset fails); extra non-lattice lines (integrated ACS)
 *   are ignored; per-voxel weights = senseUnfold.
 * - g = 1 at R = 1 (λ = 0), and g agrees with a Monte-Carlo pseudo-replica
 *   estimate (Robson et al. MRM 2008; 200 replicas) within 5 % (median over
 *   the object), also with Tikhonov λ > 0 (generalised g).
 * - snrUnits: pure-noise replicas have unit noise standard deviation per real
 *   component (Kellman & McVeigh 2005).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { espiritMaps, extractCalibration } from '../../recon/algorithms/espirit.ts';
import { applySenseWeights, senseUnfold, senseUnfoldWeights, snrUnits } from '../../recon/algorithms/sense/index.ts';
import { ifftc } from '../../recon/fft/index.ts';
import { Rng } from '../../recon/sim/prng.ts';
import { isUhfError } from '../../shared/errors.ts';
import { readCfl, relL2, runBart, tempDir } from '../helpers/cfl.ts';
import { coilKspace } from '../helpers/kspace.ts';

type D3 = [number, number, number];

/** Regular mask over [nx, ny, nz]: lines with e1 ≡ o1 (mod ry), e2 ≡ o2 (mod rz). */
function regularMask(dims: D3, ry: number, rz: number, o1: number, o2: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++) {
      if (((y - o1) % ry + ry) % ry !== 0 || ((z - o2) % rz + rz) % rz !== 0) continue;
      m.fill(1, nx * (y + ny * z), nx * (y + ny * z) + nx);
    }
  }
  return m;
}

/** Zero-filled aliased coil images: ifftc of k-space × mask. */
function aliasedImages(kspace: Float32Array, mask: Uint8Array, dims: D3, c: number): Float32Array {
  const n = dims[0] * dims[1] * dims[2];
  const a = kspace.slice();
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < n; p++) if (!mask[p]) { a[2 * (p + n * ch)] = 0; a[2 * (p + n * ch) + 1] = 0; }
  ifftc(a, [dims[0], dims[1], dims[2], c], [0, 1, 2].filter((d) => dims[d]! > 1));
  return a;
}

/** Σ_c conj(S_c)·I_c (maps with Σ|S|² = 1: the fully sampled SENSE image). */
function combine(images: Float32Array, maps: Float32Array, n: number, c: number, scale = 1): Float32Array {
  const out = new Float32Array(2 * n);
  for (let p = 0; p < n; p++) {
    let re = 0, im = 0;
    for (let ch = 0; ch < c; ch++) {
      const o = 2 * (p + n * ch);
      re += maps[o]! * images[o]! + maps[o + 1]! * images[o + 1]!;
      im += maps[o]! * images[o + 1]! - maps[o + 1]! * images[o]!;
    }
    out[2 * p] = re * scale; out[2 * p + 1] = im * scale;
  }
  return out;
}

interface Phantom {
  dims: D3;
  c: number;
  kspace: Float32Array;
  maps: Float32Array;
  truth: Float32Array;
  object: Uint8Array;
}

function finish(kspace: Float32Array, maps: Float32Array, dims: D3, c: number): Phantom {
  const n = dims[0] * dims[1] * dims[2];
  const full = aliasedImages(kspace, new Uint8Array(n).fill(1), dims, c);
  const truth = combine(full, maps, n, c);
  let max = 0;
  for (let p = 0; p < n; p++) max = Math.max(max, Math.hypot(truth[2 * p]!, truth[2 * p + 1]!));
  const object = Uint8Array.from({ length: n }, (_, p) => (Math.hypot(truth[2 * p]!, truth[2 * p + 1]!) > 0.1 * max ? 1 : 0));
  return { dims, c, kspace, maps, truth, object };
}

/** `bart phantom -x N -s c -k` with ESPIRiT maps from the centred ACS block. */
function bartPhantom(dir: string, dims: D3, c: number, acs: D3): Phantom {
  runBart(['phantom', '-x', String(dims[0]), '-s', String(c), '-k', join(dir, 'bart-k')]);
  const kspace = readCfl(join(dir, 'bart-k')).data;
  const cal = extractCalibration(kspace, dims, c, acs);
  return finish(kspace, espiritMaps(cal.acs, cal.dims, dims, c), dims, c);
}

/**
 * Smooth complex coil maps: Gaussians of width 0.6 FOV around coils on a ring
 * of radius 0.9 FOV (2D) or on two rings at z = ±0.5 FOV (3D), with a linear
 * phase ramp each. Σ|S|² = 1 everywhere.
 */
function syntheticMaps(dims: D3, c: number): Float32Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const maps = new Float32Array(2 * n * c);
  const s2 = new Float64Array(n);
  for (let ch = 0; ch < c; ch++) {
    const ring = nz > 1 ? ch % 2 : 0;
    const ang = (2 * Math.PI * ch) / c;
    const cx = 0.9 * Math.cos(ang), cy = 0.9 * Math.sin(ang), cz = nz > 1 ? (ring ? 0.5 : -0.5) : 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const rx = (x - nx / 2) / (nx / 2), ry = (y - ny / 2) / (ny / 2), rz = nz > 1 ? (z - nz / 2) / (nz / 2) : 0;
          const d2 = (rx - cx) ** 2 + (ry - cy) ** 2 + (rz - cz) ** 2;
          const mag = Math.exp(-d2 / (2 * 0.6 * 0.6));
          const ph = ang + 1.5 * (rx * Math.sin(ang) - ry * Math.cos(ang)) + 0.7 * rz;
          const p = x + nx * (y + ny * z);
          maps[2 * (p + n * ch)] = mag * Math.cos(ph);
          maps[2 * (p + n * ch) + 1] = mag * Math.sin(ph);
          s2[p] = s2[p]! + mag * mag;
        }
      }
    }
  }
  for (let ch = 0; ch < c; ch++) {
    for (let p = 0; p < n; p++) {
      const f = 1 / Math.sqrt(s2[p]!);
      maps[2 * (p + n * ch)] = maps[2 * (p + n * ch)]! * f;
      maps[2 * (p + n * ch) + 1] = maps[2 * (p + n * ch) + 1]! * f;
    }
  }
  return maps;
}

/** k = fftc(S·ρ) for ρ = `bart phantom` (2D or -3) and the synthetic maps; returns the exact maps. */
function syntheticPhantom(dir: string, dims: D3, c: number): Phantom {
  const args = ['phantom', '-x', String(dims[0])];
  if (dims[2] > 1) args.push('-3');
  runBart([...args, join(dir, 'rho')]);
  const rho = readCfl(join(dir, 'rho')).data;
  const maps = syntheticMaps(dims, c);
  return finish(coilKspace(rho, maps, dims, c), maps, dims, c);
}

describe('senseUnfold', () => {
  let tmp: { dir: string; cleanup: () => void };
  let p2: Phantom;
  let syn2: Phantom;
  let syn3: Phantom;

  beforeAll(() => {
    tmp = tempDir('uhf-sense-');
    p2 = bartPhantom(tmp.dir, [96, 96, 1], 8, [24, 24, 1]);
    syn2 = syntheticPhantom(tmp.dir, [96, 96, 1], 8);
    syn3 = syntheticPhantom(tmp.dir, [32, 32, 32], 8);
  });

  it.each([
    { name: '2D', R: [2, 1] as const, offsets: [[48, 0], [49, 0]] as const },
    { name: '2D', R: [3, 1] as const, offsets: [[48, 0], [50, 0]] as const },
    { name: '3D', R: [2, 2] as const, offsets: [[16, 16], [17, 16], [16, 15]] as const },
  ])('is exact on consistent data with the exact maps ($name, R = $R)', ({ R, offsets }) => {
    const ph = R[1] > 1 ? syn3 : syn2;
    const { dims, c, kspace, maps, truth } = ph;
    const n = dims[0] * dims[1] * dims[2];
    for (const [o1, o2] of offsets) {
      const mask = regularMask(dims, R[0], R[1], o1, o2);
      const a = aliasedImages(kspace, mask, dims, c);
      const res = senseUnfold(a, maps, dims, c, R, { offset: [o1, o2] });
      const e = relL2(res.image, truth), ez = relL2(combine(a, maps, n, c, R[0] * R[1]), truth);
      console.log(`SENSE exact maps ${dims.join('×')} R=${R.join('×')} offset [${o1},${o2}]: NRMSE ${e.toExponential(2)} (zero-filled ${ez.toFixed(3)})`);
      expect(e).toBeLessThan(1e-4);
    }
  });
  afterAll(() => tmp?.cleanup());

  it.each([
    { R: 2, offsets: [48, 49] },
    { R: 3, offsets: [48, 49, 50] },
  ])('R = $R (2D): small NRMSE vs the fully sampled image, far below zero filling, for every line offset', ({ R, offsets }) => {
    const { dims, c, kspace, maps, truth } = p2;
    const n = dims[0] * dims[1] * dims[2];
    const errs: number[] = [];
    for (const o1 of offsets) {
      const mask = regularMask(dims, R, 1, o1, 0);
      const a = aliasedImages(kspace, mask, dims, c);
      const res = senseUnfold(a, maps, dims, c, [R, 1], { offset: [o1, 0] });
      const zf = combine(a, maps, n, c, R);
      const e = relL2(res.image, truth), ez = relL2(zf, truth);
      console.log(`SENSE R=${R} offset ${o1}: NRMSE ${e.toExponential(3)} (zero-filled ${ez.toFixed(3)}), max g ${Math.max(...res.gfactor).toFixed(3)}`);
      expect(e).toBeLessThan(R === 2 ? 0.03 : 0.05);
      expect(e).toBeLessThan(0.1 * ez);
      errs.push(e);
      // the per-voxel weights give the same image for strictly regular data
      const w = senseUnfoldWeights(maps, dims, c, [R, 1], { offset: [o1, 0] });
      expect(relL2(applySenseWeights(a, w.weights, dims, c), res.image)).toBeLessThan(1e-5);
      expect(relL2(w.gfactor, res.gfactor)).toBeLessThan(1e-6);
    }
    // a wrong offset (aliasing phases not modelled) is much worse: the test can fail
    const mask = regularMask(dims, R, 1, offsets[1]!, 0);
    const wrong = senseUnfold(aliasedImages(kspace, mask, dims, c), maps, dims, c, [R, 1], { offset: [offsets[0]!, 0] });
    expect(relL2(wrong.image, truth)).toBeGreaterThan(5 * Math.max(...errs));
    // the error does not depend on which lines were sampled
    expect(Math.max(...errs) / Math.min(...errs)).toBeLessThan(1.5);
  });

  it('ignores extra non-lattice lines (integrated ACS) and Tikhonov λ trades bias for noise', () => {
    const { dims, c, kspace, maps, truth } = p2;
    const n = dims[0] * dims[1] * dims[2];
    const R = 3;
    const mask = regularMask(dims, R, 1, 48, 0);
    const withAcs = mask.slice();
    for (let y = 36; y < 60; y++) withAcs.fill(1, dims[0] * y, dims[0] * (y + 1));
    const pure = senseUnfold(aliasedImages(kspace, mask, dims, c), maps, dims, c, [R, 1]);
    const mixed = senseUnfold(aliasedImages(kspace, withAcs, dims, c), maps, dims, c, [R, 1]);
    expect(relL2(mixed.image, pure.image)).toBeLessThan(1e-5);
    const reg = senseUnfold(aliasedImages(kspace, mask, dims, c), maps, dims, c, [R, 1], { lambda: 0.05 });
    let gmax0 = 0, gmaxL = 0;
    for (let p = 0; p < n; p++) { gmax0 = Math.max(gmax0, pure.gfactor[p]!); gmaxL = Math.max(gmaxL, reg.gfactor[p]!); }
    expect(gmaxL).toBeLessThan(gmax0);
    expect(relL2(reg.image, truth)).toBeGreaterThan(relL2(pure.image, truth)); // noise-free data: λ only adds bias
  });

  it('R = 2×2 on a 3D phantom (32³, 8 coils) with 3D ESPIRiT maps (16³ ACS, 3³ kernel)', () => {
    const { dims, c, kspace } = syn3;
    const cal = extractCalibration(kspace, dims, c, [16, 16, 16]);
    const maps = espiritMaps(cal.acs, cal.dims, dims, c, { kernel: 3 });
    const truth = combine(aliasedImages(kspace, new Uint8Array(kspace.length / 2 / c).fill(1), dims, c), maps, dims[0] * dims[1] * dims[2], c);
    const n = dims[0] * dims[1] * dims[2];
    const mask = regularMask(dims, 2, 2, 16, 16);
    const a = aliasedImages(kspace, mask, dims, c);
    const res = senseUnfold(a, maps, dims, c, [2, 2]);
    const zf = combine(a, maps, n, c, 4);
    const e = relL2(res.image, truth), ez = relL2(zf, truth);
    console.log(`SENSE 3D 2×2 (ESPIRiT maps): NRMSE ${e.toExponential(3)} (zero-filled ${ez.toFixed(3)}), max g ${Math.max(...res.gfactor).toFixed(3)}`);
    expect(e).toBeLessThan(0.05);
    expect(e).toBeLessThan(0.1 * ez);
  });

  it('g = 1 at R = 1 (λ = 0) wherever the maps are non-zero', () => {
    const { dims, c, maps } = p2;
    const n = dims[0] * dims[1] * dims[2];
    const { gfactor } = senseUnfoldWeights(maps, dims, c, [1, 1]);
    let inside = 0;
    for (let p = 0; p < n; p++) {
      let s2 = 0;
      for (let ch = 0; ch < c; ch++) s2 += maps[2 * (p + n * ch)]! ** 2 + maps[2 * (p + n * ch) + 1]! ** 2;
      if (s2 > 0) { inside++; expect(Math.abs(gfactor[p]! - 1)).toBeLessThan(1e-6); } else expect(gfactor[p]).toBe(0);
    }
    expect(inside).toBeGreaterThan(n / 3);
  });

  it.each([
    { R: 3, lambda: 0 },
    { R: 4, lambda: 0 },
    { R: 4, lambda: 0.02 },
  ])('g-factor (R = $R, λ = $lambda) agrees with a pseudo-replica Monte-Carlo estimate within 5 % inside the object', ({ R, lambda }) => {
    const { dims, c, maps, object } = p2;
    const n = dims[0] * dims[1] * dims[2];
    const replicas = 200;
    const mask = regularMask(dims, R, 1, 48, 0);
    const full = new Uint8Array(n).fill(1);
    const wR = senseUnfoldWeights(maps, dims, c, [R, 1], { lambda });
    const w1 = senseUnfoldWeights(maps, dims, c, [1, 1]);
    const varR = new Float64Array(n), var1 = new Float64Array(n);
    const snrVar = new Float64Array(n);
    const rng = new Rng(2024, 'pseudo-replica', R, lambda);
    const noise = new Float32Array(2 * n * c);
    for (let r = 0; r < replicas; r++) {
      // white noise, unit variance per real component (prewhitened data)
      rng.fillNormal(noise);
      const xR = applySenseWeights(aliasedImages(noise, mask, dims, c), wR.weights, dims, c);
      const x1 = applySenseWeights(aliasedImages(noise, full, dims, c), w1.weights, dims, c);
      const snr = snrUnits(xR, wR.gfactor, maps, dims, c, [R, 1]);
      for (let p = 0; p < n; p++) {
        varR[p] = varR[p]! + xR[2 * p]! ** 2 + xR[2 * p + 1]! ** 2;
        var1[p] = var1[p]! + x1[2 * p]! ** 2 + x1[2 * p + 1]! ** 2;
        snrVar[p] = snrVar[p]! + snr[2 * p]! ** 2 + snr[2 * p + 1]! ** 2;
      }
    }
    const ratio: number[] = [], dev: number[] = [], snrStd: number[] = [];
    for (let p = 0; p < n; p++) {
      if (!object[p] || !(wR.gfactor[p]! > 0)) continue;
      // g = SNR_full / (SNR_R·√R) = std_R / (std_full·√R)
      const gmc = Math.sqrt(varR[p]! / var1[p]!) / Math.sqrt(R);
      ratio.push(gmc / wR.gfactor[p]!);
      dev.push(Math.abs(gmc / wR.gfactor[p]! - 1));
      snrStd.push(Math.sqrt(snrVar[p]! / (2 * replicas))); // per real component
    }
    const med = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
    let gmax = 0, gmean = 0;
    for (let p = 0; p < n; p++) if (object[p]) { gmax = Math.max(gmax, wR.gfactor[p]!); gmean += wR.gfactor[p]!; }
    gmean /= object.reduce((a, b) => a + b, 0);
    console.log(`g-factor R=${R} λ=${lambda}: mean ${gmean.toFixed(3)}, max ${gmax.toFixed(3)} in the object; pseudo-replica (${replicas}) / analytic: median ${med(ratio).toFixed(4)}, median |deviation| ${(100 * med(dev)).toFixed(2)} %; SNR-unit noise std (per real component) median ${med(snrStd).toFixed(4)}`);
    expect(Math.abs(med(ratio) - 1)).toBeLessThan(0.02);
    expect(med(dev)).toBeLessThan(0.05);
    expect(Math.abs(med(snrStd) - 1)).toBeLessThan(0.03);
    expect(gmax).toBeGreaterThan(1.2);
  });

  it('rejects patterns it cannot unfold in the image domain', () => {
    const { dims, c, maps } = p2;
    const a = new Float32Array(maps.length);
    let thrown: unknown;
    try { senseUnfold(a, maps, dims, c, [5, 1]); } catch (e) { thrown = e; }
    expect(isUhfError(thrown, 'BAD_ARGUMENT')).toBe(true);
    thrown = undefined;
    try { senseUnfold(a.subarray(2), maps, dims, c, [2, 1]); } catch (e) { thrown = e; }
    expect(isUhfError(thrown, 'SHAPE_MISMATCH')).toBe(true);
  });
});
