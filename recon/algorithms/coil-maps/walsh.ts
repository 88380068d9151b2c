/** Walsh adaptive coil sensitivities (see ../coil-maps.ts for the method and conventions). */
import { UhfError } from '../../../shared/errors.ts';
import { geometry, kernelOf, lohi, type Geometry, type Dims3, type WalshOptions } from './common.ts';

/**
 * Dominant eigenvector of a Hermitian matrix given packed (upper triangle,
 * row-major: (0,0),(0,1)..(0,c-1),(1,1)..) in R[off ..], by power iteration
 * from `v` (in/out, interleaved complex, length 2c). Returns the last norm
 * (≈ λ_max), 0 if R·v vanished (v is then zeroed).
 */
function powerIteration(R: Float64Array, off: number, c: number, v: Float64Array, y: Float64Array, iters: number): number {
  let norm = 0;
  for (let it = 0; it < iters; it++) {
    y.fill(0, 0, 2 * c);
    let k = off;
    for (let p = 0; p < c; p++) {
      const vpr = v[2 * p]!, vpi = v[2 * p + 1]!;
      // diagonal: real
      let ypr = y[2 * p]! + R[k]! * vpr;
      let ypi = y[2 * p + 1]! + R[k]! * vpi;
      k += 2;
      for (let q = p + 1; q < c; q++, k += 2) {
        const rr = R[k]!, ri = R[k + 1]!;
        const vqr = v[2 * q]!, vqi = v[2 * q + 1]!;
        // y_p += R_pq v_q
        ypr += rr * vqr - ri * vqi;
        ypi += rr * vqi + ri * vqr;
        // y_q += conj(R_pq) v_p
        y[2 * q] = y[2 * q]! + rr * vpr + ri * vpi;
        y[2 * q + 1] = y[2 * q + 1]! + rr * vpi - ri * vpr;
      }
      y[2 * p] = ypr;
      y[2 * p + 1] = ypi;
    }
    let s = 0;
    for (let i = 0; i < 2 * c; i++) s += y[i]! * y[i]!;
    norm = Math.sqrt(s);
    if (!(norm > 0)) {
      v.fill(0, 0, 2 * c);
      return 0;
    }
    const inv = 1 / norm;
    for (let i = 0; i < 2 * c; i++) v[i] = y[i]! * inv;
  }
  return norm;
}

/** v0 = R·e_m (column m of the packed Hermitian R), m = argmax diag. */
function strongestColumn(R: Float64Array, off: number, c: number, v: Float64Array): void {
  // diagonal offsets: row p starts at off + 2*(p*c - p*(p-1)/2) = off + p*(2c - p + 1)
  let m = 0, best = -1;
  for (let p = 0, k = off; p < c; k += 2 * (c - p), p++) {
    const d = R[k]!;
    if (d > best) { best = d; m = p; }
  }
  // column m: R_pm for p ≤ m is packed (p, m); for p > m it is conj(R_mp).
  for (let p = 0; p < c; p++) {
    if (p <= m) {
      const k = off + p * (2 * c - p + 1) + 2 * (m - p);
      v[2 * p] = R[k]!;
      v[2 * p + 1] = R[k + 1]!;
    } else {
      const k = off + m * (2 * c - m + 1) + 2 * (p - m);
      v[2 * p] = R[k]!;
      v[2 * p + 1] = -R[k + 1]!;
    }
  }
}

