/**
 * Ground truth of a simulated scan, on the RECON grid (nx × ny per slice,
 * recon FOV; the readout oversampling removed), stacked into volumes with the
 * RAS affine from recon/geometry `stackSlices` (z sorted along the slice
 * normal; for the simulator z = idx.slice).
 *
 * Definitions (voxel (i, j, z) ↔ world point w = affine·(i, j, z, 1), RAS mm;
 * exactly the points the simulator sampled, see kspace.ts):
 * - image    = |phantom(w)| — the baseline magnitude (no activation, no
 *              drift, no coil weighting, no noise).
 * - phase    = background phase φ(w), radians (the object is |phantom|·e^{iφ}).
 * - coil map S_c(w), complex: noise-free coil image c = |phantom|·e^{iφ}·S_c.
 * - rss      = sqrt(Σ_c |S_c(w)|²): a noise-free root-sum-of-squares recon
 *              equals image · rss EXACTLY (sqrt(Σ_c |image·e^{iφ}·S_c|²)).
 *              So compare an RSS recon by dividing it by rss (where rss > 0),
 *              or compare recon to image·rss; a SENSE/optimal-B1 recon with
 *              these maps, normalised Σ|S_c|² = 1, is image (complex: ·e^{iφ}).
 * - frame(r) = image · (1 + drift_r + Σ_k amp_{k,r} · mask_k): the magnitude
 *              at repetition r, with amp_{k,r} = psc_k/100 · (boxcar_k ⊛ HRF)(r·TR).
 * - labels   = tissue label (phantom TISSUE codes), activationMask = union of
 *              condition masks (1 inside, 0 outside).
 * NRMSE (see compare.ts) = ‖s·recon − truth‖ / ‖truth‖ over a mask, with s the
 * least-squares scale, so global intensity scaling does not count.
 */
import type { Affine, Volume } from '../../shared/volume.ts';
import { UhfError } from '../../shared/errors.ts';
import { stackSlices, type SliceGeometry, type StackResult } from '../geometry/index.ts';
import type { CoilArray, LoopCoil } from './coils.ts';
import { slicePointsRas } from './kspace.ts';
import type { NoiseCovariance } from './noise.ts';
import type { ActivationSphere, HeadPhantom } from './phantom.ts';
import { frameCoefficients, sliceTimingS, type Protocol } from './protocol.ts';

/** Complex multi-channel volume: data interleaved complex, [x y z channel], x fastest. */
export interface ComplexVolume {
  dims: [number, number, number, number];
  data: Float32Array;
  affine: Affine;
}

export interface SimTruth {
  /** Human-readable definition of every field (the module doc). */
  readonly definition: string;
  readonly image: Volume;
  readonly phase: Volume;
  readonly labels: Volume;
  readonly rss: Volume;
  readonly activationMask: Volume;
  readonly conditionMasks: Readonly<Record<string, Volume>>;
  /** Complex coil maps [nx, ny, nSlices, nCoils] (computed on first call, then cached). */
  coilMaps(): ComplexVolume;
  /** Truth magnitude at repetition r. */
  frame(rep: number): Volume;
  /** r·TR, s. */
  readonly frameTimesS: readonly number[];
  /** Per condition: amplitude (fraction, psc/100 · response) at each frame. */
  readonly regressors: Readonly<Record<string, Float64Array>>;
  /** Per condition: unit-plateau expected response (boxcar ⊛ HRF) at each frame. */
  readonly responses: Readonly<Record<string, Float64Array>>;
  /** Drift (fraction) at each frame. */
  readonly drift: Float64Array;
  /** Slice acquisition time within the TR (BIDS SliceTiming), s, by slice index. */
  readonly sliceTimingS: readonly number[];
  /** Geometry of the stacked truth volumes (affine, z ↔ slice permutation). */
  readonly geometry: StackResult;
  /** Recon-grid geometry of every slice (LPS), index = idx.slice. */
  readonly sliceGeometries: readonly SliceGeometry[];
  /** Encoded-grid (oversampled) geometry of every slice, as sampled. */
  readonly encodedSliceGeometries: readonly SliceGeometry[];
  /** Ψ per sample at the imaging dwell time. */
  readonly noiseCovariance: NoiseCovariance;
  /** Covariance of the noise-scan samples: Ψ·(imagingDwell/noiseDwell), complex n×n. */
  readonly noiseScanCovariance: Float64Array;
  readonly coils: readonly LoopCoil[];
  readonly activations: readonly ActivationSphere[];
}

