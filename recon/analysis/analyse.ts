/**
 * The first-level analysis on data already in memory: events → design,
 * temporal statistics and brain mask, optional smoothing, the voxelwise GLM,
 * contrasts, thresholds (uncorrected p and FDR) and clusters. No file I/O,
 * so tests, the benchmark and the CLI share it.
 */
import { UhfError } from '../../shared/errors.ts';
import type { Volume } from '../../shared/volume.ts';
import { compileContrast, splitContrastSpec, type ContrastDef } from './contrasts/parse.ts';
import type { Confounds } from './design/confounds.ts';
import { eventsInRun, type FmriEvent } from './design/events.ts';
import type { HrfConvention } from './design/hrf.ts';
import { buildDesign, type DesignMatrix, type HrfModel } from './design/matrix.ts';
import { fitGlm, type ContrastMaps, type GlmFit } from './glm/estimate.ts';
import type { NoiseModel } from './glm/chunk.ts';
import { isEstimable, prepareModel } from './glm/model.ts';
import { atlasLabelAt, type LabelAtlas } from './atlas.ts';
import { findClusters, type Cluster } from './inference/clusters.ts';
import { fdrThresholdZ } from './inference/fdr.ts';
import { zFromP } from './inference/stats.ts';
import { computeEpiMask } from './mask.ts';
import type { Connectivity } from './morphology.ts';
import { smoothVolume } from './smooth.ts';
import { fillNonFinite, temporalStats, type TemporalStats } from './tsnr.ts';

export interface AnalysisOptions {
  tr: number;
  /** "NAME=EXPR" or "EXPR"; default: one contrast per condition. */
  contrasts?: readonly string[];
  hrf?: HrfModel;
  convention?: HrfConvention;
  noise?: NoiseModel;
  /** AR(1) bias correction (default true); false reproduces nipy/nilearn's estimator exactly. */
  arBiasCorrection?: boolean;
  highPassSec?: number;
  sliceTimeRef?: number;
  confounds?: Confounds;
  /** Gaussian FWHM in mm (0: none). The volume's data are smoothed in place. */
  fwhmMm?: number;
  /** Analysis mask (1 = in); default: automatic EPI mask. */
  mask?: Uint8Array;
  /** Voxelwise (uncorrected) one-sided p threshold, default 0.001. */
  pThreshold?: number;
  /** When set, threshold at this FDR q instead (Benjamini–Hochberg). */
  fdrQ?: number;
  connectivity?: Connectivity;
  clusterMinSize?: number;
  twoSided?: boolean;
  /** Label cluster peaks from this atlas (only meaningful for MNI-space data). */
  atlas?: LabelAtlas;
  threads?: number;
  /** In-mask voxels per block (default 2048). */
  chunkVoxels?: number;
  eventsFile?: string;
}

export interface ContrastResult {
  maps: ContrastMaps;
  /** 100·effect / temporal mean (t contrasts only). */
  psc: Float32Array | undefined;
  threshold: { method: 'uncorrected' | 'fdr'; z: number; p: number | undefined; q: number | undefined };
  /** z at FDR 0.05 (or the requested q), reported whatever the threshold used. */
  fdrZ: number;
  maxZ: number;
  clusters: Cluster[];
  clusterLabels: Int32Array;
}

export interface AnalysisResult {
  design: DesignMatrix;
  contrastDefs: ContrastDef[];
  temporal: TemporalStats;
  mask: Uint8Array;
  maskCount: number;
  maskThreshold: number | undefined;
  fit: GlmFit;
  smoothingSigmas: [number, number, number] | undefined;
  contrasts: ContrastResult[];
  warnings: string[];
  timingsSec: Record<string, number>;
}

/** Default contrasts: one per condition, named after it (file-name safe, unique). */
export function defaultContrastSpecs(conditions: readonly string[]): string[] {
  const used = new Set<string>();
  const fileName = (c: string) => {
    const s = c.replace(/[^A-Za-z0-9_.+-]+/g, '_');
    return /^[A-Za-z0-9]/.test(s) ? s : `c${s}`;
  };
  return conditions.map((c) => {
    let name = fileName(c);
    for (let i = 2; used.has(name); i++) name = `${fileName(c)}_${i}`;
    used.add(name);
    const expr = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(c) ? c : `\`${c}\``;
    return `${name}=${expr}`;
  });
}

export function compileContrasts(specs: readonly string[], design: DesignMatrix): ContrastDef[] {
  const defs = specs.map((s) => {
    const { name, expression } = splitContrastSpec(s);
    return compileContrast(name, expression, design.names, design.conditions);
  });
  const dup = defs.find((d, i) => defs.findIndex((e) => e.name === d.name) !== i);
  if (dup) throw new UhfError('BAD_ARGUMENT', `two contrasts are named '${dup.name}'`);
  const model = prepareModel(design.values, design.nFrames, design.nColumns);
  for (const d of defs) {
    if (!isEstimable(model, d)) {
      throw new UhfError('BAD_ARGUMENT', `contrast '${d.name}' is not estimable: the design is rank deficient (rank ${model.rank} of ${design.nColumns}) along it`);
    }
  }
  return defs;
}

