/**
 * Slice geometry: the one place where ISMRMRD patient coordinates become
 * voxel→world affines. Everything here is pure.
 *
 * ## Conventions (the whole project uses these)
 *
 * Coordinates
 * - ISMRMRD `position`, `readDir`, `phaseDir`, `sliceDir` (and everything typed
 *   `SliceGeometry` here) are patient **LPS** millimetres: +x = patient Left,
 *   +y = Posterior, +z = Superior.
 * - Volume / NIfTI affines are **RAS** millimetres: RAS = diag(-1, -1, 1)·LPS
 *   (the same matrix maps RAS back to LPS).
 * - An `Affine` is row-major 4x4 mapping 0-based voxel centres (i, j, k, 1) to
 *   RAS mm (see shared/volume.ts).
 *
 * Image grid after a centred FFT (fftc/ifftc: centre at index floor(n/2))
 * - For an encoding with recon matrix (nx, ny, nz) and recon FOV (fx, fy, fz) mm,
 *   image pixel (i, j, k) is at
 *
 *       world_LPS = position
 *                 + (i - floor(nx/2))·(fx/nx)·readDir
 *                 + (j - floor(ny/2))·(fy/ny)·phaseDir
 *                 + (k - floor(nz/2))·(fz/nz)·sliceDir
 *
 *   i runs along the readout (k-space sample index / encode step 0), j along
 *   kspace_encode_step_1, k along kspace_encode_step_2.
 * - 2D multislice: nz = 1 (so k = 0), every slice has its own `position` (the
 *   slice centre), slice thickness = fz of the encoding. Slices are stacked
 *   by `stackSlices` into one volume whose z axis is sorted by the slice
 *   position projected on the slice normal (ascending along `sliceDir`), never
 *   by acquisition order or `idx.slice`.
 *
 * Direction cosines are re-orthonormalised (Gram–Schmidt on read, phase;
 * slice kept on the side given). Tiny float32 round-off is fixed silently;
 * deviations above `DIRECTION_WARN_TOL` give a warning; unusable directions
 * (zero read/phase, read ∥ phase, slice in-plane) are rejected with
 * UhfError('UNSUPPORTED_DATA').
 * All directions zero (as ismrmrd_generate_cartesian_shepp_logan writes) means
 * "no geometry": a fallback axial affine is returned with `fallback: true`.
 */
import type { AcquisitionHeader, Encoding, Vec3 } from '../../shared/ismrmrd.ts';
import { ACQ_FLAGS } from '../../shared/ismrmrd.ts';
import type { Affine } from '../../shared/volume.ts';
import { asAffine } from '../../shared/volume.ts';
import { UhfError } from '../../shared/errors.ts';
import { addScaled, cross, dot, norm, scale, sub } from './vec.ts';

export type { Vec3 };

/** One slice (2D, nz = 1) or slab (3D) in ISMRMRD terms. All vectors patient LPS. */
export interface SliceGeometry {
  /** Centre of the slice/slab (the pixel at floor(n/2) on every axis), LPS mm. */
  position: Vec3;
  readDir: Vec3;
  phaseDir: Vec3;
  sliceDir: Vec3;
  /** Recon matrix [nx, ny, nz]; nz = 1 for 2D. */
  matrix: readonly [number, number, number];
  /** Recon FOV [fx, fy, fz] mm; fz = slice thickness for 2D. */
  fovMm: readonly [number, number, number];
}

export interface OrthonormalDirections {
  readDir: Vec3;
  phaseDir: Vec3;
  sliceDir: Vec3;
  warnings: string[];
}

export interface AffineResult {
  /** voxel → RAS mm. */
  affine: Affine;
  /** The (re-orthonormalised) directions the affine was built from, LPS. */
  readDir: Vec3;
  phaseDir: Vec3;
  sliceDir: Vec3;
  warnings: string[];
  /** True when the input had no geometry and an axial fallback was used. */
  fallback: boolean;
  /** Why the fallback was used (only when fallback). */
  reason?: string;
}

