/**
 * ESPIRiT's per-voxel stage (steps 4–5) in plain JS, one row of voxels per
 * call: the reference for the WebAssembly kernel of voxel-wasm.ts and the
 * fallback where there is none. The algorithm is in voxel-common.ts.
 */
import { backgroundLevel, cropWeight, type VoxelRowSolver, type VoxelStageConfig } from './voxel-common.ts';

/**
 * G (c×c, row-major interleaved, full) from its upper triangle packed row by
 * row (pairs a ≤ b, interleaved complex, from src[o]); returns trace(G).
 */
function unpackHermitian(src: Float32Array, o: number, G: Float64Array, c: number): number {
  let trace = 0;
  for (let a = 0; a < c; a++) {
    const d = src[o]!;
    o += 2;
    G[2 * (a * c + a)] = d; G[2 * (a * c + a) + 1] = 0;
    trace += d;
    for (let b = a + 1, u = 2 * (a * c + b), l = 2 * (b * c + a); b < c; b++, o += 2, u += 2, l += 2 * c) {
      const re = src[o]!, im = src[o + 1]!;
      G[u] = re; G[u + 1] = im;
      G[l] = re; G[l + 1] = -im;
    }
  }
  return trace;
}

export function jsRowSolver(cfg: VoxelStageConfig): VoxelRowSolver {
  const { channels: c, nx, maxIterations: maxIt, crop, softCrop: soft, phase } = cfg;
  const P = (c * (c + 1)) / 2;
  const input = new Float32Array(2 * nx * P);
  const G = new Float64Array(2 * c * c);
  const v = new Float64Array(2 * c), y = new Float64Array(2 * c);
  // the converged vectors of the previous two voxels along x, for the start guess
  const prev1 = new Float64Array(2 * c), prev2 = new Float64Array(2 * c);
  const level = backgroundLevel(crop, soft);
  const u = phase instanceof Float64Array ? phase : null;
  const ref = typeof phase === 'number' ? phase : -1;

  function start(background: boolean, warm: number): void {
    if (warm >= 2 && !background) {
      // linear extrapolation along x (the maps are smooth): 2·v(x−1) − v(x−2)
      let s = 0;
      for (let i = 0; i < 2 * c; i++) { const t = 2 * prev1[i]! - prev2[i]!; v[i] = t; s += t * t; }
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      if (inv > 0) for (let i = 0; i < 2 * c; i++) v[i] = v[i]! * inv; else v.set(prev1);
    } else if (warm === 1 && !background) {
      v.set(prev1);
    } else {
      // the column of the largest diagonal entry
      let m = 0, best = -Infinity;
      for (let a = 0; a < c; a++) if (G[2 * (a * c + a)]! > best) { best = G[2 * (a * c + a)]!; m = a; }
      for (let a = 0; a < c; a++) { v[2 * a] = G[2 * (a * c + m)]!; v[2 * a + 1] = G[2 * (a * c + m) + 1]!; }
      let s = 0;
      for (let i = 0; i < 2 * c; i++) s += v[i]! * v[i]!;
      if (!(s > 0)) { v.fill(0); v[0] = 1; s = 1; }
      const inv = 1 / Math.sqrt(s);
      for (let i = 0; i < 2 * c; i++) v[i] = v[i]! * inv;
    }
  }

  /** Power iteration from v; returns λ (0 where G·v = 0). */
  function iterate(steps: number): number {
    let lambda = 0;
    for (let it = 0; it < steps; it++) {
      // y = G·v, λ = vᴴy
      let lr = 0, yy = 0;
      for (let a = 0; a < c; a++) {
        let sr = 0, si = 0;
        const row = 2 * a * c;
        for (let b = 0; b < c; b++) {
          const gr = G[row + 2 * b]!, gi = G[row + 2 * b + 1]!, vr = v[2 * b]!, vi = v[2 * b + 1]!;
          sr += gr * vr - gi * vi;
          si += gr * vi + gi * vr;
        }
        y[2 * a] = sr; y[2 * a + 1] = si;
        lr += v[2 * a]! * sr + v[2 * a + 1]! * si;
        yy += sr * sr + si * si;
      }
      lambda = lr;
      // ‖y − λv‖² = ‖y‖² − λ² (‖v‖ = 1, λ real)
      const res2 = yy - lr * lr;
      if (!(yy > 0)) return 0;
      const inv = 1 / Math.sqrt(yy);
      for (let i = 0; i < 2 * c; i++) v[i] = y[i]! * inv;
      if (res2 <= 1e-8 * lr * lr) break;
    }
    return lambda;
  }

  return {
    input,
    solve(maps: Float32Array, eig: Float32Array, vox0: number, npix: number): void {
      let warm = 0;
      for (let x = 0; x < nx; x++) {
        const vox = vox0 + x;
        const trace = unpackHermitian(input, 2 * P * x, G, c);
        const background = trace <= level;
        start(background, warm);
        const lambda = iterate(background ? 1 : maxIt);
        eig[vox] = lambda;
        if (!background && lambda > 0) {
          prev2.set(prev1);
          prev1.set(v);
          warm++;
        } else {
          warm = 0;
        }
        const w = cropWeight(crop, soft, lambda);
        if (w === 0 || background) {
          for (let a = 0; a < c; a++) { maps[2 * (vox + npix * a)] = 0; maps[2 * (vox + npix * a) + 1] = 0; }
          continue;
        }
        // 5. phase reference
        let tr = 1, ti = 0;
        if (u !== null) {
          tr = 0; ti = 0;
          for (let a = 0; a < c; a++) {
            const ur = u[2 * a]!, ui = u[2 * a + 1]!, vr = v[2 * a]!, vi = v[2 * a + 1]!;
            tr += ur * vr + ui * vi;
            ti += ur * vi - ui * vr;
          }
        } else if (ref >= 0) {
          tr = v[2 * ref]!; ti = v[2 * ref + 1]!;
        }
        const m = Math.sqrt(tr * tr + ti * ti);
        const cr = m > 0 ? tr / m : 1, ci = m > 0 ? -ti / m : 0;
        for (let a = 0; a < c; a++) {
          const vr = v[2 * a]!, vi = v[2 * a + 1]!;
          const o = 2 * (vox + npix * a);
          maps[o] = w * (vr * cr - vi * ci);
          maps[o + 1] = w * (vr * ci + vi * cr);
        }
      }
    },
  };
}
