/**
 * ESPIRiT's signal subspace (steps 1–2 of espirit.ts): the dominant
 * eigenvectors of C = Σ_r p_r·p_rᴴ (calibration.ts: one patch vector p_r per
 * kernel-sized patch of the ACS block, N = kernel points × channels).
 *
 * With many channels the patches are fewer than the unknowns: BART's default
 * 24×24 calibration region and a 6×6 kernel give P = 19·19 = 361 patches, and
 * 32 coils give N = 1152. C = Y·Yᴴ (Y = [p_1 … p_P], N×P) then has rank ≤ P,
 * and its nonzero eigenpairs follow from the P×P "dual" Gram D = Yᴴ·Y:
 * D·u = λ·u ⇒ C·(Y·u) = λ·(Y·u), v = Y·u/√λ (unit norm, as uᴴ·D·u = λ).
 * That replaces the (16/3)·N³ tridiagonalisation by (16/3)·P³ plus O(N·P²)
 * for D and O(N·P·K) for the vectors: ~25× less work at 32 coils. The
 * primal route stays for P ≥ N (few channels, or a large ACS block).
 *
 * The subspace is the same up to rounding (eigenvectors up to a phase, which
 * ESPIRiT never sees: it only uses the projector Σ v·vᴴ).
 */
import { accumulateGram } from '../../linalg/gram.ts';
import { dualVectorsWasm } from './dual-vectors-wasm.ts';
import { calibrationGram, type Dims3 } from './calibration.ts';
import { dominantEigenspace, type DominantEigenspace } from './subspace.ts';

export interface SignalSubspace extends DominantEigenspace {
  /** N = kernel points × channels (length of each vector; `values` holds N eigenvalues). */
  size: number;
  /** Which route computed it. */
  route: 'primal' | 'dual';
}

/** Dual route when the patches are at most this fraction of the unknowns. */
const DUAL_BELOW = 0.75;

export function signalSubspace(acs: Float32Array, acsDims: Dims3, channels: number, kernel: Dims3, threshold: number, route: 'auto' | 'primal' | 'dual' | 'dual-js' = 'auto'): SignalSubspace {
  const [ax, ay, az] = acsDims;
  const [kx, ky, kz] = kernel;
  const T = kx * ky * kz;
  const N = T * channels;
  const px = ax - kx + 1, py = ay - ky + 1, pz = az - kz + 1;
  const P = px * py * pz;
  const dual = route === 'dual' || route === 'dual-js' || (route === 'auto' && P > 0 && P < DUAL_BELOW * N);
  if (!dual) {
    const cal = calibrationGram(acs, acsDims, channels, kernel);
    return { ...dominantEigenspace(cal.gram, cal.size, threshold), size: cal.size, route: 'primal' };
  }
  // rows conj(p_r) so that accumulateGram's Σ_i x_r[i]·conj(x_s[i]) = p_rᴴ·p_s = D[r][s]
  const rows = new Float32Array(2 * P * N);
  for (let rz = 0, r = 0; rz < pz; rz++) {
    for (let ry = 0; ry < py; ry++) {
      for (let rx = 0; rx < px; rx++, r++) {
        const row = 2 * r * N;
        for (let c = 0; c < channels; c++) {
          for (let tz = 0; tz < kz; tz++) {
            for (let ty = 0; ty < ky; ty++) {
              const src = 2 * (rx + ax * ((ry + ty) + ay * ((rz + tz) + az * c)));
              const dst = row + 2 * (kx * (ty + ky * tz) + T * c);
              for (let tx = 0; tx < kx; tx++) {
                rows[dst + 2 * tx] = acs[src + 2 * tx]!;
                rows[dst + 2 * tx + 1] = -acs[src + 2 * tx + 1]!;
              }
            }
          }
        }
      }
    }
  }
  const D = new Float64Array(2 * P * P);
  accumulateGram(D, rows, P, N);
  const sub = dominantEigenspace(D, P, threshold);
  const K = sub.count;
  // v_k[i] = Σ_r p_r[i]·u_k[r] / √λ_k, p_r = conj(rows[r])
  const scale = Float64Array.from({ length: K }, (_, k) => (sub.values[k]! > 0 ? 1 / Math.sqrt(sub.values[k]!) : 0));
  const vectors = (route === 'dual-js' ? null : dualVectorsWasm(rows, P, N, sub.vectors, K, scale)) ?? dualVectorsJs(rows, P, N, sub.vectors, K, scale);
  const values = new Float64Array(N);
  values.set(sub.values.subarray(0, Math.min(P, N)));
  return { values, count: K, vectors, size: N, route: 'dual' };
}

/**
 * The JS form of dual-vectors-wasm.ts: dot products over r on a transposed
 * copy (Yt[i][r] = p_r[i], contiguous in r), two vectors per pass.
 */
function dualVectorsJs(rows: Float32Array, P: number, N: number, U: Float64Array, K: number, scale: Float64Array): Float64Array {
  const Yt = new Float64Array(2 * N * P);
  for (let r = 0; r < P; r++) {
    const ro = 2 * r * N;
    for (let i = 0; i < N; i++) {
      Yt[2 * (i * P + r)] = rows[ro + 2 * i]!;
      Yt[2 * (i * P + r) + 1] = -rows[ro + 2 * i + 1]!;
    }
  }
  const vectors = new Float64Array(2 * K * N);
  for (let k0 = 0; k0 < K; k0 += 2) {
    const k1 = Math.min(k0 + 1, K - 1);
    const u0 = 2 * k0 * P, u1 = 2 * k1 * P;
    const s0 = scale[k0]!, s1 = scale[k1]!;
    for (let i = 0; i < N; i++) {
      const yo = 2 * i * P;
      let ar = 0, ai = 0, br = 0, bi = 0;
      for (let r = 0; r < 2 * P; r += 2) {
        const yr = Yt[yo + r]!, yi = Yt[yo + r + 1]!;
        const xr = U[u0 + r]!, xi = U[u0 + r + 1]!, zr = U[u1 + r]!, zi = U[u1 + r + 1]!;
        ar += yr * xr - yi * xi;
        ai += yr * xi + yi * xr;
        br += yr * zr - yi * zi;
        bi += yr * zi + yi * zr;
      }
      vectors[2 * (k0 * N + i)] = ar * s0;
      vectors[2 * (k0 * N + i) + 1] = ai * s0;
      vectors[2 * (k1 * N + i)] = br * s1;
      vectors[2 * (k1 * N + i) + 1] = bi * s1;
    }
  }
  return vectors;
}