export interface StackResult extends AffineResult {
  /** Volume dims [nx, ny, nSlices]. */
  dims: [number, number, number];
  /** zOfSlice[s] = z index (0..n-1) of the slice with idx.slice = s (array position). */
  zOfSlice: number[];
  /** sliceAtZ[z] = slice index stored at z. Inverse of zOfSlice. */
  sliceAtZ: number[];
  /** Centre-to-centre distance between consecutive z planes, mm (mean when uneven). */
  spacingMm: number;
  /** Slice thickness (fz of the encoding), mm. */
  thicknessMm: number;
  /** Projection of each slice's position on the normal, by slice index, mm (LPS). */
  projectionsMm: number[];
}

/**
 * Direction deviations (|cos| between axes, |norm − 1|, 1 − |cos(slice, read×phase)|)
 * up to this are float32 round-off and fixed silently; larger ones are fixed
 * with a warning; above DIRECTION_REJECT_TOL (cosines) they are rejected.
 */
export const DIRECTION_WARN_TOL = 1e-4;
export const DIRECTION_REJECT_TOL = 0.05;
/** Slices count as parallel when their directions agree within this (radians). */
export const PARALLEL_TOL_RAD = 1e-3;
/** Positions agree (in-plane offsets, spacing evenness) within max(this, 1e-3·spacing) mm. */
export const POSITION_TOL_MM = 0.01;
/** Direction vectors with every component below this are "zero". */
export const ZERO_DIR_TOL = 1e-6;

const FALLBACK_READ: Vec3 = [1, 0, 0];
const FALLBACK_PHASE: Vec3 = [0, 1, 0];
const FALLBACK_SLICE: Vec3 = [0, 0, 1];

// ---------------------------------------------------------------- LPS / RAS

/** LPS mm → RAS mm (flip x and y). Also works for directions. */
export function lpsToRas(v: Vec3): Vec3 {
  return [-v[0], -v[1], v[2]];
}

/** RAS mm → LPS mm (flip x and y). */
export function rasToLps(v: Vec3): Vec3 {
  return [-v[0], -v[1], v[2]];
}

// ---------------------------------------------------------------- directions

function isZeroDir(v: Vec3): boolean {
  return Math.abs(v[0]) < ZERO_DIR_TOL && Math.abs(v[1]) < ZERO_DIR_TOL && Math.abs(v[2]) < ZERO_DIR_TOL;
}

/** True when read, phase and slice directions are all (numerically) zero: "no geometry". */
export function hasNoGeometry(g: Pick<SliceGeometry, 'readDir' | 'phaseDir' | 'sliceDir'>): boolean {
  return isZeroDir(g.readDir) && isZeroDir(g.phaseDir) && isZeroDir(g.sliceDir);
}

function fmt(v: Vec3): string {
  return `(${v.map((x) => x.toPrecision(6)).join(', ')})`;
}

/**
 * Re-orthonormalise read/phase/slice directions.
 * read is normalised; phase is made orthogonal to read (Gram–Schmidt);
 * slice becomes ±read×phase, keeping the sign of the given sliceDir
 * (ISMRMRD does not require a right-handed frame, and the sign of sliceDir is
 * what orders slices). A zero sliceDir becomes read×phase (with a warning).
 * Throws UhfError('UNSUPPORTED_DATA') when the directions cannot define a frame.
 */
