/**
 * Walsh and Inati adaptive coil maps on simulated data (smooth object × known
 * smooth coil sensitivities: Gaussian-bump magnitudes with linear phase, 8
 * coils), against a brute-force Walsh, and against BART's `walsh` + `ecaltwo`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inatiMaps, walshMaps } from '../../recon/algorithms/coil-maps.ts';
import { combineRss, combineWithMaps } from '../../recon/algorithms/coil-combine.ts';
import { fftc } from '../../recon/fft/index.ts';
import { bartPath, readCfl, runBart, tempDir, writeCfl } from '../helpers/cfl.ts';

function lcg(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 4294967296;
  };
}
function gaussian(r: () => number): number {
  const u = r() || 1e-12, v = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

interface Sim { obj: Float32Array; maps: Float32Array; imgs: Float32Array; mask: Uint8Array }

/**
 * 2D object (smooth-edged ellipse with smooth texture and phase) and nc coils
 * on a ring outside it: Gaussian magnitudes, linear phase; maps normalised so
 * Σ|S_c|² = 1 (so the relative maps are the true maps).
 */
function simulate(nx: number, ny: number, nc: number): Sim {
  const n = nx * ny;
  const obj = new Float32Array(2 * n);
  const maps = new Float32Array(2 * n * nc);
  const mask = new Uint8Array(n);
  for (let y = 0; y < ny; y++) {
    for (let x = 0; x < nx; x++) {
      const u = (x - nx / 2) / (nx * 0.38), v = (y - ny / 2) / (ny * 0.3);
      const r = Math.sqrt(u * u + v * v);
      const mag = (1 / (1 + Math.exp((r - 1) * 20))) * (1 + 0.3 * Math.cos(3 * u) + 0.5 * Math.exp(-((u - 0.3) ** 2 + v * v) * 20));
      const ph = 0.8 * u + 0.5 * v * v;
      const p = x + nx * y;
      obj[2 * p] = mag * Math.cos(ph);
      obj[2 * p + 1] = mag * Math.sin(ph);
      mask[p] = mag > 0.3 ? 1 : 0;
    }
  }
  const ss = new Float64Array(n);
  for (let c = 0; c < nc; c++) {
    const a = (2 * Math.PI * c) / nc;
    const cx = nx / 2 + 0.55 * nx * Math.cos(a), cy = ny / 2 + 0.55 * ny * Math.sin(a);
    for (let y = 0; y < ny; y++) {
      for (let x = 0; x < nx; x++) {
        const d2 = ((x - cx) / nx) ** 2 + ((y - cy) / ny) ** 2;
        const m = Math.exp(-d2 / (2 * 0.25 ** 2));
        const ph = 1.3 * c + 4 * ((x - nx / 2) / nx) * Math.cos(a) + 3 * ((y - ny / 2) / ny) * Math.sin(a + 0.4);
        const p = x + nx * y;
        maps[2 * (p + n * c)] = m * Math.cos(ph);
        maps[2 * (p + n * c) + 1] = m * Math.sin(ph);
        ss[p] = ss[p]! + m * m;
      }
    }
  }
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < n; p++) {
      const s = 1 / Math.sqrt(ss[p]!);
      maps[2 * (p + n * c)] = maps[2 * (p + n * c)]! * s;
      maps[2 * (p + n * c) + 1] = maps[2 * (p + n * c) + 1]! * s;
    }
  }
  return { obj, maps, imgs: applyMaps(obj, maps, n, nc), mask };
}

function applyMaps(obj: Float32Array, maps: Float32Array, n: number, nc: number): Float32Array {
  const imgs = new Float32Array(2 * n * nc);
  for (let c = 0; c < nc; c++) {
    for (let p = 0; p < n; p++) {
      const i = 2 * (p + n * c);
      const sr = maps[i]!, si = maps[i + 1]!, or = obj[2 * p]!, oi = obj[2 * p + 1]!;
      imgs[i] = sr * or - si * oi;
      imgs[i + 1] = sr * oi + si * or;
    }
  }
  return imgs;
}

function addNoise(imgs: Float32Array, sigma: number, seed: number): Float32Array {
  const r = lcg(seed);
  const out = imgs.slice();
  for (let i = 0; i < out.length; i++) out[i] = out[i]! + sigma * gaussian(r);
  return out;
}

const mag = (a: Float32Array, p: number): number => Math.hypot(a[2 * p]!, a[2 * p + 1]!);

/** NRMSE of |a| against |obj| inside the mask. */
function magNrmse(a: Float32Array, obj: Float32Array, mask: Uint8Array): number {
  let e = 0, d = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    e += (mag(a, p) - mag(obj, p)) ** 2;
    d += mag(obj, p) ** 2;
  }
  return Math.sqrt(e / d);
}

