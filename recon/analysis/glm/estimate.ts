/**
 * Voxelwise GLM over a 4D volume, streamed in blocks of in-mask voxels: each
 * block is copied out time-major (one contiguous run per frame), fitted
 * inline or by a worker, and its results scattered into 3D maps. Per-voxel
 * temporaries are O(block); only the output maps are volume-sized.
 */
import { availableParallelism } from 'node:os';
import { UhfError } from '../../../shared/errors.ts';
import type { Volume } from '../../../shared/volume.ts';
import type { ContrastDef } from '../contrasts/parse.ts';
import type { DesignMatrix } from '../design/matrix.ts';
import { ChunkProcessor, type ChunkOutput, type GlmSetup, type NoiseModel } from './chunk.ts';
import { ChunkPool } from './pool.ts';

export interface FitOptions {
  noise?: NoiseModel;
  /** Worker threads; default: see defaultThreads (inline for small runs and small machines). */
  threads?: number;
  /** In-mask voxels per block (default 2048). */
  chunkVoxels?: number;
  arSteps?: number;
  /** See GlmSetup.arBiasCorrection (default true). */
  arBiasCorrection?: boolean;
  onProgress?: (doneVoxels: number, totalVoxels: number) => void;
}

export interface ContrastMaps {
  name: string;
  expression: string;
  kind: 't' | 'F';
  weights: Float64Array;
  /** t: [dof]; F: [numerator dof, denominator dof]. */
  dof: number[];
  /** t or F, volume-sized (0 outside the mask). */
  stat: Float32Array;
  z: Float32Array;
  /** c·β (t contrasts only). */
  effect: Float32Array | undefined;
  /** Var(c·β) (t contrasts only). */
  variance: Float32Array | undefined;
}

export interface GlmFit {
  dims: [number, number, number];
  maskCount: number;
  dof: number;
  noise: NoiseModel;
  mean: Float32Array;
  residualVariance: Float32Array;
  ar1: Float32Array | undefined;
  contrasts: ContrastMaps[];
  threads: number;
  /** Why worker threads were asked for but not used, if so. */
  workerError: string | undefined;
}

/** Workers cost ~0.5 s to start (tsx compiles the sources in each): worth it from ~50 M voxel-frames. */
const MIN_WORK_FOR_WORKERS = 50e6;

/**
 * Workers for large runs on machines with ≥ 4 cores, one core left to the
 * main thread (which gathers blocks). With 2 vCPUs, typically one physical
 * core's SMT siblings, two workers measured slower than one thread
 * (BENCHMARKS.md), so small machines fit inline.
 */
export function defaultThreads(maskCount: number, nFrames: number, cores = availableParallelism()): number {
  if (maskCount * nFrames < MIN_WORK_FOR_WORKERS || cores < 4) return 1;
  return cores - 1;
}

export async function fitGlm(
  volume: Volume,
  mask: Uint8Array,
  design: DesignMatrix,
  contrasts: readonly ContrastDef[],
  options: FitOptions = {},
): Promise<GlmFit> {
  const [nx, ny, nz, nt] = volume.dims;
  const nvox = nx * ny * nz;
  if (nt !== design.nFrames) {
    throw new UhfError('SHAPE_MISMATCH', `the volume has ${nt} frames but the design ${design.nFrames} rows`);
  }
  if (mask.length !== nvox) throw new UhfError('SHAPE_MISMATCH', `mask has ${mask.length} voxels, volume ${nvox}`);
  const noise = options.noise ?? 'ar1';
  const setup: GlmSetup = {
    design: design.values,
    n: design.nFrames,
    p: design.nColumns,
    noise,
    arSteps: options.arSteps ?? 100,
    arBiasCorrection: options.arBiasCorrection ?? true,
    contrasts: [...contrasts],
  };
  const local = new ChunkProcessor(setup);
  const dof = local.dof;

  let count = 0;
  for (let v = 0; v < nvox; v++) if (mask[v]) count++;
  const idx = new Uint32Array(count);
  for (let v = 0, k = 0; v < nvox; v++) if (mask[v]) idx[k++] = v;

  const out: GlmFit = {
    dims: [nx, ny, nz],
    maskCount: count,
    dof,
    noise,
    mean: new Float32Array(nvox),
    residualVariance: new Float32Array(nvox),
    ar1: noise === 'ar1' ? new Float32Array(nvox) : undefined,
    contrasts: contrasts.map((c, i) => ({
      name: c.name,
      expression: c.expression,
      kind: c.kind,
      weights: c.weights,
      dof: c.kind === 'F' ? [local.fRanks()[i]!, dof] : [dof],
      stat: new Float32Array(nvox),
      z: new Float32Array(nvox),
      effect: c.kind === 't' ? new Float32Array(nvox) : undefined,
      variance: c.kind === 't' ? new Float32Array(nvox) : undefined,
    })),
    threads: 1,
    workerError: undefined,
  };

  const block = Math.max(1, options.chunkVoxels ?? 2048);
  const nChunks = Math.ceil(count / block);
  const data = volume.data;
  const gather = (c: number): { y: Float32Array; m: number } => {
    const a = c * block;
    const m = Math.min(block, count - a);
    const y = new Float32Array(nt * m);
    for (let t = 0; t < nt; t++) {
      const base = t * nvox;
      const row = t * m;
      for (let j = 0; j < m; j++) y[row + j] = data[base + idx[a + j]!]!;
    }
    return { y, m };
  };
  let done = 0;
  const scatter = (c: number, r: ChunkOutput): void => {
    const a = c * block;
    for (let j = 0; j < r.m; j++) {
      const v = idx[a + j]!;
      out.mean[v] = r.mean[j]!;
      out.residualVariance[v] = r.sigma2[j]!;
      if (out.ar1) out.ar1[v] = r.rho[j]!;
    }
    out.contrasts.forEach((cm, ci) => {
      const stat = r.stat[ci]!;
      const z = r.z[ci]!;
      const eff = r.effect[ci]!;
      const vr = r.variance[ci]!;
      for (let j = 0; j < r.m; j++) {
        const v = idx[a + j]!;
        cm.stat[v] = stat[j]!;
        cm.z[v] = z[j]!;
        if (cm.effect) cm.effect[v] = eff[j]!;
        if (cm.variance) cm.variance[v] = vr[j]!;
      }
    });
    done += r.m;
    options.onProgress?.(done, count);
  };

  const threads = Math.max(1, Math.min(options.threads ?? defaultThreads(count, nt), nChunks));
  let pool: ChunkPool | undefined;
  if (threads > 1) {
    try {
      pool = await ChunkPool.start(threads, setup);
    } catch (e) {
      pool = undefined; // fall back to inline fitting
      out.workerError = e instanceof Error ? e.message : String(e);
    }
  }
  if (!pool) {
    for (let c = 0; c < nChunks; c++) {
      const { y, m } = gather(c);
      scatter(c, local.process(y, m));
    }
    return out;
  }
  out.threads = pool.size;
  try {
    const inFlight = new Set<Promise<void>>();
    const limit = 2 * pool.size;
    let next = 0;
    while (next < nChunks || inFlight.size > 0) {
      while (inFlight.size < limit && next < nChunks) {
        const c = next++;
        const { y, m } = gather(c);
        const job: Promise<void> = pool.run(y, m).then((r) => {
          inFlight.delete(job);
          scatter(c, r);
        });
        inFlight.add(job);
      }
      await Promise.race(inFlight);
    }
  } finally {
    await pool.close();
  }
  return out;
}
