/**
 * GLM benchmark: our first-level GLM vs nipy 0.5's (Debian python3-nipy) on
 * the same data and design in the same run, plus a 7 T-size run on all cores.
 *
 * Both sides are timed on the same work: the design matrix, the voxelwise fit
 * inside the same mask, and every contrast's t and z. File reading and mask
 * computation are not timed. nipy prints its own timing (min over repetitions,
 * perf_counter inside Python, so interpreter start-up is excluded); ours is the
 * min over repetitions in this process.
 *
 * Run directly: `npx tsx recon/bench/glm.ts [--quick]`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { UhfError } from '../../shared/errors.ts';
import type { Volume } from '../../shared/volume.ts';
import { compileContrasts, defaultContrastSpecs } from '../analysis/analyse.ts';
import { buildDesign } from '../analysis/design/matrix.ts';
import type { FmriEvent } from '../analysis/design/events.ts';
import type { NoiseModel } from '../analysis/glm/chunk.ts';
import { fitGlm } from '../analysis/glm/estimate.ts';
import { computeEpiMask } from '../analysis/mask.ts';
import { smoothVolume } from '../analysis/smooth.ts';
import { formatEventsTsv, makeSyntheticRun } from '../analysis/synthetic.ts';
import { temporalStats } from '../analysis/tsnr.ts';
import { readNifti, writeNifti } from '../io/nifti/index.ts';

export interface GlmBenchRow {
  name: string;
  /** Ours, seconds (min over repetitions). */
  oursSec: number;
  /** nipy, seconds (min over repetitions), or null when not run. */
  peerSec: number | null;
  /** oursSec / peerSec (< 1: ours is faster). */
  ratio: number | null;
  extra?: Record<string, number | string>;
}

export interface GlmBenchOptions {
  quick?: boolean;
  reps?: number;
  log?: (line: string) => void;
}

const FUNCFILE = '/usr/lib/python3/dist-packages/nipy/testing/functional.nii.gz';
const PYTHON = '/usr/bin/python3';

const NIPY_SCRIPT = String.raw`
import json, sys, time, warnings
import numpy as np, nibabel as nib
from nipy.modalities.fmri.design_matrix import make_dmtx
from nipy.modalities.fmri.experimental_paradigm import BlockParadigm
from nipy.modalities.fmri.glm import GeneralLinearModel
warnings.simplefilter('ignore')
I = json.loads(sys.stdin.read())
data = np.asarray(nib.load(I['bold']).get_fdata(dtype=np.float64))
n = data.shape[3]
mask = np.asarray(nib.load(I['mask']).dataobj).reshape(-1, order='F') > 0
Y = data.reshape(-1, n, order='F').T[:, mask].copy()
del data
rows = [l.rstrip('\n').split('\t') for l in open(I['events']) if l.strip()][1:]
par = BlockParadigm(con_id=np.array([r[2] for r in rows]), onset=np.array([float(r[0]) for r in rows]),
                    duration=np.array([float(r[1]) for r in rows]))
best = float('inf')
for _ in range(I['reps']):
    t0 = time.perf_counter()
    dm = make_dmtx(np.arange(n) * I['tr'], par, hrf_model='spm', drift_model='cosine', hfcut=I['hfcut'])
    glm = GeneralLinearModel(dm.matrix)
    glm.fit(Y, model=I['model'])
    for c in I['contrasts']:
        con = glm.contrast(np.array(c, dtype=float))
        con.stat(); con.z_score()
    best = min(best, time.perf_counter() - t0)
print(json.dumps({'sec': best, 'voxels': int(Y.shape[1]), 'columns': len(dm.names)}))
`;

