/**
 * Pure affine maths for NIfTI: qform quaternion <-> matrix, and the
 * pixdim-only fallback. The formulas follow nibabel (quaternions.py,
 * nifti1.py, volumeutils.shape_zoom_affine) so that we pick the same affine
 * nibabel does for the same header.
 */
import { asAffine, type Affine } from '../../../shared/volume.ts';

type Mat3 = [number, number, number, number, number, number, number, number, number];

/** nibabel's Nifti1Header.quaternion_threshold: b,c,d are float32 in the header. */
const QUATERNION_THRESHOLD = -3 * 2 ** -23;

/**
 * Rotation matrix (row-major 3x3) from the stored quaternion parts b, c, d,
 * filling a = sqrt(1 - b² - c² - d²) as nibabel's `fillpositive` does.
 * Returns undefined when b² + c² + d² exceeds 1 by more than rounding allows.
 */
export function quaternionToRotation(b: number, c: number, d: number): Mat3 | undefined {
  const w2 = 1 - (b * b + c * c + d * d);
  let w: number;
  if (w2 < 0) {
    if (w2 < QUATERNION_THRESHOLD) return undefined;
    w = 0;
  } else {
    w = Math.sqrt(w2);
  }
  // quat2mat normalises by |q|², so slightly non-unit quaternions still give rotations.
  const nq = w * w + b * b + c * c + d * d;
  if (nq < Number.EPSILON) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = 2 / nq;
  const X = b * s, Y = c * s, Z = d * s;
  const wX = w * X, wY = w * Y, wZ = w * Z;
  const xX = b * X, xY = b * Y, xZ = b * Z;
  const yY = c * Y, yZ = c * Z, zZ = d * Z;
  return [
    1 - (yY + zZ), xY - wZ, xZ + wY,
    xY + wZ, 1 - (xX + zZ), yZ - wX,
    xZ - wY, yZ + wX, 1 - (xX + yY),
  ];
}

export interface QformParams {
  /** quatern_b, quatern_c, quatern_d */
  quatern: readonly [number, number, number];
  /** qoffset_x, qoffset_y, qoffset_z */
  qoffset: readonly [number, number, number];
  /** pixdim[1..3], positive */
  zooms: readonly [number, number, number];
  /** pixdim[0]: 1 or -1 */
  qfac: number;
}

/** The qform affine R · diag(zooms with qfac on z) + offset, or undefined for a bad quaternion. */
export function qformToAffine(q: QformParams): Affine | undefined {
  const r = quaternionToRotation(q.quatern[0], q.quatern[1], q.quatern[2]);
  if (!r) return undefined;
  const z = [q.zooms[0], q.zooms[1], q.zooms[2] * q.qfac];
  const out: number[] = [];
  for (let row = 0; row < 3; row++) {
    for (let col = 0; col < 3; col++) out.push(r[row * 3 + col]! * z[col]!);
    out.push(q.qoffset[row]!);
  }
  out.push(0, 0, 0, 1);
  return asAffine(out);
}

/**
 * nibabel's get_base_affine for headers with neither sform nor qform:
 * diag(-dx, dy, dz) with the origin at the volume centre, (shape - 1) / 2
 * (the Analyze convention, x flipped to radiological storage).
 */
export function fallbackAffine(shape: readonly number[], pixdim: readonly number[]): Affine {
  const n = [1, 1, 1];
  const z = [1, 1, 1];
  for (let i = 0; i < 3 && i < shape.length; i++) {
    n[i] = shape[i]!;
    z[i] = pixdim[i + 1] ?? 1;
  }
  z[0] = -z[0]!;
  const t = (i: number) => (-(n[i]! - 1) / 2) * z[i]!;
  return asAffine([z[0]!, 0, 0, t(0), 0, z[1]!, 0, t(1), 0, 0, z[2]!, t(2), 0, 0, 0, 1]);
}

