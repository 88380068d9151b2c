/**
 * Small dense real linear algebra in float64, row-major: the one-sided Jacobi
 * SVD (Hestenes), accurate for the tall, possibly ill-conditioned design
 * matrices of a GLM, and the Moore–Penrose pseudo-inverse built on it with
 * numpy's cut-off (singular values below rcond·σmax count as zero).
 */
import { UhfError } from '../../shared/errors.ts';

export interface Svd {
  /** m × n, columns are the left singular vectors (zero where σ = 0). */
  u: Float64Array;
  /** n singular values, not sorted. */
  s: Float64Array;
  /** n × n, columns are the right singular vectors. */
  v: Float64Array;
  m: number;
  n: number;
}

/** Thin SVD of the m × n row-major matrix `a` (m ≥ n) by one-sided Jacobi rotations. */
export function svdJacobi(a: ArrayLike<number>, m: number, n: number): Svd {
  if (m < n) throw new UhfError('INTERNAL', `svdJacobi needs m ≥ n, got ${m} × ${n}`);
  // Work column-major so each rotation touches two contiguous columns.
  const w = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) w[j * m + i] = a[i * n + j]!;
  const v = new Float64Array(n * n);
  for (let j = 0; j < n; j++) v[j * n + j] = 1;
  const eps = 2.220446049250313e-16;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        let alpha = 0;
        let beta = 0;
        let gamma = 0;
        const op = p * m;
        const oq = q * m;
        for (let i = 0; i < m; i++) {
          const x = w[op + i]!;
          const y = w[oq + i]!;
          alpha += x * x;
          beta += y * y;
          gamma += x * y;
        }
        if (gamma === 0 || Math.abs(gamma) <= eps * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = Math.sign(zeta || 1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        for (let i = 0; i < m; i++) {
          const x = w[op + i]!;
          const y = w[oq + i]!;
          w[op + i] = c * x - s * y;
          w[oq + i] = s * x + c * y;
        }
        for (let i = 0; i < n; i++) {
          const x = v[i * n + p]!;
          const y = v[i * n + q]!;
          v[i * n + p] = c * x - s * y;
          v[i * n + q] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  const s = new Float64Array(n);
  const u = new Float64Array(m * n);
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm += w[j * m + i]! ** 2;
    norm = Math.sqrt(norm);
    s[j] = norm;
    if (norm > 0) for (let i = 0; i < m; i++) u[i * n + j] = w[j * m + i]! / norm;
  }
  return { u, s, v, m, n };
}

export interface PseudoInverse {
  /** n × m row-major. */
  pinv: Float64Array;
  rank: number;
  /** σmax / σmin over the retained singular values. */
  condition: number;
}

/** Moore–Penrose pseudo-inverse of an m × n matrix (m ≥ n), numpy's default rcond = 1e-15. */
export function pseudoInverse(a: ArrayLike<number>, m: number, n: number, rcond = 1e-15): PseudoInverse {
  const { u, s, v } = svdJacobi(a, m, n);
  let smax = 0;
  for (const x of s) smax = Math.max(smax, x);
  const cut = rcond * smax;
  const pinv = new Float64Array(n * m);
  let rank = 0;
  let smin = Infinity;
  for (let k = 0; k < n; k++) {
    const sk = s[k]!;
    if (!(sk > cut)) continue;
    rank++;
    smin = Math.min(smin, sk);
    const inv = 1 / sk;
    for (let r = 0; r < n; r++) {
      const vr = v[r * n + k]! * inv;
      if (vr === 0) continue;
      const row = r * m;
      for (let i = 0; i < m; i++) pinv[row + i] = pinv[row + i]! + vr * u[i * n + k]!;
    }
  }
  return { pinv, rank, condition: rank > 0 ? smax / smin : Infinity };
}

/** Pseudo-inverse of a small symmetric positive semi-definite q × q matrix. */
export function pinvSymmetric(a: ArrayLike<number>, q: number, rcond = 1e-12): { inv: Float64Array; rank: number } {
  const { pinv, rank } = pseudoInverse(a, q, q, rcond);
  // Symmetrise away rounding.
  for (let i = 0; i < q; i++) {
    for (let j = i + 1; j < q; j++) {
      const mid = 0.5 * (pinv[i * q + j]! + pinv[j * q + i]!);
      pinv[i * q + j] = mid;
      pinv[j * q + i] = mid;
    }
  }
  return { inv: pinv, rank };
}

/** C = A (r × k) · B (k × c), all row-major. */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, r: number, k: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) {
    for (let l = 0; l < k; l++) {
      const x = a[i * k + l]!;
      if (x === 0) continue;
      for (let j = 0; j < c; j++) out[i * c + j] = out[i * c + j]! + x * b[l * c + j]!;
    }
  }
  return out;
}

/** Transpose of an r × c row-major matrix. */
export function transpose(a: ArrayLike<number>, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = a[i * c + j]!;
  return out;
}
