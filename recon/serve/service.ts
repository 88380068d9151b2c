/**
 * The engine side of the app API: what the recon worker does for each worker
 * method of CONTRACT. Host-agnostic (the same object runs in an Electron
 * utilityProcess and in the `uhf serve` worker process); arguments are parsed
 * again here with the contract's schemas, whatever the host already checked.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CONTRACT, type ApiArgs, type ApiMethod, type ApiResult } from '../../shared/api/contract.ts';
import type { DemoFiles, ReconPrefill, ReconSettings, VolumeRole } from '../../shared/api/types.ts';
import { UhfError } from '../../shared/errors.ts';
import type { Volume } from '../../shared/volume.ts';
import { atlasLabelAt, loadAalAtlas, type LabelAtlas } from '../analysis/atlas.ts';
import { temporalStats } from '../analysis/tsnr.ts';
import { demoDir } from '../cli/demo.ts';
import { writeSimulation } from '../cli/simulate.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';
import { summarizeIsmrmrd } from '../io/ismrmrd/summary.ts';
import { readNifti, writeNifti, XFORM } from '../io/nifti/index.ts';
import { reconstructFile } from '../pipeline/run.ts';
import { presetParams, simulate } from '../sim/index.ts';
import { ApiFailure } from './errors.ts';
import { runGlmOnStored } from './service-glm.ts';
import { VolumeStore } from './volume-store.ts';

export type WorkerMethod = { [M in ApiMethod]: (typeof CONTRACT)[M]['runsIn'] extends 'worker' ? M : never }[ApiMethod];

export interface JobContext {
  jobId: string | undefined;
  signal: AbortSignal;
  /** stage name and 0..1 over the whole job; throttled and given an ETA by the caller. */
  progress(stage: string, fraction: number): void;
}

type Handlers = { [M in WorkerMethod]: (args: ApiArgs<M>, ctx: JobContext) => Promise<ApiResult<M>> };

export function fileStem(path: string): string {
  return basename(path).replace(/\.(nii\.gz|nii|h5|hdf5|mrd)$/i, '');
}

/** Settings suggested from a raw-data summary, each with its reason. */
export function suggestReconSettings(s: { receiverChannels: number | null; acceleration: [number, number]; calibrationMode: string | null }): { settings: ReconSettings; reasons: string[] } {
  const reasons: string[] = [];
  const accelerated = s.acceleration[0] * s.acceleration[1] > 1;
  const pi: ReconSettings['pi'] = accelerated ? 'grappa' : 'none';
  reasons.push(accelerated ? `undersampled (R = ${s.acceleration.join('×')}, ${s.calibrationMode ?? 'unknown'} calibration): GRAPPA` : 'fully sampled: no parallel imaging');
  const channels = s.receiverChannels ?? 1;
  const combine: ReconSettings['combine'] = channels > 1 ? 'rss' : 'rss';
  reasons.push(channels > 1 ? `${channels} channels: root-sum-of-squares combination (magnitude; choose walsh or inati for phase)` : 'one channel');
  const coils = channels > 16 ? 16 : null;
  reasons.push(coils ? `${channels} channels: compress to ${coils} virtual coils (SVD) for speed` : 'no coil compression needed');
  reasons.push('backend auto: WebGPU when an adapter is found, else the CPU');
  return { settings: { combine, pi, backend: 'auto', coils }, reasons };
}

export class AppService {
  readonly volumes = new VolumeStore();
  private readonly jobs = new Map<string, AbortController>();
  private atlas: Promise<LabelAtlas | null> | undefined;

  /** Parse, run and return the result of one worker method. */
  async handle(method: string, rawArgs: unknown, jobId: string | undefined, progress: JobContext['progress']): Promise<unknown> {
    if (!Object.hasOwn(CONTRACT, method) || CONTRACT[method as ApiMethod].runsIn !== 'worker') {
      throw new ApiFailure('API_UNKNOWN_METHOD', `the worker has no method '${method}'`);
    }
    const m = method as WorkerMethod;
    const args = CONTRACT[m].args.parse(rawArgs);
    const controller = new AbortController();
    if (jobId) this.jobs.set(jobId, controller);
    try {
      const handler = this.handlers[m] as (a: unknown, c: JobContext) => Promise<unknown>;
      return await handler(args, { jobId, signal: controller.signal, progress });
    } finally {
      if (jobId) this.jobs.delete(jobId);
    }
  }

