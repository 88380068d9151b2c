/**
 * Eigendecomposition of a Hermitian matrix by the cyclic complex Jacobi method
 * (float64). Accurate to a few ulps of ‖A‖ and robust for the channel counts
 * of MRI coils (n ≤ 128: a 128×128 decomposition takes a fraction of a second).
 *
 * Each rotation zeroes one off-diagonal pair (p, q): with a_pq = r·e^{iφ},
 * J = D·R·Dᴴ where D = diag(1 at p, e^{−iφ} at q) makes the pair real and R
 * is the real Jacobi rotation (c, s) of Numerical Recipes (smaller angle,
 * |θ| ≤ π/4); A ← Jᴴ·A·J, V ← V·J.
 */
import { UhfError } from '../../shared/errors.ts';

export interface HermitianEigen {
  /** Eigenvalues, descending (real). */
  values: Float64Array;
  /**
   * Unitary n×n matrix (row-major interleaved) whose k-th COLUMN is the unit
   * eigenvector of values[k]: A·V = V·diag(values). Each eigenvector is
   * defined up to a phase; we fix it so that its largest-magnitude component
   * is real and positive (ties: the first), which makes results reproducible.
   */
  vectors: Float64Array;
  /** Jacobi sweeps used. */
  sweeps: number;
}

export interface EigenOptions {
  /** Give up (UhfError 'INTERNAL') after this many sweeps; default 60 (converges in ~6–12). */
  maxSweeps?: number;
}

/**
 * Eigenvalues (descending) and eigenvectors (columns) of a Hermitian n×n
 * matrix. The matrix is Hermitised first, (A + Aᴴ)/2, so tiny asymmetries
 * from rounding do not matter. The input is not modified.
 */