/** Largest phase step of a·conj(obj) between x-neighbours inside the mask (rad). */
function phaseRoughness(a: Float32Array, obj: Float32Array, mask: Uint8Array, nx: number): number {
  const ph = (p: number): number => Math.atan2(a[2 * p + 1]! * obj[2 * p]! - a[2 * p]! * obj[2 * p + 1]!, a[2 * p]! * obj[2 * p]! + a[2 * p + 1]! * obj[2 * p + 1]!);
  let worst = 0;
  for (let p = 0; p + 1 < mask.length; p++) {
    if (!mask[p] || !mask[p + 1] || (p + 1) % nx === 0) continue;
    let d = Math.abs(ph(p + 1) - ph(p));
    if (d > Math.PI) d = 2 * Math.PI - d;
    worst = Math.max(worst, d);
  }
  return worst;
}

/** SNR = ‖|clean|‖ / ‖|noisy| - |clean|‖ inside the mask (`real`: inputs are real, RSS). */
function snr(noisy: Float32Array, clean: Float32Array, mask: Uint8Array, real: boolean): number {
  let s = 0, e = 0;
  for (let p = 0; p < mask.length; p++) {
    if (!mask[p]) continue;
    const a = real ? noisy[p]! : mag(noisy, p), b = real ? clean[p]! : mag(clean, p);
    s += b * b;
    e += (a - b) ** 2;
  }
  return Math.sqrt(s / e);
}

const NX = 128, NY = 128, NC = 8, N = NX * NY;
const D2 = [NX, NY, 1] as const;
const sim = simulate(NX, NY, NC);

describe.each([
  ['walsh', walshMaps],
  ['inati', inatiMaps],
] as const)('%s maps', (name, estimate) => {
  it('combine to the object up to a slowly varying phase (noise-free)', () => {
    const maps = estimate(sim.imgs, D2, NC);
    const comb = combineWithMaps(sim.imgs, maps, D2, NC);
    const err = magNrmse(comb, sim.obj, sim.mask);
    const rough = phaseRoughness(comb, sim.obj, sim.mask, NX);
    console.log(`${name}: magnitude NRMSE ${err.toExponential(2)}, max neighbour phase step ${rough.toFixed(4)} rad`);
    expect(err).toBeLessThan(1e-3);
    expect(rough).toBeLessThan(0.1);
    // unit norm where there is signal
    for (let p = 0; p < N; p++) {
      if (!sim.mask[p]) continue;
      let s = 0;
      for (let c = 0; c < NC; c++) s += mag(maps, p + N * c) ** 2;
      expect(Math.abs(s - 1)).toBeLessThan(1e-5);
    }
  });

  it('SNR of the adaptive combination ≥ RSS (noisy)', () => {
    const cleanRss = combineRss(sim.imgs, D2, NC);
    for (const sigma of [0.02, 0.1]) {
      const noisy = addNoise(sim.imgs, sigma, 11);
      const maps = estimate(noisy, D2, NC);
      const sAdaptive = snr(combineWithMaps(noisy, maps, D2, NC), combineWithMaps(sim.imgs, maps, D2, NC), sim.mask, false);
      const sRss = snr(combineRss(noisy, D2, NC), cleanRss, sim.mask, true);
      const sTrue = snr(combineWithMaps(noisy, sim.maps, D2, NC), sim.obj, sim.mask, false);
      console.log(`${name}: sigma ${sigma}: SNR adaptive ${sAdaptive.toFixed(2)}, RSS ${sRss.toFixed(2)}, true maps ${sTrue.toFixed(2)}`);
      expect(sAdaptive).toBeGreaterThanOrEqual(sRss);
      expect(sAdaptive).toBeGreaterThan(0.95 * sTrue);
    }
  });
});

