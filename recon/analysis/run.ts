/**
 * `uhf glm` end to end: read the BOLD NIfTI, events and confounds, resolve the
 * TR, analyse, and write the maps, tables, design and a JSON report.
 */
import { readFile } from 'node:fs/promises';
import { UhfError } from '../../shared/errors.ts';
import { voxelSizes } from '../../shared/volume.ts';
import { readNifti, XFORM } from '../io/nifti/index.ts';
import { sha256File } from '../io/sidecar.ts';
import { analyseVolume, type AnalysisOptions } from './analyse.ts';
import { loadAalAtlas, MRICRON_TEMPLATES, type LabelAtlas } from './atlas.ts';
import { parseConfounds } from './design/confounds.ts';
import { parseEventsTsv } from './design/events.ts';
import { writeGlmOutputs, type GlmReport } from './outputs.ts';
import { resolveTr, sidecarRepetitionTime } from './tr.ts';

export interface GlmRunOptions extends Omit<AnalysisOptions, 'tr' | 'confounds' | 'mask' | 'atlas' | 'eventsFile'> {
  bold: string;
  events: string;
  outDir: string;
  tr?: number;
  confounds?: string;
  mask?: string;
  /** 'auto': MNI when the header's sform (or qform) code says MNI_152. */
  space?: 'auto' | 'mni' | 'native';
  atlasDir?: string;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as { code?: string }).code;
    throw new UhfError(code === 'ENOENT' ? 'INGEST_NOT_FOUND' : 'BAD_ARGUMENT', `cannot read ${what}: ${(e as Error).message}`, { file: path });
  }
}

export async function runGlm(options: GlmRunOptions): Promise<GlmReport> {
  const started = performance.now();
  const warnings: string[] = [];
  let t0 = performance.now();
  const image = await readNifti(options.bold);
  const readSec = (performance.now() - t0) / 1000;
  const volume = image.volume;
  const [nx, ny, nz, nt] = volume.dims;
  if (nt < 2) {
    throw new UhfError('UNSUPPORTED_DATA', `a 3D image [${nx}, ${ny}, ${nz}]: the GLM needs a 4D time series`, { file: options.bold });
  }
  const side = await sidecarRepetitionTime(options.bold);
  if (side.warning) warnings.push(side.warning);
  const tr = resolveTr(options.tr, volume.trSec, side.tr);
  warnings.push(...tr.warnings);

  const events = parseEventsTsv(await readText(options.events, 'events'), options.events);
  warnings.push(...events.warnings);
  const confounds = options.confounds ? parseConfounds(await readText(options.confounds, 'confounds'), nt, options.confounds) : undefined;
  if (confounds) warnings.push(...confounds.warnings);

  let mask: Uint8Array | undefined;
  if (options.mask) {
    const m = await readNifti(options.mask);
    const [mx, my, mz] = m.volume.dims;
    if (mx !== nx || my !== ny || mz !== nz) {
      throw new UhfError('SHAPE_MISMATCH', `mask is [${mx}, ${my}, ${mz}] but the data are [${nx}, ${ny}, ${nz}]`, { file: options.mask });
    }
    mask = new Uint8Array(nx * ny * nz);
    for (let v = 0; v < mask.length; v++) mask[v] = m.volume.data[v]! > 0 ? 1 : 0;
  }

  const h = image.header;
  const headerMni = h.sformCode === XFORM.MNI_152 || (h.sformCode === 0 && h.qformCode === XFORM.MNI_152);
  const space = options.space ?? 'auto';
  const mni = space === 'mni' || (space === 'auto' && headerMni);
  let atlas: LabelAtlas | undefined;
  if (mni) {
    try {
      atlas = await loadAalAtlas(options.atlasDir ?? MRICRON_TEMPLATES);
    } catch (e) {
      warnings.push(`no atlas labels: ${(e as Error).message} (install Debian's mricron-data)`);
    }
  }

  const { bold: _b, events: _e, outDir, tr: _t, confounds: _c, mask: _m, space: _s, atlasDir: _a, ...analysisOptions } = options;
  const result = await analyseVolume(volume, events.events, {
    ...analysisOptions,
    tr: tr.tr,
    ...(confounds ? { confounds } : {}),
    ...(mask ? { mask } : {}),
    ...(atlas ? { atlas } : {}),
    eventsFile: options.events,
  });
  warnings.push(...result.warnings);

  t0 = performance.now();
  const inputs = [options.bold, options.events, ...(options.confounds ? [options.confounds] : []), ...(options.mask ? [options.mask] : [])];
  const sources = [];
  for (const path of inputs) {
    const { sha256, bytes } = await sha256File(path);
    sources.push({ path, sha256, bytes });
  }
  const hashSec = (performance.now() - t0) / 1000;
  const xformCode = h.sformCode || h.qformCode || XFORM.SCANNER_ANAT;
  return writeGlmOutputs({
    outDir,
    inputs,
    sources,
    volumeInfo: {
      dims: [nx, ny, nz, nt],
      voxelSizeMm: voxelSizes(volume.affine),
      affine: [...volume.affine],
      affineSource: image.affineSource,
      space: mni ? 'MNI' : 'native',
      xformCode,
    },
    tr,
    result,
    options: {
      ...options,
      noise: (options.noise ?? 'ar1') === 'ols' ? 'ols' : options.arBiasCorrection === false ? 'ar1 (nipy/nilearn estimator)' : 'ar1 (bias-corrected)',
      hrf: options.hrf ?? 'spm',
    },
    atlas: atlas?.name,
    warnings,
    timingsSec: { read: readSec, ...result.timingsSec, hash: hashSec },
    startedMs: started,
  });
}
