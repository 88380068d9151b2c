/**
 * Coil sensitivity estimation from the coil images themselves, for adaptive
 * (sensitivity-weighted) coil combination. Pure functions, no I/O.
 *
 * Conventions
 * - Input coil images and output maps: interleaved complex Float32Array,
 *   shape [x, y, z, cha] (x fastest, channel slowest); pixel p of channel c is
 *   complex number p + N*c, N = x*y*z.
 * - Output maps are "relative" sensitivities: Σ_c |S_c|² = 1 at every voxel whose
 *   local window holds any signal (0 where the window is all zeros). Their phase
 *   is referred to a virtual reference coil (default) or to one coil, so the
 *   maps are smooth and `combineWithMaps(images, maps)` = Σ conj(S_c)·I_c is an
 *   optimal (noise-white, Roemer) combination whose magnitude is the object and
 *   whose phase is the object phase plus a slowly varying reference phase.
 * - Kernels: `kernel` is the local window size in voxels, [kx, ky, kz] or one
 *   number n = [n, n, 1] (2D kernel: slices are independent). A kernel of size k
 *   covers [i - floor(k/2), i - floor(k/2) + k - 1]; at the volume edges the
 *   window is truncated (only voxels inside the volume count, no padding). The
 *   windowed sums are computed with running (cumulative) box sums, separable
 *   per axis: cost per voxel is independent of the kernel size.
 * - Noise is assumed white and uncorrelated across coils (pre-whiten first
 *   otherwise).
 *
 * Walsh (Walsh, Gmitro, Marcellin, MRM 43:682, 2000):
 *   R(p) = Σ_{p' ∈ window(p)} I(p')·I(p')^H (c×c, Hermitian, stored packed:
 *   c(c+1)/2 complex entries), S(p) = dominant eigenvector of R(p) by power
 *   iteration. The power iteration starts from the column of R(p) of its
 *   strongest coil (R·e_m, m = argmax R_mm: one free step, local to the voxel,
 *   so results do not depend on scan order) and runs `iterations` (default 3)
 *   matrix-vector products. Where one source dominates the window, the error
 *   shrinks by λ2/λ1 (≈ noise/signal power) per step, so a handful suffice.
 *   Memory: 2D kernels hold ky rows of packed sums (ky·x·c(c+1)/2 complex
 *   Float64); 3D kernels hold a plane of them for a tile of x columns sized to
 *   ~64 MB. 256×256, 32 coils, 7×7: see the test for the measured time.
 *
 * Inati iterative (Inati, Hansen, Kellman, ISMRM 2014 p. 4407; our reading of
 * ismrmrd-python-tools `calculate_csm_inati_iter`, itself a port of
 * Gadgetron's coil_map_Inati_Iter): the Walsh power iteration without forming
 * R. With ρ the current combined image and v the current maps:
 *   0. d = Σ_x I(x) normalised; ρ = Σ_c conj(d_c)·I_c (virtual-coil image).
 *   1. v_c = box(I_c · conj(ρ))          (= R·v with v taken per window voxel)
 *   2. v /= ‖v‖ per voxel (v = 0 where ‖v‖² ≤ 1e-20·max‖v‖²; the python
 *      divides by ‖v‖ + eps·mean|I|: we keep Σ|S|² = 1 exact and scale-free)
 *   3. ρ = Σ_c conj(v_c)·I_c             (new combined image)
 *   4. d = Σ_x v(x)·ρ(x) normalised; t = Σ_c conj(d_c)·v_c; t /= |t|;
 *      ρ *= t, v *= conj(t)              (phase referred to the virtual coil d)
 *   5. stop after `iterations` (default 5) or when ‖ρ - ρ_prev‖/‖ρ‖ < threshold
 *      (default 1e-3; 0 disables the check).
 *   The python reference smooths with scipy's uniform_filter (mean, 'reflect'
 *   edges); we use truncated box sums, which differ only in the edge voxels,
 *   and by a per-voxel scale that step 2 removes.
 */
import { UhfError } from '../../shared/errors.ts';

export type Dims3 = readonly [number, number, number];
export type Kernel = number | readonly [number, number, number];

export interface WalshOptions {
  /** Window size, default [7, 7, 1]. */
  kernel?: Kernel;
  /** Power-iteration matrix-vector products per voxel after the R·e_m start. Default 3. */
  iterations?: number;
  /**
   * Phase reference: 'virtual' (default) = the dominant eigenvector u of the
   * global coil correlation Σ_x I·I^H (a virtual body coil; each map vector is
   * rotated so that u^H·S is real positive); or a coil index (S_ref real ≥ 0).
   */
  phaseReference?: 'virtual' | number;
}

