/**
 * Analytic 3D head phantom in world RAS mm: +x = patient Right, +y = Anterior,
 * +z = Superior (NIfTI world). The head is centred at the RAS origin;
 * semi-axes are ~76 mm (R–L), 96 mm (A–P), 92 mm (S–I).
 *
 * The phantom is a list of ellipsoids painted in order: a point takes the
 * tissue of the LAST ellipsoid that contains it (outside all: background 0).
 * Intensities are relative T2*-weighted (GRE, TE ≈ 20–25 ms) magnitudes at
 * 7 T: CSF bright, GM brighter than WM, iron-rich nuclei and veins dark, bone
 * almost void. A smooth low-order background phase (scaled with B0 / 7 T)
 * multiplies the magnitude. It can be evaluated at any world point, so any
 * slice orientation can be sampled; sampling is point-wise (a delta slice
 * profile).
 *
 * Activation regions are spheres; the activation mask of a condition is
 * (inside one of its spheres) AND (tissue = grey matter).
 */
import type { Vec3 } from '../../shared/ismrmrd.ts';
import { UhfError } from '../../shared/errors.ts';

export const TISSUE = {
  BACKGROUND: 0,
  SCALP: 1,
  SKULL: 2,
  CSF: 3,
  GREY_MATTER: 4,
  WHITE_MATTER: 5,
  DEEP_GREY: 6,
  IRON_NUCLEUS: 7,
  VEIN: 8,
  EYE: 9,
  LESION: 10,
  MICROBLEED: 11,
} as const;
export type TissueLabel = (typeof TISSUE)[keyof typeof TISSUE];

/** Relative T2*-weighted magnitude per tissue at 7 T. */
export const TISSUE_INTENSITY: Readonly<Record<TissueLabel, number>> = {
  0: 0,
  1: 0.55, // scalp / subcutaneous fat
  2: 0.05, // skull
  3: 1.35, // CSF
  4: 1.0, // grey matter
  5: 0.72, // white matter
  6: 0.85, // caudate / putamen
  7: 0.42, // globus pallidus, red nucleus, substantia nigra (iron)
  8: 0.2, // venous sinus (deoxygenated blood)
  9: 1.3, // vitreous
  10: 1.15, // hyperintense WM lesion
  11: 0.1, // microbleed
};

export interface Ellipsoid {
  name: string;
  label: TissueLabel;
  /** RAS mm. */
  centre: Vec3;
  /** Semi-axes along the (rotated) x, y, z axes, mm. */
  semiAxes: Vec3;
  /** Rotation about the S (z) axis, degrees, applied to the ellipsoid. */
  rotZDeg?: number;
  /** Rotation about the R (x) axis, degrees. */
  rotXDeg?: number;
}

/** Brain compartments, exported so activation spheres can be placed in the cortical ribbon. */
export const HEAD_SEMI_AXES = {
  scalp: [76, 96, 92] as Vec3,
  skull: [71, 91, 87] as Vec3,
  csf: [67, 87, 83] as Vec3,
  greyMatter: [64, 84, 79] as Vec3,
  whiteMatter: [53, 72, 65] as Vec3,
};