export const TRUTH_DEFINITION = `truth volumes are on the recon grid (readout oversampling removed), RAS affine from recon/geometry stackSlices.
image = |phantom| at voxel centres (baseline: no activation, no drift, no coils, no noise).
phase = background phase (rad); complex object = image·exp(i·phase).
coilMaps()[c] = complex sensitivity S_c; noise-free coil image c = image·exp(i·phase)·S_c.
rss = sqrt(sum_c |S_c|^2); a noise-free RSS recon equals image·rss exactly.
frame(r) = image·(1 + drift[r] + sum_k regressors[k][r]·mask_k), regressors[k][r] = psc_k/100·(boxcar_k * HRF)(r·TR).
Compare with compareToTruth(): NRMSE = ||s·recon − truth|| / ||truth|| with least-squares scale s, inside a mask.`;

class Truth implements SimTruth {
  readonly definition = TRUTH_DEFINITION;
  readonly geometry: StackResult;
  readonly sliceGeometries: readonly SliceGeometry[];
  readonly encodedSliceGeometries: readonly SliceGeometry[];
  readonly frameTimesS: readonly number[];
  readonly regressors: Readonly<Record<string, Float64Array>>;
  readonly responses: Readonly<Record<string, Float64Array>>;
  readonly drift: Float64Array;
  readonly sliceTimingS: readonly number[];
  readonly noiseCovariance: NoiseCovariance;
  readonly noiseScanCovariance: Float64Array;
  readonly coils: readonly LoopCoil[];
  readonly activations: readonly ActivationSphere[];

  private readonly nvox: number;
  private points: Float64Array | null = null;
  private sampled: { mag: Float32Array; phase: Float32Array; label: Uint8Array; activation: Uint8Array } | null = null;
  private cache = new Map<string, Volume>();
  private maps: ComplexVolume | null = null;

  constructor(private readonly pr: Protocol, private readonly phantom: HeadPhantom, private readonly coilArray: CoilArray, noise: NoiseCovariance) {
    this.sliceGeometries = pr.reconGeoms;
    this.encodedSliceGeometries = pr.encodedGeoms;
    this.geometry = stackSlices(pr.reconGeoms);
    this.nvox = pr.nx * pr.ny * pr.nSlices;
    this.frameTimesS = pr.frameTimesS;
    const regs: Record<string, Float64Array> = {};
    const resp: Record<string, Float64Array> = {};
    for (const n of pr.conditionNames) {
      regs[n] = new Float64Array(pr.nReps);
      resp[n] = new Float64Array(pr.nReps);
    }
    this.drift = new Float64Array(pr.nReps);
    for (let r = 0; r < pr.nReps; r++) {
      const c = frameCoefficients(pr, r);
      this.drift[r] = c.drift;
      pr.conditionNames.forEach((n, k) => {
        regs[n]![r] = c.amp[k]!;
        const psc = pr.design!.conditions[k]!.percentSignalChange;
        resp[n]![r] = psc !== 0 ? (100 * c.amp[k]!) / psc : 0;
      });
    }
    this.regressors = regs;
    this.responses = resp;
    this.sliceTimingS = sliceTimingS(pr);
    this.noiseCovariance = noise;
    const f = pr.dwellUs / pr.noiseDwellUs;
    this.noiseScanCovariance = noise.psi.map((v) => v * f);
    this.coils = coilArray.coils;
    this.activations = phantom.activations;
  }