/** Dominant eigenvector of the global correlation Σ_x I·I^H (on ≤ ~16k voxels). */
function virtualCoil(images: Float32Array, g: Geometry): Float64Array {
  const { n, c } = g;
  const stride = Math.max(1, Math.floor(n / 16384));
  const P2 = c * (c + 1);
  const G = new Float64Array(P2);
  const cv = new Float64Array(2 * c);
  for (let p = 0; p < n; p += stride) {
    for (let a = 0; a < c; a++) {
      cv[2 * a] = images[2 * (p + n * a)]!;
      cv[2 * a + 1] = images[2 * (p + n * a) + 1]!;
    }
    let k = 0;
    for (let a = 0; a < c; a++) {
      const ar = cv[2 * a]!, ai = cv[2 * a + 1]!;
      for (let b = 2 * a; b < 2 * c; b += 2, k += 2) {
        const br = cv[b]!, bi = cv[b + 1]!;
        // I_a conj(I_b)
        G[k] = G[k]! + (ar * br + ai * bi);
        G[k + 1] = G[k + 1]! + (ai * br - ar * bi);
      }
    }
  }
  const u = new Float64Array(2 * c);
  const y = new Float64Array(2 * c);
  strongestColumn(G, 0, c, u);
  powerIteration(G, 0, c, u, y, 50);
  return u;
}

/**
 * Rotates v (interleaved complex, length 2c) so that its reference projection
 * is real positive: t = u^H v (virtual) or t = v_ref; v *= conj(t)/|t|.
 */
function referPhase(v: Float64Array, c: number, u: Float64Array | null, ref: number): void {
  let tr: number, ti: number;
  if (u !== null) {
    tr = 0; ti = 0;
    for (let q = 0; q < c; q++) {
      const ur = u[2 * q]!, ui = u[2 * q + 1]!, vr = v[2 * q]!, vi = v[2 * q + 1]!;
      tr += ur * vr + ui * vi;
      ti += ur * vi - ui * vr;
    }
  } else {
    tr = v[2 * ref]!; ti = v[2 * ref + 1]!;
  }
  const m = Math.hypot(tr, ti);
  if (!(m > 0)) return;
  const cr = tr / m, ci = -ti / m; // conj(t)/|t|
  for (let q = 0; q < c; q++) {
    const vr = v[2 * q]!, vi = v[2 * q + 1]!;
    v[2 * q] = vr * cr - vi * ci;
    v[2 * q + 1] = vr * ci + vi * cr;
  }
}

/**
 * Packed products I(x)·I(x)^H of row (y, z) for x in [x0, x1), written to the
 * padded column x - base (P2 = c(c+1) doubles per column): with `ring` null,
 * dst[col] += sign·products; with a ring, dst[col] += products - ring[slot +
 * col] and the ring slot takes the products (the row they replace leaves the
 * sum in the same pass). `cv` is scratch of 2c doubles.
 */
function rowProducts(
  images: Float32Array, g: Geometry, y: number, z: number, x0: number, x1: number, base: number,
  dst: Float64Array, dOff: number, sign: 1 | -1, ring: Float64Array | null, slot: number, cv: Float64Array,
): void {
  const { nx, ny, n, c } = g;
  const P2 = c * (c + 1);
  const rowBase = nx * (y + ny * z);
  for (let x = x0; x < x1; x++) {
    const p2 = 2 * (rowBase + x);
    for (let a = 0; a < c; a++) {
      cv[2 * a] = images[p2 + 2 * n * a]!;
      cv[2 * a + 1] = images[p2 + 2 * n * a + 1]!;
    }
    const col = (x - base) * P2;
    let k = dOff + col;
    if (ring !== null) {
      let r = slot + col;
      for (let a = 0; a < c; a++) {
        const ar = cv[2 * a]!, ai = cv[2 * a + 1]!;
        for (let b = 2 * a; b < 2 * c; b += 2, k += 2, r += 2) {
          const br = cv[b]!, bi = cv[b + 1]!;
          const pr = ar * br + ai * bi, pi = ai * br - ar * bi; // I_a conj(I_b)
          dst[k] = dst[k]! + (pr - ring[r]!);
          dst[k + 1] = dst[k + 1]! + (pi - ring[r + 1]!);
          ring[r] = pr;
          ring[r + 1] = pi;
        }
      }
    } else {
      for (let a = 0; a < c; a++) {
        const ar = cv[2 * a]! * sign, ai = cv[2 * a + 1]! * sign;
        for (let b = 2 * a; b < 2 * c; b += 2, k += 2) {
          const br = cv[b]!, bi = cv[b + 1]!;
          dst[k] = dst[k]! + (ar * br + ai * bi);
          dst[k + 1] = dst[k + 1]! + (ai * br - ar * bi);
        }
      }
    }
  }
}