/** Paint order matters: later wins. */
export const HEAD_ELLIPSOIDS: readonly Ellipsoid[] = [
  { name: 'scalp', label: TISSUE.SCALP, centre: [0, 0, 0], semiAxes: HEAD_SEMI_AXES.scalp },
  { name: 'skull', label: TISSUE.SKULL, centre: [0, 0, 0], semiAxes: HEAD_SEMI_AXES.skull },
  { name: 'eye-right', label: TISSUE.EYE, centre: [30, 72, -40], semiAxes: [12, 12, 12] },
  { name: 'eye-left', label: TISSUE.EYE, centre: [-30, 72, -40], semiAxes: [12, 12, 12] },
  { name: 'csf', label: TISSUE.CSF, centre: [0, 0, 0], semiAxes: HEAD_SEMI_AXES.csf },
  { name: 'grey-matter', label: TISSUE.GREY_MATTER, centre: [0, 0, 0], semiAxes: HEAD_SEMI_AXES.greyMatter },
  { name: 'white-matter', label: TISSUE.WHITE_MATTER, centre: [0, 0, 0], semiAxes: HEAD_SEMI_AXES.whiteMatter },
  // interhemispheric fissure (CSF) above the corpus callosum
  { name: 'fissure', label: TISSUE.CSF, centre: [0, -4, 52], semiAxes: [1.6, 80, 30] },
  { name: 'sagittal-sinus', label: TISSUE.VEIN, centre: [0, -8, 80], semiAxes: [3.5, 30, 2.5] },
  { name: 'ventricle-right', label: TISSUE.CSF, centre: [9, 4, 14], semiAxes: [5, 24, 8], rotZDeg: -10 },
  { name: 'ventricle-left', label: TISSUE.CSF, centre: [-9, 4, 14], semiAxes: [5, 24, 8], rotZDeg: 10 },
  { name: 'third-ventricle', label: TISSUE.CSF, centre: [0, -2, 0], semiAxes: [2, 12, 8] },
  { name: 'putamen-right', label: TISSUE.DEEP_GREY, centre: [24, 4, 4], semiAxes: [6, 15, 9], rotZDeg: 8 },
  { name: 'putamen-left', label: TISSUE.DEEP_GREY, centre: [-24, 4, 4], semiAxes: [6, 15, 9], rotZDeg: -8 },
  { name: 'caudate-right', label: TISSUE.DEEP_GREY, centre: [13, 16, 12], semiAxes: [4, 9, 7] },
  { name: 'caudate-left', label: TISSUE.DEEP_GREY, centre: [-13, 16, 12], semiAxes: [4, 9, 7] },
  { name: 'pallidum-right', label: TISSUE.IRON_NUCLEUS, centre: [18, 1, 1], semiAxes: [3.5, 8, 5], rotZDeg: 8 },
  { name: 'pallidum-left', label: TISSUE.IRON_NUCLEUS, centre: [-18, 1, 1], semiAxes: [3.5, 8, 5], rotZDeg: -8 },
  { name: 'red-nucleus-right', label: TISSUE.IRON_NUCLEUS, centre: [5, -14, -12], semiAxes: [3, 3, 3.5] },
  { name: 'red-nucleus-left', label: TISSUE.IRON_NUCLEUS, centre: [-5, -14, -12], semiAxes: [3, 3, 3.5] },
  { name: 'lesion-1', label: TISSUE.LESION, centre: [28, -20, 25], semiAxes: [4, 4, 4] },
  { name: 'lesion-2', label: TISSUE.LESION, centre: [-26, 22, 30], semiAxes: [2.5, 3.5, 2.5] },
  { name: 'lesion-3', label: TISSUE.LESION, centre: [20, 35, 10], semiAxes: [1.5, 1.5, 1.5] },
  { name: 'microbleed-1', label: TISSUE.MICROBLEED, centre: [-30, -25, 12], semiAxes: [1.5, 1.5, 1.5] },
  { name: 'microbleed-2', label: TISSUE.MICROBLEED, centre: [32, 10, 18], semiAxes: [1, 1, 1] },
];

export interface ActivationSphere {
  /** Condition (trial_type) that drives this region. */
  condition: string;
  /** RAS mm. */
  centre: Vec3;
  radiusMm: number;
}

/**
 * Midpoint of the cortical ribbon (between the WM and GM ellipsoid surfaces)
 * along the ray from the RAS origin in direction `dir`.
 */
export function corticalRibbonPoint(dir: Vec3): Vec3 {
  const n = Math.hypot(dir[0], dir[1], dir[2]);
  if (!(n > 0)) throw new UhfError('BAD_ARGUMENT', 'corticalRibbonPoint: zero direction');
  const u: Vec3 = [dir[0] / n, dir[1] / n, dir[2] / n];
  const surf = (a: Vec3) => 1 / Math.sqrt((u[0] / a[0]) ** 2 + (u[1] / a[1]) ** 2 + (u[2] / a[2]) ** 2);
  const t = 0.5 * (surf(HEAD_SEMI_AXES.greyMatter) + surf(HEAD_SEMI_AXES.whiteMatter));
  return [u[0] * t, u[1] * t, u[2] * t];
}

/** Default activation spheres (radius 8 mm) for conditions, in the cortical ribbon near z ≈ 0–20 mm RAS. */
export function defaultActivationSpheres(conditions: readonly string[]): ActivationSphere[] {
  const sets: Vec3[][] = [
    // 1st condition: left + right lateral cortex, occipital (off midline)
    [[-1, -0.25, 0.2], [1, -0.25, 0.2], [0.3, -1, 0.12]],
    // 2nd condition: frontal pair
    [[-0.45, 1, 0.15], [0.45, 1, 0.15]],
    // further conditions: single regions going round
    [[-1, 0.35, 0.1]],
    [[1, 0.35, 0.1]],
  ];
  const out: ActivationSphere[] = [];
  conditions.forEach((c, i) => {
    const dirs = sets[i % sets.length]!;
    for (const d of dirs) out.push({ condition: c, centre: corticalRibbonPoint(d), radiusMm: 8 });
  });
  return out;
}

interface CompiledEllipsoid {
  label: TissueLabel;
  c: Vec3;
  /** Rows of R^T scaled by 1/semi: local_k = Σ_j m[3k+j]·(p_j − c_j). */
  m: Float64Array;
  /** Squared bounding radius. */
  r2: number;
}

function compile(e: Ellipsoid): CompiledEllipsoid {
  const z = ((e.rotZDeg ?? 0) * Math.PI) / 180;
  const x = ((e.rotXDeg ?? 0) * Math.PI) / 180;
  // R = Rz·Rx (rotate the ellipsoid); local = R^T (p - c)
  const cz = Math.cos(z), sz = Math.sin(z), cx = Math.cos(x), sx = Math.sin(x);
  const R = [
    cz, -sz * cx, sz * sx,
    sz, cz * cx, -cz * sx,
    0, sx, cx,
  ];
  const m = new Float64Array(9);
  for (let k = 0; k < 3; k++) for (let j = 0; j < 3; j++) m[3 * k + j] = R[3 * j + k]! / e.semiAxes[k]!;
  const rmax = Math.max(...e.semiAxes);
  return { label: e.label, c: e.centre, m, r2: rmax * rmax };
}