export interface InatiOptions {
  /** Window size, default [7, 7, 1]. */
  kernel?: Kernel;
  /** Maximum iterations, default 5. */
  iterations?: number;
  /** Relative change of the combined image that stops the iteration, default 1e-3 (0: run all). */
  threshold?: number;
}

interface Geometry {
  nx: number; ny: number; nz: number; n: number; c: number;
}

function geometry(images: Float32Array, dims: Dims3, channels: number, who: string): Geometry {
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad dims [${dims.join(',')}]`);
  }
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel count ${channels}`);
  const [nx, ny, nz] = dims;
  const n = nx * ny * nz;
  if (images.length !== 2 * n * channels) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: images have ${images.length / 2} complex values, [${dims.join(',')}] × ${channels} channels need ${n * channels}`);
  }
  return { nx, ny, nz, n, c: channels };
}

function kernelOf(kernel: Kernel | undefined, g: Geometry, who: string): [number, number, number] {
  const k: [number, number, number] = kernel === undefined ? [7, 7, 1] : typeof kernel === 'number' ? [kernel, kernel, 1] : [kernel[0], kernel[1], kernel[2]];
  for (const v of k) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad kernel [${k.join(',')}]`);
  }
  return [Math.min(k[0], g.nx), Math.min(k[1], g.ny), Math.min(k[2], g.nz)];
}

/** Window of size k around i: [i - lo, i + hi]. */
function lohi(k: number): [number, number] {
  const lo = Math.floor(k / 2);
  return [lo, k - 1 - lo];
}

