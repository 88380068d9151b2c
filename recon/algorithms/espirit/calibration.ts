/**
 * Gram matrix of the ESPIRiT / GRAPPA calibration matrix, from the ACS block.
 *
 * The calibration matrix has one row per kernel-sized patch of the ACS region
 * (patch origins r ∈ [0, a − k] per axis, all channels): patch vector
 * p_r[(t, c)] = x_c[r + t], with kernel offset t (t = tx + kx·(ty + ky·tz))
 * and channel c, flattened as i = t + T·c (T = kx·ky·kz, N = T·channels).
 * We return the N×N Hermitian matrix
 *
 *     C = Σ_r p_r·p_rᴴ,   C[(t,c),(u,c')] = Σ_r x_c[r + t]·conj(x_c'[r + u]),
 *
 * whose dominant eigenvectors span the patch (signal) space, i.e. the
 * right singular vectors of the calibration matrix up to conjugation (the
 * matrix with rows p_rᵀ has AᴴA = conj(C)). Instead of forming the
 * calibration matrix (P×N, P patches) and AᴴA in O(P·N²), every entry is a
 * box sum of the product image f_{c,c',Δ}(q) = x_c[q]·conj(x_c'[q + Δ]),
 * Δ = u − t, over q ∈ t + [0, a − k]. Per (c ≥ c', Δ) the box sums for all
 * kernel offsets t are separable sliding-window sums (x by prefix sums along
 * each row, then y, then z): O(channels²·(2k−1)^d·|ACS|) in total, the
 * products f dominating.
 */
import { UhfError } from '../../../shared/errors.ts';
import { rowWindowKernel } from './calibration-wasm.ts';

export type CalibrationBackend = 'auto' | 'js' | 'wasm';
let backend: CalibrationBackend = 'auto';

/**
 * Selects the implementation of step 1 (the row window sums, the O(channels²·
 * (2k−1)^d·|ACS|) part): 'wasm' (the WebAssembly SIMD kernel of
 * calibration-wasm.ts; JS if WebAssembly is unavailable), 'js', or 'auto'
 * (wasm for ACS rows of ≥ 16 points). Results agree to rounding. Returns the
 * previous setting.
 */
export function setCalibrationBackend(b: CalibrationBackend): CalibrationBackend {
  const prev = backend;
  backend = b;
  return prev;
}

export type Dims3 = readonly [number, number, number];

export interface CalibrationGram {
  /** N×N Hermitian, row-major interleaved complex (recon/linalg layout), full matrix. */
  gram: Float64Array;
  /** N = T·channels. */
  size: number;
  /** Kernel offsets per patch, T = kx·ky·kz. */
  kernelPoints: number;
  /** Number of patches (rows of the calibration matrix). */
  patches: number;
}

/**
 * C = Σ_r p_r p_rᴴ for the ACS block `acs` ([ax, ay, az, cha], interleaved
 * complex) and kernel [kx, ky, kz] (each ≤ the ACS size along its axis).
 */
