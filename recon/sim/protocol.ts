/**
 * Derived acquisition protocol: slice geometries, sampling pattern, timing.
 * Pure bookkeeping, no signal.
 */
import type { Vec3 } from '../../shared/ismrmrd.ts';
import { rasToLps, tiltedDirections } from '../geometry/index.ts';
import type { SliceGeometry } from '../geometry/index.ts';
import { addScaled } from '../geometry/vec.ts';
import { alternatingBlockDesign, blockResponse, linearDrift, type BlockDesign } from './design.ts';
import { resolvedAcsLines, type SimParams } from './params.ts';

/** Scanner ticks per ms (2.5 ms ticks). */
export const TICK_MS = 2.5;
/** Measurement start: 10:00:00 of the (fixed) study day, in ticks. */
export const T0_TICKS = (10 * 3600 * 1000) / TICK_MS;
/** Minimum time from measurement start to the first calibration/imaging line, ms (after the noise scans). */
export const PREP_MS = 100;

export type LineKind = 'image' | 'calibration' | 'both';

export interface LineSpec {
  /** kspace_encode_step_1, 0..ny-1. */
  ky: number;
  kind: LineKind;
}

export interface Protocol {
  params: SimParams;
  nx: number;
  ny: number;
  /** Encoded (oversampled) readout length. */
  nxe: number;
  fx: number;
  fy: number;
  fxe: number;
  nSlices: number;
  nCoils: number;
  nReps: number;
  R: number;
  acs: number;
  /** ky centre = floor(ny/2). */
  cy: number;
  /** Recon-grid geometry per slice index (LPS; matrix [nx, ny, 1], fov [fx, fy, thickness]). */
  reconGeoms: SliceGeometry[];
  /** Encoded-grid geometry per slice index (matrix [nxe, ny, 1], fov [fxe, fy, thickness]). */
  encodedGeoms: SliceGeometry[];
  /** Slice indices in acquisition order. */
  acqOrder: number[];
  /** slotOfSlice[s] = position of slice s in the acquisition order. */
  slotOfSlice: number[];
  /** Lines acquired per slice per repetition, ky ascending (embedded ACS included). */
  imagingLines: LineSpec[];
  /** Lines of the separate calibration pass (empty unless calibrationMode = separate and acs > 0). */
  calibrationLines: number[];
  /** Imaging dwell, µs. */
  dwellUs: number;
  noiseDwellUs: number;
  design: BlockDesign | null;
  /** Condition names in activation-bit order. */
  conditionNames: string[];
  /** Frame time of repetition r = r·TR, s. */
  frameTimesS: number[];
  runDurationS: number;
  trMs: number;
  /** Time of the first calibration/imaging line from measurement start, ms. */
  startMs: number;
  /** Noise acquisitions actually emitted: params.noiseScans, or 0 when noiseSigma = 0 (all-zero noise is not a measurement). */
  noiseScans: number;
}

function acquisitionOrder(n: number, order: SimParams['sliceOrder']): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  if (order === 'ascending') return idx;
  if (order === 'descending') return idx.reverse();
  return [...idx.filter((i) => i % 2 === 0), ...idx.filter((i) => i % 2 === 1)];
}