  private readonly handlers: Handlers = {
    'demo.prepare': async (args, ctx) => {
      const dir = demoDir();
      mkdirSync(dir, { recursive: true });
      const raw = join(dir, '7t-fmri.h5');
      const files: DemoFiles = { dir, raw, events: join(dir, '7t-fmri_events.tsv'), activationTruth: join(dir, '7t-fmri_activation.nii.gz'), simulated: false };
      if (args.fresh || !existsSync(raw) || !existsSync(files.events) || !existsSync(files.activationTruth)) {
        ctx.progress('simulating a 7 T fMRI run (16 channels, 50 volumes)', 0.02);
        await writeSimulation(simulate(presetParams('7t-fmri')), raw);
        files.simulated = true;
      }
      ctx.progress('done', 1);
      return files;
    },

    'ismrmrd.summary': async (args) => {
      const reader = await openIsmrmrd(args.path);
      try {
        const s = summarizeIsmrmrd(reader);
        const { settings, reasons } = suggestReconSettings(s);
        const prefill: ReconPrefill = {
          summary: {
            file: s.file,
            fieldStrengthT: s.fieldStrengthT,
            receiverChannels: s.receiverChannels,
            encodedMatrix: s.encodedMatrix,
            reconMatrix: s.reconMatrix,
            fovMm: s.fovMm,
            slices: s.slices,
            repetitions: s.repetitions,
            acceleration: s.acceleration,
            calibrationMode: s.calibrationMode,
            trajectory: s.trajectory,
            acquisitions: s.acquisitions,
            noiseAcquisitions: s.noiseAcquisitions,
            protocolName: s.protocolName,
            systemModel: s.systemModel,
          },
          suggested: settings,
          reasons,
        };
        return prefill;
      } finally {
        reader.close();
      }
    },

    'recon.run': async (args, ctx) => {
      const t0 = performance.now();
      const s = args.settings;
      const result = await reconstructFile(args.path, {
        combine: s.combine,
        pi: s.pi,
        backend: s.backend,
        ...(s.coils !== null ? { coils: s.coils } : {}),
        signal: ctx.signal,
        onProgress: (p) => ctx.progress(p.stage, p.fraction),
      });
      const stem = fileStem(args.path);
      const volumes = result.volumes.map((v) => {
        const role: VolumeRole = v.magnitude.dims[3] > 1 ? 'bold' : 'anatomy';
        return this.volumes.add(v.magnitude, { name: `${stem}${v.suffix}`, role, source: args.path });
      });
      const r = result.report;
      return {
        volumes,
        backend: r.backend,
        backendReason: r.backendReason,
        threads: r.threads,
        timingsMs: { ...r.timingsMs, total: performance.now() - t0 },
        warnings: r.warnings,
      };
    },

    'nifti.open': async (args) => {
      const image = await readNifti(args.path);
      const v = image.volume;
      const h = image.header;
      const mni = h.sformCode === XFORM.MNI_152 || (h.sformCode === 0 && h.qformCode === XFORM.MNI_152);
      const role: VolumeRole = args.role ?? guessRole(v, args.path);
      return this.volumes.add(v, { name: fileStem(args.path), role, source: args.path, space: mni ? 'MNI' : 'native' });
    },

    'nifti.save': async (args) => {
      const { volume, ref } = this.volumes.get(args.volumeId);
      const out = await writeNifti(args.path, volume, {
        description: (volume.description ?? `uhf app: ${ref.name}`).slice(0, 79),
        ...(ref.space === 'MNI' ? { xformCode: XFORM.MNI_152 } : {}),
      });
      return { path: out.path };
    },

    'volume.data': async (args) => {
      const { volume } = this.volumes.get(args.volumeId);
      return { id: args.volumeId, data: volume.data };
    },

    'volume.release': async (args) => ({ released: this.volumes.release(args.volumeId) }),

    'glm.run': async (args, ctx) => {
      const bold = this.volumes.get(args.boldId);
      let text: string;
      try {
        text = await readFile(args.events, 'utf8');
      } catch (e) {
        throw new UhfError('INGEST_NOT_FOUND', `cannot read the events file: ${(e as Error).message}`, { file: args.events });
      }
      return runGlmOnStored(this.volumes, bold, text, args, ctx);
    },

    'tsnr.compute': async (args) => {
      const { volume, ref } = this.volumes.get(args.volumeId);
      if (volume.dims[3] < 2) throw new UhfError('UNSUPPORTED_DATA', `${ref.name} is 3D: tSNR needs a time series`);
      const t = temporalStats(volume);
      const [nx, ny, nz] = volume.dims;
      return this.volumes.add({ dims: [nx, ny, nz, 1], data: t.tsnr, affine: volume.affine, description: 'temporal SNR' }, { name: `${ref.name}_tsnr`, role: 'tsnr', source: ref.source, space: ref.space });
    },

    'atlas.labelAt': async (args) => {
      this.atlas ??= loadAalAtlas().catch(() => null);
      const atlas = await this.atlas;
      if (!atlas) return { atlas: null, label: null };
      return { atlas: atlas.name, label: atlasLabelAt(atlas, args.mm) };
    },

    'job.cancel': async (args) => {
      const c = this.jobs.get(args.jobId);
      c?.abort(new UhfError('CANCELLED', 'cancelled'));
      return { cancelled: !!c };
    },
  };
}

function guessRole(v: Volume, path: string): VolumeRole {
  const name = basename(path).toLowerCase();
  if (v.intentCode && v.intentCode !== 0) return 'stat';
  if (/(^|_)(z|t|zstat|tstat|stat)[._]/.test(name) || /_z\.nii/.test(name)) return 'stat';
  if (name.includes('tsnr')) return 'tsnr';
  if (name.includes('mask')) return 'mask';
  if (name.includes('activation') || name.includes('truth') || name.includes('labels')) return 'truth';
  return v.dims[3] > 1 ? 'bold' : 'anatomy';
}
