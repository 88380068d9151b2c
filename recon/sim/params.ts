/**
 * Simulation parameters and the built-in presets (typed code, not config strings).
 */
import type { Vec3 } from '../../shared/ismrmrd.ts';
import { UhfError } from '../../shared/errors.ts';
import type { BlockDesign } from './design.ts';
import type { ActivationSphere } from './phantom.ts';

export type SliceOrder = 'interleaved' | 'ascending' | 'descending';
export type SimCalibrationMode = 'embedded' | 'separate';

/** Automatic block design, built from the run length (repetitions × TR). */
export interface BlockSpec {
  /** Block length, s. */
  onS: number;
  /** Rest length between blocks, s (the run starts with rest unless firstOnsetS is given). */
  offS: number;
  firstOnsetS?: number;
  /** Condition names (trial_type), alternating: rest, A, rest, B, rest, A… */
  conditions: string[];
  /** Plateau percent signal change per condition (one number: all). */
  percentSignalChange: number | number[];
}

export interface SimParams {
  /** Protocol / preset name (goes to measurementInformation.protocolName). */
  name: string;
  /** Seeds the noise realisation. Same seed → identical bytes. */
  seed: number;
  /** Seeds the "hardware": coil cable phases and gains, noise covariance structure. */
  systemSeed: number;
  /** B0, tesla. Larmor frequency = 42.577478518 MHz/T × B0. */
  fieldStrengthT: number;
  /** Recon matrix [nx (read), ny (phase)]. */
  matrix: [number, number];
  /** Recon FOV [fx, fy] mm. */
  fovMm: [number, number];
  slices: number;
  sliceThicknessMm: number;
  /** Centre-to-centre slice distance, mm (≥ thickness means a gap). */
  sliceSpacingMm: number;
  /** Readout oversampling factor (integer): encoded nx and FOV x are this × recon. */
  readoutOversampling: number;
  /** Slice tilt: rotation about the L–R axis (transverse → coronal), degrees. */
  tiltLRDeg: number;
  /** Rotation about the A–P axis (transverse → sagittal), degrees. */
  tiltAPDeg: number;
  /** In-plane rotation about S, degrees (applied first). */
  rotSIDeg: number;
  /** Centre of the slice stack, RAS mm. */
  slabCentreRas: Vec3;
  /** Acquisition order of slices (idx.slice is always the geometric index). interleaved = 0,2,4,…,1,3,5,… */
  sliceOrder: SliceOrder;
  coils: number;
  /** RMS channel complex noise std (imaging dwell), in image units (fftc is orthonormal). 0 = noise free. */
  noiseSigma: number;
  /** Mean |correlation| between nearest-neighbour channels. */
  noiseCorrelation: number;
  /** Relative channel noise level spread. */
  noiseLevelSpread: number;
  /** Number of noise-scan acquisitions (0 = none; none are written when noiseSigma = 0). */
  noiseScans: number;
  noiseSamples: number;
  /** Dwell time of the noise scans, µs (may differ from imaging). */
  noiseDwellUs: number;
  /** Imaging readout bandwidth per recon pixel: imaging dwell = 1e6 / (BW × nx_encoded) µs. */
  readoutBandwidthHzPerPixel: number;
  /** Undersampling factor along ky (centre line always sampled). */
  acceleration: number;
  /** Fully sampled calibration lines around the centre; 'auto' = 0 for R = 1, else min(24, ny/2). */
  acsLines: number | 'auto';
  calibrationMode: SimCalibrationMode;
  repetitions: number;
  /** Volume TR (one repetition of all slices), ms. */
  trMs: number;
  teMs: number;
  flipAngleDeg: number;
  /** Block design built from the run length; null = no activation. Ignored when `design` is given. */
  blocks: BlockSpec | null;
  /** Explicit design (onsets in s from the first imaging repetition). */
  design?: BlockDesign;
  /** Activation spheres; default: defaultActivationSpheres(condition names). */
  activations?: ActivationSphere[];
  /** Linear signal drift over the run, percent (fMRI realism). */
  driftPercent: number;
}

export type PresetName = '7t-anat' | '7t-fmri' | 'test-small';

const BASE: Omit<SimParams, 'name'> = {
  seed: 1,
  systemSeed: 7,
  fieldStrengthT: 7,
  matrix: [64, 64],
  fovMm: [220, 220],
  slices: 1,
  sliceThicknessMm: 3,
  sliceSpacingMm: 3,
  readoutOversampling: 2,
  tiltLRDeg: 0,
  tiltAPDeg: 0,
  rotSIDeg: 0,
  slabCentreRas: [0, 0, 10],
  sliceOrder: 'interleaved',
  coils: 8,
  noiseSigma: 0.02,
  noiseCorrelation: 0.2,
  noiseLevelSpread: 0.25,
  noiseScans: 8,
  noiseSamples: 256,
  noiseDwellUs: 5,
  readoutBandwidthHzPerPixel: 300,
  acceleration: 1,
  acsLines: 'auto',
  calibrationMode: 'embedded',
  repetitions: 1,
  trMs: 1000,
  teMs: 20,
  flipAngleDeg: 30,
  blocks: null,
  driftPercent: 0,
};

