/**
 * CG-SENSE (E = mask·F·S, Tikhonov-regularised normal equations by CG).
 *
 * - Adjoint (dot-product) test |⟨Ex, y⟩ − ⟨x, Eᴴy⟩| / (‖Ex‖·‖y‖) < 1e-5, in
 *   2D and 3D, with random maps and masks.
 * - Random variable-density jittered masks (2D: random phase-encode lines; 3D:
 *   random (e1, e2) points, both with a fully sampled centre and bounded gaps), consistent synthetic
 *   data with the exact maps: the residual falls below the tolerance and the
 *   image converges to the truth.
 * - Regular masks: the CG solution equals the direct image-domain unfolding
 *   (same λ: the unfolding solves the same normal equations per alias group).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cgSense, dotProductTest, senseOperator, senseUnfold } from '../../recon/algorithms/sense/index.ts';
import { ifftc } from '../../recon/fft/index.ts';
import { isUhfError } from '../../shared/errors.ts';
import { readCfl, relL2, runBart, tempDir } from '../helpers/cfl.ts';
import { coilKspace } from '../helpers/kspace.ts';
import { rng } from '../helpers/random.ts';

type D3 = [number, number, number];

/** Smooth complex Gaussian maps (coils on a ring, two rings in 3D), Σ|S|² = 1. */
function syntheticMaps(dims: D3, c: number): Float32Array {
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  const maps = new Float32Array(2 * n * c);
  const s2 = new Float64Array(n);
  for (let ch = 0; ch < c; ch++) {
    const ang = (2 * Math.PI * ch) / c;
    const cx = 0.9 * Math.cos(ang), cy = 0.9 * Math.sin(ang), cz = nz > 1 ? (ch % 2 ? 0.5 : -0.5) : 0;
    for (let z = 0; z < nz; z++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < nx; x++) {
          const rx = (x - nx / 2) / (nx / 2), ry = (y - ny / 2) / (ny / 2), rz = nz > 1 ? (z - nz / 2) / (nz / 2) : 0;
          const mag = Math.exp(-((rx - cx) ** 2 + (ry - cy) ** 2 + (rz - cz) ** 2) / 0.72);
          const ph = ang + 1.5 * (rx * Math.sin(ang) - ry * Math.cos(ang)) + 0.7 * rz;
          const p = x + nx * (y + ny * z);
          maps[2 * (p + n * ch)] = mag * Math.cos(ph);
          maps[2 * (p + n * ch) + 1] = mag * Math.sin(ph);
          s2[p] = s2[p]! + mag * mag;
        }
      }
    }
  }
  for (let i = 0; i < n * c; i++) {
    const f = 1 / Math.sqrt(s2[i % n]!);
    maps[2 * i] = maps[2 * i]! * f;
    maps[2 * i + 1] = maps[2 * i + 1]! * f;
  }
  return maps;
}

/**
 * Variable-density jittered (Poisson-disc-like: bounded gaps) random mask with
 * a fully sampled centre: 2D — phase-encode lines, one random line per cell
 * of width 2 + round(r) (r = |k|/k_max): gaps of ≤ 3 to ≤ 5 lines;
 * 3D — one random (e1, e2) point per 2×2 cell (r > centre), gaps ≤ 3.
 */
function randomMask(dims: D3, centre: number, seed: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const u = rng(seed);
  const m = new Uint8Array(nx * ny * nz);
  const cy = Math.floor(ny / 2), cz = Math.floor(nz / 2);
  const line = (y: number, z: number): void => { m.fill(1, nx * (y + ny * z), nx * (y + ny * z) + nx); };
  if (nz === 1) {
    for (let y = cy - centre / 2; y < cy + centre / 2; y++) line(y, 0);
    for (const dir of [1, -1]) {
      let y = dir > 0 ? cy + centre / 2 : cy - centre / 2 - 1;
      while (y >= 0 && y < ny) {
        const r = Math.abs(y - cy) / (ny / 2);
        const w = 2 + Math.round(r);
        const pick = y + dir * Math.floor(u() * w);
        if (pick >= 0 && pick < ny) line(pick, 0);
        y += dir * w;
      }
    }
    return m;
  }
  for (let z0 = 0; z0 < nz; z0 += 2) {
    for (let y0 = 0; y0 < ny; y0 += 2) {
      const k = Math.floor(u() * 4);
      line(y0 + (k & 1), z0 + (k >> 1));
    }
  }
  for (let z = cz - centre / 2; z < cz + centre / 2; z++) for (let y = cy - centre / 2; y < cy + centre / 2; y++) line(y, z);
  return m;
}

