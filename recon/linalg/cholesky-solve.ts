/**
 * Solves (L·Lᴴ)·X = B with the Cholesky factor of cholesky.ts for many
 * right-hand sides at once (the GRAPPA normal equations: all targets share
 * the system). Large systems run in the WebAssembly SIMD kernel of
 * cholesky-solve-wasm.ts (setCholeskyBackend selects, as for the factor).
 */
import { UhfError } from '../../shared/errors.ts';
import { choleskyUsesWasm } from './cholesky.ts';
import { SOLVE_RHS_BLOCK, choleskySolveKernel } from './cholesky-solve-wasm.ts';

/**
 * Solves (L·Lᴴ)·X = B in place for m right-hand sides: B is n×m row-major
 * interleaved (overwritten by X), L lower triangular n×n with a real positive
 * diagonal (as choleskyLower returns it; the upper triangle is not read).
 */
export function solveCholesky(L: Float64Array, n: number, B: Float64Array, m: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(m) || m < 0) throw new UhfError('BAD_ARGUMENT', `solveCholesky: bad size ${n}×${m}`);
  if (L.length !== 2 * n * n) throw new UhfError('SHAPE_MISMATCH', `solveCholesky: factor has ${L.length / 2} complex values, expected ${n}×${n}`);
  if (B.length !== 2 * n * m) throw new UhfError('SHAPE_MISMATCH', `solveCholesky: right-hand sides have ${B.length / 2} complex values, expected ${n}×${m}`);
  if (m === 0) return;
  if (!(choleskyUsesWasm(n) && solveWasm(L, n, B, m))) solveJs(L, n, B, m);
}

/** The wasm path; false (nothing done) where the kernel is unavailable or its memory cannot hold the system. */
function solveWasm(L: Float64Array, n: number, B: Float64Array, m: number): boolean {
  const k = choleskySolveKernel();
  if (k === null) return false;
  const np = n + (n & 1);
  const mp = Math.ceil(m / SOLVE_RHS_BLOCK) * SOLVE_RHS_BLOCK;
  const lb = 0, bb = 16 * np * np, db = bb + 16 * np * mp, sb = db + 8 * np;
  if (!k.ensure(sb + 32 * np)) return false;
  const mem = new Float64Array(k.memory.buffer);
  for (let i = 0; i < n; i++) mem.set(L.subarray(2 * i * n, 2 * i * n + 2 * (i + 1)), lb / 8 + 2 * i * np);
  const d = db / 8;
  for (let i = 0; i < n; i++) mem[d + i] = 1 / L[2 * (i * n + i)]!;
  if (np > n) {
    // padding row: uncoupled, unit diagonal, zero right-hand side → zero solution
    const r = lb / 8 + 2 * n * np;
    mem.fill(0, r, r + 2 * np);
    mem[r + 2 * n] = 1;
    mem[d + n] = 1;
  }
  const b0 = bb / 8;
  if (mp === m) {
    mem.set(B, b0);
  } else {
    for (let i = 0; i < n; i++) {
      mem.set(B.subarray(2 * i * m, 2 * (i + 1) * m), b0 + 2 * i * mp);
      mem.fill(0, b0 + 2 * (i * mp + m), b0 + 2 * (i + 1) * mp);
    }
  }
  if (np > n) mem.fill(0, b0 + 2 * n * mp, b0 + 2 * np * mp);
  k.solve(np, mp, lb, bb, db, sb);
  if (mp === m) B.set(mem.subarray(b0, b0 + 2 * n * m));
  else for (let i = 0; i < n; i++) B.set(mem.subarray(b0 + 2 * i * mp, b0 + 2 * (i * mp + m)), 2 * i * m);
  return true;
}

function solveJs(L: Float64Array, n: number, B: Float64Array, m: number): void {
  const w = 2 * m;
  // forward: L·Y = B
  for (let i = 0; i < n; i++) {
    const bi = i * w;
    const li = 2 * i * n;
    for (let k = 0; k < i; k++) {
      const lr = L[li + 2 * k]!, lm = L[li + 2 * k + 1]!;
      if (lr === 0 && lm === 0) continue;
      const bk = k * w;
      for (let q = 0; q < w; q += 2) {
        const yr = B[bk + q]!, yi = B[bk + q + 1]!;
        B[bi + q]! -= lr * yr - lm * yi;
        B[bi + q + 1]! -= lr * yi + lm * yr;
      }
    }
    const inv = 1 / L[li + 2 * i]!; // real positive diagonal
    for (let q = 0; q < w; q++) B[bi + q]! *= inv;
  }
  // backward: Lᴴ·X = Y, (Lᴴ)[i][k] = conj(L[k][i])
  for (let i = n - 1; i >= 0; i--) {
    const bi = i * w;
    for (let k = i + 1; k < n; k++) {
      const lr = L[2 * (k * n + i)]!, lm = -L[2 * (k * n + i) + 1]!;
      if (lr === 0 && lm === 0) continue;
      const bk = k * w;
      for (let q = 0; q < w; q += 2) {
        const xr = B[bk + q]!, xi = B[bk + q + 1]!;
        B[bi + q]! -= lr * xr - lm * xi;
        B[bi + q + 1]! -= lr * xi + lm * xr;
      }
    }
    const inv = 1 / L[2 * (i * n + i)]!;
    for (let q = 0; q < w; q++) B[bi + q]! *= inv;
  }
}
