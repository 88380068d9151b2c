/**
 * World-space geometry of the viewer, pure functions only (no DOM, no vtk):
 * affines and their inverses, the three orthogonal display planes through the
 * crosshair in RAS mm, and sampling a volume on such a plane through its affine
 * (so volumes of any resolution and orientation line up in world space).
 */

export type Vec3 = [number, number, number];
export type Orientation = 'axial' | 'coronal' | 'sagittal';

/** Invert a row-major 4×4 affine (last row 0 0 0 1). */
export function invertAffine(a: readonly number[]): number[] {
  const [m00, m01, m02, t0, m10, m11, m12, t1, m20, m21, m22, t2] = a as number[] as [number, number, number, number, number, number, number, number, number, number, number, number];
  const c00 = m11 * m22 - m12 * m21;
  const c01 = m02 * m21 - m01 * m22;
  const c02 = m01 * m12 - m02 * m11;
  const c10 = m12 * m20 - m10 * m22;
  const c11 = m00 * m22 - m02 * m20;
  const c12 = m02 * m10 - m00 * m12;
  const c20 = m10 * m21 - m11 * m20;
  const c21 = m01 * m20 - m00 * m21;
  const c22 = m00 * m11 - m01 * m10;
  const det = m00 * c00 + m01 * c10 + m02 * c20;
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new RangeError('singular affine');
  const d = 1 / det;
  const r = [c00 * d, c01 * d, c02 * d, c10 * d, c11 * d, c12 * d, c20 * d, c21 * d, c22 * d];
  return [
    r[0]!, r[1]!, r[2]!, -(r[0]! * t0 + r[1]! * t1 + r[2]! * t2),
    r[3]!, r[4]!, r[5]!, -(r[3]! * t0 + r[4]! * t1 + r[5]! * t2),
    r[6]!, r[7]!, r[8]!, -(r[6]! * t0 + r[7]! * t1 + r[8]! * t2),
    0, 0, 0, 1,
  ];
}

export function apply(a: readonly number[], p: readonly number[]): Vec3 {
  const [x, y, z] = p as Vec3;
  return [a[0]! * x + a[1]! * y + a[2]! * z + a[3]!, a[4]! * x + a[5]! * y + a[6]! * z + a[7]!, a[8]! * x + a[9]! * y + a[10]! * z + a[11]!];
}

export function voxelSizes(a: readonly number[]): Vec3 {
  const col = (c: number) => Math.hypot(a[c]!, a[4 + c]!, a[8 + c]!);
  return [col(0), col(1), col(2)];
}

/** RAS bounding box of the voxel grid (voxel edges, not centres). */
export function worldBounds(affine: readonly number[], dims: readonly number[]): { min: Vec3; max: Vec3 } {
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const i of [-0.5, dims[0]! - 0.5]) for (const j of [-0.5, dims[1]! - 0.5]) for (const k of [-0.5, dims[2]! - 0.5]) {
    const w = apply(affine, [i, j, k]);
    for (let d = 0; d < 3; d++) {
      min[d] = Math.min(min[d]!, w[d]!);
      max[d] = Math.max(max[d]!, w[d]!);
    }
  }
  return { min, max };
}

/** The world axes of each view: u (screen right), v (screen up), n (normal, fixed coordinate). */
export const VIEW_AXES: Record<Orientation, { u: 0 | 1 | 2; v: 0 | 1 | 2; n: 0 | 1 | 2 }> = {
  axial: { u: 0, v: 1, n: 2 },
  coronal: { u: 0, v: 2, n: 1 },
  sagittal: { u: 1, v: 2, n: 0 },
};

/**
 * A display plane: pixel (col, row) — row 0 at the bottom — is at world
 * origin + col·du + row·dv. In radiological display the patient's right is on
 * the screen's left, so u runs from R to L in axial and coronal views.
 */
export interface Plane {
  orientation: Orientation;
  cols: number;
  rows: number;
  /** mm per pixel */
  step: number;
  origin: Vec3;
  du: Vec3;
  dv: Vec3;
}

export function makePlane(orientation: Orientation, bounds: { min: Vec3; max: Vec3 }, crosshair: Vec3, step: number, radiological: boolean): Plane {
  const { u, v, n } = VIEW_AXES[orientation];
  const flipU = radiological && u === 0;
  const cols = Math.max(1, Math.round((bounds.max[u] - bounds.min[u]) / step));
  const rows = Math.max(1, Math.round((bounds.max[v] - bounds.min[v]) / step));
  const origin: Vec3 = [0, 0, 0];
  origin[u] = flipU ? bounds.max[u] - step / 2 : bounds.min[u] + step / 2;
  origin[v] = bounds.min[v] + step / 2;
  origin[n] = crosshair[n];
  const du: Vec3 = [0, 0, 0];
  du[u] = flipU ? -step : step;
  const dv: Vec3 = [0, 0, 0];
  dv[v] = step;
  return { orientation, cols, rows, step, origin, du, dv };
}

export function planeToWorld(p: Plane, col: number, row: number): Vec3 {
  return [p.origin[0] + col * p.du[0] + row * p.dv[0], p.origin[1] + col * p.du[1] + row * p.dv[1], p.origin[2] + col * p.du[2] + row * p.dv[2]];
}