export function buildProtocol(p: SimParams): Protocol {
  const [nx, ny] = p.matrix;
  const [fx, fy] = p.fovMm;
  const os = p.readoutOversampling;
  const nxe = nx * os;
  const fxe = fx * os;
  const ns = p.slices;
  const dirs = tiltedDirections(p.tiltLRDeg, p.tiltAPDeg, p.rotSIDeg);
  const centreLps: Vec3 = rasToLps(p.slabCentreRas);
  const reconGeoms: SliceGeometry[] = [];
  const encodedGeoms: SliceGeometry[] = [];
  for (let s = 0; s < ns; s++) {
    const position = addScaled(centreLps, dirs.sliceDir, (s - (ns - 1) / 2) * p.sliceSpacingMm);
    const common = { position, readDir: dirs.readDir, phaseDir: dirs.phaseDir, sliceDir: dirs.sliceDir };
    reconGeoms.push({ ...common, matrix: [nx, ny, 1], fovMm: [fx, fy, p.sliceThicknessMm] });
    encodedGeoms.push({ ...common, matrix: [nxe, ny, 1], fovMm: [fxe, fy, p.sliceThicknessMm] });
  }
  const acqOrder = acquisitionOrder(ns, p.sliceOrder);
  const slotOfSlice = new Array<number>(ns).fill(0);
  acqOrder.forEach((s, slot) => { slotOfSlice[s] = slot; });

  const R = p.acceleration;
  const acs = resolvedAcsLines(p);
  const cy = Math.floor(ny / 2);
  const acsStart = cy - Math.floor(acs / 2);
  const isAcs = (ky: number) => acs > 0 && ky >= acsStart && ky < acsStart + acs;
  const isImage = (ky: number) => (((ky - cy) % R) + R) % R === 0;
  const imagingLines: LineSpec[] = [];
  const calibrationLines: number[] = [];
  for (let ky = 0; ky < ny; ky++) {
    const img = isImage(ky);
    const cal = isAcs(ky);
    if (p.calibrationMode === 'separate') {
      if (img) imagingLines.push({ ky, kind: 'image' });
      if (cal) calibrationLines.push(ky);
    } else if (img || cal) {
      imagingLines.push({ ky, kind: img && cal ? 'both' : img ? 'image' : 'calibration' });
    }
  }

  const trMs = p.trMs;
  const runDurationS = (p.repetitions * trMs) / 1000;
  let design: BlockDesign | null = null;
  if (p.design) design = p.design;
  else if (p.blocks) {
    design = alternatingBlockDesign({
      runDurationS,
      onS: p.blocks.onS,
      offS: p.blocks.offS,
      names: p.blocks.conditions,
      percentSignalChange: p.blocks.percentSignalChange,
      ...(p.blocks.firstOnsetS !== undefined ? { firstOnsetS: p.blocks.firstOnsetS } : {}),
    });
  }
  const conditionNames = design ? design.conditions.map((c) => c.name) : [];
  const noiseScans = p.noiseSigma > 0 ? p.noiseScans : 0;
  return {
    params: p,
    nx, ny, nxe, fx, fy, fxe,
    nSlices: ns,
    nCoils: p.coils,
    nReps: p.repetitions,
    R, acs, cy,
    reconGeoms, encodedGeoms, acqOrder, slotOfSlice,
    imagingLines, calibrationLines,
    dwellUs: 1e6 / (p.readoutBandwidthHzPerPixel * nxe),
    noiseDwellUs: p.noiseDwellUs,
    design, conditionNames,
    frameTimesS: Array.from({ length: p.repetitions }, (_, r) => (r * trMs) / 1000),
    runDurationS, trMs,
    startMs: Math.max(PREP_MS, Math.ceil(noiseScans * (p.noiseSamples * p.noiseDwellUs / 1000 + 1)) + 50),
    noiseScans,
  };
}

/**
 * Signal model coefficients at repetition r: image = |phantom|·e^{iφ}·S ·
 * (1 + drift + Σ_c amp_c·mask_c), amp_c = psc_c/100 · blockResponse(t_r).
 */
export function frameCoefficients(pr: Protocol, rep: number): { drift: number; amp: number[] } {
  const t = pr.frameTimesS[rep] ?? 0;
  const drift = linearDrift(t, pr.runDurationS, pr.params.driftPercent);
  const amp = (pr.design?.conditions ?? []).map((c) => (c.percentSignalChange / 100) * blockResponse(t, c.onsetsS, c.durationS));
  return { drift, amp };
}

/** Time of an imaging line from measurement start, ms. */
export function imagingLineTimeMs(pr: Protocol, rep: number, slot: number, lineIndex: number, nLines: number): number {
  const calibrationPass = pr.calibrationLines.length > 0 ? pr.trMs : 0;
  const sliceSlot = pr.trMs / pr.nSlices;
  return pr.startMs + calibrationPass + rep * pr.trMs + slot * sliceSlot + (lineIndex * sliceSlot) / Math.max(1, nLines);
}

/** Time of a separate-calibration line from measurement start, ms. */
export function calibrationLineTimeMs(pr: Protocol, slot: number, lineIndex: number, nLines: number): number {
  const sliceSlot = pr.trMs / pr.nSlices;
  return pr.startMs + slot * sliceSlot + (lineIndex * sliceSlot) / Math.max(1, nLines);
}

/** Time of noise acquisition k from measurement start, ms. */
export function noiseScanTimeMs(pr: Protocol, k: number): number {
  return k * (pr.params.noiseSamples * pr.noiseDwellUs / 1000 + 1);
}

export function msToTicks(ms: number): number {
  return T0_TICKS + Math.round(ms / TICK_MS);
}

/** Slice acquisition time within a repetition (BIDS SliceTiming), s, by slice index. */
export function sliceTimingS(pr: Protocol): number[] {
  return pr.slotOfSlice.map((slot) => (slot * pr.trMs) / pr.nSlices / 1000);
}