export function orthonormalizeDirections(readDir: Vec3, phaseDir: Vec3, sliceDir: Vec3): OrthonormalDirections {
  const warnings: string[] = [];
  const nr = norm(readDir);
  const np = norm(phaseDir);
  const ns = norm(sliceDir);
  if (!(nr > ZERO_DIR_TOL) || !(np > ZERO_DIR_TOL) || !Number.isFinite(nr) || !Number.isFinite(np)) {
    throw new UhfError(
      'UNSUPPORTED_DATA',
      `degenerate slice directions: read ${fmt(readDir)}, phase ${fmt(phaseDir)} (a zero or non-finite vector)`,
    );
  }
  for (const [name, n] of [['read', nr], ['phase', np], ['slice', ns]] as const) {
    if (name === 'slice' && ns <= ZERO_DIR_TOL) continue;
    if (Math.abs(n - 1) > DIRECTION_WARN_TOL) {
      warnings.push(`${name} direction has norm ${n.toPrecision(6)}, normalised`);
    }
  }
  const r = scale(readDir, 1 / nr);
  let p = scale(phaseDir, 1 / np);
  const rp = dot(r, p);
  if (Math.abs(rp) > DIRECTION_REJECT_TOL) {
    throw new UhfError(
      'UNSUPPORTED_DATA',
      `read ${fmt(readDir)} and phase ${fmt(phaseDir)} directions are not orthogonal (cos = ${rp.toPrecision(4)})`,
    );
  }
  if (Math.abs(rp) > DIRECTION_WARN_TOL) {
    warnings.push(`read and phase directions not orthogonal (cos = ${rp.toPrecision(4)}), re-orthonormalised`);
  }
  p = addScaled(p, r, -rp);
  p = scale(p, 1 / norm(p));
  const n = cross(r, p);
  let s: Vec3;
  if (!(ns > ZERO_DIR_TOL)) {
    warnings.push('slice direction is zero, using read × phase');
    s = n;
  } else {
    const c = dot(sliceDir, n) / ns;
    if (!(Math.abs(c) >= 1 - DIRECTION_REJECT_TOL)) {
      throw new UhfError(
        'UNSUPPORTED_DATA',
        `slice direction ${fmt(sliceDir)} is not perpendicular to the read/phase plane (cos to normal = ${c.toPrecision(4)})`,
      );
    }
    if (1 - Math.abs(c) > DIRECTION_WARN_TOL) {
      warnings.push(`slice direction not perpendicular to read/phase (cos = ${c.toPrecision(6)}), re-orthonormalised`);
    }
    s = c >= 0 ? n : scale(n, -1);
  }
  return { readDir: r, phaseDir: p, sliceDir: s, warnings };
}

// ---------------------------------------------------------------- affines

function checkGrid(g: SliceGeometry): void {
  for (let a = 0; a < 3; a++) {
    const n = g.matrix[a]!;
    const f = g.fovMm[a]!;
    if (!Number.isInteger(n) || n < 1) throw new UhfError('BAD_ARGUMENT', `matrix[${a}] must be a positive integer, got ${n}`);
    if (!(f > 0) || !Number.isFinite(f)) throw new UhfError('BAD_ARGUMENT', `fovMm[${a}] must be positive, got ${f}`);
  }
  for (const v of [g.position, g.readDir, g.phaseDir, g.sliceDir]) {
    if (!v.every(Number.isFinite)) throw new UhfError('UNSUPPORTED_DATA', `non-finite geometry vector ${fmt(v)}`);
  }
}

/**
 * Build the RAS affine from LPS origin (world position of voxel (0,0,0)) and
 * LPS step vectors per voxel along i, j, k.
 */
export function affineFromLps(originLps: Vec3, stepI: Vec3, stepJ: Vec3, stepK: Vec3): Affine {
  const o = lpsToRas(originLps);
  const a = lpsToRas(stepI);
  const b = lpsToRas(stepJ);
  const c = lpsToRas(stepK);
  return asAffine([a[0], b[0], c[0], o[0], a[1], b[1], c[1], o[1], a[2], b[2], c[2], o[2], 0, 0, 0, 1]);
}

function buildAffine(position: Vec3, r: Vec3, p: Vec3, s: Vec3, matrix: readonly number[], voxel: readonly number[], kCentre: number): Affine {
  const si = scale(r, voxel[0]!);
  const sj = scale(p, voxel[1]!);
  const sk = scale(s, voxel[2]!);
  let origin = addScaled(position, si, -Math.floor(matrix[0]! / 2));
  origin = addScaled(origin, sj, -Math.floor(matrix[1]! / 2));
  origin = addScaled(origin, sk, -kCentre);
  return affineFromLps(origin, si, sj, sk);
}

/**
 * The RAS affine of one slice (nz = 1) or slab, with diagnostics.
 * "No geometry" (all directions zero) gives the axial fallback
 * (read = +x, phase = +y, slice = +z in LPS, centred on `position`).
 */
