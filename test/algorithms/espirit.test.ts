/**
 * ESPIRiT and low-resolution coil maps from the ACS block.
 *
 * - The dominant-eigenspace solver against the Jacobi eigendecomposition, and
 *   the summed-area calibration Gram against the explicit calibration matrix.
 * - espirit() against `bart ecalib -m1 -k 6 -t 0.001 -c 0.8` on the same 24×24
 *   ACS block of a 96×96, 8-coil `bart phantom -s 8 -k` (the ACS block is
 *   written zero-padded to full size, so BART calibrates on exactly it): same
 *   number of kernels, same eigenvalue map and crop mask, maps equal per coil
 *   up to one global phase (|correlation| > 0.99) inside the object.
 * - The maps span the coil images: ‖I − S·Sᴴ·I‖ is small inside the object.
 * - lowResMaps (Walsh / Inati on the Hamming-windowed ACS image) point the same
 *   way as ESPIRiT inside the object.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { espirit, espiritMaps, extractCalibration, lowResMaps } from '../../recon/algorithms/espirit.ts';
import { calibrationGram } from '../../recon/algorithms/espirit/calibration.ts';
import { dominantEigenspace, setSubspaceBackend } from '../../recon/algorithms/espirit/subspace.ts';
import { hermitianEigen } from '../../recon/linalg/index.ts';
import { ifftc } from '../../recon/fft/index.ts';
import { isUhfError } from '../../shared/errors.ts';
import { bartPath, readCfl, runBart, tempDir, writeCfl } from '../helpers/cfl.ts';
import { padAcs } from '../helpers/kspace.ts';
import { psdMatrix } from '../helpers/dense.ts';
import { rng } from '../helpers/random.ts';

/** Σ_k v_k v_kᴴ for k < count; vectors either contiguous (stride n per vector) or as matrix columns. */
function projector(vectors: Float64Array, n: number, count: number, columns: boolean): Float64Array {
  const P = new Float64Array(2 * n * n);
  const at = (k: number, i: number): number => (columns ? 2 * (i * n + k) : 2 * (k * n + i));
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < n; i++) {
      const xr = vectors[at(k, i)]!, xi = vectors[at(k, i) + 1]!;
      for (let j = 0; j < n; j++) {
        const yr = vectors[at(k, j)]!, yi = -vectors[at(k, j) + 1]!;
        P[2 * (i * n + j)] = P[2 * (i * n + j)]! + xr * yr - xi * yi;
        P[2 * (i * n + j) + 1] = P[2 * (i * n + j) + 1]! + xr * yi + xi * yr;
      }
    }
  }
  return P;
}

function frob(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v * v;
  return Math.sqrt(s);
}

