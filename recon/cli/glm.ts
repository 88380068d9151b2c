import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import type { HrfModel } from '../analysis/design/matrix.ts';
import type { NoiseModel } from '../analysis/glm/chunk.ts';
import type { Connectivity } from '../analysis/morphology.ts';
import type { GlmReport } from '../analysis/outputs.ts';
import { runGlm, type GlmRunOptions } from '../analysis/run.ts';
import type { Command } from './command.ts';

function num(name: string, value: string | undefined, check: (x: number) => boolean, what: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x) || !check(x)) throw new UhfError('BAD_ARGUMENT', `--${name} must be ${what}, got '${value}'`);
  return x;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new UhfError('BAD_ARGUMENT', `--${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function noiseOptions(choice: 'ar1' | 'ar1-nilearn' | 'ols'): { noise: NoiseModel; arBiasCorrection: boolean } {
  return choice === 'ols' ? { noise: 'ols', arBiasCorrection: false } : { noise: 'ar1', arBiasCorrection: choice === 'ar1' };
}

function summary(r: GlmReport): string {
  const lines = [
    `TR ${r.tr.seconds} s (from ${r.tr.source === 'option' ? '--tr' : r.tr.source === 'header' ? 'the NIfTI header' : 'the JSON sidecar'})`,
    `design: ${r.design.columns.length} columns (${r.design.columns.join(', ')}), dof ${r.design.dof}, noise model ${r.noise}`,
    `mask: ${r.mask.voxels} voxels; median tSNR ${r.tsnr.medianInMask.toFixed(1)}`,
  ];
  for (const c of r.contrasts) {
    const thr = c.threshold.method === 'fdr' ? `FDR q < ${c.threshold.q}` : `p < ${c.threshold.p}`;
    const top = c.clusters[0];
    const peak = top ? `; top peak z ${top.peakZ.toFixed(2)} at (${top.peakMm.map((x) => x.toFixed(1)).join(', ')}) mm${top.label ? ` ${top.label}` : ''}` : '';
    lines.push(`${c.name} [${c.type}: ${c.expression}]: ${c.clusterCount} cluster(s) at ${thr} (z ≥ ${c.threshold.z === null ? '∞' : c.threshold.z.toFixed(2)})${peak}`);
  }
  lines.push(`wrote ${r.outputs.length} files; report ${r.outputs[r.outputs.length - 1]} (${r.timingsSec['total']?.toFixed(2)} s)`);
  return lines.join('\n');
}

export const glmCommand: Command = {
  name: 'glm',
  summary: 'first-level fMRI GLM: activation maps from a 4D BOLD NIfTI and a BIDS events.tsv',
  help: `usage: uhf glm BOLD.nii[.gz] --events events.tsv -o OUTDIR [options]

Fit a first-level GLM (as SPM, FSL FEAT and nilearn) and write, per contrast
NAME: NAME_z, NAME_t (or NAME_F), NAME_beta (effect), NAME_psc (percent signal
change) .nii.gz and NAME_clusters.tsv; plus design.tsv, design.svg, tsnr,
mask, residvar (and ar1) .nii.gz and report.json.

  --events FILE          BIDS events.tsv (onset, duration, trial_type[, modulation])
  -o, --out DIR          output directory (created if needed)
  --contrast "NAME=EXPR" repeatable; EXPR over condition names, e.g. "faces - houses",
                         "0.5*a + 0.5*b"; "F(a, b)" or "a; b" for an F test;
                         \`name with-dashes\` in backticks. Default: one per trial_type
  --tr SECONDS           repetition time (default: NIfTI header, then BOLD.json)
  --fwhm MM              Gaussian smoothing FWHM in mm (default 0: none)
  --noise ar1|ar1-nilearn|ols  noise model: AR(1) prewhitening with the residual
                         autocorrelation's bias corrected (default, as fmristat), exactly
                         nipy/nilearn's AR(1), or ordinary least squares
  --hrf spm|spm+derivative  canonical SPM HRF, optionally with its temporal derivative
  --confounds FILE       confound regressors, one row per frame (TSV with header, or .par/.txt)
  --high-pass SECONDS    cosine drift cut-off period (default 128; 0 = none)
  --slice-time-ref F     frame time reference within the TR, 0..1 (default 0)
  --mask FILE            analysis mask (default: automatic EPI mask)
  --p P                  voxelwise one-sided p threshold (default 0.001)
  --fdr Q                threshold at FDR q instead (Benjamini–Hochberg)
  --cluster-size K       minimum cluster size in voxels (default 1)
  --connectivity 6|18|26 cluster connectivity (default 26)
  --two-sided            also report negative clusters of t contrasts
  --space auto|mni|native  MNI space (for AAL atlas labels): auto reads the sform code
  --threads N            worker threads (default for large runs: cores − 1 when ≥ 4 cores, else 1)
  --json                 print the JSON report on stdout
`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        events: { type: 'string' },
        out: { type: 'string', short: 'o' },
        contrast: { type: 'string', multiple: true },
        tr: { type: 'string' },
        fwhm: { type: 'string' },
        noise: { type: 'string' },
        hrf: { type: 'string' },
        confounds: { type: 'string' },
        'high-pass': { type: 'string' },
        'slice-time-ref': { type: 'string' },
        mask: { type: 'string' },
        p: { type: 'string' },
        fdr: { type: 'string' },
        'cluster-size': { type: 'string' },
        connectivity: { type: 'string' },
        'two-sided': { type: 'boolean' },
        space: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 1) throw new UhfError('BAD_ARGUMENT', 'expected exactly one BOLD NIfTI file');
    if (!values.events) throw new UhfError('BAD_ARGUMENT', '--events FILE is required');
    if (!values.out) throw new UhfError('BAD_ARGUMENT', '-o OUTDIR is required');
    const connectivity = num('connectivity', values.connectivity, (x) => x === 6 || x === 18 || x === 26, '6, 18 or 26');
    const highPass = num('high-pass', values['high-pass'], (x) => x >= 0, 'a period in seconds ≥ 0');
    const options: GlmRunOptions = {
      bold: positionals[0]!,
      events: values.events,
      outDir: values.out,
      ...(values.contrast ? { contrasts: values.contrast } : {}),
      tr: num('tr', values.tr, (x) => x > 0, 'a positive number of seconds'),
      fwhmMm: num('fwhm', values.fwhm, (x) => x >= 0, 'a FWHM in mm ≥ 0') ?? 0,
      ...noiseOptions(oneOf('noise', values.noise, ['ar1', 'ar1-nilearn', 'ols'] as const) ?? 'ar1'),
      hrf: oneOf<HrfModel>('hrf', values.hrf, ['spm', 'spm+derivative']) ?? 'spm',
      ...(values.confounds ? { confounds: values.confounds } : {}),
      ...(highPass !== undefined ? { highPassSec: highPass === 0 ? Infinity : highPass } : {}),
      ...(values['slice-time-ref'] !== undefined
        ? { sliceTimeRef: num('slice-time-ref', values['slice-time-ref'], (x) => x >= 0 && x <= 1, 'between 0 and 1') }
        : {}),
      ...(values.mask ? { mask: values.mask } : {}),
      pThreshold: num('p', values.p, (x) => x > 0 && x < 1, 'a probability in (0, 1)') ?? 0.001,
      ...(values.fdr !== undefined ? { fdrQ: num('fdr', values.fdr, (x) => x > 0 && x < 1, 'a rate in (0, 1)') } : {}),
      clusterMinSize: num('cluster-size', values['cluster-size'], (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1') ?? 1,
      connectivity: (connectivity ?? 26) as Connectivity,
      twoSided: values['two-sided'] ?? false,
      space: oneOf('space', values.space, ['auto', 'mni', 'native'] as const) ?? 'auto',
      ...(values.threads !== undefined
        ? { threads: num('threads', values.threads, (x) => Number.isInteger(x) && x >= 1, 'a whole number ≥ 1') }
        : {}),
    };
    const report = await runGlm(options);
    for (const w of report.warnings) io.stderr(`uhf glm: warning: ${w}`);
    io.stdout(values.json ? JSON.stringify(report, null, 2) : summary(report));
    return 0;
  },
};
