/**
 * Synthetic BOLD runs with known activations, for tests and benchmarks: an
 * ellipsoidal "brain" at a baseline intensity, spherical blobs responding to
 * block conditions (boxcars convolved with nipy's variant of the SPM HRF —
 * deliberately not the exact kernel the fit uses), a slow drift, and AR(1)
 * Gaussian noise; plus the matching events.tsv.
 */
import { asAffine, type Affine, type Volume } from '../../shared/volume.ts';
import type { FmriEvent } from './design/events.ts';
import { buildDesign, designColumn } from './design/matrix.ts';

export interface Activation {
  condition: string;
  /** Voxel centre and radius (voxels). */
  centre: [number, number, number];
  radius: number;
  /** Response amplitude in % of baseline for a sustained block. */
  percent: number;
}

export interface SyntheticRunOptions {
  dims?: [number, number, number];
  nFrames?: number;
  tr?: number;
  voxelMm?: number;
  affine?: Affine;
  conditions?: string[];
  /** Block length and rest between blocks (s). */
  blockSec?: number;
  restSec?: number;
  activations?: Activation[];
  baseline?: number;
  /** Noise sd in % of baseline. */
  noisePercent?: number;
  ar1?: number;
  /** Linear drift over the run, % of baseline. */
  driftPercent?: number;
  seed?: number;
}

export interface SyntheticRun {
  volume: Volume;
  events: FmriEvent[];
  eventsTsv: string;
  brain: Uint8Array;
  /** Per condition: voxels that respond to it. */
  truth: Map<string, Uint8Array>;
}

/** mulberry32: small, fast, seedable. */
export function makeRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeGaussian(rng: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = rng();
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/** Alternating blocks of each condition separated by rest, filling the run. */
export function blockEvents(conditions: readonly string[], runSec: number, blockSec: number, restSec: number): FmriEvent[] {
  const events: FmriEvent[] = [];
  let t = restSec;
  let i = 0;
  while (t + blockSec <= runSec) {
    events.push({ onset: t, duration: blockSec, trialType: conditions[i % conditions.length]!, modulation: 1, line: events.length + 2 });
    t += blockSec + restSec;
    i++;
  }
  return events;
}

export function formatEventsTsv(events: readonly FmriEvent[]): string {
  return `onset\tduration\ttrial_type\n${events.map((e) => `${e.onset}\t${e.duration}\t${e.trialType}`).join('\n')}\n`;
}

export function makeSyntheticRun(options: SyntheticRunOptions = {}): SyntheticRun {
  const [nx, ny, nz] = options.dims ?? [24, 24, 12];
  const nt = options.nFrames ?? 120;
  const tr = options.tr ?? 2;
  const mm = options.voxelMm ?? 3;
  const conditions = options.conditions ?? ['faces', 'houses'];
  const baseline = options.baseline ?? 1000;
  const noise = ((options.noisePercent ?? 1) / 100) * baseline;
  const rho = options.ar1 ?? 0.3;
  const drift = ((options.driftPercent ?? 2) / 100) * baseline;
  const activations = options.activations ?? [
    { condition: conditions[0]!, centre: [Math.floor(nx / 3), Math.floor(ny / 2), Math.floor(nz / 2)], radius: 2.5, percent: 1 },
    { condition: conditions[1 % conditions.length]!, centre: [Math.floor((2 * nx) / 3), Math.floor(ny / 2), Math.floor(nz / 2)], radius: 2.5, percent: 1 },
  ];
  const affine = options.affine ?? asAffine([mm, 0, 0, (-mm * (nx - 1)) / 2, 0, mm, 0, (-mm * (ny - 1)) / 2, 0, 0, mm, (-mm * (nz - 1)) / 2, 0, 0, 0, 1]);
  const events = blockEvents(conditions, nt * tr, options.blockSec ?? 16, options.restSec ?? 16);
  const design = buildDesign({ nFrames: nt, tr, events, convention: 'nipy', highPassSec: 0 });
  const regressors = new Map(design.conditions.map((c) => [c, designColumn(design, design.names.indexOf(c))]));

  const nvox = nx * ny * nz;
  const brain = new Uint8Array(nvox);
  const base = new Float64Array(nvox);
  const truth = new Map(conditions.map((c) => [c, new Uint8Array(nvox)]));
  const amp = activations.map(() => new Float64Array(nvox));
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        const e = ((i - (nx - 1) / 2) / (0.45 * nx)) ** 2 + ((j - (ny - 1) / 2) / (0.45 * ny)) ** 2 + ((k - (nz - 1) / 2) / (0.45 * nz)) ** 2;
        if (e <= 1) {
          brain[v] = 1;
          base[v] = baseline * (1 + 0.1 * Math.cos(i / 3) * Math.sin(j / 4));
        } else base[v] = 0.03 * baseline;
        activations.forEach((a, n) => {
          const d = Math.hypot(i - a.centre[0], j - a.centre[1], k - a.centre[2]);
          if (brain[v] && d <= a.radius) {
            amp[n]![v] = a.percent / 100;
            truth.get(a.condition)?.set([1], v);
          }
        });
      }
    }
  }
  const gauss = makeGaussian(makeRng(options.seed ?? 1));
  const data = new Float32Array(nvox * nt);
  const state = new Float64Array(nvox);
  const innovation = Math.sqrt(1 - rho * rho);
  for (let t = 0; t < nt; t++) {
    const driftT = drift * (t / (nt - 1) - 0.5);
    const regs = activations.map((a) => regressors.get(a.condition)?.[t] ?? 0);
    for (let v = 0; v < nvox; v++) {
      const inside = brain[v] === 1;
      state[v] = t === 0 ? gauss() : rho * state[v]! + innovation * gauss();
      let signal = base[v]!;
      if (inside) {
        let resp = 0;
        for (let n = 0; n < activations.length; n++) resp += amp[n]![v]! * regs[n]!;
        signal = base[v]! * (1 + resp) + (driftT * base[v]!) / baseline;
      }
      data[t * nvox + v] = signal + (inside ? noise : 0.2 * noise) * state[v]!;
    }
  }
  return {
    volume: { dims: [nx, ny, nz, nt], data, affine, trSec: tr },
    events,
    eventsTsv: formatEventsTsv(events),
    brain,
    truth,
  };
}
