/**
 * Images → volumes: 2D slices are stacked in the order of their positions along the
 * slice normal (not acquisition order), repetitions become frames, and every other
 * varying counter (contrast/echo, set, cardiac phase) gets a volume of its own.
 * The affine comes from recon/geometry (ISMRMRD LPS → NIfTI RAS, in one place).
 */
import { UhfError } from '../../shared/errors.ts';
import type { AcquisitionHeader } from '../../shared/ismrmrd.ts';
import type { Affine, Volume } from '../../shared/volume.ts';
import { geometryFromAcquisition, imageAffineChecked, stackSlices } from '../geometry/index.ts';
import type { ImageKey } from './kspace-buffer.ts';
import type { ReconPlan } from './plan.ts';

export interface ReconImage {
  key: ImageKey;
  /** [x y z] (z = 1 for 2D). */
  dims: [number, number, number];
  magnitude: Float32Array;
  /** Phase in radians, when asked for. */
  phase?: Float32Array;
  first: AcquisitionHeader;
}

export interface AssembledVolume {
  /** '' for the main output, else e.g. '_echo-2', '_set-1'. */
  suffix: string;
  magnitude: Volume;
  phase?: Volume;
  /** Acquisition time of each frame, seconds from the first frame. */
  frameTimesSec: number[];
}

export interface AssembleResult {
  volumes: AssembledVolume[];
  warnings: string[];
  geometryFallback: string | undefined;
}

/** Scanner time stamps tick every 2.5 ms on the common systems (ISMRMRD convention). */
const TICK_SEC = 0.0025;

export function assembleVolumes(images: readonly ReconImage[], plan: ReconPlan, file: string, trSec?: number): AssembleResult {
  if (images.length === 0) throw new UhfError('UNSUPPORTED_DATA', 'no image data found (only noise, calibration or navigator readouts?)', { file });
  const warnings: string[] = [];
  const groups = new Map<string, ReconImage[]>();
  for (const im of images) {
    const g = `${im.key.contrast}/${im.key.set}/${im.key.phase}`;
    (groups.get(g) ?? groups.set(g, []).get(g)!).push(im);
  }
  const vary = {
    contrast: new Set(images.map((i) => i.key.contrast)).size > 1,
    set: new Set(images.map((i) => i.key.set)).size > 1,
    phase: new Set(images.map((i) => i.key.phase)).size > 1,
  };
  let geometryFallback: string | undefined;
  const volumes: AssembledVolume[] = [];
  for (const group of groups.values()) {
    const k = group[0]!.key;
    const suffix = [vary.contrast ? `_echo-${k.contrast + 1}` : '', vary.set ? `_set-${k.set}` : '', vary.phase ? `_phase-${k.phase}` : ''].join('');
    const built = plan.is3D ? assemble3D(group, plan, file) : assemble2D(group, plan, file);
    warnings.push(...built.warnings.map((w) => (suffix ? `${suffix.slice(1)}: ${w}` : w)));
    geometryFallback ??= built.fallback;
    // Frame time from the scanner time stamps (the truth of when frames were taken);
    // the header TR is per readout in many sequences, so it is only the fallback.
    const dt = estimateFrameSeconds(built.frameStarts) ?? trSec;
    const meta = (data: Float32Array): Volume => ({ dims: built.dims, data, affine: built.affine, ...(built.dims[3] > 1 && dt ? { trSec: dt } : {}) });
    volumes.push({
      suffix,
      magnitude: meta(built.magnitude),
      ...(built.phase ? { phase: meta(built.phase) } : {}),
      frameTimesSec: built.frameStarts.map((t) => t - built.frameStarts[0]!),
    });
  }
  volumes.sort((a, b) => a.suffix.localeCompare(b.suffix));
  return { volumes, warnings, geometryFallback };
}

interface Built {
  dims: [number, number, number, number];
  affine: Affine;
  magnitude: Float32Array;
  phase?: Float32Array;
  frameStarts: number[];
  warnings: string[];
  fallback?: string;
}

function frames(group: readonly ReconImage[]): { reps: number[]; frameOf: Map<number, number> } {
  const reps = [...new Set(group.map((i) => i.key.repetition))].sort((a, b) => a - b);
  return { reps, frameOf: new Map(reps.map((r, f) => [r, f])) };
}