function regularMask(dims: D3, ry: number, rz: number, o1: number, o2: number): Uint8Array {
  const [nx, ny, nz] = dims;
  const m = new Uint8Array(nx * ny * nz);
  for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) {
    if (((y - o1) % ry + ry) % ry === 0 && ((z - o2) % rz + rz) % rz === 0) m.fill(1, nx * (y + ny * z), nx * (y + ny * z) + nx);
  }
  return m;
}

function masked(k: Float32Array, mask: Uint8Array, n: number, c: number): Float32Array {
  const out = k.slice();
  for (let ch = 0; ch < c; ch++) for (let p = 0; p < n; p++) if (!mask[p]) { out[2 * (p + n * ch)] = 0; out[2 * (p + n * ch) + 1] = 0; }
  return out;
}

describe('CG-SENSE', () => {
  let tmp: { dir: string; cleanup: () => void };
  let rho2: Float32Array;
  let rho3: Float32Array;
  const d2: D3 = [96, 96, 1], d3: D3 = [32, 32, 32];
  const C = 8;

  beforeAll(() => {
    tmp = tempDir('uhf-cgsense-');
    runBart(['phantom', '-x', '96', join(tmp.dir, 'p2')]);
    runBart(['phantom', '-x', '32', '-3', join(tmp.dir, 'p3')]);
    rho2 = readCfl(join(tmp.dir, 'p2')).data;
    rho3 = readCfl(join(tmp.dir, 'p3')).data;
  });
  afterAll(() => tmp?.cleanup());

  it.each([
    { dims: [64, 48, 1] as D3, c: 4 },
    { dims: [16, 12, 10] as D3, c: 3 },
  ])('passes the dot-product adjoint test ($dims, $c coils, random maps and mask)', ({ dims, c }) => {
    const n = dims[0] * dims[1] * dims[2];
    const u = rng(9);
    const maps = Float32Array.from({ length: 2 * n * c }, () => u() - 0.5);
    const mask = Uint8Array.from({ length: n }, () => (u() < 0.4 ? 1 : 0));
    const op = senseOperator(maps, mask, dims, c);
    const t = dotProductTest(op, 3);
    console.log(`CG-SENSE adjoint test ${dims.join('×')}: relative error ${t.relativeError.toExponential(2)}`);
    expect(t.relativeError).toBeLessThan(1e-5);
    // a wrong adjoint fails the test: drop the conjugation of the maps
    const bad = { ...op, adjoint: (y: Float32Array) => op.adjoint(y).map((v, i) => (i % 2 ? -v : v)) };
    expect(dotProductTest(bad, 3).relativeError).toBeGreaterThan(1e-3);
    // unsampled k-space entries do not matter to the adjoint, the forward zeroes them
    const y = Float32Array.from({ length: 2 * n * c }, () => u() - 0.5);
    const ym = masked(y, mask, n, c);
    expect(relL2(op.adjoint(y), op.adjoint(ym))).toBe(0);
    const x = Float32Array.from({ length: 2 * n }, () => u() - 0.5);
    const ex = op.forward(x);
    expect(relL2(ex, masked(ex, mask, n, c))).toBe(0);
  });

  it.each([
    { name: '2D random lines', dims: d2, centre: 12 },
    { name: '3D random points', dims: d3, centre: 6 },
  ])('converges on a variable-density random mask ($name)', ({ dims, centre }) => {
    const rho = dims[2] > 1 ? rho3 : rho2;
    const n = dims[0] * dims[1] * dims[2];
    const maps = syntheticMaps(dims, C);
    const mask = randomMask(dims, centre, 4);
    const acc = n / mask.reduce((a, b) => a + b, 0);
    const k = masked(coilKspace(rho, maps, dims, C), mask, n, C);
    const errs: number[] = [];
    let last = cgSense(k, mask, maps, dims, C, { iterations: 0 });
    for (const iters of [5, 20, 200]) {
      const r = cgSense(k, mask, maps, dims, C, { iterations: iters, tolerance: 1e-5 });
      errs.push(relL2(r.image, rho));
      last = r;
    }
    // zero-filled (adjoint, best scalar scaling) for reference
    const adj = senseOperator(maps, mask, dims, C).adjoint(k);
    let num = 0, den = 0;
    for (let i = 0; i < adj.length; i++) { num += adj[i]! * rho[i]!; den += adj[i]! * adj[i]!; }
    const zf = adj.map((v) => (v * num) / den);
    console.log(`CG-SENSE ${dims.join('×')} random mask (R ≈ ${acc.toFixed(2)}): NRMSE after 5/20/≤200 iterations ${errs.map((e) => e.toExponential(2)).join(' / ')}; stopped at ${last.iterations} iterations, residual ${last.relativeResidual.toExponential(2)}; zero-filled ${relL2(zf, rho).toFixed(3)}`);
    expect(acc).toBeGreaterThan(2);
    expect(last.relativeResidual).toBeLessThanOrEqual(1e-5);
    expect(last.iterations).toBeLessThan(200);
    expect(errs[1]!).toBeLessThan(errs[0]!);
    expect(errs[2]!).toBeLessThan(1e-2);
    expect(errs[2]!).toBeLessThan(0.03 * relL2(zf, rho));
  });

  it.each([
    { dims: d2, R: [3, 1] as const, offset: [49, 0] as const, lambda: 0 },
    { dims: d2, R: [2, 1] as const, offset: [48, 0] as const, lambda: 0.05 },
    { dims: d3, R: [2, 2] as const, offset: [17, 16] as const, lambda: 0.01 },
  ])('agrees with direct unfolding on a regular mask (R = $R, λ = $lambda)', ({ dims, R, offset, lambda }) => {
    const rho = dims[2] > 1 ? rho3 : rho2;
    const n = dims[0] * dims[1] * dims[2];
    const maps = syntheticMaps(dims, C);
    const mask = regularMask(dims, R[0], R[1], offset[0], offset[1]);
    // noisy data, so that λ matters
    const u = rng(21);
    const k = masked(coilKspace(rho, maps, dims, C).map((v) => v + 0.05 * (u() - 0.5)), mask, n, C);
    const cg = cgSense(k, mask, maps, dims, C, { lambda, iterations: 200, tolerance: 1e-7 });
    const a = k.slice();
    ifftc(a, [dims[0], dims[1], dims[2], C], [0, 1, 2].filter((d) => dims[d]! > 1));
    const direct = senseUnfold(a, maps, dims, C, R, { lambda, offset });
    const diff = relL2(cg.image, direct.image);
    console.log(`CG-SENSE vs unfolding ${dims.join('×')} R=${R.join('×')} λ=${lambda}: relative difference ${diff.toExponential(2)} after ${cg.iterations} iterations`);
    expect(diff).toBeLessThan(1e-4);
  });

  it('rejects bad input', () => {
    const n = 16 * 16;
    let thrown: unknown;
    try { cgSense(new Float32Array(2 * n * 2), new Uint8Array(n - 1), new Float32Array(2 * n * 2), [16, 16, 1], 2); } catch (e) { thrown = e; }
    expect(isUhfError(thrown, 'SHAPE_MISMATCH')).toBe(true);
    thrown = undefined;
    try { cgSense(new Float32Array(2 * n * 2), new Uint8Array(n), new Float32Array(2 * n * 2), [16, 16, 1], 2, { lambda: -1 }); } catch (e) { thrown = e; }
    expect(isUhfError(thrown, 'BAD_ARGUMENT')).toBe(true);
  });
});
