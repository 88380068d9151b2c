/**
 * Sampling bookkeeping for GRAPPA: which (e1, e2) lines were acquired, where
 * the regular undersampling lattice sits, and where the fully sampled
 * calibration (ACS) block is.
 *
 * Masks are Uint8Array of length e1·e2 (e1 fastest): mask[e1 + n1·e2] ≠ 0
 * when that line was acquired (all readout points, all channels).
 */
import { UhfError } from '../../../shared/errors.ts';
import type { KspaceDims } from './calibrate.ts';

function checkDims(dims: KspaceDims, who: string): void {
  for (const v of dims) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad k-space dims [${dims.join(', ')}]`);
  }
}

/** Lines with at least one non-zero sample in any channel (the zero-filled convention). */
export function acquiredLineMask(kspace: Float32Array, dims: KspaceDims): Uint8Array {
  checkDims(dims, 'acquiredLineMask');
  const [nro, n1, n2, nc] = dims;
  if (kspace.length !== 2 * nro * n1 * n2 * nc) {
    throw new UhfError('SHAPE_MISMATCH', `acquiredLineMask: k-space has ${kspace.length / 2} complex values, dims [${dims.join(', ')}] need ${nro * n1 * n2 * nc}`);
  }
  const lines = n1 * n2;
  const mask = new Uint8Array(lines);
  for (let c = 0; c < nc; c++) {
    for (let L = 0; L < lines; L++) {
      if (mask[L]) continue;
      const o = 2 * nro * (L + lines * c);
      for (let q = 0; q < 2 * nro; q++) {
        if (kspace[o + q] !== 0) {
          mask[L] = 1;
          break;
        }
      }
    }
  }
  return mask;
}

export interface Lattice {
  /** [o1, o2]: lattice lines are o1 + Ry·m (e1) and o2 + Rz·k (e2), 0 ≤ o1 < Ry, 0 ≤ o2 < Rz. */
  offset: [number, number];
  /** Fraction of the lattice lines inside the bounding box of the acquired lines that were acquired. */
  fill: number;
  /** Acquired lines off the lattice and outside the ACS block around the centre. */
  strayLines: number;
}

/** Minimum lattice fill: elliptical scanning keeps π/4 ≈ 0.785 of a box. */
const MIN_FILL = 0.7;
/** Maximum fraction of acquired lines that may lie off the lattice outside the ACS block. */
const MAX_STRAY = 0.1;

/**
 * Checks that the acquired lines form the regular [Ry, Rz] pattern with the
 * given lattice offset: at least 70 % of the lattice lines inside the bounding
 * box of the acquired lines are acquired (partial Fourier shrinks the box;
 * elliptical scanning leaves ~21 % of it empty), and at most 10 % of the
 * acquired lines lie off the lattice outside the central ACS block. Throws
 * UhfError('UNSUPPORTED_DATA') otherwise — e.g. data acquired at another
 * acceleration than the kernel's, which GRAPPA would leave aliased.
 */
export function checkLattice(mask: Uint8Array, n1: number, n2: number, accel: readonly [number, number], offset: readonly [number, number]): Lattice {
  const [ry, rz] = accel;
  if (mask.length !== n1 * n2) throw new UhfError('SHAPE_MISMATCH', `GRAPPA sampling: mask has ${mask.length} lines, expected ${n1}×${n2}`);
  const o1 = ((offset[0] % ry) + ry) % ry, o2 = ((offset[1] % rz) + rz) % rz;
  let lo1 = n1, hi1 = -1, lo2 = n2, hi2 = -1, acquired = 0;
  for (let e2 = 0; e2 < n2; e2++) {
    for (let e1 = 0; e1 < n1; e1++) {
      if (!mask[e1 + n1 * e2]) continue;
      acquired++;
      lo1 = Math.min(lo1, e1); hi1 = Math.max(hi1, e1);
      lo2 = Math.min(lo2, e2); hi2 = Math.max(hi2, e2);
    }
  }
  if (acquired === 0) throw new UhfError('UNSUPPORTED_DATA', 'GRAPPA: no acquired k-space lines (the data are all zero)');
  const onLattice = (e1: number, e2: number): boolean => (e1 - o1) % ry === 0 && (e2 - o2) % rz === 0;
  let total = 0, got = 0;
  for (let e2 = lo2; e2 <= hi2; e2++) {
    for (let e1 = lo1; e1 <= hi1; e1++) {
      if (!onLattice(e1, e2)) continue;
      total++;
      if (mask[e1 + n1 * e2]) got++;
    }
  }
  const fill = total > 0 ? got / total : 0;
  const acs = findAcsRegion(mask, n1, n2);
  let stray = 0;
  for (let e2 = 0; e2 < n2; e2++) {
    for (let e1 = 0; e1 < n1; e1++) {
      if (!mask[e1 + n1 * e2] || onLattice(e1, e2)) continue;
      const inAcs = acs !== null && e1 >= acs.start[0] && e1 < acs.start[0] + acs.size[0] && e2 >= acs.start[1] && e2 < acs.start[1] + acs.size[1];
      if (!inAcs) stray++;
    }
  }
  if (fill < MIN_FILL || stray > MAX_STRAY * acquired) {
    const why = fill < MIN_FILL
      ? `only ${(100 * fill).toFixed(0)} % of the lattice lines (e1 = ${o1} + ${ry}·m${rz > 1 || n2 > 1 ? `, e2 = ${o2} + ${rz}·k` : ''}) were acquired`
      : `${stray} of the ${acquired} acquired lines lie off that lattice outside the ACS block`;
    throw new UhfError('UNSUPPORTED_DATA',
      `GRAPPA: the acquired lines do not form the kernel's regular R = ${ry}×${rz} pattern (${why}): the data were acquired with another acceleration or pattern; GRAPPA with this kernel would leave them aliased`);
  }
  return { offset: [o1, o2], fill, strayLines: stray };
}

