/**
 * A 4x4 affine, row-major, mapping 0-based voxel centres (i, j, k, 1) to
 * world RAS millimetres (x, y, z, 1). Last row is [0, 0, 0, 1].
 */
export type Affine = readonly number[] & { length: 16 };

export type SpatialUnit = 'mm' | 'm' | 'um' | 'unknown';
export type TemporalUnit = 's' | 'ms' | 'us' | 'hz' | 'ppm' | 'rads' | 'unknown';

/**
 * An image volume in world space.
 * data: [x y z t] with x fastest (NIfTI order), length nx*ny*nz*nt.
 */
export interface Volume {
  /** [nx, ny, nz, nt]; nt = 1 for a 3D volume. */
  dims: [number, number, number, number];
  data: Float32Array;
  /** voxel index → RAS mm. */
  affine: Affine;
  /** Time between frames in seconds (4D only). */
  trSec?: number;
  /** NIfTI intent code for statistic maps (0 = none). */
  intentCode?: number;
  /** Intent parameters p1..p3 (e.g. degrees of freedom for a t map). */
  intentParams?: [number, number, number];
  intentName?: string;
  description?: string;
}

export function identityAffine(): Affine {
  return [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] as unknown as Affine;
}

export function asAffine(values: ArrayLike<number>): Affine {
  if (values.length !== 16) throw new RangeError(`an affine has 16 values, got ${values.length}`);
  return Array.from(values) as unknown as Affine;
}

/** Apply an affine to a voxel index (0-based, may be fractional). */
export function voxelToWorld(a: Affine, i: number, j: number, k: number): [number, number, number] {
  return [
    a[0]! * i + a[1]! * j + a[2]! * k + a[3]!,
    a[4]! * i + a[5]! * j + a[6]! * k + a[7]!,
    a[8]! * i + a[9]! * j + a[10]! * k + a[11]!,
  ];
}

/** Column norms of the 3x3 part: voxel sizes in mm. */
export function voxelSizes(a: Affine): [number, number, number] {
  const col = (c: number) => Math.hypot(a[c]!, a[4 + c]!, a[8 + c]!);
  return [col(0), col(1), col(2)];
}