function det3(m: Mat3): number {
  return (
    m[0] * (m[4] * m[8] - m[5] * m[7]) -
    m[1] * (m[3] * m[8] - m[5] * m[6]) +
    m[2] * (m[3] * m[7] - m[4] * m[6])
  );
}

/** Transposed inverse, which is what the polar iteration needs. */
function inverseTranspose3(m: Mat3): Mat3 {
  const d = det3(m);
  // cofactor matrix / det == inverse transposed
  return [
    (m[4] * m[8] - m[5] * m[7]) / d, -(m[3] * m[8] - m[5] * m[6]) / d, (m[3] * m[7] - m[4] * m[6]) / d,
    -(m[1] * m[8] - m[2] * m[7]) / d, (m[0] * m[8] - m[2] * m[6]) / d, -(m[0] * m[7] - m[1] * m[6]) / d,
    (m[1] * m[5] - m[2] * m[4]) / d, -(m[0] * m[5] - m[2] * m[3]) / d, (m[0] * m[4] - m[1] * m[3]) / d,
  ];
}

const frob = (m: Mat3) => Math.hypot(...m);

/**
 * Closest orthogonal matrix to m (the polar factor), by Higham's scaled
 * Newton iteration. nibabel uses the SVD (P·Qᵀ), which is the same matrix;
 * for an already orthogonal m this returns m unchanged.
 */
export function polarOrthogonal(m: Mat3): Mat3 {
  let x: Mat3 = [...m];
  for (let iter = 0; iter < 100; iter++) {
    const inv = inverseTranspose3(x);
    const gamma = Math.sqrt(frob(inv) / frob(x));
    const next = x.map((v, i) => 0.5 * (gamma * v + inv[i]! / gamma)) as Mat3;
    const change = Math.max(...next.map((v, i) => Math.abs(v - x[i]!)));
    x = next;
    if (change < 1e-15) break;
  }
  return x;
}

/** Unit quaternion [a, b, c, d] with a ≥ 0 of a proper rotation (nifti1_io's mat44_to_quatern). */
export function rotationToQuaternion(r: Mat3): [number, number, number, number] {
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r;
  let a = r11 + r22 + r33 + 1;
  let b: number, c: number, d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    // Near-180° rotations: use the largest diagonal term for stability.
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      a = -a; b = -b; c = -c; d = -d;
    }
  }
  const norm = Math.hypot(a, b, c, d);
  return [a / norm, b / norm, c / norm, d / norm];
}

/**
 * Split an affine into qform parameters as nibabel's set_qform does: zooms
 * are column norms, qfac = -1 when the axes are left-handed (z column
 * flipped), and any shear is dropped by taking the nearest rotation. The
 * result reproduces the affine exactly only when its columns are orthogonal;
 * the sform carries the exact matrix.
 */
export function affineToQform(a: Affine): QformParams | undefined {
  const rzs: Mat3 = [a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!];
  const zooms: [number, number, number] = [0, 1, 2].map((c) => Math.hypot(rzs[c]!, rzs[3 + c]!, rzs[6 + c]!)) as [
    number, number, number,
  ];
  if (zooms.some((z) => !(z > 0) || !Number.isFinite(z))) return undefined;
  const r = rzs.map((v, i) => v / zooms[i % 3]!) as Mat3;
  const det = det3(r);
  if (!(Math.abs(det) > 1e-12)) return undefined;
  const qfac = det > 0 ? 1 : -1;
  if (qfac < 0) {
    r[2] = -r[2]; r[5] = -r[5]; r[8] = -r[8];
  }
  const [, b, c, d] = rotationToQuaternion(polarOrthogonal(r));
  return { quatern: [b, c, d], qoffset: [a[3]!, a[7]!, a[11]!], zooms, qfac };
}

/** 4x4 nested rows, for JSON. */
export function affineRows(a: Affine): number[][] {
  return [0, 1, 2, 3].map((r) => [a[r * 4]!, a[r * 4 + 1]!, a[r * 4 + 2]!, a[r * 4 + 3]!]);
}