/**
 * The lattice offset (residue class (e1 mod Ry, e2 mod Rz)) holding the most
 * acquired lines, validated by `checkLattice`.
 */
export function detectLattice(mask: Uint8Array, n1: number, n2: number, accel: readonly [number, number]): Lattice {
  const [ry, rz] = accel;
  if (mask.length !== n1 * n2) throw new UhfError('SHAPE_MISMATCH', `GRAPPA sampling: mask has ${mask.length} lines, expected ${n1}×${n2}`);
  const counts = new Float64Array(ry * rz);
  for (let e2 = 0; e2 < n2; e2++) {
    for (let e1 = 0; e1 < n1; e1++) if (mask[e1 + n1 * e2]) counts[(e1 % ry) + ry * (e2 % rz)]!++;
  }
  let best = 0;
  for (let k = 1; k < counts.length; k++) if (counts[k]! > counts[best]!) best = k;
  const o1 = best % ry;
  return checkLattice(mask, n1, n2, accel, [o1, (best - o1) / ry]);
}

export interface AcsRegion {
  /** First ACS line [e1, e2]. */
  start: [number, number];
  /** ACS lines [e1, e2] (a fully acquired block). */
  size: [number, number];
}

/**
 * The fully acquired block of lines around the k-space centre (⌊n1/2⌋,
 * ⌊n2/2⌋): the run of acquired e1 lines through the centre, then extended
 * along e2 while every line of that run stays acquired. Returns null when the
 * centre line itself was not acquired or the block is a single line, i.e.
 * there are no calibration data.
 */
export function findAcsRegion(mask: Uint8Array, n1: number, n2: number): AcsRegion | null {
  if (mask.length !== n1 * n2) throw new UhfError('SHAPE_MISMATCH', `findAcsRegion: mask has ${mask.length} lines, expected ${n1}×${n2}`);
  const c1 = Math.floor(n1 / 2), c2 = Math.floor(n2 / 2);
  if (!mask[c1 + n1 * c2]) return null;
  // per partition e2: the run [lo, hi] of acquired e1 lines through c1
  const lo = new Int32Array(n2), hi = new Int32Array(n2).fill(-1);
  for (let e2 = 0; e2 < n2; e2++) {
    if (!mask[c1 + n1 * e2]) continue;
    let a = c1, b = c1;
    while (a > 0 && mask[a - 1 + n1 * e2]) a--;
    while (b < n1 - 1 && mask[b + 1 + n1 * e2]) b++;
    lo[e2] = a;
    hi[e2] = b;
  }
  // largest rectangle [a, b] × [p, q] through the centre (O(n2²))
  let best: AcsRegion | null = null, bestArea = 0;
  for (let p = c2; p >= 0 && hi[p]! >= 0; p--) {
    let a = 0, b = n1 - 1;
    for (let q = p; q < n2 && hi[q]! >= 0; q++) {
      a = Math.max(a, lo[q]!);
      b = Math.min(b, hi[q]!);
      if (q < c2) continue;
      const area = (b - a + 1) * (q - p + 1);
      if (area > bestArea) {
        bestArea = area;
        best = { start: [a, p], size: [b - a + 1, q - p + 1] };
      }
    }
  }
  if (best === null || (best.size[0] < 2 && best.size[1] < 2)) return null;
  return best;
}