export function imageAffineChecked(g: SliceGeometry): AffineResult {
  checkGrid(g);
  const voxel = [g.fovMm[0] / g.matrix[0], g.fovMm[1] / g.matrix[1], g.fovMm[2] / g.matrix[2]];
  if (hasNoGeometry(g)) {
    const reason = 'no geometry in the data (read/phase/slice directions are all zero); using an axial fallback: read = +x (L), phase = +y (P), slice = +z (S) in LPS, voxel size from the recon FOV';
    return {
      affine: buildAffine(g.position, FALLBACK_READ, FALLBACK_PHASE, FALLBACK_SLICE, g.matrix, voxel, Math.floor(g.matrix[2] / 2)),
      readDir: FALLBACK_READ, phaseDir: FALLBACK_PHASE, sliceDir: FALLBACK_SLICE,
      warnings: [reason], fallback: true, reason,
    };
  }
  const d = orthonormalizeDirections(g.readDir, g.phaseDir, g.sliceDir);
  return {
    affine: buildAffine(g.position, d.readDir, d.phaseDir, d.sliceDir, g.matrix, voxel, Math.floor(g.matrix[2] / 2)),
    readDir: d.readDir, phaseDir: d.phaseDir, sliceDir: d.sliceDir,
    warnings: d.warnings, fallback: false,
  };
}

/** The RAS affine of one slice/slab (see imageAffineChecked for diagnostics). */
export function imageAffine(g: SliceGeometry): Affine {
  return imageAffineChecked(g).affine;
}

/** World LPS position of image pixel (i, j, k) of a slice/slab, by the convention above (no re-orthonormalisation). */
export function pixelToLps(g: SliceGeometry, i: number, j: number, k = 0): Vec3 {
  let w = addScaled(g.position, g.readDir, (i - Math.floor(g.matrix[0] / 2)) * (g.fovMm[0] / g.matrix[0]));
  w = addScaled(w, g.phaseDir, (j - Math.floor(g.matrix[1] / 2)) * (g.fovMm[1] / g.matrix[1]));
  return addScaled(w, g.sliceDir, (k - Math.floor(g.matrix[2] / 2)) * (g.fovMm[2] / g.matrix[2]));
}

function angleBetween(a: Vec3, b: Vec3): number {
  // robust for tiny angles
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}

/**
 * Stack 2D slices (array position = idx.slice) into one multislice volume.
 * z order = ascending projection of each slice position on the slice normal
 * (sliceDir of slice 0 after re-orthonormalisation); ties keep slice order.
 * Spacing = (last − first projection)/(n − 1); uneven spacing, non-parallel
 * slices or in-plane offsets are reported in `warnings` (the affine then
 * follows slice z=0 and the mean spacing). One slice: spacing = thickness.
 * All directions zero in every slice: axial fallback, z = slice index,
 * spacing = thickness, centred on the origin (positions ignored).
 * A single 3D slab (nz > 1) gives its imageAffine with dims [nx, ny, nz]
 * (zOfSlice = [0]; sliceAtZ all 0).
 */