  /** RAS points of every truth voxel, volume order (x fastest, then y, then z). */
  private voxelPoints(): Float64Array {
    if (this.points) return this.points;
    const { nx, ny, nSlices } = this.pr;
    const pts = new Float64Array(3 * this.nvox);
    const plane = nx * ny;
    for (let s = 0; s < nSlices; s++) {
      const z = this.geometry.zOfSlice[s]!;
      pts.set(slicePointsRas(this.pr.reconGeoms[s]!), 3 * plane * z);
    }
    this.points = pts;
    return pts;
  }

  private samples() {
    if (!this.sampled) this.sampled = this.phantom.sample(this.voxelPoints());
    return this.sampled;
  }

  private vol(key: string, make: () => Float32Array, description: string): Volume {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const v: Volume = {
      dims: [this.pr.nx, this.pr.ny, this.pr.nSlices, 1],
      data: make(),
      affine: this.geometry.affine,
      description,
    };
    this.cache.set(key, v);
    return v;
  }

  get image(): Volume {
    return this.vol('image', () => Float32Array.from(this.samples().mag), 'truth |phantom|');
  }

  get phase(): Volume {
    return this.vol('phase', () => Float32Array.from(this.samples().phase), 'truth background phase (rad)');
  }

  get labels(): Volume {
    return this.vol('labels', () => Float32Array.from(this.samples().label), 'truth tissue labels');
  }

  get activationMask(): Volume {
    return this.vol('act', () => Float32Array.from(this.samples().activation, (b) => (b ? 1 : 0)), 'truth activation mask (all conditions)');
  }

  get conditionMasks(): Readonly<Record<string, Volume>> {
    const out: Record<string, Volume> = {};
    this.pr.conditionNames.forEach((n, k) => {
      out[n] = this.vol(`act:${n}`, () => Float32Array.from(this.samples().activation, (b) => ((b >> k) & 1 ? 1 : 0)), `truth activation mask ${n}`);
    });
    return out;
  }

  get rss(): Volume {
    return this.vol('rss', () => {
      const m = this.coilMaps();
      const nc = this.pr.nCoils;
      const out = new Float32Array(this.nvox);
      for (let c = 0; c < nc; c++) {
        const o = 2 * c * this.nvox;
        for (let p = 0; p < this.nvox; p++) {
          const re = m.data[o + 2 * p]!, im = m.data[o + 2 * p + 1]!;
          out[p] = out[p]! + re * re + im * im;
        }
      }
      for (let p = 0; p < this.nvox; p++) out[p] = Math.sqrt(out[p]!);
      return out;
    }, 'truth sqrt(sum |S_c|^2)');
  }

  coilMaps(): ComplexVolume {
    if (!this.maps) {
      this.maps = {
        dims: [this.pr.nx, this.pr.ny, this.pr.nSlices, this.pr.nCoils],
        data: this.coilArray.sample(this.voxelPoints()),
        affine: this.geometry.affine,
      };
    }
    return this.maps;
  }

  frame(rep: number): Volume {
    if (!Number.isInteger(rep) || rep < 0 || rep >= this.pr.nReps) throw new UhfError('BAD_ARGUMENT', `repetition ${rep} out of range 0..${this.pr.nReps - 1}`);
    const { mag, activation } = this.samples();
    const d = this.drift[rep]!;
    const amps = this.pr.conditionNames.map((n) => this.regressors[n]![rep]!);
    const data = new Float32Array(this.nvox);
    for (let p = 0; p < this.nvox; p++) {
      let f = 1 + d;
      const bits = activation[p]!;
      if (bits) for (let k = 0; k < amps.length; k++) if ((bits >> k) & 1) f += amps[k]!;
      data[p] = mag[p]! * f;
    }
    return {
      dims: [this.pr.nx, this.pr.ny, this.pr.nSlices, 1],
      data,
      affine: this.geometry.affine,
      description: `truth magnitude, repetition ${rep}`,
      ...(this.pr.nReps > 1 ? { trSec: this.pr.trMs / 1000 } : {}),
    };
  }
}

export function buildTruth(pr: Protocol, phantom: HeadPhantom, coils: CoilArray, noise: NoiseCovariance): SimTruth {
  return new Truth(pr, phantom, coils, noise);
}