/**
 * Copies the ACS block out of zero-filled k-space [ro, e1, e2, cha].
 * `mask` defaults to `acquiredLineMask(kspace)`. Throws
 * UhfError('UNSUPPORTED_DATA') naming what is missing when there is no fully
 * sampled block of lines around the centre.
 */
export function extractAcs(kspace: Float32Array, dims: KspaceDims, mask?: Uint8Array): { acs: Float32Array; acsDims: [number, number, number, number]; region: AcsRegion } {
  checkDims(dims, 'extractAcs');
  const [nro, n1, n2, nc] = dims;
  const mk = mask ?? acquiredLineMask(kspace, dims);
  const region = findAcsRegion(mk, n1, n2);
  if (region === null) {
    throw new UhfError('UNSUPPORTED_DATA',
      `GRAPPA: no calibration (ACS) data — no block of fully sampled lines around the k-space centre (e1 = ${Math.floor(n1 / 2)}${n2 > 1 ? `, e2 = ${Math.floor(n2 / 2)}` : ''}); acquire autocalibration lines or supply a separate reference scan`);
  }
  if (kspace.length !== 2 * nro * n1 * n2 * nc) {
    throw new UhfError('SHAPE_MISMATCH', `extractAcs: k-space has ${kspace.length / 2} complex values, dims [${dims.join(', ')}] need ${nro * n1 * n2 * nc}`);
  }
  const [s1, s2] = region.size, [a1, a2] = region.start;
  const acs = new Float32Array(2 * nro * s1 * s2 * nc);
  for (let c = 0; c < nc; c++) {
    for (let j2 = 0; j2 < s2; j2++) {
      for (let j1 = 0; j1 < s1; j1++) {
        const src = 2 * nro * ((a1 + j1) + n1 * ((a2 + j2) + n2 * c));
        const dst = 2 * nro * (j1 + s1 * (j2 + s2 * c));
        acs.set(kspace.subarray(src, src + 2 * nro), dst);
      }
    }
  }
  return { acs, acsDims: [nro, s1, s2, nc], region };
}

/** Mask of the regular lattice lines (o1 + Ry·m, o2 + Rz·k) — e.g. to strip ACS lines before image-domain unmixing. */
export function latticeMask(n1: number, n2: number, accel: readonly [number, number], offset: readonly [number, number] = [0, 0]): Uint8Array {
  const [ry, rz] = accel;
  const m = new Uint8Array(n1 * n2);
  for (let e2 = 0; e2 < n2; e2++) {
    if ((((e2 - offset[1]) % rz) + rz) % rz !== 0) continue;
    for (let e1 = 0; e1 < n1; e1++) if ((((e1 - offset[0]) % ry) + ry) % ry === 0) m[e1 + n1 * e2] = 1;
  }
  return m;
}

/**
 * Copy of k-space [ro, e1, e2, cha] with the lines where mask = 0 zeroed
 * (into `out` when given; `out` may be `kspace` itself). With `latticeMask`
 * this strips integrated ACS lines before the image-domain path, per frame.
 */
export function maskLines(kspace: Float32Array, dims: KspaceDims, mask: Uint8Array, out?: Float32Array): Float32Array {
  checkDims(dims, 'maskLines');
  const [nro, n1, n2, nc] = dims;
  const lines = n1 * n2;
  if (kspace.length !== 2 * nro * lines * nc) {
    throw new UhfError('SHAPE_MISMATCH', `maskLines: k-space has ${kspace.length / 2} complex values, dims [${dims.join(', ')}] need ${nro * lines * nc}`);
  }
  if (mask.length !== lines) throw new UhfError('SHAPE_MISMATCH', `maskLines: mask has ${mask.length} lines, expected ${n1}×${n2}`);
  const res = out ?? new Float32Array(kspace.length);
  if (res.length !== kspace.length) throw new UhfError('SHAPE_MISMATCH', `maskLines: out has length ${res.length}, expected ${kspace.length}`);
  for (let c = 0; c < nc; c++) {
    for (let L = 0; L < lines; L++) {
      const o = 2 * nro * (L + lines * c);
      if (mask[L]) {
        if (res !== kspace) res.set(kspace.subarray(o, o + 2 * nro), o);
      } else {
        res.fill(0, o, o + 2 * nro);
      }
    }
  }
  return res;
}