describe('dominantEigenspace', () => {
  it('matches the Jacobi eigendecomposition (values, and the projector onto the selected vectors)', () => {
    const n = 40;
    const A = psdMatrix(n, n, 0.8, 3);
    const ours = dominantEigenspace(A, n, 1e-3);
    const ref = hermitianEigen(A, n);
    const top = ref.values[0]!;
    for (let i = 0; i < n; i++) expect(Math.abs(ours.values[i]! - ref.values[i]!)).toBeLessThan(1e-12 * top);
    const expected = ref.values.filter((v) => v > 1e-3 * top).length;
    expect(ours.count).toBe(expected);
    expect(ours.count).toBeGreaterThan(5);
    expect(ours.count).toBeLessThan(n);
    const P = projector(ours.vectors, n, ours.count, false);
    const Q = projector(ref.vectors, n, expected, true);
    const diff = P.map((v, i) => v - Q[i]!);
    expect(frob(diff) / frob(Q)).toBeLessThan(1e-9);
  });

  it('gives the same subspace with the WebAssembly kernels and in plain JS', () => {
    const n = 150;
    const A = psdMatrix(n, n, 0.93, 17);
    const prev = setSubspaceBackend('js');
    try {
      const js = dominantEigenspace(A, n, 1e-3);
      setSubspaceBackend('wasm');
      const wasm = dominantEigenspace(A, n, 1e-3);
      expect(wasm.count).toBe(js.count);
      for (let i = 0; i < n; i++) expect(Math.abs(wasm.values[i]! - js.values[i]!)).toBeLessThan(1e-12 * js.values[0]!);
      const P = projector(js.vectors, n, js.count, false), Q = projector(wasm.vectors, n, wasm.count, false);
      expect(frob(P.map((v, i) => v - Q[i]!)) / frob(P)).toBeLessThan(1e-10);
    } finally {
      setSubspaceBackend(prev);
    }
  });

  it('handles rank-deficient matrices (many zero eigenvalues) and returns orthonormal eigenvectors', () => {
    const n = 120, r = 30;
    const A = psdMatrix(n, r, 0.9, 11);
    const res = dominantEigenspace(A, n, 1e-4);
    for (let i = r; i < n; i++) expect(Math.abs(res.values[i]!)).toBeLessThan(1e-12 * res.values[0]!);
    // A·v = λ·v and VᴴV = I
    for (let k = 0; k < res.count; k++) {
      let err = 0;
      for (let i = 0; i < n; i++) {
        let re = -res.values[k]! * res.vectors[2 * (k * n + i)]!, im = -res.values[k]! * res.vectors[2 * (k * n + i) + 1]!;
        for (let j = 0; j < n; j++) {
          const ar = A[2 * (i * n + j)]!, ai = A[2 * (i * n + j) + 1]!, vr = res.vectors[2 * (k * n + j)]!, vi = res.vectors[2 * (k * n + j) + 1]!;
          re += ar * vr - ai * vi;
          im += ar * vi + ai * vr;
        }
        err = Math.max(err, Math.hypot(re, im));
      }
      expect(err).toBeLessThan(1e-10 * res.values[0]!);
      for (let l = 0; l <= k; l++) {
        let re = 0, im = 0;
        for (let i = 0; i < n; i++) {
          const ar = res.vectors[2 * (l * n + i)]!, ai = -res.vectors[2 * (l * n + i) + 1]!, br = res.vectors[2 * (k * n + i)]!, bi = res.vectors[2 * (k * n + i) + 1]!;
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        expect(Math.abs(re - (l === k ? 1 : 0))).toBeLessThan(1e-10);
        expect(Math.abs(im)).toBeLessThan(1e-10);
      }
    }
  });
});

describe('calibrationGram', () => {
  it.each([
    { acs: [9, 7, 1] as const, kernel: [3, 4, 1] as const, c: 3 },
    { acs: [6, 5, 4] as const, kernel: [2, 3, 2] as const, c: 2 },
  ])('equals Σ_patches p·pᴴ computed from the explicit calibration matrix (ACS $acs, kernel $kernel)', ({ acs, kernel, c }) => {
    const u = rng(5);
    const na = acs[0] * acs[1] * acs[2];
    const x = Float32Array.from({ length: 2 * na * c }, () => u() - 0.5);
    const res = calibrationGram(x, acs, c, kernel);
    const T = kernel[0] * kernel[1] * kernel[2];
    const N = T * c;
    expect(res.size).toBe(N);
    const ref = new Float64Array(2 * N * N);
    let patches = 0;
    const p = new Float64Array(2 * N);
    for (let rz = 0; rz + kernel[2] <= acs[2]; rz++) {
      for (let ry = 0; ry + kernel[1] <= acs[1]; ry++) {
        for (let rx = 0; rx + kernel[0] <= acs[0]; rx++) {
          patches++;
          for (let ch = 0; ch < c; ch++) {
            for (let tz = 0; tz < kernel[2]; tz++) for (let ty = 0; ty < kernel[1]; ty++) for (let tx = 0; tx < kernel[0]; tx++) {
              const t = tx + kernel[0] * (ty + kernel[1] * tz);
              const q = (rx + tx) + acs[0] * ((ry + ty) + acs[1] * ((rz + tz) + acs[2] * ch));
              p[2 * (t + T * ch)] = x[2 * q]!;
              p[2 * (t + T * ch) + 1] = x[2 * q + 1]!;
            }
          }
          for (let i = 0; i < N; i++) {
            for (let j = 0; j < N; j++) {
              ref[2 * (i * N + j)] = ref[2 * (i * N + j)]! + p[2 * i]! * p[2 * j]! + p[2 * i + 1]! * p[2 * j + 1]!;
              ref[2 * (i * N + j) + 1] = ref[2 * (i * N + j) + 1]! + p[2 * i + 1]! * p[2 * j]! - p[2 * i]! * p[2 * j + 1]!;
            }
          }
        }
      }
    }
    expect(res.patches).toBe(patches);
    const diff = res.gram.map((v, i) => v - ref[i]!);
    expect(frob(diff) / frob(ref)).toBeLessThan(1e-12);
  });
});

describe('espirit vs bart ecalib', () => {
  const NX = 96, NY = 96, C = 8, ACS = 24;
  const dims = [NX, NY, 1] as const;
  const n = NX * NY;
  let tmp: { dir: string; cleanup: () => void };
  let kspace: Float32Array;
  let coil: Float32Array;
  let object: Uint8Array;
  let acs: Float32Array;
  let acsDims: [number, number, number];
  let bartMaps: Float32Array;
  let bartEig: Float32Array;
  let bartKernels: number;

  beforeAll(() => {
    tmp = tempDir('uhf-espirit-');
    runBart(['phantom', '-x', String(NX), '-s', String(C), '-k', join(tmp.dir, 'k')]);
    kspace = readCfl(join(tmp.dir, 'k')).data;
    coil = kspace.slice();
    ifftc(coil, [NX, NY, 1, C], [0, 1]);
    // object: RSS of the fully sampled coil images above 10 % of its maximum
    const rss = new Float64Array(n);
    for (let ch = 0; ch < C; ch++) for (let p = 0; p < n; p++) rss[p] = rss[p]! + coil[2 * (p + n * ch)]! ** 2 + coil[2 * (p + n * ch) + 1]! ** 2;
    const max = Math.max(...rss);
    object = Uint8Array.from(rss, (v) => (v > 0.01 * max ? 1 : 0));
    ({ acs, dims: acsDims } = extractCalibration(kspace, dims, C, [ACS, ACS, 1]));
    // the ACS block alone, zero-padded to full size: BART finds exactly this calibration region
    const padded = padAcs(acs, ACS, NX, NY, C);
    writeCfl(join(tmp.dir, 'kacs'), [NX, NY, 1, C], padded);
    const log = execFileSync(bartPath(), ['ecalib', '-d', '4', '-m1', '-k', '6', '-t', '0.001', '-c', '0.8', join(tmp.dir, 'kacs'), join(tmp.dir, 'maps'), join(tmp.dir, 'ev')], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
    const m = /Using (\d+)\/(\d+) kernels/.exec(log);
    bartKernels = m ? Number(m[1]) : -1;
    bartMaps = readCfl(join(tmp.dir, 'maps')).data;
    const ev = readCfl(join(tmp.dir, 'ev')).data;
    bartEig = Float32Array.from({ length: n }, (_, p) => ev[2 * p]!);
  });
  afterAll(() => tmp?.cleanup());

  /** Sorted per-voxel values over the object. */
  const quantile = (v: number[], q: number): number => v[Math.min(v.length - 1, Math.floor(q * v.length))]!;

  /**
   * Per voxel of the object, |⟨a_p, b_p⟩| / (‖a_p‖·‖b_p‖) of the two maps' coil
   * vectors (1 when parallel), sorted ascending; voxels where either is zero are left out.
   */
  function voxelCoherence(a: Float32Array, b: Float32Array): number[] {
    const coh: number[] = [];
    for (let p = 0; p < n; p++) {
      if (!object[p]) continue;
      let re = 0, im = 0, ea = 0, eb = 0;
      for (let ch = 0; ch < C; ch++) {
        const o = 2 * (p + n * ch);
        const ar = a[o]!, ai = a[o + 1]!, br = b[o]!, bi = b[o + 1]!;
        re += ar * br + ai * bi; im += ar * bi - ai * br; ea += ar * ar + ai * ai; eb += br * br + bi * bi;
      }
      if (ea > 0 && eb > 0) coh.push(Math.hypot(re, im) / Math.sqrt(ea * eb));
    }
    return coh.sort((x, y) => x - y);
  }

  /** ‖I − S·Sᴴ·I‖/‖I‖ over the object: how well the maps span the coil images. */
  function spanResidual(maps: Float32Array): number {
    let num = 0, den = 0;
    for (let p = 0; p < n; p++) {
      if (!object[p]) continue;
      let pr = 0, pi = 0;
      for (let ch = 0; ch < C; ch++) {
        const o = 2 * (p + n * ch);
        pr += maps[o]! * coil[o]! + maps[o + 1]! * coil[o + 1]!;
        pi += maps[o]! * coil[o + 1]! - maps[o + 1]! * coil[o]!;
      }
      for (let ch = 0; ch < C; ch++) {
        const o = 2 * (p + n * ch);
        const er = coil[o]! - (maps[o]! * pr - maps[o + 1]! * pi);
        const ei = coil[o + 1]! - (maps[o]! * pi + maps[o + 1]! * pr);
        num += er * er + ei * ei;
        den += coil[o]! ** 2 + coil[o + 1]! ** 2;
      }
    }
    return Math.sqrt(num / den);
  }

  // A few object voxels at the right FOV edge (x ≈ 92) have two eigenvalues
  // close to 1 (the periodic k-space model wraps the object): there the first
  // eigenvector is ill-defined and BART's 30 orthogonal-iteration steps stop
  // short (its λ is below our Rayleigh quotient, which bounds λ₁ from below).
  // Hence quantiles (99 %) rather than maxima for the voxel-wise comparisons.
  it('keeps the same number of kernels, has the same eigenvalue map and crop mask', () => {
    const res = espirit(acs, acsDims, dims, C);
    expect(res.kernel).toEqual([6, 6, 1]);
    expect(bartKernels).toBeGreaterThan(0);
    expect(res.kernelCount).toBe(bartKernels);
    const diffs: number[] = [];
    let agree = 0;
    for (let p = 0; p < n; p++) {
      if (object[p]) diffs.push(Math.abs(res.eigenvalues[p]! - bartEig[p]!));
      const a = res.maps[2 * p] !== 0 || res.maps[2 * p + 1] !== 0;
      const b = bartMaps[2 * p] !== 0 || bartMaps[2 * p + 1] !== 0;
      if (a === b) agree++;
    }
    diffs.sort((a, b) => a - b);
    console.log(`ESPIRiT vs bart ecalib: kernels ${res.kernelCount}/${bartKernels}; |Δλ| inside the object: median ${quantile(diffs, 0.5).toExponential(2)}, 99 % ${quantile(diffs, 0.99).toExponential(2)}, max ${quantile(diffs, 1).toExponential(2)} (${diffs.length} voxels); crop masks agree on ${(100 * agree / n).toFixed(2)} % of all voxels`);
    expect(quantile(diffs, 0.99)).toBeLessThan(0.01);
    expect(quantile(diffs, 1)).toBeLessThan(0.1);
    expect(agree / n).toBeGreaterThan(0.995);
  });

  it('gives the same maps up to one global phase (|correlation| > 0.99 per coil inside the object)', () => {
    const maps = espiritMaps(acs, acsDims, dims, C);
    const corr: string[] = [];
    for (let ch = 0; ch < C; ch++) {
      let re = 0, im = 0, ea = 0, eb = 0;
      for (let p = 0; p < n; p++) {
        if (!object[p]) continue;
        const o = 2 * (p + n * ch);
        const ar = maps[o]!, ai = maps[o + 1]!, br = bartMaps[o]!, bi = bartMaps[o + 1]!;
        re += ar * br + ai * bi;
        im += ar * bi - ai * br;
        ea += ar * ar + ai * ai;
        eb += br * br + bi * bi;
      }
      const r = Math.hypot(re, im) / Math.sqrt(ea * eb);
      corr.push(r.toFixed(4));
      expect(r).toBeGreaterThan(0.99);
    }
    // per voxel: the map vectors are parallel
    const coh = voxelCoherence(maps, bartMaps);
    console.log(`ESPIRiT vs bart ecalib: per-coil |corr| inside the object ${corr.join(' ')}; per-voxel |⟨s, s_bart⟩|: median ${quantile(coh, 0.5).toFixed(5)}, 1st percentile ${quantile(coh, 0.01).toFixed(4)}, min ${coh[0]!.toFixed(3)}`);
    expect(quantile(coh, 0.5)).toBeGreaterThan(0.9999);
    expect(quantile(coh, 0.01)).toBeGreaterThan(0.99);
  });

  it('maps have Σ|S|² = 1 inside the crop mask and span the coil images as well as BART\'s', () => {
    const res = espirit(acs, acsDims, dims, C);
    for (let p = 0; p < n; p++) {
      let s2 = 0;
      for (let ch = 0; ch < C; ch++) s2 += res.maps[2 * (p + n * ch)]! ** 2 + res.maps[2 * (p + n * ch) + 1]! ** 2;
      if (s2 > 0) expect(Math.abs(s2 - 1)).toBeLessThan(1e-5);
      else expect(res.eigenvalues[p]!).toBeLessThanOrEqual(0.8 + 1e-6);
    }
    const ours = spanResidual(res.maps), theirs = spanResidual(bartMaps);
    console.log(`ESPIRiT maps: ‖I − S·Sᴴ·I‖/‖I‖ inside the object: ours ${ours.toExponential(3)}, bart ${theirs.toExponential(3)}`);
    expect(ours).toBeLessThan(0.05);
    expect(ours).toBeLessThan(theirs * 1.05);
  });

  it.each(['walsh', 'inati'] as const)('lowResMaps(%s) points the same way as ESPIRiT inside the object', (method) => {
    const ours = espiritMaps(acs, acsDims, dims, C);
    const low = lowResMaps(acs, acsDims, dims, C, method);
    const coh = voxelCoherence(ours, low);
    const median = coh[Math.floor(coh.length / 2)]!, p05 = coh[Math.floor(coh.length * 0.05)]!;
    console.log(`lowResMaps(${method}) vs ESPIRiT inside the object: median |⟨s, s_espirit⟩| ${median.toFixed(4)}, 5th percentile ${p05.toFixed(4)}`);
    expect(median).toBeGreaterThan(0.99);
    expect(p05).toBeGreaterThan(0.95);
  });

  it('options: coil phase reference, soft crop, no crop', () => {
    const ref = espirit(acs, acsDims, dims, C, { phaseReference: 2 });
    const def = espirit(acs, acsDims, dims, C);
    const soft = espirit(acs, acsDims, dims, C, { softCrop: true });
    const none = espirit(acs, acsDims, dims, C, { crop: 0 });
    let nonzeroRef = 0, nonzeroNone = 0, nonzeroDef = 0;
    for (let p = 0; p < n; p++) {
      const re = ref.maps[2 * (p + n * 2)]!, im = ref.maps[2 * (p + n * 2) + 1]!;
      if (re !== 0 || im !== 0) { nonzeroRef++; expect(re).toBeGreaterThanOrEqual(0); expect(Math.abs(im)).toBeLessThan(1e-6); }
      // the same vectors up to a per-voxel phase
      let cr = 0, ci = 0, ea = 0, eb = 0;
      for (let ch = 0; ch < C; ch++) {
        const o = 2 * (p + n * ch);
        cr += ref.maps[o]! * def.maps[o]! + ref.maps[o + 1]! * def.maps[o + 1]!;
        ci += ref.maps[o]! * def.maps[o + 1]! - ref.maps[o + 1]! * def.maps[o]!;
        ea += ref.maps[o]! ** 2 + ref.maps[o + 1]! ** 2;
        eb += def.maps[o]! ** 2 + def.maps[o + 1]! ** 2;
      }
      if (ea > 0 && eb > 0 && object[p]) expect(Math.hypot(cr, ci) / Math.sqrt(ea * eb)).toBeGreaterThan(0.999);
      // soft crop: weights in [0, 1]
      let s2 = 0, n2 = 0;
      for (let ch = 0; ch < C; ch++) {
        s2 += soft.maps[2 * (p + n * ch)]! ** 2 + soft.maps[2 * (p + n * ch) + 1]! ** 2;
        n2 += none.maps[2 * (p + n * ch)]! ** 2 + none.maps[2 * (p + n * ch) + 1]! ** 2;
      }
      expect(s2).toBeLessThanOrEqual(1 + 1e-5);
      if (n2 > 0) nonzeroNone++;
      if (eb > 0) nonzeroDef++;
    }
    expect(nonzeroRef).toBe(nonzeroDef);
    expect(nonzeroNone).toBeGreaterThan(nonzeroDef);
  });

  it('rejects bad input', () => {
    const fail = (f: () => unknown, code: string): void => {
      try { f(); } catch (e) { expect(isUhfError(e, code as never)).toBe(true); return; }
      throw new Error('expected a UhfError');
    };
    fail(() => espiritMaps(acs.subarray(2), acsDims, dims, C), 'SHAPE_MISMATCH');
    fail(() => espiritMaps(acs, acsDims, [16, 16, 1], C), 'BAD_ARGUMENT');
    fail(() => espiritMaps(acs, acsDims, dims, C, { threshold: 1 }), 'BAD_ARGUMENT');
    fail(() => espiritMaps(new Float32Array(acs.length), acsDims, dims, C), 'UNSUPPORTED_DATA');
  });
});
