/**
 * glm.run for the app: the engine's first-level analysis (recon/analysis,
 * the same code as `uhf glm`) on a volume already in the worker, with its maps
 * kept in the volume store and a JSON-able summary for the UI.
 */
import type { ApiArgs } from '../../shared/api/contract.ts';
import type { GlmOutcome } from '../../shared/api/types.ts';
import { UhfError } from '../../shared/errors.ts';
import type { Volume } from '../../shared/volume.ts';
import { analyseVolume } from '../analysis/analyse.ts';
import { parseEventsTsv } from '../analysis/design/events.ts';
import { NIFTI_INTENT } from '../io/nifti/index.ts';
import type { JobContext } from './service.ts';
import type { StoredVolume, VolumeStore } from './volume-store.ts';

export async function runGlmOnStored(store: VolumeStore, bold: StoredVolume, eventsText: string, args: ApiArgs<'glm.run'>, ctx: JobContext): Promise<GlmOutcome> {
  const src = bold.volume;
  const [nx, ny, nz, nt] = src.dims;
  if (nt < 2) throw new UhfError('UNSUPPORTED_DATA', `${bold.ref.name} is 3D: the GLM needs a 4D time series`);
  if (!src.trSec) throw new UhfError('BAD_ARGUMENT', `${bold.ref.name} has no repetition time`);
  ctx.progress('reading events', 0.05);
  const parsed = parseEventsTsv(eventsText, args.events);
  ctx.progress('design, mask and GLM fit', 0.15);
  if (ctx.signal.aborted) throw new UhfError('CANCELLED', 'cancelled');
  // analyseVolume smooths and repairs the data in place: work on a copy.
  const volume: Volume = { ...src, data: src.data.slice() };
  const result = await analyseVolume(volume, parsed.events, {
    tr: src.trSec,
    ...(args.contrasts.length ? { contrasts: args.contrasts } : {}),
    fwhmMm: args.fwhmMm,
    pThreshold: args.pThreshold,
    clusterMinSize: args.clusterMinSize,
    noise: args.noise,
    highPassSec: args.highPassSec === 0 ? Infinity : args.highPassSec,
    twoSided: args.twoSided,
    eventsFile: args.events,
  });
  if (ctx.signal.aborted) throw new UhfError('CANCELLED', 'cancelled');
  ctx.progress('storing maps', 0.95);
  const map3d = (data: Float32Array, extra: Partial<Volume> = {}): Volume => ({ dims: [nx, ny, nz, 1], data, affine: src.affine, ...extra });
  const base = bold.ref.name;
  const meta = { source: bold.ref.source, space: bold.ref.space };
  const contrasts: GlmOutcome['contrasts'] = result.contrasts.map((c) => {
    const z = store.add(map3d(c.maps.z, { intentCode: NIFTI_INTENT.ZSCORE, intentName: 'z', description: `uhf glm z: ${c.maps.expression}` }), {
      name: `${base}_${c.maps.name}_z`,
      role: 'stat',
      ...meta,
    });
    return {
      name: c.maps.name,
      expression: c.maps.expression,
      kind: c.maps.kind,
      z,
      thresholdZ: c.threshold.z,
      fdrZ: Number.isFinite(c.fdrZ) ? c.fdrZ : null,
      maxZ: Number.isFinite(c.maxZ) ? c.maxZ : null,
      clusters: c.clusters.slice(0, 50).map((k) => ({ id: k.id, sign: k.sign, size: k.size, peakZ: k.peakZ, peakMm: k.peakMm, label: k.label ?? null })),
    };
  });
  const tsnr = store.add(map3d(result.temporal.tsnr, { description: 'temporal SNR' }), { name: `${base}_tsnr`, role: 'tsnr', ...meta });
  const maskData = Float32Array.from(result.mask);
  const mask = store.add(map3d(maskData, { description: 'GLM analysis mask' }), { name: `${base}_mask`, role: 'mask', ...meta });
  const d = result.design;
  ctx.progress('done', 1);
  return {
    contrasts,
    design: {
      names: d.names,
      kinds: [...d.kinds],
      conditions: d.conditions,
      nFrames: d.nFrames,
      nColumns: d.nColumns,
      values: d.values,
      frameTimes: d.frameTimes,
    },
    events: parsed.events.map((e) => ({ onset: e.onset, duration: e.duration, trialType: e.trialType })),
    tsnr,
    mask,
    dof: result.fit.dof,
    warnings: [...parsed.warnings, ...result.warnings],
    timingsSec: result.timingsSec,
  };
}
