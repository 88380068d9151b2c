/**
 * Files written by `uhf glm` and the JSON report describing them. Maps share
 * the input's affine and xform code; statistic maps carry NIfTI intent codes
 * (t: TTEST with dof, F: FTEST with both dofs, z: ZSCORE, effects: ESTIMATE).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Affine, Volume } from '../../shared/volume.ts';
import { asAffine } from '../../shared/volume.ts';
import { assertNotInput, writeFileAtomic } from '../io/atomic.ts';
import { NIFTI_INTENT, writeNifti } from '../io/nifti/index.ts';
import { softwareInfo } from '../io/sidecar.ts';
import type { AnalysisResult } from './analyse.ts';
import { formatClusterTsv } from './inference/clusters.ts';
import { designSvg } from './design/svg.ts';
import { formatDesignTsv } from './design/matrix.ts';
import type { ResolvedTr } from './tr.ts';

export interface GlmReport {
  tool: string;
  version: string;
  inputs: { bold: string; events: string; confounds: string | null; mask: string | null };
  sources: { path: string; sha256: string; bytes: number }[];
  volume: { dims: number[]; voxelSizeMm: number[]; affineSource: string; space: 'MNI' | 'native' };
  tr: { seconds: number; source: string; header: number | null; sidecar: number | null };
  design: {
    columns: string[];
    kinds: string[];
    conditions: string[];
    hrf: string;
    convention: string;
    highPassSec: number;
    sliceTimeRef: number;
    rank: number;
    conditionNumber: number;
    dof: number;
  };
  noise: string;
  smoothing: { fwhmMm: number; sigmaVoxels: number[] } | null;
  mask: { source: 'auto' | 'file'; voxels: number; threshold: number | null; nonFiniteVoxels: number };
  tsnr: { medianInMask: number };
  contrasts: {
    name: string;
    expression: string;
    type: 't' | 'F';
    weights: Record<string, number>[];
    dof: number[];
    threshold: { method: string; z: number | null; p: number | null; q: number | null };
    fdrZ: number | null;
    maxZ: number | null;
    clusterCount: number;
    clusters: { id: number; size: number; peakZ: number; peakMm: number[]; label: string | null }[];
    outputs: string[];
  }[];
  atlas: string | null;
  threads: number;
  timingsSec: Record<string, number>;
  warnings: string[];
  outputs: string[];
}

export interface WriteOutputsArgs {
  outDir: string;
  inputs: string[];
  sources: { path: string; sha256: string; bytes: number }[];
  volumeInfo: { dims: number[]; voxelSizeMm: number[]; affine: number[]; affineSource: string; space: 'MNI' | 'native'; xformCode: number };
  tr: ResolvedTr;
  result: AnalysisResult;
  options: { bold: string; events: string; confounds?: string; mask?: string; noise: string; hrf: string; fwhmMm?: number };
  atlas: string | undefined;
  warnings: string[];
  timingsSec: Record<string, number>;
  startedMs: number;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : 0.5 * (s[mid - 1]! + s[mid]!);
}

/** File names `writeGlmOutputs` will create in the output directory. */
export function plannedOutputs(result: AnalysisResult): string[] {
  const names: string[] = [];
  for (const c of result.contrasts) {
    const n = c.maps.name;
    names.push(`${n}_z.nii.gz`, ...(c.maps.kind === 't' ? [`${n}_t.nii.gz`, `${n}_beta.nii.gz`, `${n}_psc.nii.gz`] : [`${n}_F.nii.gz`]), `${n}_clusters.tsv`);
  }
  names.push('design.tsv', 'design.svg', 'tsnr.nii.gz', 'mask.nii.gz', 'residvar.nii.gz', ...(result.fit.ar1 ? ['ar1.nii.gz'] : []), 'report.json');
  return names;
}