export async function analyseVolume(volume: Volume, events: readonly FmriEvent[], options: AnalysisOptions): Promise<AnalysisResult> {
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = (now - t0) / 1000;
    t0 = now;
  };
  const [nx, ny, nz, nt] = volume.dims;
  if (nt < 2) throw new UhfError('UNSUPPORTED_DATA', `a ${nt === 1 ? '3D image' : 'single frame'} [${nx}, ${ny}, ${nz}]: the GLM needs a 4D time series`);
  const tr = options.tr;
  const run = eventsInRun(events, { start: 0, end: nt * tr, earliest: -24 }, options.eventsFile);
  warnings.push(...run.warnings);
  const design = buildDesign({
    nFrames: nt,
    tr,
    events: run.events,
    hrf: options.hrf ?? 'spm',
    convention: options.convention ?? 'spm',
    sliceTimeRef: options.sliceTimeRef ?? 0,
    highPassSec: options.highPassSec ?? 128,
    ...(options.confounds ? { confounds: options.confounds } : {}),
  });
  if (design.rank < design.nColumns) warnings.push(`the design is rank deficient (rank ${design.rank} of ${design.nColumns} columns)`);
  else if (design.condition > 1e8) warnings.push(`the design is badly conditioned (condition number ${design.condition.toExponential(2)})`);
  const specs = options.contrasts?.length ? options.contrasts : defaultContrastSpecs(design.conditions);
  const contrastDefs = compileContrasts(specs, design);
  lap('design');

  const temporal = temporalStats(volume);
  if (temporal.nonFiniteCount > 0) {
    warnings.push(`${temporal.nonFiniteCount} voxel(s) have NaN or infinite values in some frame; they are excluded from the analysis`);
    fillNonFinite(volume, temporal.nonFinite);
  }
  const exclude = new Uint8Array(temporal.nonFinite.length);
  for (let v = 0; v < exclude.length; v++) exclude[v] = temporal.nonFinite[v]! | temporal.constant[v]!;
  let mask: Uint8Array;
  let maskThreshold: number | undefined;
  if (options.mask) {
    if (options.mask.length !== exclude.length) throw new UhfError('SHAPE_MISMATCH', `mask has ${options.mask.length} voxels, the data ${exclude.length}`);
    mask = new Uint8Array(options.mask.length);
    let dropped = 0;
    for (let v = 0; v < mask.length; v++) {
      if (!options.mask[v]) continue;
      if (exclude[v]) dropped++;
      else mask[v] = 1;
    }
    if (dropped) warnings.push(`${dropped} voxel(s) of the given mask have non-finite or constant time series and are left out`);
  } else {
    const auto = computeEpiMask(temporal.mean, [nx, ny, nz], { exclude });
    mask = auto.mask;
    maskThreshold = auto.threshold;
    warnings.push(...auto.notes);
  }
  let maskCount = 0;
  for (const m of mask) maskCount += m;
  if (maskCount === 0) throw new UhfError('UNSUPPORTED_DATA', 'the analysis mask is empty');
  lap('mask');

  let smoothingSigmas: [number, number, number] | undefined;
  if (options.fwhmMm && options.fwhmMm > 0) {
    smoothingSigmas = smoothVolume(volume, options.fwhmMm);
    lap('smooth');
  }

  const fit = await fitGlm(volume, mask, design, contrastDefs, {
    noise: options.noise ?? 'ar1',
    arBiasCorrection: options.arBiasCorrection ?? true,
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.chunkVoxels ? { chunkVoxels: options.chunkVoxels } : {}),
  });
  lap('fit');
  if (fit.workerError) warnings.push(`worker threads unavailable, fitted on one thread: ${fit.workerError}`);

  const pThreshold = options.pThreshold ?? 0.001;
  const contrasts = fit.contrasts.map((maps): ContrastResult => {
    const inMask: number[] = [];
    let maxZ = -Infinity;
    for (let v = 0; v < mask.length; v++) {
      if (!mask[v]) continue;
      inMask.push(maps.z[v]!);
      if (maps.z[v]! > maxZ) maxZ = maps.z[v]!;
    }
    const q = options.fdrQ ?? 0.05;
    const fdrZ = fdrThresholdZ(inMask, q);
    const threshold =
      options.fdrQ !== undefined
        ? { method: 'fdr' as const, z: fdrZ, p: undefined, q }
        : { method: 'uncorrected' as const, z: zFromP(pThreshold), p: pThreshold, q: undefined };
    const { clusters, labels } = findClusters(maps.z, mask, [nx, ny, nz], volume.affine, {
      threshold: threshold.z,
      connectivity: options.connectivity ?? 26,
      minSize: options.clusterMinSize ?? 1,
      twoSided: (options.twoSided ?? false) && maps.kind === 't',
    });
    if (options.atlas) for (const c of clusters) c.label = atlasLabelAt(options.atlas, c.peakMm);
    let psc: Float32Array | undefined;
    if (maps.effect) {
      psc = new Float32Array(maps.effect.length);
      for (let v = 0; v < psc.length; v++) {
        const base = fit.mean[v]!;
        if (mask[v] && base !== 0) psc[v] = (100 * maps.effect[v]!) / base;
      }
    }
    return { maps, psc, threshold, fdrZ, maxZ, clusters, clusterLabels: labels };
  });
  lap('inference');
  return { design, contrastDefs, temporal, mask, maskCount, maskThreshold, fit, smoothingSigmas, contrasts, warnings, timingsSec: timings };
}
