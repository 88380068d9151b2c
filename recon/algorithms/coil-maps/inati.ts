/** Inati iterative coil sensitivities (see ../coil-maps.ts for the method and conventions). */
import { UhfError } from '../../../shared/errors.ts';
import { geometry, kernelOf, lohi, type Geometry, type Dims3, type InatiOptions } from './common.ts';

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