export const PRESETS: Readonly<Record<PresetName, Readonly<SimParams>>> = {
  /** 7 T T2*-weighted anatomical 2D multislice, double oblique, 32 channels. */
  '7t-anat': {
    ...BASE,
    name: '7t-anat',
    matrix: [192, 192],
    fovMm: [220, 220],
    slices: 12,
    sliceThicknessMm: 2,
    sliceSpacingMm: 2.4,
    tiltLRDeg: 15,
    tiltAPDeg: 10,
    slabCentreRas: [0, -4, 14],
    coils: 32,
    noiseSigma: 0.015,
    noiseScans: 16,
    noiseSamples: 256,
    noiseDwellUs: 5,
    readoutBandwidthHzPerPixel: 250,
    trMs: 1200,
    teMs: 22,
    flipAngleDeg: 35,
  },
  /** 7 T BOLD fMRI run: 64×64, 12 slices, 16 channels, TR 2 s, 50 frames (100 s), 20 s rest / 20 s task blocks. */
  '7t-fmri': {
    ...BASE,
    name: '7t-fmri',
    matrix: [64, 64],
    fovMm: [192, 192],
    slices: 12,
    sliceThicknessMm: 3,
    sliceSpacingMm: 3.3,
    tiltLRDeg: 10,
    tiltAPDeg: 0,
    slabCentreRas: [0, -4, 8],
    coils: 16,
    noiseSigma: 0.02,
    noiseScans: 16,
    noiseSamples: 256,
    noiseDwellUs: 5,
    readoutBandwidthHzPerPixel: 2000,
    repetitions: 50,
    trMs: 2000,
    teMs: 22,
    flipAngleDeg: 70,
    blocks: { onS: 20, offS: 20, conditions: ['task'], percentSignalChange: 4 },
    driftPercent: 1,
  },
  /** Tiny, for unit tests: 32×32, 3 slices, 4 coils, 2 repetitions. */
  'test-small': {
    ...BASE,
    name: 'test-small',
    matrix: [32, 32],
    fovMm: [220, 220],
    slices: 3,
    sliceThicknessMm: 5,
    sliceSpacingMm: 6,
    tiltLRDeg: 10,
    tiltAPDeg: 5,
    slabCentreRas: [0, 0, 10],
    coils: 4,
    noiseSigma: 0.02,
    noiseScans: 4,
    noiseSamples: 128,
    noiseDwellUs: 5,
    readoutBandwidthHzPerPixel: 500,
    repetitions: 2,
    trMs: 2000,
    blocks: { onS: 2, offS: 2, firstOnsetS: 2, conditions: ['task'], percentSignalChange: 5 },
  },
};

export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

export function isPresetName(s: string): s is PresetName {
  return Object.prototype.hasOwnProperty.call(PRESETS, s);
}

/** A preset with overrides applied, validated. */
export function presetParams(name: PresetName | string, overrides: Partial<SimParams> = {}): SimParams {
  if (!isPresetName(name)) throw new UhfError('BAD_ARGUMENT', `unknown simulator preset '${name}' (known: ${PRESET_NAMES.join(', ')})`);
  const base = PRESETS[name];
  const p: SimParams = {
    ...base,
    matrix: [...base.matrix],
    fovMm: [...base.fovMm],
    slabCentreRas: [...base.slabCentreRas],
    blocks: base.blocks ? { ...base.blocks, conditions: [...base.blocks.conditions] } : null,
  };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (p as unknown as Record<string, unknown>)[k] = v;
  }
  validateParams(p);
  return p;
}

function need(ok: boolean, what: string): void {
  if (!ok) throw new UhfError('BAD_ARGUMENT', `simulator: ${what}`);
}

const isInt = (x: unknown, lo: number, hi: number): boolean => typeof x === 'number' && Number.isInteger(x) && x >= lo && x <= hi;
const isPos = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;
const isFin = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