function assemble2D(group: readonly ReconImage[], plan: ReconPlan, file: string): Built {
  const slicesSeen = [...new Set(group.map((i) => i.key.slice))].sort((a, b) => a - b);
  // The header's slice limit counts too: otherwise missing LAST slices would go unnoticed.
  const nSlices = Math.max(slicesSeen[slicesSeen.length - 1]! + 1, (plan.encoding.encodingLimits.slice?.maximum ?? 0) + 1);
  const missing = Array.from({ length: nSlices }, (_, s) => s).filter((s) => !slicesSeen.includes(s));
  if (missing.length) {
    throw new UhfError('UNSUPPORTED_DATA', `slice${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of 0..${nSlices - 1} never acquired: cannot place the slices`, { file });
  }
  const firstOfSlice = new Map<number, AcquisitionHeader>();
  for (const im of group) if (!firstOfSlice.has(im.key.slice)) firstOfSlice.set(im.key.slice, im.first);
  const stack = stackSlices(Array.from({ length: nSlices }, (_, s) => geometryFromAcquisition(firstOfSlice.get(s)!, plan.encoding)));
  const { reps, frameOf } = frames(group);
  const [nx, ny] = [plan.reconMatrix[0], plan.reconMatrix[1]];
  const dims: [number, number, number, number] = [nx, ny, nSlices, reps.length];
  const plane = nx * ny;
  const magnitude = new Float32Array(plane * nSlices * reps.length);
  const withPhase = group.some((i) => i.phase);
  const phase = withPhase ? new Float32Array(magnitude.length) : undefined;
  const starts = new Array<number>(reps.length).fill(Infinity);
  const filled = new Set<string>();
  for (const im of group) {
    const f = frameOf.get(im.key.repetition)!;
    const z = stack.zOfSlice[im.key.slice]!;
    filled.add(`${z}/${f}`);
    const at = plane * (z + nSlices * f);
    magnitude.set(im.magnitude.subarray(0, plane), at);
    if (phase && im.phase) phase.set(im.phase.subarray(0, plane), at);
    starts[f] = Math.min(starts[f]!, im.first.acquisitionTimeStamp * TICK_SEC);
  }
  const warnings = [...stack.warnings];
  if (filled.size < nSlices * reps.length) {
    warnings.push(`${nSlices * reps.length - filled.size} slice images of ${nSlices * reps.length} were never acquired and are left at zero`);
  }
  return { dims, affine: stack.affine, magnitude, ...(phase ? { phase } : {}), frameStarts: starts, warnings, ...(stack.fallback ? { fallback: stack.reason } : {}) };
}

function assemble3D(group: readonly ReconImage[], plan: ReconPlan, file: string): Built {
  const slabs = new Set(group.map((i) => i.key.slice));
  if (slabs.size > 1) throw new UhfError('UNSUPPORTED_DATA', `${slabs.size} 3D slabs: multi-slab 3D is not supported yet`, { file });
  const g = geometryFromAcquisition(group[0]!.first, plan.encoding);
  const geo = imageAffineChecked(g);
  const { reps, frameOf } = frames(group);
  const [nx, ny, nz] = plan.reconMatrix;
  const vox = nx * ny * nz;
  const magnitude = new Float32Array(vox * reps.length);
  const withPhase = group.some((i) => i.phase);
  const phase = withPhase ? new Float32Array(magnitude.length) : undefined;
  const starts = new Array<number>(reps.length).fill(Infinity);
  for (const im of group) {
    const f = frameOf.get(im.key.repetition)!;
    magnitude.set(im.magnitude.subarray(0, vox), vox * f);
    if (phase && im.phase) phase.set(im.phase.subarray(0, vox), vox * f);
    starts[f] = Math.min(starts[f]!, im.first.acquisitionTimeStamp * TICK_SEC);
  }
  return { dims: [nx, ny, nz, reps.length], affine: geo.affine, magnitude, ...(phase ? { phase } : {}), frameStarts: starts, warnings: geo.warnings, ...(geo.fallback ? { fallback: geo.reason } : {}) };
}

/** Median spacing of frame start times, when the header gives no TR that fits. */
function estimateFrameSeconds(starts: number[]): number | undefined {
  if (starts.length < 2) return undefined;
  const d = starts.slice(1).map((t, i) => t - starts[i]!).sort((a, b) => a - b);
  const m = d[Math.floor(d.length / 2)]!;
  return m > 0 && Number.isFinite(m) ? m : undefined;
}