export async function writeGlmOutputs(a: WriteOutputsArgs): Promise<GlmReport> {
  const { result, outDir } = a;
  const t0 = performance.now();
  await mkdir(outDir, { recursive: true });
  // Check every planned name first, so that nothing is written when one would land on an input.
  for (const name of plannedOutputs(result)) await assertNotInput(join(outDir, name), a.inputs);
  const [nx, ny, nz] = a.volumeInfo.dims as [number, number, number];
  const affine: Affine = asAffine(a.volumeInfo.affine);
  const outputs: string[] = [];
  const map3d = async (file: string, data: Float32Array, intentCode: number, intentParams: [number, number, number], intentName: string, description: string) => {
    const path = join(outDir, file);
    const vol: Volume = { dims: [nx, ny, nz, 1], data, affine };
    await writeNifti(path, vol, { intentCode, intentParams, intentName, description: description.slice(0, 79), xformCode: a.volumeInfo.xformCode, inputs: a.inputs });
    outputs.push(path);
    return path;
  };
  const text = async (file: string, body: string) => {
    const path = join(outDir, file);
    await writeFileAtomic(path, new TextEncoder().encode(body));
    outputs.push(path);
    return path;
  };

  const dof = result.fit.dof;
  const contrasts: GlmReport['contrasts'] = [];
  for (const c of result.contrasts) {
    const m = c.maps;
    const own: string[] = [];
    own.push(await map3d(`${m.name}_z.nii.gz`, m.z, NIFTI_INTENT.ZSCORE, [0, 0, 0], 'z', `uhf glm z: ${m.expression}`));
    if (m.kind === 't') {
      own.push(await map3d(`${m.name}_t.nii.gz`, m.stat, NIFTI_INTENT.TTEST, [dof, 0, 0], 't', `uhf glm t(${dof}): ${m.expression}`));
      own.push(await map3d(`${m.name}_beta.nii.gz`, m.effect!, NIFTI_INTENT.ESTIMATE, [0, 0, 0], 'effect', `uhf glm effect: ${m.expression}`));
      own.push(await map3d(`${m.name}_psc.nii.gz`, c.psc!, NIFTI_INTENT.ESTIMATE, [0, 0, 0], 'psc', `uhf glm % signal change: ${m.expression}`));
    } else {
      own.push(await map3d(`${m.name}_F.nii.gz`, m.stat, NIFTI_INTENT.FTEST, [m.dof[0]!, m.dof[1]!, 0], 'F', `uhf glm F(${m.dof.join(',')}): ${m.expression}`));
    }
    own.push(await text(`${m.name}_clusters.tsv`, formatClusterTsv(c.clusters)));
    const p = result.design.nColumns;
    const weights: Record<string, number>[] = [];
    for (let r = 0; r < m.weights.length / p; r++) {
      const row: Record<string, number> = {};
      result.design.names.forEach((n, j) => {
        const w = m.weights[r * p + j]!;
        if (w !== 0) row[n] = w;
      });
      weights.push(row);
    }
    contrasts.push({
      name: m.name,
      expression: m.expression,
      type: m.kind,
      weights,
      dof: m.dof,
      threshold: { method: c.threshold.method, z: finite(c.threshold.z), p: c.threshold.p ?? null, q: c.threshold.q ?? null },
      fdrZ: finite(c.fdrZ),
      maxZ: finite(c.maxZ),
      clusterCount: c.clusters.length,
      clusters: c.clusters.slice(0, 20).map((k) => ({ id: k.id, size: k.size, peakZ: k.peakZ, peakMm: k.peakMm, label: k.label ?? null })),
      outputs: own,
    });
  }
  await text('design.tsv', formatDesignTsv(result.design));
  await text('design.svg', designSvg(result.design));
  await map3d('tsnr.nii.gz', result.temporal.tsnr, NIFTI_INTENT.NONE, [0, 0, 0], 'tsnr', 'uhf glm temporal SNR (mean/sd)');
  await map3d('mask.nii.gz', Float32Array.from(result.mask), NIFTI_INTENT.NONE, [0, 0, 0], 'mask', 'uhf glm analysis mask');
  await map3d('residvar.nii.gz', result.fit.residualVariance, NIFTI_INTENT.ESTIMATE, [0, 0, 0], 'sigma2', 'uhf glm residual variance');
  if (result.fit.ar1) await map3d('ar1.nii.gz', result.fit.ar1, NIFTI_INTENT.ESTIMATE, [0, 0, 0], 'ar1', 'uhf glm AR(1) coefficient');

  const tsnrIn: number[] = [];
  result.mask.forEach((m, v) => {
    if (m) tsnrIn.push(result.temporal.tsnr[v]!);
  });
  const software = await softwareInfo();
  const reportPath = join(outDir, 'report.json');
  outputs.push(reportPath);
  const report: GlmReport = {
    tool: `${software.name} glm`,
    version: software.version,
    inputs: { bold: a.options.bold, events: a.options.events, confounds: a.options.confounds ?? null, mask: a.options.mask ?? null },
    sources: a.sources,
    volume: { dims: a.volumeInfo.dims, voxelSizeMm: a.volumeInfo.voxelSizeMm, affineSource: a.volumeInfo.affineSource, space: a.volumeInfo.space },
    tr: { seconds: a.tr.tr, source: a.tr.source, header: a.tr.header ?? null, sidecar: a.tr.sidecar ?? null },
    design: {
      columns: result.design.names,
      kinds: result.design.kinds,
      conditions: result.design.conditions,
      hrf: result.design.hrf,
      convention: result.design.convention,
      highPassSec: result.design.highPassSec,
      sliceTimeRef: result.design.sliceTimeRef,
      rank: result.design.rank,
      conditionNumber: result.design.condition,
      dof,
    },
    noise: a.options.noise,
    smoothing: result.smoothingSigmas ? { fwhmMm: a.options.fwhmMm ?? 0, sigmaVoxels: result.smoothingSigmas } : null,
    mask: { source: a.options.mask ? 'file' : 'auto', voxels: result.maskCount, threshold: result.maskThreshold ?? null, nonFiniteVoxels: result.temporal.nonFiniteCount },
    tsnr: { medianInMask: median(tsnrIn) },
    contrasts,
    atlas: a.atlas ?? null,
    threads: result.fit.threads,
    timingsSec: { ...a.timingsSec, write: (performance.now() - t0) / 1000, total: (performance.now() - a.startedMs) / 1000 },
    warnings: a.warnings,
    outputs,
  };
  await writeFileAtomic(reportPath, new TextEncoder().encode(`${JSON.stringify(report, null, 2)}\n`));
  return report;
}