/** Brute-force Walsh: naive window sums, 300 dense power iterations, phase of coil 0. */
function bruteWalsh(imgs: Float32Array, dims: readonly [number, number, number], nc: number, k: readonly [number, number, number]): Float64Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const out = new Float64Array(2 * n * nc);
  const lo = k.map((v) => Math.floor(v / 2));
  const R = new Float64Array(2 * nc * nc);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    R.fill(0);
    for (let zz = z - lo[2]!; zz < z - lo[2]! + k[2]; zz++) for (let yy = y - lo[1]!; yy < y - lo[1]! + k[1]; yy++) for (let xx = x - lo[0]!; xx < x - lo[0]! + k[0]; xx++) {
      if (xx < 0 || yy < 0 || zz < 0 || xx >= nx || yy >= ny || zz >= nz) continue;
      const q = xx + nx * (yy + ny * zz);
      for (let a = 0; a < nc; a++) for (let b = 0; b < nc; b++) {
        const ar = imgs[2 * (q + n * a)]!, ai = imgs[2 * (q + n * a) + 1]!, br = imgs[2 * (q + n * b)]!, bi = imgs[2 * (q + n * b) + 1]!;
        R[2 * (a * nc + b)] = R[2 * (a * nc + b)]! + ar * br + ai * bi;
        R[2 * (a * nc + b) + 1] = R[2 * (a * nc + b) + 1]! + ai * br - ar * bi;
      }
    }
    let v = new Float64Array(2 * nc).fill(1);
    for (let it = 0; it < 300; it++) {
      const w = new Float64Array(2 * nc);
      for (let a = 0; a < nc; a++) for (let b = 0; b < nc; b++) {
        const rr = R[2 * (a * nc + b)]!, ri = R[2 * (a * nc + b) + 1]!;
        w[2 * a] = w[2 * a]! + rr * v[2 * b]! - ri * v[2 * b + 1]!;
        w[2 * a + 1] = w[2 * a + 1]! + rr * v[2 * b + 1]! + ri * v[2 * b]!;
      }
      const s = Math.hypot(...w);
      v = w.map((t) => t / s);
    }
    const m = Math.hypot(v[0]!, v[1]!), cr = v[0]! / m, ci = -v[1]! / m;
    const p = x + nx * (y + ny * z);
    for (let c = 0; c < nc; c++) {
      out[2 * (p + n * c)] = v[2 * c]! * cr - v[2 * c + 1]! * ci;
      out[2 * (p + n * c) + 1] = v[2 * c]! * ci + v[2 * c + 1]! * cr;
    }
  }
  return out;
}