export function stackSlices(slices: readonly SliceGeometry[]): StackResult {
  if (slices.length === 0) throw new UhfError('BAD_ARGUMENT', 'stackSlices: no slices');
  const g0 = slices[0]!;
  for (const [s, g] of slices.entries()) {
    checkGrid(g);
    if (g.matrix[2] !== 1 && slices.length > 1) {
      throw new UhfError('UNSUPPORTED_DATA', `stackSlices: slice ${s} is a 3D slab (nz = ${g.matrix[2]}); multi-slab stacking is not supported`);
    }
    for (let a = 0; a < 3; a++) {
      if (g.matrix[a] !== g0.matrix[a] || Math.abs(g.fovMm[a]! - g0.fovMm[a]!) > 1e-6 * g0.fovMm[a]!) {
        throw new UhfError('UNSUPPORTED_DATA', `stackSlices: slice ${s} has matrix/FOV ${g.matrix.join('x')} / ${g.fovMm.join('x')} differing from slice 0 (${g0.matrix.join('x')} / ${g0.fovMm.join('x')})`);
      }
    }
  }
  if (slices.length === 1 && g0.matrix[2] > 1) {
    // one 3D slab: its own affine, z = encode step 2
    const r = imageAffineChecked(g0);
    const nz = g0.matrix[2];
    const id = Array.from({ length: nz }, (_, i) => i);
    return {
      ...r, dims: [g0.matrix[0], g0.matrix[1], nz], zOfSlice: [0], sliceAtZ: id.map(() => 0),
      spacingMm: g0.fovMm[2] / nz, thicknessMm: g0.fovMm[2] / nz, projectionsMm: [dot(g0.position, r.sliceDir)],
    };
  }
  const n = slices.length;
  const [nx, ny] = [g0.matrix[0], g0.matrix[1]];
  const thickness = g0.fovMm[2];
  const voxel = [g0.fovMm[0] / nx, g0.fovMm[1] / ny];
  const noGeo = slices.map(hasNoGeometry);
  if (noGeo.every(Boolean)) {
    const reason = `no geometry in the data (read/phase/slice directions are all zero); using an axial fallback: read = +x (L), phase = +y (P), slice = +z (S) in LPS, z index = slice index, spacing = slice thickness ${thickness} mm, centred on the origin`;
    const id = slices.map((_, i) => i);
    return {
      affine: buildAffine([0, 0, 0], FALLBACK_READ, FALLBACK_PHASE, FALLBACK_SLICE, [nx, ny, n], [voxel[0]!, voxel[1]!, thickness], Math.floor(n / 2)),
      readDir: FALLBACK_READ, phaseDir: FALLBACK_PHASE, sliceDir: FALLBACK_SLICE,
      warnings: [reason], fallback: true, reason,
      dims: [nx, ny, n], zOfSlice: id, sliceAtZ: [...id], spacingMm: thickness, thicknessMm: thickness,
      projectionsMm: id.map((i) => (i - Math.floor(n / 2)) * thickness),
    };
  }
  if (noGeo.some(Boolean)) {
    const bad = noGeo.flatMap((b, i) => (b ? [i] : []));
    throw new UhfError('UNSUPPORTED_DATA', `stackSlices: slices ${bad.join(', ')} have no geometry (zero directions) but others do`);
  }

  const warnings: string[] = [];
  const dirs = slices.map((g, s) => {
    const d = orthonormalizeDirections(g.readDir, g.phaseDir, g.sliceDir);
    for (const w of d.warnings) warnings.push(`slice ${s}: ${w}`);
    return d;
  });
  const ref = dirs[0]!;
  const normal = ref.sliceDir;
  let maxAngle = 0;
  for (const d of dirs) {
    maxAngle = Math.max(maxAngle, angleBetween(d.readDir, ref.readDir), angleBetween(d.phaseDir, ref.phaseDir), angleBetween(d.sliceDir, ref.sliceDir));
  }
  if (maxAngle > PARALLEL_TOL_RAD) {
    warnings.push(`slices are not parallel (directions differ by up to ${(maxAngle * 180 / Math.PI).toPrecision(3)}°); using the orientation of slice 0`);
  }
  const proj = slices.map((g) => dot(g.position, normal));
  const order = proj.map((p, s) => ({ p, s })).sort((a, b) => a.p - b.p || a.s - b.s);
  const sliceAtZ = order.map((o) => o.s);
  const zOfSlice = new Array<number>(n).fill(0);
  sliceAtZ.forEach((s, z) => { zOfSlice[s] = z; });

  let spacing = thickness;
  if (n > 1) {
    spacing = (order[n - 1]!.p - order[0]!.p) / (n - 1);
    if (!(spacing > POSITION_TOL_MM)) {
      warnings.push(`slices share the same position along the normal (spread ${(order[n - 1]!.p - order[0]!.p).toPrecision(3)} mm); using spacing = slice thickness ${thickness} mm`);
      spacing = thickness;
    } else {
      const tol = Math.max(POSITION_TOL_MM, 1e-3 * spacing);
      let worst = 0;
      for (let z = 1; z < n; z++) worst = Math.max(worst, Math.abs(order[z]!.p - order[z - 1]!.p - spacing));
      if (worst > tol) {
        const gaps = order.slice(1).map((o, z) => (o.p - order[z]!.p).toFixed(3));
        warnings.push(`slices are not evenly spaced (gaps ${gaps.join(', ')} mm); using the mean spacing ${spacing.toFixed(4)} mm`);
      }
    }
  }
  // coplanarity: every slice centre should sit on the line through slice z=0 along the normal
  const p0 = slices[sliceAtZ[0]!]!.position;
  {
    const tol = Math.max(POSITION_TOL_MM, 1e-3 * spacing);
    let worst = 0;
    for (const { s, p } of order) {
      const inPlane = sub(sub(slices[s]!.position, p0), scale(normal, p - order[0]!.p));
      worst = Math.max(worst, norm(inPlane));
    }
    if (worst > tol) warnings.push(`slice centres are offset in-plane by up to ${worst.toFixed(3)} mm; using the in-plane position of z = 0 (slice ${sliceAtZ[0]})`);
  }
  const affine = buildAffine(p0, ref.readDir, ref.phaseDir, ref.sliceDir, [nx, ny, n], [voxel[0]!, voxel[1]!, spacing], 0);
  return {
    affine, readDir: ref.readDir, phaseDir: ref.phaseDir, sliceDir: ref.sliceDir,
    warnings, fallback: false,
    dims: [nx, ny, n], zOfSlice, sliceAtZ, spacingMm: spacing, thicknessMm: thickness, projectionsMm: proj,
  };
}