function runNipy(input: Record<string, unknown>): { sec: number; voxels: number; columns: number } {
  const r = spawnSync(PYTHON, ['-c', NIPY_SCRIPT], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new UhfError('BACKEND_UNAVAILABLE', `nipy benchmark failed (${PYTHON}, python3-nipy): ${r.stderr || r.error?.message}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { sec: number; voxels: number; columns: number };
}

interface Prepared {
  volume: Volume;
  events: FmriEvent[];
  tr: number;
  mask: Uint8Array;
  maskCount: number;
}

function prepare(volume: Volume, events: FmriEvent[], tr: number): Prepared {
  const [nx, ny, nz] = volume.dims;
  const stats = temporalStats(volume);
  const exclude = stats.nonFinite.map((x, v) => x | stats.constant[v]!);
  const { mask, count } = computeEpiMask(stats.mean, [nx, ny, nz], { exclude });
  return { volume, events, tr, mask, maskCount: count };
}

/** Design + voxelwise fit + all contrasts' t and z, as nipy is timed. */
async function timeOurs(p: Prepared, noise: NoiseModel, highPassSec: number, reps: number, threads?: number): Promise<{ sec: number; threads: number; columns: number }> {
  let best = Infinity;
  let used = 1;
  let columns = 0;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const design = buildDesign({ nFrames: p.volume.dims[3], tr: p.tr, events: p.events, convention: 'nipy', highPassSec });
    const contrasts = compileContrasts(defaultContrastSpecs(design.conditions), design);
    const fit = await fitGlm(p.volume, p.mask, design, contrasts, { noise, arBiasCorrection: false, ...(threads ? { threads } : {}) });
    best = Math.min(best, (performance.now() - t0) / 1000);
    used = fit.threads;
    columns = design.nColumns;
  }
  return { sec: best, threads: used, columns };
}

async function versusNipy(name: string, p: Prepared, files: { bold: string; events: string; mask: string }, reps: number, log: (s: string) => void): Promise<GlmBenchRow[]> {
  const rows: GlmBenchRow[] = [];
  const highPass = 128;
  const design = buildDesign({ nFrames: p.volume.dims[3], tr: p.tr, events: p.events, convention: 'nipy', highPassSec: highPass });
  const contrasts = compileContrasts(defaultContrastSpecs(design.conditions), design).map((c) => Array.from(c.weights));
  for (const noise of ['ols', 'ar1'] as const) {
    // Interleaved (ours, nipy, ours, nipy) so that load from other processes hits both alike.
    log(`  ${name}, ${noise} …`);
    const ours1 = await timeOurs(p, noise, highPass, reps);
    const nipy1 = runNipy({ ...files, tr: p.tr, hfcut: highPass, model: noise, contrasts, reps });
    const ours2 = await timeOurs(p, noise, highPass, reps);
    const nipy2 = runNipy({ ...files, tr: p.tr, hfcut: highPass, model: noise, contrasts, reps });
    const ours = ours1.sec <= ours2.sec ? ours1 : ours2;
    const nipy = nipy1.sec <= nipy2.sec ? nipy1 : nipy2;
    if (nipy.columns !== ours.columns) throw new UhfError('INTERNAL', `design mismatch with nipy: ${nipy.columns} vs ${ours.columns} columns`);
    const [nx, ny, nz, nt] = p.volume.dims;
    rows.push({
      name: `${name} ${nx}×${ny}×${nz}×${nt}, ${noise.toUpperCase()}`,
      oursSec: ours.sec,
      peerSec: nipy.sec,
      ratio: ours.sec / nipy.sec,
      extra: { voxels: p.maskCount, columns: ours.columns, threads: ours.threads },
    });
  }
  return rows;
}

export async function benchGlm(options: GlmBenchOptions = {}): Promise<GlmBenchRow[]> {
  const log = options.log ?? (() => undefined);
  const reps = options.reps ?? (options.quick ? 2 : 5);
  const rows: GlmBenchRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'uhf-bench-glm-'));
  try {
    // 1. nipy's real run (funcfile), with a block design fitted to its 40 s.
    log('GLM: nipy funcfile …');
    const func = await readNifti(FUNCFILE);
    const funcEvents: FmriEvent[] = [0, 10, 20, 30].map((onset, i) => ({ onset, duration: 6, trialType: i % 2 ? 'b' : 'a', modulation: 1, line: i + 2 }));
    const fp = prepare(func.volume, funcEvents, 2);
    const files = { bold: FUNCFILE, events: join(dir, 'func_events.tsv'), mask: join(dir, 'func_mask.nii.gz') };
    writeFileSync(files.events, formatEventsTsv(funcEvents));
    await writeNifti(files.mask, { ...func.volume, dims: [...func.volume.dims.slice(0, 3), 1] as [number, number, number, number], data: Float32Array.from(fp.mask) });
    // nipy's cosine basis needs ≥ 1 column: 128 s keeps none of a 40 s run, so use a 20 s cut-off here.
    const design = buildDesign({ nFrames: 20, tr: 2, events: funcEvents, convention: 'nipy', highPassSec: 20 });
    const cons = compileContrasts(defaultContrastSpecs(design.conditions), design).map((c) => Array.from(c.weights));
    for (const noise of ['ols', 'ar1'] as const) {
      const ours = await timeOurs(fp, noise, 20, reps * 5);
      const nipy = runNipy({ ...files, tr: 2, hfcut: 20, model: noise, contrasts: cons, reps: reps * 5 });
      rows.push({ name: `nipy funcfile 17×21×3×20, ${noise.toUpperCase()}`, oursSec: ours.sec, peerSec: nipy.sec, ratio: ours.sec / nipy.sec, extra: { voxels: fp.maskCount, columns: ours.columns, threads: ours.threads } });
    }

    // 2. A typical 3 T-size synthetic run, written to NIfTI so nipy reads the same numbers.
    const mid: [number, number, number, number] = options.quick ? [48, 48, 24, 120] : [64, 64, 32, 200];
    log(`GLM: synthetic ${mid.join('×')} …`);
    const run = makeSyntheticRun({ dims: [mid[0], mid[1], mid[2]], nFrames: mid[3], seed: 1 });
    const midFiles = { bold: join(dir, 'bold.nii.gz'), events: join(dir, 'events.tsv'), mask: join(dir, 'mask.nii.gz') };
    const mp = prepare(run.volume, run.events, 2);
    await writeNifti(midFiles.bold, run.volume, { compressionLevel: 1 });
    writeFileSync(midFiles.events, run.eventsTsv);
    await writeNifti(midFiles.mask, { ...run.volume, dims: [mid[0], mid[1], mid[2], 1], data: Float32Array.from(mp.mask) });
    rows.push(...(await versusNipy('synthetic', mp, midFiles, reps, log)));

    // 3. 7 T-size run, ours only (nipy would need ~6 GB just for the float64 copy of the data).
    const big: [number, number, number, number] = options.quick ? [80, 80, 45, 150] : [160, 160, 90, 300];
    log(`GLM: 7 T-size ${big.join('×')} (generating) …`);
    const bigRun = makeSyntheticRun({ dims: [big[0], big[1], big[2]], nFrames: big[3], tr: 1.5, voxelMm: 1.2, seed: 2 });
    let t0 = performance.now();
    const bp = prepare(bigRun.volume, bigRun.events, 1.5);
    const gb = Number(((bigRun.volume.data.length * 4) / 1e9).toFixed(2));
    rows.push({
      name: `7 T-size synthetic ${big.join('×')}: temporal mean/SD/tSNR + automatic mask`,
      oursSec: (performance.now() - t0) / 1000,
      peerSec: null,
      ratio: null,
      extra: { voxels: bp.maskCount, threads: 1, 'GB data': gb },
    });
    const cores = availableParallelism();
    for (const [noise, threads] of [['ols', cores], ['ar1', cores], ['ols', 1], ['ar1', 1]] as const) {
      if (threads === 1 && cores === 1) continue;
      log(`  7 T-size, ${noise}, ${threads} thread(s) …`);
      const ours = await timeOurs(bp, noise, 128, 1, threads);
      rows.push({
        name: `7 T-size synthetic ${big.join('×')}, ${noise.toUpperCase()}, ${threads === 1 ? '1 thread' : `all ${cores} cores`}`,
        oursSec: ours.sec,
        peerSec: null,
        ratio: null,
        extra: { voxels: bp.maskCount, columns: ours.columns, threads: ours.threads, 'GB data': gb },
      });
    }
    log('  7 T-size, smoothing …');
    t0 = performance.now();
    smoothVolume(bigRun.volume, 3);
    rows.push({
      name: `7 T-size synthetic ${big.join('×')}: Gaussian smoothing FWHM 3 mm (1.2 mm voxels), every frame`,
      oursSec: (performance.now() - t0) / 1000,
      peerSec: null,
      ratio: null,
      extra: { threads: 1, 'GB data': gb },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  const rows = await benchGlm({ quick: process.argv.includes('--quick'), log: (s) => console.error(s) });
  for (const r of rows) console.log(JSON.stringify(r));
}
