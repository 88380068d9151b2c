/**
 * First-level fMRI analysis (GLM): the public surface for the CLI, the app
 * and tests. See analyse.ts (in memory) and run.ts (files in, files out).
 */
export { analyseVolume, compileContrasts, defaultContrastSpecs, type AnalysisOptions, type AnalysisResult, type ContrastResult } from './analyse.ts';
export { runGlm, type GlmRunOptions } from './run.ts';
export { writeGlmOutputs, plannedOutputs, type GlmReport } from './outputs.ts';
export { parseEventsTsv, eventsInRun, type FmriEvent } from './design/events.ts';
export { parseConfounds, type Confounds } from './design/confounds.ts';
export { buildDesign, designColumn, formatDesignTsv, type DesignMatrix, type DesignOptions, type HrfModel } from './design/matrix.ts';
export { spmHrf, spmTimeDerivative, type HrfConvention } from './design/hrf.ts';
export { cosineDrift, cosineDriftCount } from './design/drift.ts';
export { designSvg } from './design/svg.ts';
export { compileContrast, splitContrastSpec, type ContrastDef } from './contrasts/parse.ts';
export { fitGlm, type FitOptions, type GlmFit, type ContrastMaps } from './glm/estimate.ts';
export type { NoiseModel } from './glm/chunk.ts';
export { findClusters, formatClusterTsv, type Cluster, type ClusterOptions } from './inference/clusters.ts';
export { benjaminiHochbergP, fdrThresholdZ } from './inference/fdr.ts';
export { tToZ, fToZ, zFromP, tLogSf, fLogSf, normLogSf } from './inference/stats.ts';
export { loadAalAtlas, atlasLabelAt, type LabelAtlas } from './atlas.ts';
export { computeEpiMask } from './mask.ts';
export { smoothVolume, fwhmToSigmaVoxels } from './smooth.ts';
export { temporalStats, type TemporalStats } from './tsnr.ts';
export { resolveTr, type ResolvedTr } from './tr.ts';
export { makeSyntheticRun, type SyntheticRun, type SyntheticRunOptions } from './synthetic.ts';