export function hermitianEigen(a: ArrayLike<number>, n: number, options: EigenOptions = {}): HermitianEigen {
  if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `hermitianEigen: bad size ${n}`);
  if (a.length !== 2 * n * n) throw new UhfError('SHAPE_MISMATCH', `hermitianEigen: ${a.length / 2} complex values, expected ${n}×${n}`);
  const maxSweeps = options.maxSweeps ?? 60;
  const A = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const p = 2 * (i * n + j), q = 2 * (j * n + i);
      const re = 0.5 * (a[p]! + a[q]!), im = 0.5 * (a[p + 1]! - a[q + 1]!);
      if (!Number.isFinite(re) || !Number.isFinite(im)) throw new UhfError('BAD_ARGUMENT', `hermitianEigen: non-finite entry (${i}, ${j})`);
      A[p] = re;
      A[p + 1] = im;
    }
  }
  const V = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) V[2 * (i * n + i)] = 1;

  let total = 0;
  for (let i = 0; i < A.length; i++) total += A[i]! * A[i]!;
  // off-diagonal mass below this is rounding noise of the diagonal
  const target = total * 1e-32 + Number.MIN_VALUE;

  let sweeps = 0;
  for (;;) {
    let off = 0;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const p = 2 * (i * n + j);
        off += A[p]! * A[p]! + A[p + 1]! * A[p + 1]!;
      }
    }
    if (off <= target) break;
    if (sweeps >= maxSweeps) {
      throw new UhfError('INTERNAL', `hermitianEigen: Jacobi did not converge in ${maxSweeps} sweeps (off-diagonal ${Math.sqrt(off)} of ${Math.sqrt(total)})`);
    }
    sweeps++;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const ipq = 2 * (p * n + q);
        const xr = A[ipq]!, xi = A[ipq + 1]!;
        const r = Math.hypot(xr, xi);
        if (r === 0) continue;
        const app = A[2 * (p * n + p)]!, aqq = A[2 * (q * n + q)]!;
        // skip pairs already negligible next to both diagonal entries (after sweep 4, as NR)
        if (sweeps > 4 && Math.abs(app) + 1e6 * r === Math.abs(app) && Math.abs(aqq) + 1e6 * r === Math.abs(aqq)) {
          A[ipq] = 0; A[ipq + 1] = 0;
          A[2 * (q * n + p)] = 0; A[2 * (q * n + p) + 1] = 0;
          continue;
        }
        const er = xr / r, ei = xi / r; // e^{iφ}
        const theta = (aqq - app) / (2 * r);
        let t: number;
        if (Math.abs(theta) > 1e150) t = 0.5 / theta;
        else t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // J_pp = c, J_qq = c, J_pq = s·e^{iφ}, J_qp = −s·e^{−iφ}
        const spr = s * er, spi = s * ei; // s·e^{iφ}
        // columns: A[:,p] ← c·A[:,p] − s e^{−iφ}·A[:,q];  A[:,q] ← s e^{iφ}·A[:,p] + c·A[:,q]  (same for V)
        for (let k = 0; k < n; k++) {
          rotateColumns(A, 2 * (k * n + p), 2 * (k * n + q), c, spr, spi);
          rotateColumns(V, 2 * (k * n + p), 2 * (k * n + q), c, spr, spi);
        }
        // rows (Jᴴ from the left): A[p,:] ← c·A[p,:] − s e^{iφ}·A[q,:];  A[q,:] ← s e^{−iφ}·A[p,:] + c·A[q,:]
        const rp = 2 * p * n, rq = 2 * q * n;
        for (let k = 0; k < 2 * n; k += 2) {
          const ur = A[rp + k]!, ui = A[rp + k + 1]!;
          const wr = A[rq + k]!, wi = A[rq + k + 1]!;
          A[rp + k] = c * ur - (spr * wr - spi * wi);
          A[rp + k + 1] = c * ui - (spr * wi + spi * wr);
          A[rq + k] = (spr * ur + spi * ui) + c * wr;
          A[rq + k + 1] = (spr * ui - spi * ur) + c * wi;
        }
        // exact values the rotation was built to produce
        A[2 * (p * n + p)] = app - t * r;
        A[2 * (q * n + q)] = aqq + t * r;
        A[2 * (p * n + p) + 1] = 0;
        A[2 * (q * n + q) + 1] = 0;
        A[ipq] = 0; A[ipq + 1] = 0;
        A[2 * (q * n + p)] = 0; A[2 * (q * n + p) + 1] = 0;
      }
    }
  }

  // sort descending
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => A[2 * (y * n + y)]! - A[2 * (x * n + x)]! || x - y);
  const values = new Float64Array(n);
  const vectors = new Float64Array(2 * n * n);
  for (let k = 0; k < n; k++) {
    const src = order[k]!;
    values[k] = A[2 * (src * n + src)]!;
    // phase: largest-magnitude component real positive
    let best = -1, bi = 0;
    for (let i = 0; i < n; i++) {
      const m = Math.hypot(V[2 * (i * n + src)]!, V[2 * (i * n + src) + 1]!);
      if (m > best * (1 + 1e-12)) {
        best = m;
        bi = i;
      }
    }
    const pr = V[2 * (bi * n + src)]! / best, pi = -V[2 * (bi * n + src) + 1]! / best; // conj(phase)
    for (let i = 0; i < n; i++) {
      const vr = V[2 * (i * n + src)]!, vi = V[2 * (i * n + src) + 1]!;
      vectors[2 * (i * n + k)] = vr * pr - vi * pi;
      vectors[2 * (i * n + k) + 1] = vr * pi + vi * pr;
    }
    vectors[2 * (bi * n + k) + 1] = 0;
  }
  return { values, vectors, sweeps };
}

function rotateColumns(M: Float64Array, ip: number, iq: number, c: number, spr: number, spi: number): void {
  const ur = M[ip]!, ui = M[ip + 1]!;
  const wr = M[iq]!, wi = M[iq + 1]!;
  // p ← c·u − conj(s e^{iφ})·w ;  q ← s e^{iφ}·u + c·w
  M[ip] = c * ur - (spr * wr + spi * wi);
  M[ip + 1] = c * ui - (spr * wi - spi * wr);
  M[iq] = (spr * ur - spi * ui) + c * wr;
  M[iq + 1] = (spr * ui + spi * ur) + c * wi;
}
