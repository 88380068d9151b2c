/**
 * Receive loop-coil array around the head and its complex sensitivities.
 *
 * Each coil is a circular current loop (radius a, centre c, unit normal n
 * pointing into the head) on a helmet ellipsoid ~12 mm outside the scalp,
 * arranged in rings (more rings for more channels). The quasi-static field of
 * the loop B(p) is computed exactly by Biot–Savart (complete elliptic
 * integrals K, E by the AGM; the wire is given a 2 mm "thickness" so points on
 * the wire stay finite). The receive sensitivity is
 *
 *     S_c(p) = g · (B_x(p) − i·B_y(p)) · exp(−i·2π·|p − c| / λ_tissue) · exp(i·φ_c)
 *
 * with B_x, B_y the RAS x/y (transverse to B0 ∥ z) components,
 * λ_tissue = c0 / (γ·B0·√ε_r) (ε_r = 50: ≈ 14 cm at 7 T, 8.4 cm at 11.7 T)
 * a crude wave-propagation phase, φ_c a per-coil cable phase (from the
 * system seed) and g one global constant chosen so that the root-sum-of-
 * squares sqrt(Σ_c |S_c|²) = 1 at the RAS origin (the head centre).
 */
import type { Vec3 } from '../../shared/ismrmrd.ts';
import { UhfError } from '../../shared/errors.ts';
import { HEAD_SEMI_AXES } from './phantom.ts';
import { Rng } from './prng.ts';

/** Proton gyromagnetic ratio / 2π, Hz/T. */
export const GAMMA_HZ_PER_T = 42.577478518e6;
const C0_MM_PER_S = 299792458e3;
const EPS_R_TISSUE = 50;
const WIRE_RADIUS_MM = 2;

export interface LoopCoil {
  name: string;
  /** Loop centre, RAS mm. */
  centre: Vec3;
  /** Unit normal (RAS), pointing into the head. */
  normal: Vec3;
  radiusMm: number;
  /** Cable / preamp phase, radians. */
  phaseRad: number;
  /** Relative gain (1 ± a few %). */
  gain: number;
  /** Ring index (0 = lowest). */
  ring: number;
}

export interface CoilArrayOptions {
  /** Seeds cable phases and small gain differences. */
  systemSeed?: number;
  /** Helmet semi-axes, RAS mm; default scalp + 12 mm. */
  helmetSemiAxes?: Vec3;
}

/** Split n coils over rings: returns coils per ring (lowest first). */
function ringLayout(n: number): { elevDeg: number[]; counts: number[] } {
  let rings: number;
  if (n <= 8) rings = 1;
  else if (n <= 16) rings = 2;
  else if (n <= 24) rings = 3;
  else if (n <= 40) rings = 4;
  else if (n <= 64) rings = 5;
  else rings = 6;
  const elev: number[] = [];
  const lo = rings === 1 ? 10 : -20;
  const hi = rings === 1 ? 10 : 62;
  for (let r = 0; r < rings; r++) elev.push(rings === 1 ? lo : lo + ((hi - lo) * r) / (rings - 1));
  const w = elev.map((e) => Math.cos((e * Math.PI) / 180));
  const wsum = w.reduce((a, b) => a + b, 0);
  const ideal = w.map((x) => (n * x) / wsum);
  const counts = ideal.map((x) => Math.max(1, Math.floor(x)));
  let left = n - counts.reduce((a, b) => a + b, 0);
  // largest remainder
  const order = ideal.map((x, i) => ({ r: x - Math.floor(x), i })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k]!.i]! += 1;
  while (left < 0) {
    // too many because of the max(1, …): take from the fullest ring
    let imax = 0;
    counts.forEach((c, i) => { if (c > counts[imax]!) imax = i; });
    counts[imax]! -= 1;
    left++;
  }
  return { elevDeg: elev, counts };
}