export function calibrationGram(acs: Float32Array, acsDims: Dims3, channels: number, kernel: Dims3): CalibrationGram {
  const [ax, ay, az] = acsDims;
  const [kx, ky, kz] = kernel;
  if (kx > ax || ky > ay || kz > az || kx < 1 || ky < 1 || kz < 1) {
    throw new UhfError('BAD_ARGUMENT', `calibrationGram: kernel [${kernel.join(',')}] does not fit the ACS block [${acsDims.join(',')}]`);
  }
  const na = ax * ay * az;
  if (acs.length !== 2 * na * channels) throw new UhfError('SHAPE_MISMATCH', `calibrationGram: ACS has ${acs.length / 2} complex values, [${acsDims.join(',')}] × ${channels} needs ${na * channels}`);
  const T = kx * ky * kz;
  const N = T * channels;
  const gram = new Float64Array(2 * N * N);
  const rx = ax - kx + 1, ry = ay - ky + 1, rz = az - kz + 1; // patch origins per axis
  // scratch: row prefix sums (JS path), window sums over x (per tx,
  // interleaved complex: in the wasm memory on the wasm path), y (per tx, ty)
  const preR = new Float64Array(ax + 1), preI = new Float64Array(ax + 1);
  const wyR = new Float64Array(kx * ky * az), wyI = new Float64Array(kx * ky * az);
  const wxLen = 2 * kx * ay * az;
  const kern = backend === 'js' || (backend === 'auto' && ax < 16) ? null : rowWindowKernel();
  const acsBytes = 16 * na * channels;
  const useWasm = kern !== null && kern.ensure(acsBytes + 8 * wxLen);
  let wx: Float64Array, wxo: number;
  if (useWasm) {
    const mem = new Float64Array(kern.memory.buffer);
    mem.set(acs, 0); // float32 → float64, interleaved
    wx = mem;
    wxo = acsBytes / 8;
  } else {
    wx = new Float64Array(wxLen);
    wxo = 0;
  }
  for (let c = 0; c < channels; c++) {
    const oc = 2 * na * c;
    for (let c2 = 0; c2 <= c; c2++) {
      const oc2 = 2 * na * c2;
      for (let dz = -(kz - 1); dz <= kz - 1; dz++) {
        const tz0 = Math.max(0, -dz), tz1 = Math.min(kz, kz - dz);
        for (let dy = -(ky - 1); dy <= ky - 1; dy++) {
          const ty0 = Math.max(0, -dy), ty1 = Math.min(ky, ky - dy);
          for (let dx = -(kx - 1); dx <= kx - 1; dx++) {
            const tx0 = Math.max(0, -dx), tx1 = Math.min(kx, kx - dx);
            // 1. rows: window sums over x ∈ [tx, tx + rx) for every needed tx,
            //    on the rows/slices that some needed window covers
            if (useWasm) {
              const rows = ty1 - 1 + ry - ty0;
              for (let z = tz0; z < tz1 - 1 + rz; z++) {
                kern.rowwin(rows,
                  8 * (oc + 2 * (tx0 + ax * (ty0 + ay * z))),
                  8 * (oc2 + 2 * (tx0 + dx + ax * ((ty0 + dy) + ay * (z + dz)))),
                  16 * ax, rx, tx1 - tx0,
                  8 * wxo + 16 * (kx * (ty0 + ay * z) + tx0), 16 * kx);
              }
            } else {
              for (let z = tz0; z < tz1 - 1 + rz; z++) {
                for (let y = ty0; y < ty1 - 1 + ry; y++) {
                  const base1 = oc + 2 * ax * (y + ay * z);
                  const base2 = oc2 + 2 * (dx + ax * ((y + dy) + ay * (z + dz)));
                  let sr = 0, si = 0;
                  const x0 = tx0, x1 = tx1 - 1 + rx;
                  preR[x0] = 0; preI[x0] = 0;
                  for (let x = x0; x < x1; x++) {
                    const i1 = base1 + 2 * x, i2 = base2 + 2 * x;
                    const ar = acs[i1]!, ai = acs[i1 + 1]!, br = acs[i2]!, bi = acs[i2 + 1]!;
                    sr += ar * br + ai * bi;
                    si += ai * br - ar * bi;
                    preR[x + 1] = sr; preI[x + 1] = si;
                  }
                  const o = 2 * kx * (y + ay * z);
                  for (let tx = tx0; tx < tx1; tx++) {
                    wx[o + 2 * tx] = preR[tx + rx]! - preR[tx]!;
                    wx[o + 2 * tx + 1] = preI[tx + rx]! - preI[tx]!;
                  }
                }
              }
            }
            // 2. window sums over y ∈ [ty, ty + ry)
            for (let z = tz0; z < tz1 - 1 + rz; z++) {
              for (let tx = tx0; tx < tx1; tx++) {
                let sr = 0, si = 0;
                for (let y = ty0; y < ty0 + ry; y++) { const o = wxo + 2 * (kx * (y + ay * z) + tx); sr += wx[o]!; si += wx[o + 1]!; }
                for (let ty = ty0; ty < ty1; ty++) {
                  if (ty > ty0) {
                    const add = wxo + 2 * (kx * ((ty + ry - 1) + ay * z) + tx), rem = wxo + 2 * (kx * ((ty - 1) + ay * z) + tx);
                    sr += wx[add]! - wx[rem]!;
                    si += wx[add + 1]! - wx[rem + 1]!;
                  }
                  wyR[tx + kx * (ty + ky * z)] = sr;
                  wyI[tx + kx * (ty + ky * z)] = si;
                }
              }
            }
            // 3. window sums over z ∈ [tz, tz + rz) → the Gram entries
            for (let ty = ty0; ty < ty1; ty++) {
              for (let tx = tx0; tx < tx1; tx++) {
                let sr = 0, si = 0;
                for (let z = tz0; z < tz0 + rz; z++) { sr += wyR[tx + kx * (ty + ky * z)]!; si += wyI[tx + kx * (ty + ky * z)]!; }
                for (let tz = tz0; tz < tz1; tz++) {
                  if (tz > tz0) {
                    const add = tx + kx * (ty + ky * (tz + rz - 1)), rem = tx + kx * (ty + ky * (tz - 1));
                    sr += wyR[add]! - wyR[rem]!;
                    si += wyI[add]! - wyI[rem]!;
                  }
                  const t = tx + kx * (ty + ky * tz);
                  const u = (tx + dx) + kx * ((ty + dy) + ky * (tz + dz));
                  const i = t + T * c, j = u + T * c2;
                  gram[2 * (i * N + j)] = sr;
                  gram[2 * (i * N + j) + 1] = si;
                  gram[2 * (j * N + i)] = sr;
                  gram[2 * (j * N + i) + 1] = -si;
                }
              }
            }
          }
        }
      }
    }
  }
  return { gram, size: N, kernelPoints: T, patches: rx * ry * rz };
}