export function worldToPlane(p: Plane, w: Vec3): { col: number; row: number } {
  const { u, v } = VIEW_AXES[p.orientation];
  return { col: (w[u] - p.origin[u]) / p.du[u], row: (w[v] - p.origin[v]) / p.dv[v] };
}

export interface SampledVolume {
  dims: readonly number[];
  data: Float32Array;
  /** world → voxel */
  inverse: readonly number[];
}

/**
 * Sample frame `frame` on the plane, trilinear (or nearest), NaN outside the
 * volume. The voxel coordinate is affine along the plane, so it is stepped
 * incrementally instead of a matrix product per pixel.
 */
export function samplePlane(vol: SampledVolume, frame: number, p: Plane, mode: 'linear' | 'nearest' = 'linear', out?: Float32Array): Float32Array {
  const [nx, ny, nz] = vol.dims as [number, number, number];
  const nxy = nx * ny;
  const base = frame * nxy * nz;
  const data = vol.data;
  const result = out && out.length === p.cols * p.rows ? out : new Float32Array(p.cols * p.rows);
  const m = vol.inverse;
  const o = apply(m, p.origin);
  const stepCol: Vec3 = [m[0]! * p.du[0] + m[1]! * p.du[1] + m[2]! * p.du[2], m[4]! * p.du[0] + m[5]! * p.du[1] + m[6]! * p.du[2], m[8]! * p.du[0] + m[9]! * p.du[1] + m[10]! * p.du[2]];
  const stepRow: Vec3 = [m[0]! * p.dv[0] + m[1]! * p.dv[1] + m[2]! * p.dv[2], m[4]! * p.dv[0] + m[5]! * p.dv[1] + m[6]! * p.dv[2], m[8]! * p.dv[0] + m[9]! * p.dv[1] + m[10]! * p.dv[2]];
  let idx = 0;
  for (let r = 0; r < p.rows; r++) {
    let i = o[0] + r * stepRow[0];
    let j = o[1] + r * stepRow[1];
    let k = o[2] + r * stepRow[2];
    for (let c = 0; c < p.cols; c++, idx++, i += stepCol[0], j += stepCol[1], k += stepCol[2]) {
      if (mode === 'nearest') {
        const ii = Math.round(i);
        const jj = Math.round(j);
        const kk = Math.round(k);
        result[idx] = ii < 0 || jj < 0 || kk < 0 || ii >= nx || jj >= ny || kk >= nz ? NaN : data[base + ii + jj * nx + kk * nxy]!;
        continue;
      }
      // Half a voxel beyond the outer centres still belongs to the volume (clamped).
      if (i < -0.5 || j < -0.5 || k < -0.5 || i > nx - 0.5 || j > ny - 0.5 || k > nz - 0.5) {
        result[idx] = NaN;
        continue;
      }
      const ci = Math.min(Math.max(i, 0), nx - 1);
      const cj = Math.min(Math.max(j, 0), ny - 1);
      const ck = Math.min(Math.max(k, 0), nz - 1);
      const i0 = Math.min(Math.floor(ci), nx - 2 < 0 ? 0 : nx - 2);
      const j0 = Math.min(Math.floor(cj), ny - 2 < 0 ? 0 : ny - 2);
      const k0 = Math.min(Math.floor(ck), nz - 2 < 0 ? 0 : nz - 2);
      const fi = nx > 1 ? ci - i0 : 0;
      const fj = ny > 1 ? cj - j0 : 0;
      const fk = nz > 1 ? ck - k0 : 0;
      const i1 = nx > 1 ? 1 : 0;
      const j1 = ny > 1 ? nx : 0;
      const k1 = nz > 1 ? nxy : 0;
      const b = base + i0 + j0 * nx + k0 * nxy;
      const c00 = data[b]! * (1 - fi) + data[b + i1]! * fi;
      const c10 = data[b + j1]! * (1 - fi) + data[b + j1 + i1]! * fi;
      const c01 = data[b + k1]! * (1 - fi) + data[b + k1 + i1]! * fi;
      const c11 = data[b + j1 + k1]! * (1 - fi) + data[b + j1 + k1 + i1]! * fi;
      const c0 = c00 * (1 - fj) + c10 * fj;
      const c1 = c01 * (1 - fj) + c11 * fj;
      result[idx] = c0 * (1 - fk) + c1 * fk;
    }
  }
  return result;
}

/** Nearest voxel of a world point, or null outside. */
export function worldToVoxel(vol: { dims: readonly number[]; inverse: readonly number[] }, w: Vec3): Vec3 | null {
  const [i, j, k] = apply(vol.inverse, w).map(Math.round) as Vec3;
  const [nx, ny, nz] = vol.dims as Vec3;
  if (i < 0 || j < 0 || k < 0 || i >= nx || j >= ny || k >= nz) return null;
  return [i, j, k];
}

/** The time series of voxel (i, j, k). */
export function timeSeries(vol: { dims: readonly number[]; data: Float32Array }, v: Vec3): Float32Array {
  const [nx, ny, nz, nt] = vol.dims as [number, number, number, number];
  const out = new Float32Array(nt);
  const idx = v[0] + v[1] * nx + v[2] * nx * ny;
  for (let t = 0; t < nt; t++) out[t] = vol.data[idx + t * nx * ny * nz]!;
  return out;
}