describe('walshMaps against a brute-force implementation', () => {
  // small 3D volume: smooth object × smooth coils + a little noise (clear eigen-gap)
  const nx = 11, ny = 9, nz = 6, nc = 4, n = nx * ny * nz;
  const obj = new Float32Array(2 * n), maps = new Float32Array(2 * n * nc);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) {
    const p = x + nx * (y + ny * z);
    obj[2 * p] = 1 + 0.5 * Math.cos(0.4 * x + 0.3 * y - 0.5 * z);
    obj[2 * p + 1] = 0.3 * Math.sin(0.2 * x * y / 10 + 0.3 * z);
    for (let c = 0; c < nc; c++) {
      const m = Math.exp(-(((x - 5 * (c & 1) * 2) / 8) ** 2 + ((y - 4 * (c >> 1) * 2) / 7) ** 2 + ((z - 2.5) / 6) ** 2));
      const ph = 0.9 * c + 0.15 * (c + 1) * x - 0.1 * y + 0.2 * z;
      maps[2 * (p + n * c)] = m * Math.cos(ph);
      maps[2 * (p + n * c) + 1] = m * Math.sin(ph);
    }
  }
  const imgs = addNoise(applyMaps(obj, maps, n, nc), 0.01, 5);

  it.each([
    ['3D kernel, one tile', [3, 5, 3] as const, undefined],
    ['3D kernel, tiles of 4 columns', [4, 3, 3] as const, 4],
    ['2D kernel, one tile', [5, 4, 1] as const, undefined],
    ['2D kernel, tiles of 3 columns', [3, 3, 1] as const, 3],
  ])('%s', (_label, kernel, tileColumns) => {
    const ref = bruteWalsh(imgs, [nx, ny, nz], nc, kernel);
    const ours = walshMaps(imgs, [nx, ny, nz], nc, { kernel, phaseReference: 0, iterations: 20, ...(tileColumns ? { tileColumns } : {}) });
    let worst = 0;
    for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - ref[i]!));
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('walshMaps against bart walsh + ecaltwo', () => {
  let dir = '';
  let cleanup = (): void => {};
  beforeAll(() => {
    bartPath();
    ({ dir, cleanup } = tempDir('uhf-walsh-bart-'));
  });
  afterAll(() => cleanup());

  it('same maps and combined magnitude inside the object', () => {
    const noisy = addNoise(sim.imgs, 0.05, 3);
    const k = noisy.slice();
    fftc(k, [NX, NY, 1, NC], [0, 1]);
    const ksp = join(dir, 'ksp'), cov = join(dir, 'cov'), bm = join(dir, 'maps');
    writeCfl(ksp, [NX, NY, 1, NC], k);
    // calibration region = (almost) all of k-space, 7×7 block: the same local window as ours
    runBart(['walsh', '-r', `${NX - 1}:${NY - 1}:1`, '-b', '7:7:1', ksp, cov]);
    runBart(['ecaltwo', '-m', '1', String(NX), String(NY), '1', cov, bm]);
    const bart = readCfl(bm);
    expect(bart.dims).toEqual([NX, NY, 1, NC]);
    const ours = walshMaps(noisy, D2, NC, { kernel: 7 });
    const a = combineWithMaps(noisy, ours, D2, NC), b = combineWithMaps(noisy, bart.data, D2, NC);
    let sa = 0, sb = 0, sab = 0, saa = 0, sbb = 0, m = 0, e = 0, d = 0, align = 0;
    for (let p = 0; p < N; p++) {
      if (!sim.mask[p]) continue;
      const x = mag(a, p), y = mag(b, p);
      sa += x; sb += y; sab += x * y; saa += x * x; sbb += y * y; m++;
      e += (x - y) ** 2; d += y * y;
      let re = 0, im = 0;
      for (let c = 0; c < NC; c++) {
        const i = 2 * (p + N * c);
        re += ours[i]! * bart.data[i]! + ours[i + 1]! * bart.data[i + 1]!;
        im += ours[i]! * bart.data[i + 1]! - ours[i + 1]! * bart.data[i]!;
      }
      align += Math.hypot(re, im);
    }
    const corr = (sab - (sa * sb) / m) / Math.sqrt((saa - (sa * sa) / m) * (sbb - (sb * sb) / m));
    console.log(`walsh vs bart: magnitude correlation ${corr.toFixed(6)}, magnitude NRMSE ${Math.sqrt(e / d).toExponential(2)}, mean |S_ours^H S_bart| ${(align / m).toFixed(6)}`);
    expect(corr).toBeGreaterThan(0.99);
    expect(Math.sqrt(e / d)).toBeLessThan(1e-3);
    expect(align / m).toBeGreaterThan(0.9999);
  });
});

describe('speed', () => {
  const random = (len: number, seed: number): Float32Array => {
    const r = lcg(seed);
    const out = new Float32Array(len);
    for (let i = 0; i < out.length; i++) out[i] = r() - 0.5;
    return out;
  };
  const best = (f: () => void, reps = 2): number => {
    let t = Infinity;
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      f();
      t = Math.min(t, performance.now() - t0);
    }
    return t;
  };

  it('cost per voxel does not grow with the kernel (box sums, not a window loop)', () => {
    const nx = 96, ny = 96, nc = 12;
    const img = random(2 * nx * ny * nc, 4);
    walshMaps(img, [nx, ny, 1], nc); // warm up the JIT
    inatiMaps(img, [nx, ny, 1], nc);
    const w3 = best(() => walshMaps(img, [nx, ny, 1], nc, { kernel: 3 }));
    const w15 = best(() => walshMaps(img, [nx, ny, 1], nc, { kernel: 15 }));
    const i3 = best(() => inatiMaps(img, [nx, ny, 1], nc, { kernel: 3, threshold: 0 }));
    const i15 = best(() => inatiMaps(img, [nx, ny, 1], nc, { kernel: 15, threshold: 0 }));
    console.log(`kernel 3 vs 15: walsh ${w3.toFixed(0)} / ${w15.toFixed(0)} ms, inati ${i3.toFixed(0)} / ${i15.toFixed(0)} ms`);
    // a window loop would cost 25× more with the 15×15 kernel
    expect(w15 / w3).toBeLessThan(2);
    expect(i15 / i3).toBeLessThan(2);
  });

  it('256×256, 32 coils, 7×7 (time logged)', () => {
    const nx = 256, ny = 256, nc = 32;
    const big = random(2 * nx * ny * nc, 9);
    let w: Float32Array = new Float32Array(0), m: Float32Array = new Float32Array(0);
    const tw = best(() => { w = walshMaps(big, [nx, ny, 1], nc); }, 1);
    const tw1 = best(() => walshMaps(big, [nx, ny, 1], nc, { iterations: 1 }), 1);
    const ti = best(() => { m = inatiMaps(big, [nx, ny, 1], nc, { threshold: 0 }); }, 1);
    console.log(`256×256×32 coils: walsh ${tw.toFixed(0)} ms (iterations: 1 → ${tw1.toFixed(0)} ms), inati (5 iterations) ${ti.toFixed(0)} ms`);
    expect(w.length).toBe(m.length);
    // sanity bound only (shared CI machines): the numbers are in the log
    expect(tw).toBeLessThan(15000);
    expect(ti).toBeLessThan(15000);
  });
});