interface RowContext {
  g: Geometry; kx: number; iters: number; u: Float64Array | null; refIdx: number;
  maps: Float32Array; cols: Float64Array; run: Float64Array; v: Float64Array; yv: Float64Array;
}

/** Running sum of `cols` along x; the dominant eigenvector for each x in [xa, xb) of row (y, z). */
function solveRow(ctx: RowContext, xa: number, xb: number, y: number, z: number): void {
  const { g, kx, iters, u, refIdx, maps, cols, run, v, yv } = ctx;
  const { nx, ny, n, c } = g;
  const P2 = c * (c + 1);
  run.fill(0);
  for (let col = 0; col < kx; col++) {
    const s = col * P2;
    for (let j = 0; j < P2; j++) run[j] = run[j]! + cols[s + j]!;
  }
  const rowBase = nx * (y + ny * z);
  for (let x = xa; x < xb; x++) {
    const aOff = (x - xa + kx) * P2, rOff = (x - xa) * P2;
    for (let j = 0; j < P2; j++) run[j] = run[j]! + (cols[aOff + j]! - cols[rOff + j]!);
    strongestColumn(run, 0, c, v);
    if (powerIteration(run, 0, c, v, yv, iters) === 0) continue; // maps stay 0
    referPhase(v, c, u, refIdx);
    const p = rowBase + x;
    for (let q = 0; q < c; q++) {
      maps[2 * (p + n * q)] = v[2 * q]!;
      maps[2 * (p + n * q) + 1] = v[2 * q + 1]!;
    }
  }
}

/** Bytes of window sums held per tile of x columns (tiles only beyond it, to bound memory). */
const SUMS_BUDGET = 64 * 1024 * 1024;

/**
 * Walsh adaptive coil sensitivity maps. Returns maps [x, y, z, cha] complex,
 * Σ_c|S_c|² = 1 wherever the local window holds signal. See the file comment.
 *
 * Window sums: for each output row, `cols[x]` = Σ over the (y, z) window of
 * the products at column x (kept up to date row by row: 2D kernels through a
 * ring of the ky product rows in the window, 3D kernels through a plane of
 * z-window sums); a running sum along x of `cols` then is R(x, y, z), and the
 * eigenvector is computed right away from that running sum.
 */