/** A helmet array of `n` loop coils (deterministic; phases/gains from systemSeed). */
export function helmetCoilArray(n: number, opts: CoilArrayOptions = {}): LoopCoil[] {
  if (!Number.isInteger(n) || n < 1 || n > 128) throw new UhfError('BAD_ARGUMENT', `coil count must be an integer in 1..128, got ${n}`);
  const [A, B, C] = opts.helmetSemiAxes ?? [HEAD_SEMI_AXES.scalp[0] + 12, HEAD_SEMI_AXES.scalp[1] + 12, HEAD_SEMI_AXES.scalp[2] + 12];
  const rng = new Rng(opts.systemSeed ?? 7, 'coils');
  const { elevDeg, counts } = ringLayout(n);
  const rings = counts.length;
  const elevStep = rings > 1 ? ((elevDeg[1]! - elevDeg[0]!) * Math.PI) / 180 : Math.PI / 3;
  const coils: LoopCoil[] = [];
  const req = Math.sqrt((A * A + B * B) / 2);
  for (let r = 0; r < rings; r++) {
    const e = (elevDeg[r]! * Math.PI) / 180;
    const nr = counts[r]!;
    const azStep = (2 * Math.PI) / nr;
    const azSpacing = req * Math.cos(e) * azStep;
    const elSpacing = req * elevStep;
    const radius = Math.min(60, Math.max(12, 0.55 * Math.min(azSpacing, rings > 1 ? elSpacing : azSpacing)));
    for (let k = 0; k < nr; k++) {
      const az = (k + (r % 2 ? 0.5 : 0)) * azStep + Math.PI / 2; // start anterior
      const p: Vec3 = [A * Math.cos(e) * Math.cos(az), B * Math.cos(e) * Math.sin(az), C * Math.sin(e)];
      const g: Vec3 = [p[0] / (A * A), p[1] / (B * B), p[2] / (C * C)];
      const gn = Math.hypot(g[0], g[1], g[2]);
      coils.push({
        name: `R${r + 1}L${String(k + 1).padStart(2, '0')}`,
        centre: p,
        normal: [-g[0] / gn, -g[1] / gn, -g[2] / gn],
        radiusMm: radius,
        phaseRad: rng.range(-Math.PI, Math.PI),
        gain: 1 + 0.04 * (rng.uniform() * 2 - 1),
        ring: r,
      });
    }
  }
  return coils;
}

/** Complete elliptic integrals K(m), E(m) (parameter m = k²) by the AGM. */
export function ellipticKE(m: number): [number, number] {
  let a = 1;
  let b = Math.sqrt(1 - m);
  let c2sum = 0.5 * m; // 2^(n-1) c_n² for n = 0: c0² = m
  let pow = 0.5;
  for (let it = 0; it < 40; it++) {
    const an = 0.5 * (a + b);
    const cn = 0.5 * (a - b);
    b = Math.sqrt(a * b);
    a = an;
    pow *= 2;
    c2sum += pow * cn * cn;
    if (Math.abs(cn) < 1e-15 * a) break;
  }
  const K = Math.PI / (2 * a);
  return [K, K * (1 - c2sum)];
}

/**
 * Fast K(m), E(m): Abramowitz & Stegun 17.3.34 / 17.3.36 polynomial
 * approximations in m1 = 1 − m (|error| ≤ 2e-8), used for the coil model.
 */
export function ellipticKEFast(m: number): [number, number] {
  const m1 = Math.max(1 - m, 1e-300);
  const l = -Math.log(m1);
  const K =
    1.38629436112 + m1 * (0.09666344259 + m1 * (0.03590092383 + m1 * (0.03742563713 + m1 * 0.01451196212))) +
    l * (0.5 + m1 * (0.12498593597 + m1 * (0.06880248576 + m1 * (0.03328355346 + m1 * 0.00441787012))));
  const E =
    1 + m1 * (0.44325141463 + m1 * (0.0626060122 + m1 * (0.04757383546 + m1 * 0.01736506451))) +
    l * m1 * (0.2499836831 + m1 * (0.09200180037 + m1 * (0.04069697526 + m1 * 0.00526449639)));
  return [K, E];
}

/**
 * Biot–Savart field of a unit-current loop (radius a) at local cylindrical
 * coordinates (rho, z), in units of μ0·I/π. Returns [B_rho, B_z].
 */