export interface PhantomOptions {
  /** Scales the background phase (B0 / 7 T). Default 7. */
  fieldStrengthT?: number;
  activations?: readonly ActivationSphere[];
  /** Condition names in activation-bit order (default: order of first appearance in `activations`). */
  conditions?: readonly string[];
  /** Ellipsoids to paint; default HEAD_ELLIPSOIDS. */
  ellipsoids?: readonly Ellipsoid[];
}

/** Samples at a set of points. */
export interface PhantomSamples {
  /** Magnitude (relative T2*-weighted intensity). */
  mag: Float32Array;
  /** Background phase, radians (defined everywhere; only meaningful where mag > 0). */
  phase: Float32Array;
  label: Uint8Array;
  /** Bit c set when the point is in the activation mask of condition c (index into `conditions`). */
  activation: Uint8Array;
}

export class HeadPhantom {
  readonly fieldStrengthT: number;
  readonly activations: readonly ActivationSphere[];
  /** Condition names in activation bit order. */
  readonly conditions: readonly string[];
  private readonly ell: CompiledEllipsoid[];

  constructor(opts: PhantomOptions = {}) {
    this.fieldStrengthT = opts.fieldStrengthT ?? 7;
    this.activations = opts.activations ?? [];
    const names: string[] = opts.conditions ? [...opts.conditions] : [];
    for (const a of this.activations) {
      if (names.includes(a.condition)) continue;
      if (opts.conditions) throw new UhfError('BAD_ARGUMENT', `activation region for unknown condition '${a.condition}' (conditions: ${opts.conditions.join(', ') || 'none'})`);
      names.push(a.condition);
    }
    if (names.length > 8) throw new UhfError('BAD_ARGUMENT', `at most 8 activation conditions, got ${names.length}`);
    this.conditions = names;
    this.ell = (opts.ellipsoids ?? HEAD_ELLIPSOIDS).map(compile);
  }

  /** Tissue label at a RAS point. */
  labelAt(x: number, y: number, z: number): TissueLabel {
    let label: TissueLabel = TISSUE.BACKGROUND;
    for (const e of this.ell) {
      const dx = x - e.c[0], dy = y - e.c[1], dz = z - e.c[2];
      if (dx * dx + dy * dy + dz * dz > e.r2) continue;
      const m = e.m;
      const a = m[0]! * dx + m[1]! * dy + m[2]! * dz;
      const b = m[3]! * dx + m[4]! * dy + m[5]! * dz;
      const c = m[6]! * dx + m[7]! * dy + m[8]! * dz;
      if (a * a + b * b + c * c <= 1) label = e.label;
    }
    return label;
  }

  /** Background phase (radians) at a RAS point: smooth, low order, ∝ B0. */
  phaseAt(x: number, y: number, z: number): number {
    const s = this.fieldStrengthT / 7;
    return s * (0.35 + 0.006 * x - 0.004 * y + 0.007 * z + 4e-5 * (x * x - y * y) + 3e-5 * x * z - 2e-5 * y * z);
  }

  /** Activation bits at a RAS point for a given label. */
  activationAt(x: number, y: number, z: number, label: TissueLabel): number {
    if (label !== TISSUE.GREY_MATTER || this.activations.length === 0) return 0;
    let bits = 0;
    for (const a of this.activations) {
      const dx = x - a.centre[0], dy = y - a.centre[1], dz = z - a.centre[2];
      if (dx * dx + dy * dy + dz * dz <= a.radiusMm * a.radiusMm) bits |= 1 << this.conditions.indexOf(a.condition);
    }
    return bits;
  }

  /** Complex value (re, im) and details at one RAS point. */
  at(ras: Vec3): { mag: number; phase: number; re: number; im: number; label: TissueLabel; activation: number } {
    const [x, y, z] = ras;
    const label = this.labelAt(x, y, z);
    const mag = TISSUE_INTENSITY[label];
    const phase = this.phaseAt(x, y, z);
    return { mag, phase, re: mag * Math.cos(phase), im: mag * Math.sin(phase), label, activation: this.activationAt(x, y, z, label) };
  }

  /** Sample at n points given as a flat RAS array [x0 y0 z0 x1 ...]. */
  sample(pointsRas: Float64Array): PhantomSamples {
    const n = pointsRas.length / 3;
    const out: PhantomSamples = {
      mag: new Float32Array(n),
      phase: new Float32Array(n),
      label: new Uint8Array(n),
      activation: new Uint8Array(n),
    };
    for (let p = 0; p < n; p++) {
      const x = pointsRas[3 * p]!, y = pointsRas[3 * p + 1]!, z = pointsRas[3 * p + 2]!;
      const label = this.labelAt(x, y, z);
      out.label[p] = label;
      out.mag[p] = TISSUE_INTENSITY[label];
      out.phase[p] = this.phaseAt(x, y, z);
      out.activation[p] = this.activationAt(x, y, z, label);
    }
    return out;
  }
}