// ---------------------------------------------------------------- from ISMRMRD

/** Slice geometry of one acquisition, on the recon grid of `encoding`. */
export function geometryFromAcquisition(head: Pick<AcquisitionHeader, 'position' | 'readDir' | 'phaseDir' | 'sliceDir'>, encoding: Encoding): SliceGeometry {
  const m = encoding.reconSpace.matrixSize;
  const f = encoding.reconSpace.fieldOfViewMm;
  return {
    position: [...head.position],
    readDir: [...head.readDir],
    phaseDir: [...head.phaseDir],
    sliceDir: [...head.sliceDir],
    matrix: [m.x, m.y, Math.max(1, m.z)],
    fovMm: [f.x, f.y, f.z],
  };
}

/**
 * One geometry per slice index 0..max(idx.slice) taken from the first imaging
 * acquisition (not noise, not calibration-only) of each slice. Missing slices
 * are an error.
 */
export function sliceGeometriesFromHeaders(heads: Iterable<AcquisitionHeader>, encoding: Encoding): SliceGeometry[] {
  const noise = 1n << BigInt(ACQ_FLAGS.IS_NOISE_MEASUREMENT - 1);
  const calib = 1n << BigInt(ACQ_FLAGS.IS_PARALLEL_CALIBRATION - 1);
  const found = new Map<number, SliceGeometry>();
  const fallback = new Map<number, SliceGeometry>();
  for (const h of heads) {
    if ((h.flags & noise) !== 0n) continue;
    const s = h.idx.slice;
    if ((h.flags & calib) !== 0n) {
      if (!fallback.has(s)) fallback.set(s, geometryFromAcquisition(h, encoding));
      continue;
    }
    if (!found.has(s)) found.set(s, geometryFromAcquisition(h, encoding));
  }
  const maxS = Math.max(-1, ...found.keys(), ...fallback.keys());
  const out: SliceGeometry[] = [];
  for (let s = 0; s <= maxS; s++) {
    const g = found.get(s) ?? fallback.get(s);
    if (!g) throw new UhfError('UNSUPPORTED_DATA', `no acquisition for slice ${s} (slices 0..${maxS} expected)`);
    out.push(g);
  }
  return out;
}

// ---------------------------------------------------------------- inverse

/** Inverse of an affine (general 4x4 with last row [0 0 0 1]). */
export function invertAffine(a: Affine): Affine {
  const m = [a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!];
  const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
  if (!(Math.abs(det) > 0) || !Number.isFinite(det)) throw new UhfError('BAD_ARGUMENT', 'affine is singular');
  const inv = [
    (m[4]! * m[8]! - m[5]! * m[7]!) / det, (m[2]! * m[7]! - m[1]! * m[8]!) / det, (m[1]! * m[5]! - m[2]! * m[4]!) / det,
    (m[5]! * m[6]! - m[3]! * m[8]!) / det, (m[0]! * m[8]! - m[2]! * m[6]!) / det, (m[2]! * m[3]! - m[0]! * m[5]!) / det,
    (m[3]! * m[7]! - m[4]! * m[6]!) / det, (m[1]! * m[6]! - m[0]! * m[7]!) / det, (m[0]! * m[4]! - m[1]! * m[3]!) / det,
  ];
  const t = [a[3]!, a[7]!, a[11]!];
  const ti = [0, 1, 2].map((r) => -(inv[3 * r]! * t[0]! + inv[3 * r + 1]! * t[1]! + inv[3 * r + 2]! * t[2]!));
  return asAffine([inv[0]!, inv[1]!, inv[2]!, ti[0]!, inv[3]!, inv[4]!, inv[5]!, ti[1]!, inv[6]!, inv[7]!, inv[8]!, ti[2]!, 0, 0, 0, 1]);
}