export function loopField(a: number, rho: number, z: number, wireRadius = WIRE_RADIUS_MM): [number, number] {
  const r2 = rho * rho + z * z;
  const alpha2 = a * a + r2 - 2 * a * rho + wireRadius * wireRadius;
  const beta2 = a * a + r2 + 2 * a * rho + wireRadius * wireRadius;
  const beta = Math.sqrt(beta2);
  const m = 1 - alpha2 / beta2;
  const [K, E] = ellipticKEFast(m);
  const bz = ((a * a - r2) * E + alpha2 * K) / (2 * alpha2 * beta);
  const brho = rho > 1e-9 * a ? (z * ((a * a + r2) * E - alpha2 * K)) / (2 * alpha2 * beta * rho) : 0;
  return [brho, bz];
}

/** Tissue wavelength at the proton Larmor frequency, mm. */
export function tissueWavelengthMm(fieldStrengthT: number): number {
  return C0_MM_PER_S / (GAMMA_HZ_PER_T * fieldStrengthT * Math.sqrt(EPS_R_TISSUE));
}

export class CoilArray {
  readonly coils: readonly LoopCoil[];
  readonly fieldStrengthT: number;
  /** Global scale g (see module doc). */
  readonly scale: number;
  private readonly k: number;

  constructor(coils: readonly LoopCoil[], fieldStrengthT: number) {
    if (coils.length === 0) throw new UhfError('BAD_ARGUMENT', 'empty coil array');
    this.coils = coils;
    this.fieldStrengthT = fieldStrengthT;
    this.k = (2 * Math.PI) / tissueWavelengthMm(fieldStrengthT);
    let rss2 = 0;
    for (let c = 0; c < coils.length; c++) {
      const [re, im] = this.raw(c, 0, 0, 0);
      rss2 += re * re + im * im;
    }
    this.scale = 1 / Math.sqrt(rss2);
  }

  get count(): number {
    return this.coils.length;
  }

  private raw(c: number, x: number, y: number, z: number): [number, number] {
    const coil = this.coils[c]!;
    const dx = x - coil.centre[0], dy = y - coil.centre[1], dz = z - coil.centre[2];
    const n = coil.normal;
    const zl = dx * n[0] + dy * n[1] + dz * n[2];
    const px = dx - zl * n[0], py = dy - zl * n[1], pz = dz - zl * n[2];
    const rho = Math.sqrt(px * px + py * py + pz * pz);
    const [brho, bz] = loopField(coil.radiusMm, rho, zl);
    let bx = bz * n[0];
    let by = bz * n[1];
    if (rho > 0) {
      bx += (brho * px) / rho;
      by += (brho * py) / rho;
    }
    const d = Math.sqrt(dx * dx + dy * dy + dz * dz);
    const ph = coil.phaseRad - this.k * d;
    const cr = Math.cos(ph), ci = Math.sin(ph);
    // (bx − i·by)·(cr + i·ci)
    const g = coil.gain;
    return [g * (bx * cr + by * ci), g * (bx * ci - by * cr)];
  }

  /** Complex sensitivity of coil c at a RAS point. */
  at(c: number, ras: Vec3): [number, number] {
    const [re, im] = this.raw(c, ras[0], ras[1], ras[2]);
    return [re * this.scale, im * this.scale];
  }

  /**
   * Sensitivities at n points (flat RAS [x0 y0 z0 …]). Output interleaved
   * complex, coil-major: out[2·(c·n + p)] (+1 for imaginary). Points where
   * `where` is given and zero are left 0 (not evaluated).
   */
  sample(pointsRas: Float64Array, where?: ArrayLike<number>): Float32Array {
    const n = pointsRas.length / 3;
    const nc = this.coils.length;
    const out = new Float32Array(2 * n * nc);
    for (let p = 0; p < n; p++) {
      if (where && !where[p]) continue;
      const x = pointsRas[3 * p]!, y = pointsRas[3 * p + 1]!, z = pointsRas[3 * p + 2]!;
      for (let c = 0; c < nc; c++) {
        const [re, im] = this.raw(c, x, y, z);
        out[2 * (c * n + p)] = re * this.scale;
        out[2 * (c * n + p) + 1] = im * this.scale;
      }
    }
    return out;
  }
}