// ---------------------------------------------------------------------------
// Walsh

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
  // diagonal offsets: row p starts at off + 2*(p*c - p*(p-1)/2)
  let m = 0, best = -1;
  for (let p = 0; p < c; p++) {
    const d = R[off + 2 * (p * c - (p * (p - 1)) / 2)]!;
    if (d > best) { best = d; m = p; }
  }
  // column m: R_pm for p ≤ m is packed (p, m); for p > m it is conj(R_mp).
  for (let p = 0; p < c; p++) {
    if (p <= m) {
      const k = off + 2 * (p * c - (p * (p - 1)) / 2 + (m - p));
      v[2 * p] = R[k]!;
      v[2 * p + 1] = R[k + 1]!;
    } else {
      const k = off + 2 * (m * c - (m * (m - 1)) / 2 + (p - m));
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
  for (let p = 0; p < n; p += stride) {
    let k = 0;
    for (let a = 0; a < c; a++) {
      const ar = images[2 * (p + n * a)]!, ai = images[2 * (p + n * a) + 1]!;
      for (let b = a; b < c; b++, k += 2) {
        const br = images[2 * (p + n * b)]!, bi = images[2 * (p + n * b) + 1]!;
        // I_a conj(I_b)
        G[k] = G[k]! + ar * br + ai * bi;
        G[k + 1] = G[k + 1]! + ai * br - ar * bi;
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
 * Packed products I(x)·I(x)^H of row (y, z) for x in [x0, x1), written to
 * prod[(x - base)·P2 ..] (P2 = c(c+1) doubles per voxel).
 */
function rowProducts(images: Float32Array, g: Geometry, y: number, z: number, x0: number, x1: number, base: number, prod: Float32Array): void {
  const { nx, ny, n, c } = g;
  const P2 = c * (c + 1);
  const rowBase = nx * (y + ny * z);
  for (let x = x0; x < x1; x++) {
    const p2 = 2 * (rowBase + x);
    let k = (x - base) * P2;
    for (let a = 0; a < c; a++) {
      const ia = p2 + 2 * n * a;
      const ar = images[ia]!, ai = images[ia + 1]!;
      for (let b = a; b < c; b++, k += 2) {
        const ib = p2 + 2 * n * b;
        const br = images[ib]!, bi = images[ib + 1]!;
        prod[k] = ar * br + ai * bi;
        prod[k + 1] = ai * br - ar * bi;
      }
    }
  }
}

/**
 * 2D kernels: x-box sums of row (y, z) (window [x - lo, x + hi], truncated)
 * for output columns [xa, xb), stored in the ring slot at `slot` (tile-local
 * layout (x - xa)·P2), with acc += new - old slot content (so the row that
 * leaves the y window is removed by the same pass). `prod` holds
 * (xb - xa + kx + 1)·P2 floats.
 */
function ringRow(
  images: Float32Array, g: Geometry, y: number, z: number, xa: number, xb: number, kx: number,
  ring: Float32Array, slot: number, acc: Float64Array, prod: Float32Array, run: Float64Array,
): void {
  const { nx, c } = g;
  const P2 = c * (c + 1);
  const [lo, hi] = lohi(kx);
  const base = xa - lo - 1; // padded column 0 ↔ x = base (always a zero column)
  const x0 = Math.max(0, xa - lo), x1 = Math.min(nx, xb + hi);
  prod.fill(0, 0, (x0 - base) * P2);
  prod.fill(0, (x1 - base) * P2, (xb - xa + kx + 1) * P2);
  rowProducts(images, g, y, z, x0, x1, base, prod);
  // run = window of x = xa - 1: padded columns [0, kx)
  run.fill(0, 0, P2);
  for (let col = 0; col < kx; col++) {
    const s = col * P2;
    for (let j = 0; j < P2; j++) run[j] = run[j]! + prod[s + j]!;
  }
  for (let x = 0; x < xb - xa; x++) {
    const aOff = (x + kx) * P2, rOff = x * P2, o = x * P2, so = slot + o;
    for (let j = 0; j < P2; j++) {
      const r = run[j]! + prod[aOff + j]! - prod[rOff + j]!;
      run[j] = r;
      // the ring holds float32-rounded values; acc adds and later subtracts
      // exactly the same value, so it does not drift
      const rf = Math.fround(r);
      acc[o + j] = acc[o + j]! + rf - ring[so + j]!;
      ring[so + j] = rf;
    }
  }
}

/**
 * 3D kernels: x-box sums of row (y, z) for output columns [xa, xb), added
 * (sign 1) to or subtracted (sign -1) from dst[dOff + (x - xa)·P2 ..].
 * `prod` holds ≥ (xb - xa + kx + 1)·P2 doubles.
 */
function xboxRow(
  images: Float32Array, g: Geometry, y: number, z: number, xa: number, xb: number, kx: number,
  dst: Float64Array, dOff: number, sign: 1 | -1, prod: Float32Array, run: Float64Array,
): void {
  const { nx, c } = g;
  const P2 = c * (c + 1);
  const [lo, hi] = lohi(kx);
  const base = xa - lo - 1; // padded column 0 ↔ x = base
  prod.fill(0, 0, (xb - xa + kx + 1) * P2);
  rowProducts(images, g, y, z, Math.max(0, xa - lo), Math.min(nx, xb + hi), base, prod);
  run.fill(0, 0, P2);
  for (let col = 0; col < kx; col++) {
    const s = col * P2;
    for (let j = 0; j < P2; j++) run[j] = run[j]! + prod[s + j]!;
  }
  for (let x = xa; x < xb; x++) {
    const aOff = (x - xa + kx) * P2, rOff = (x - xa) * P2, d = dOff + (x - xa) * P2;
    for (let j = 0; j < P2; j++) {
      const r = run[j]! + prod[aOff + j]! - prod[rOff + j]!;
      run[j] = r;
      dst[d + j] = dst[d + j]! + sign * r;
    }
  }
}

/** Bytes of the 2D-kernel ring of x-boxed rows per tile (kept cache-sized). */
const RING_BUDGET = Number(process.env['RB'] ?? 512 * 1024);

/** Plane-accumulator budget for 3D kernels, in Float64 elements (~64 MB). */
const PLANE_BUDGET = 8 * 1024 * 1024;

/**
 * Walsh adaptive coil sensitivity maps. Returns maps [x, y, z, cha] complex,
 * Σ_c|S_c|² = 1 wherever the local window holds signal. See the file comment.
 */
export function walshMaps(coilImages: Float32Array, dims: Dims3, channels: number, opts: WalshOptions = {}): Float32Array {
  const who = 'walshMaps';
  const g = geometry(coilImages, dims, channels, who);
  const [kx, ky, kz] = kernelOf(opts.kernel, g, who);
  const iters = opts.iterations ?? 3;
  if (!Number.isInteger(iters) || iters < 1) throw new UhfError('BAD_ARGUMENT', `${who}: iterations must be an integer ≥ 1, got ${iters}`);
  const ref = opts.phaseReference ?? 'virtual';
  if (ref !== 'virtual' && !(Number.isInteger(ref) && ref >= 0 && ref < channels)) {
    throw new UhfError('BAD_ARGUMENT', `${who}: phaseReference must be 'virtual' or a coil index < ${channels}, got ${String(ref)}`);
  }
  const { nx, ny, nz, n, c } = g;
  const P2 = c * (c + 1);
  const u = ref === 'virtual' ? virtualCoil(coilImages, g) : null;
  const refIdx = ref === 'virtual' ? 0 : ref;
  const maps = new Float32Array(2 * n * c);
  const v = new Float64Array(2 * c);
  const yv = new Float64Array(2 * c);
  const run = new Float64Array(P2);

  const solve = (acc: Float64Array, off: number, p: number): void => {
    strongestColumn(acc, off, c, v);
    const norm = powerIteration(acc, off, c, v, yv, iters);
    if (norm === 0) return; // maps stay 0
    referPhase(v, c, u, refIdx);
    for (let q = 0; q < c; q++) {
      maps[2 * (p + n * q)] = v[2 * q]!;
      maps[2 * (p + n * q) + 1] = v[2 * q + 1]!;
    }
  };

  const [ylo, yhi] = lohi(ky);
  if (kz === 1) {
    // Per tile of x columns (sized so the ring stays in cache): ring of ky
    // x-boxed rows, running sum over y; slices independent.
    const tw = Math.max(1, Math.min(nx, Math.floor(RING_BUDGET / (4 * P2 * (ky + 2)))));
    const prod = new Float32Array((tw + kx + 1) * P2);
    const ring = new Float32Array(ky * tw * P2);
    const acc = new Float64Array(tw * P2);
    for (let z = 0; z < nz; z++) {
      for (let xa = 0; xa < nx; xa += tw) {
        const xb = Math.min(nx, xa + tw);
        const rowLen = (xb - xa) * P2;
        acc.fill(0);
        ring.fill(0);
        for (let r = 0; r < Math.min(yhi, ny); r++) ringRow(coilImages, g, r, z, xa, xb, kx, ring, (r % ky) * rowLen, acc, prod, run);
        for (let y = 0; y < ny; y++) {
          const rem = y - ylo - 1, add = y + yhi;
          if (add < ny) {
            // the slot of row `add` holds row `rem` (or zeros): replaced and removed in one pass
            ringRow(coilImages, g, add, z, xa, xb, kx, ring, (add % ky) * rowLen, acc, prod, run);
          } else if (rem >= 0) {
            const slot = (rem % ky) * rowLen;
            for (let j = 0; j < rowLen; j++) acc[j] = acc[j]! - ring[slot + j]!;
          }
          const rowBase = nx * (y + ny * z);
          for (let x = xa; x < xb; x++) solve(acc, (x - xa) * P2, rowBase + x);
        }
      }
    }
    return maps;
  }

  // 3D kernel: per tile of x columns, plane[y][x] = Σ_{z' ∈ window(z)} xbox(y, z').
  const [zlo, zhi] = lohi(kz);
  const tw = Math.max(1, Math.min(nx, Math.floor(PLANE_BUDGET / (ny * P2))));
  const prod = new Float32Array((tw + kx + 1) * P2);
  const plane = new Float64Array(ny * tw * P2);
  const acc = new Float64Array(tw * P2);
  for (let xa = 0; xa < nx; xa += tw) {
    const xb = Math.min(nx, xa + tw);
    const w = xb - xa;
    const rowLen = w * P2;
    const addPlane = (zz: number, sign: 1 | -1): void => {
      for (let y = 0; y < ny; y++) xboxRow(coilImages, g, y, zz, xa, xb, kx, plane, y * rowLen, sign, prod, run);
    };
    plane.fill(0);
    for (let zz = 0; zz < Math.min(zhi, nz); zz++) addPlane(zz, 1);
    for (let z = 0; z < nz; z++) {
      if (z - zlo - 1 >= 0) addPlane(z - zlo - 1, -1);
      if (z + zhi < nz) addPlane(z + zhi, 1);
      acc.fill(0);
      for (let r = 0; r < Math.min(yhi, ny); r++) for (let j = 0; j < rowLen; j++) acc[j] = acc[j]! + plane[r * rowLen + j]!;
      for (let y = 0; y < ny; y++) {
        const rem = y - ylo - 1, add = y + yhi;
        if (rem >= 0) for (let j = 0; j < rowLen; j++) acc[j] = acc[j]! - plane[rem * rowLen + j]!;
        if (add < ny) for (let j = 0; j < rowLen; j++) acc[j] = acc[j]! + plane[add * rowLen + j]!;
        const rowBase = nx * (y + ny * z);
        for (let x = xa; x < xb; x++) solve(acc, (x - xa) * P2, rowBase + x);
      }
    }
  }
  return maps;
}

// ---------------------------------------------------------------------------
// Inati

/**
 * In-place truncated box sum of one complex volume (interleaved, starting at
 * complex index `start`) along `axis` with window size k. `line` is Float64
 * scratch of ≥ 2·max(dim) elements.
 */
function boxAxis(data: Float32Array, start: number, g: Geometry, axis: 0 | 1 | 2, k: number, line: Float64Array): void {
  if (k <= 1) return;
  const { nx, ny, nz } = g;
  const len = axis === 0 ? nx : axis === 1 ? ny : nz;
  if (len === 1) return;
  const stride = axis === 0 ? 1 : axis === 1 ? nx : nx * ny;
  const [lo, hi] = lohi(k);
  // lines: all (i0, i2) index pairs orthogonal to axis
  const inner = stride, outer = (nx * ny * nz) / (stride * len);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = 2 * (start + o * stride * len + i);
      for (let t = 0; t < len; t++) {
        line[2 * t] = data[base + 2 * t * stride]!;
        line[2 * t + 1] = data[base + 2 * t * stride + 1]!;
      }
      let sr = 0, si = 0;
      for (let t = 0; t < Math.min(hi, len); t++) { sr += line[2 * t]!; si += line[2 * t + 1]!; }
      for (let t = 0; t < len; t++) {
        const add = t + hi, rem = t - lo - 1;
        if (add < len) { sr += line[2 * add]!; si += line[2 * add + 1]!; }
        if (rem >= 0) { sr -= line[2 * rem]!; si -= line[2 * rem + 1]!; }
        data[base + 2 * t * stride] = sr;
        data[base + 2 * t * stride + 1] = si;
      }
    }
  }
}

/**
 * Inati iterative adaptive coil sensitivity maps. Returns maps [x, y, z, cha]
 * complex, Σ_c|S_c|² = 1 where there is signal. See the file comment.
 */
export function inatiMaps(coilImages: Float32Array, dims: Dims3, channels: number, opts: InatiOptions = {}): Float32Array {
  const who = 'inatiMaps';
  const g = geometry(coilImages, dims, channels, who);
  const [kx, ky, kz] = kernelOf(opts.kernel, g, who);
  const iters = opts.iterations ?? 5;
  const thresh = opts.threshold ?? 1e-3;
  if (!Number.isInteger(iters) || iters < 1) throw new UhfError('BAD_ARGUMENT', `${who}: iterations must be an integer ≥ 1, got ${iters}`);
  if (!(thresh >= 0)) throw new UhfError('BAD_ARGUMENT', `${who}: threshold must be ≥ 0, got ${thresh}`);
  const { nx, ny, nz, n, c } = g;
  const img = coilImages;
  const maps = new Float32Array(2 * n * c);
  const rho = new Float64Array(2 * n);
  const prev = new Float64Array(thresh > 0 ? 2 * n : 0);
  const nrm = new Float64Array(n);
  const tBuf = new Float64Array(2 * n);
  const d = new Float64Array(2 * c);
  const line = new Float64Array(2 * Math.max(nx, ny, nz));

  const normaliseD = (): void => {
    let s = 0;
    for (let i = 0; i < 2 * c; i++) s += d[i]! * d[i]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let i = 0; i < 2 * c; i++) d[i] = d[i]! * inv;
  };

  // 0. d = Σ_x I normalised; ρ = Σ_c conj(d_c) I_c
  for (let q = 0; q < c; q++) {
    let sr = 0, si = 0;
    for (let p = 0; p < n; p++) { sr += img[2 * (p + n * q)]!; si += img[2 * (p + n * q) + 1]!; }
    d[2 * q] = sr; d[2 * q + 1] = si;
  }
  normaliseD();
  rho.fill(0);
  for (let q = 0; q < c; q++) {
    const dr = d[2 * q]!, di = d[2 * q + 1]!;
    for (let p = 0; p < n; p++) {
      const i = 2 * (p + n * q);
      const ir = img[i]!, ii = img[i + 1]!;
      rho[2 * p] = rho[2 * p]! + dr * ir + di * ii;
      rho[2 * p + 1] = rho[2 * p + 1]! + dr * ii - di * ir;
    }
  }

  for (let it = 0; it < iters; it++) {
    if (thresh > 0) prev.set(rho);
    // 1. v_c = box(I_c · conj(ρ))
    for (let q = 0; q < c; q++) {
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        const ir = img[i]!, ii = img[i + 1]!, rr = rho[2 * p]!, ri = rho[2 * p + 1]!;
        maps[i] = ir * rr + ii * ri;
        maps[i + 1] = ii * rr - ir * ri;
      }
      boxAxis(maps, n * q, g, 0, kx, line);
      boxAxis(maps, n * q, g, 1, ky, line);
      boxAxis(maps, n * q, g, 2, kz, line);
    }
    // 2. v /= ‖v‖ (0 where ‖v‖² ≤ 1e-20·max‖v‖²)
    nrm.fill(0);
    for (let q = 0; q < c; q++) {
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        nrm[p] = nrm[p]! + maps[i]! * maps[i]! + maps[i + 1]! * maps[i + 1]!;
      }
    }
    let maxN = 0;
    for (let p = 0; p < n; p++) if (nrm[p]! > maxN) maxN = nrm[p]!;
    const floor = 1e-20 * maxN;
    for (let p = 0; p < n; p++) {
      const v = nrm[p]!;
      nrm[p] = v > floor && v > 0 ? 1 / Math.sqrt(v) : 0;
    }
    // 3. ρ = Σ_c conj(v_c) I_c (after scaling v)
    rho.fill(0);
    for (let q = 0; q < c; q++) {
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        const s = nrm[p]!;
        const vr = maps[i]! * s, vi = maps[i + 1]! * s;
        maps[i] = vr; maps[i + 1] = vi;
        const ir = img[i]!, ii = img[i + 1]!;
        rho[2 * p] = rho[2 * p]! + vr * ir + vi * ii;
        rho[2 * p + 1] = rho[2 * p + 1]! + vr * ii - vi * ir;
      }
    }
    // 4. d = Σ_x v·ρ normalised; t = Σ_c conj(d_c) v_c / |.|; ρ *= t; v *= conj(t)
    for (let q = 0; q < c; q++) {
      let sr = 0, si = 0;
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        const vr = maps[i]!, vi = maps[i + 1]!, rr = rho[2 * p]!, ri = rho[2 * p + 1]!;
        sr += vr * rr - vi * ri;
        si += vr * ri + vi * rr;
      }
      d[2 * q] = sr; d[2 * q + 1] = si;
    }
    normaliseD();
    tBuf.fill(0);
    for (let q = 0; q < c; q++) {
      const dr = d[2 * q]!, di = d[2 * q + 1]!;
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        const vr = maps[i]!, vi = maps[i + 1]!;
        tBuf[2 * p] = tBuf[2 * p]! + dr * vr + di * vi;
        tBuf[2 * p + 1] = tBuf[2 * p + 1]! + dr * vi - di * vr;
      }
    }
    for (let p = 0; p < n; p++) {
      const tr = tBuf[2 * p]!, ti = tBuf[2 * p + 1]!;
      const m = Math.hypot(tr, ti);
      const ur = m > 0 ? tr / m : 1, ui = m > 0 ? ti / m : 0;
      tBuf[2 * p] = ur; tBuf[2 * p + 1] = ui;
      const rr = rho[2 * p]!, ri = rho[2 * p + 1]!;
      rho[2 * p] = rr * ur - ri * ui;
      rho[2 * p + 1] = rr * ui + ri * ur;
    }
    for (let q = 0; q < c; q++) {
      for (let p = 0; p < n; p++) {
        const i = 2 * (p + n * q);
        const vr = maps[i]!, vi = maps[i + 1]!, ur = tBuf[2 * p]!, ui = tBuf[2 * p + 1]!;
        // v * conj(t)
        maps[i] = vr * ur + vi * ui;
        maps[i + 1] = vi * ur - vr * ui;
      }
    }
    if (thresh > 0) {
      let num = 0, den = 0;
      for (let i = 0; i < 2 * n; i++) {
        const e = rho[i]! - prev[i]!;
        num += e * e;
        den += rho[i]! * rho[i]!;
      }
      if (den > 0 && Math.sqrt(num / den) < thresh) break;
    }
  }
  return maps;
}