/** RAS mm → (fractional) voxel index. */
export function worldToVoxel(a: Affine, ras: Vec3): Vec3 {
  const inv = invertAffine(a);
  return [
    inv[0]! * ras[0] + inv[1]! * ras[1] + inv[2]! * ras[2] + inv[3]!,
    inv[4]! * ras[0] + inv[5]! * ras[1] + inv[6]! * ras[2] + inv[7]!,
    inv[8]! * ras[0] + inv[9]! * ras[1] + inv[10]! * ras[2] + inv[11]!,
  ];
}

/**
 * Inverse of imageAffine: the LPS slice geometry whose affine is `a`, for the
 * given recon matrix (fovMm = voxel size × matrix along each axis).
 */
export function sliceGeometryFromAffine(a: Affine, matrix: readonly [number, number, number]): SliceGeometry {
  const col = (c: number): Vec3 => rasToLps([a[c]!, a[4 + c]!, a[8 + c]!]);
  const ci = col(0);
  const cj = col(1);
  const ck = col(2);
  const vi = norm(ci);
  const vj = norm(cj);
  const vk = norm(ck);
  if (!(vi > 0 && vj > 0 && vk > 0)) throw new UhfError('BAD_ARGUMENT', 'affine has a zero column');
  const origin = rasToLps([a[3]!, a[7]!, a[11]!]);
  let pos = addScaled(origin, ci, Math.floor(matrix[0] / 2));
  pos = addScaled(pos, cj, Math.floor(matrix[1] / 2));
  pos = addScaled(pos, ck, Math.floor(matrix[2] / 2));
  return {
    position: pos,
    readDir: scale(ci, 1 / vi),
    phaseDir: scale(cj, 1 / vj),
    sliceDir: scale(ck, 1 / vk),
    matrix: [...matrix] as [number, number, number],
    fovMm: [vi * matrix[0], vj * matrix[1], vk * matrix[2]],
  };
}

/**
 * Directions of a slice tilted from transverse: start from the DICOM-standard
 * axial frame in LPS (read = +x (L), phase = +y (P), slice = +z (S)), then
 * rotate by `aboutSIDeg` about S, then `aboutLRDeg` about the LR axis
 * (transverse → coronal tilt), then `aboutAPDeg` about the AP axis
 * (transverse → sagittal tilt): R = R_AP · R_LR · R_SI (right-hand rule about
 * +x/+y/+z of LPS). A helper for simulation and tests.
 */
export function tiltedDirections(aboutLRDeg: number, aboutAPDeg: number, aboutSIDeg = 0): { readDir: Vec3; phaseDir: Vec3; sliceDir: Vec3 } {
  const d2r = Math.PI / 180;
  const rot = (axis: 0 | 1 | 2, deg: number): number[] => {
    const c = Math.cos(deg * d2r);
    const s = Math.sin(deg * d2r);
    if (axis === 0) return [1, 0, 0, 0, c, -s, 0, s, c];
    if (axis === 1) return [c, 0, s, 0, 1, 0, -s, 0, c];
    return [c, -s, 0, s, c, 0, 0, 0, 1];
  };
  const mul = (a: number[], b: number[]): number[] => {
    const o = new Array<number>(9).fill(0);
    for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) for (let k = 0; k < 3; k++) o[3 * r + c]! += a[3 * r + k]! * b[3 * k + c]!;
    return o;
  };
  const m = mul(rot(1, aboutAPDeg), mul(rot(0, aboutLRDeg), rot(2, aboutSIDeg)));
  return {
    readDir: [m[0]!, m[3]!, m[6]!],
    phaseDir: [m[1]!, m[4]!, m[7]!],
    sliceDir: [m[2]!, m[5]!, m[8]!],
  };
}