export function walshMaps(coilImages: Float32Array, dims: Dims3, channels: number, opts: WalshOptions = {}): Float32Array {
  const who = 'walshMaps';
  const g = geometry(coilImages, dims, channels, who);
  const [kx, ky, kz] = kernelOf(opts.kernel, g, who);
  const iters = opts.iterations ?? 2;
  if (!Number.isInteger(iters) || iters < 1) throw new UhfError('BAD_ARGUMENT', `${who}: iterations must be an integer ≥ 1, got ${iters}`);
  const ref = opts.phaseReference ?? 'virtual';
  if (ref !== 'virtual' && !(Number.isInteger(ref) && ref >= 0 && ref < channels)) {
    throw new UhfError('BAD_ARGUMENT', `${who}: phaseReference must be 'virtual' or a coil index < ${channels}, got ${String(ref)}`);
  }
  const maxTile = opts.tileColumns ?? g.nx;
  if (!Number.isInteger(maxTile) || maxTile < 1) throw new UhfError('BAD_ARGUMENT', `${who}: tileColumns must be an integer ≥ 1, got ${maxTile}`);
  const { nx, ny, nz, n, c } = g;
  const P2 = c * (c + 1);
  const u = ref === 'virtual' ? virtualCoil(coilImages, g) : null;
  const refIdx = ref === 'virtual' ? 0 : ref;
  const maps = new Float32Array(2 * n * c);
  const v = new Float64Array(2 * c);
  const yv = new Float64Array(2 * c);
  const cv = new Float64Array(2 * c);
  const run = new Float64Array(P2);
  const [xlo, xhi] = lohi(kx), [ylo, yhi] = lohi(ky), [zlo, zhi] = lohi(kz);

  // held per padded column: ky ring rows + cols (2D) or ny plane rows + cols (3D)
  const rowsHeld = kz === 1 ? ky + 1 : ny + 1;
  const tw = Math.max(1, Math.min(nx, maxTile, Math.floor(SUMS_BUDGET / (8 * P2 * rowsHeld)) - kx - 1));
  const padCols = tw + kx + 1; // padded column j ↔ x = xa - xlo - 1 + j
  const stride = padCols * P2;
  const cols = new Float64Array(stride);

  const ctx: RowContext = { g, kx, iters, u, refIdx, maps, cols, run, v, yv };
  const xPass = (xa: number, xb: number, y: number, z: number): void => solveRow(ctx, xa, xb, y, z);

  if (kz === 1) {
    const ring = new Float64Array(ky * stride);
    for (let z = 0; z < nz; z++) {
      for (let xa = 0; xa < nx; xa += tw) {
        const xb = Math.min(nx, xa + tw);
        const base = xa - xlo - 1, x0 = Math.max(0, xa - xlo), x1 = Math.min(nx, xb + xhi);
        cols.fill(0);
        ring.fill(0);
        // the slot of row r held row r - ky (or zeros), which leaves the window as r enters
        const push = (r: number): void => rowProducts(coilImages, g, r, z, x0, x1, base, cols, 0, 1, ring, (r % ky) * stride, cv);
        for (let r = 0; r < Math.min(yhi, ny); r++) push(r);
        for (let y = 0; y < ny; y++) {
          const add = y + yhi, rem = y - ylo - 1;
          if (add < ny) push(add);
          else if (rem >= 0) {
            const slot = (rem % ky) * stride;
            for (let j = 0; j < stride; j++) cols[j] = cols[j]! - ring[slot + j]!;
            ring.fill(0, slot, slot + stride);
          }
          xPass(xa, xb, y, z);
        }
      }
    }
    return maps;
  }

  // 3D kernel: plane[y] = Σ_{z' ∈ window(z)} products(y, z'), per tile of x columns.
  const plane = new Float64Array(ny * stride);
  for (let xa = 0; xa < nx; xa += tw) {
    const xb = Math.min(nx, xa + tw);
    const base = xa - xlo - 1, x0 = Math.max(0, xa - xlo), x1 = Math.min(nx, xb + xhi);
    const addPlane = (zz: number, sign: 1 | -1): void => {
      for (let y = 0; y < ny; y++) rowProducts(coilImages, g, y, zz, x0, x1, base, plane, y * stride, sign, null, 0, cv);
    };
    plane.fill(0);
    for (let zz = 0; zz < Math.min(zhi, nz); zz++) addPlane(zz, 1);
    for (let z = 0; z < nz; z++) {
      if (z - zlo - 1 >= 0) addPlane(z - zlo - 1, -1);
      if (z + zhi < nz) addPlane(z + zhi, 1);
      cols.fill(0);
      for (let r = 0; r < Math.min(yhi, ny); r++) for (let j = 0; j < stride; j++) cols[j] = cols[j]! + plane[r * stride + j]!;
      for (let y = 0; y < ny; y++) {
        const add = y + yhi, rem = y - ylo - 1;
        if (add < ny) for (let j = 0; j < stride; j++) cols[j] = cols[j]! + plane[add * stride + j]!;
        if (rem >= 0) for (let j = 0; j < stride; j++) cols[j] = cols[j]! - plane[rem * stride + j]!;
        xPass(xa, xb, y, z);
      }
    }
  }
  return maps;
}