export function validateParams(p: SimParams): void {
  need(isInt(p.seed, 0, Number.MAX_SAFE_INTEGER), `seed must be a non-negative integer, got ${p.seed}`);
  need(isInt(p.systemSeed, 0, Number.MAX_SAFE_INTEGER), `systemSeed must be a non-negative integer, got ${p.systemSeed}`);
  need(isPos(p.fieldStrengthT) && p.fieldStrengthT <= 20, `fieldStrengthT must be in (0, 20], got ${p.fieldStrengthT}`);
  need(Array.isArray(p.matrix) && p.matrix.length === 2 && p.matrix.every((n) => isInt(n, 4, 1024)), `matrix must be two integers in 4..1024, got ${String(p.matrix)}`);
  need(Array.isArray(p.fovMm) && p.fovMm.length === 2 && p.fovMm.every(isPos), `fovMm must be two positive numbers, got ${String(p.fovMm)}`);
  need(isInt(p.slices, 1, 512), `slices must be an integer in 1..512, got ${p.slices}`);
  need(isPos(p.sliceThicknessMm), `sliceThicknessMm must be > 0, got ${p.sliceThicknessMm}`);
  need(isPos(p.sliceSpacingMm), `sliceSpacingMm must be > 0, got ${p.sliceSpacingMm}`);
  need(isInt(p.readoutOversampling, 1, 4), `readoutOversampling must be an integer in 1..4, got ${p.readoutOversampling}`);
  need(isFin(p.tiltLRDeg) && isFin(p.tiltAPDeg) && isFin(p.rotSIDeg), 'orientation angles must be finite');
  need(Array.isArray(p.slabCentreRas) && p.slabCentreRas.length === 3 && p.slabCentreRas.every(isFin), 'slabCentreRas must be 3 finite numbers');
  need(['interleaved', 'ascending', 'descending'].includes(p.sliceOrder), `sliceOrder must be interleaved|ascending|descending, got ${p.sliceOrder}`);
  need(isInt(p.coils, 1, 128), `coils must be an integer in 1..128, got ${p.coils}`);
  need(isFin(p.noiseSigma) && p.noiseSigma >= 0, `noiseSigma must be ≥ 0, got ${p.noiseSigma}`);
  need(isFin(p.noiseCorrelation) && p.noiseCorrelation >= 0 && p.noiseCorrelation <= 0.6, `noiseCorrelation must be in [0, 0.6], got ${p.noiseCorrelation}`);
  need(isFin(p.noiseLevelSpread) && p.noiseLevelSpread >= 0 && p.noiseLevelSpread < 1, `noiseLevelSpread must be in [0, 1), got ${p.noiseLevelSpread}`);
  need(isInt(p.noiseScans, 0, 4096), `noiseScans must be an integer in 0..4096, got ${p.noiseScans}`);
  need(isInt(p.noiseSamples, 1, 65536), `noiseSamples must be an integer in 1..65536, got ${p.noiseSamples}`);
  need(isPos(p.noiseDwellUs), `noiseDwellUs must be > 0, got ${p.noiseDwellUs}`);
  need(isPos(p.readoutBandwidthHzPerPixel), `readoutBandwidthHzPerPixel must be > 0, got ${p.readoutBandwidthHzPerPixel}`);
  need(isInt(p.acceleration, 1, Math.max(1, Math.floor(p.matrix[1] / 2))), `acceleration must be an integer in 1..ny/2, got ${p.acceleration}`);
  need(p.acsLines === 'auto' || isInt(p.acsLines, 0, p.matrix[1]), `acsLines must be 'auto' or an integer in 0..ny, got ${String(p.acsLines)}`);
  need(p.calibrationMode === 'embedded' || p.calibrationMode === 'separate', `calibrationMode must be embedded|separate, got ${String(p.calibrationMode)}`);
  need(isInt(p.repetitions, 1, 100000), `repetitions must be an integer ≥ 1, got ${p.repetitions}`);
  need(isPos(p.trMs) && isPos(p.teMs) && isFin(p.flipAngleDeg), 'trMs, teMs must be > 0 and flipAngleDeg finite');
  need(isFin(p.driftPercent), 'driftPercent must be finite');
  if (p.blocks) {
    need(isPos(p.blocks.onS) && isFin(p.blocks.offS) && p.blocks.offS >= 0, 'blocks need onS > 0 and offS ≥ 0');
    need(Array.isArray(p.blocks.conditions) && p.blocks.conditions.length > 0 && p.blocks.conditions.length <= 8, 'blocks need 1..8 condition names');
  }
  if (p.design) {
    need(p.design.conditions.length <= 8, 'at most 8 conditions');
    for (const c of p.design.conditions) need(typeof c.name === 'string' && c.name.length > 0 && !/[\t\n]/.test(c.name) && isFin(c.durationS) && c.durationS >= 0 && c.onsetsS.every(isFin) && isFin(c.percentSignalChange), `bad condition ${c.name}`);
  }
  if (p.blocks) for (const n of p.blocks.conditions) need(n.length > 0 && !/[\t\n]/.test(n), `bad condition name '${n}'`);
}

/** The ACS line count actually used. */
export function resolvedAcsLines(p: SimParams): number {
  if (p.acsLines !== 'auto') return p.acsLines;
  return p.acceleration > 1 ? Math.min(24, 2 * Math.floor(p.matrix[1] / 4)) : 0;
}
