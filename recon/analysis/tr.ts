/**
 * Which repetition time to use: --tr when given, else the NIfTI header
 * (pixdim[4] in its time unit), else a BIDS sidecar's RepetitionTime.
 * Disagreements are warnings that name both values; no TR at all is an error.
 */
import { readFile } from 'node:fs/promises';
import { UhfError } from '../../shared/errors.ts';

export type TrSource = 'option' | 'header' | 'sidecar';

export interface ResolvedTr {
  tr: number;
  source: TrSource;
  header: number | undefined;
  sidecar: number | undefined;
  warnings: string[];
}

const differ = (a: number, b: number) => Math.abs(a - b) > 1e-3 * Math.max(a, b);

export function resolveTr(option: number | undefined, header: number | undefined, sidecar?: number): ResolvedTr {
  const warnings: string[] = [];
  let tr: number;
  let source: TrSource;
  if (option !== undefined) {
    if (!(option > 0) || !Number.isFinite(option)) throw new UhfError('BAD_ARGUMENT', `--tr must be a positive number of seconds, got ${option}`);
    tr = option;
    source = 'option';
    if (header !== undefined && differ(option, header)) {
      warnings.push(`--tr ${option} s disagrees with the NIfTI header's TR of ${header} s; using --tr`);
    }
    if (sidecar !== undefined && differ(option, sidecar)) {
      warnings.push(`--tr ${option} s disagrees with the sidecar's RepetitionTime of ${sidecar} s; using --tr`);
    }
  } else if (header !== undefined) {
    tr = header;
    source = 'header';
    if (sidecar !== undefined && differ(header, sidecar)) {
      warnings.push(`the NIfTI header's TR (${header} s) disagrees with the sidecar's RepetitionTime (${sidecar} s); using the header (override with --tr)`);
    }
  } else if (sidecar !== undefined) {
    tr = sidecar;
    source = 'sidecar';
  } else {
    throw new UhfError('BAD_ARGUMENT', 'the TR is unknown: the NIfTI header has none (pixdim[4] is 0 or not a time) and there is no sidecar; pass --tr SECONDS');
  }
  if (tr > 30) warnings.push(`TR of ${tr} s is unusually long: is it in milliseconds? (pass --tr in seconds)`);
  if (tr < 0.05) warnings.push(`TR of ${tr} s is unusually short: check the time unit`);
  return { tr, source, header, sidecar, warnings };
}

/** RepetitionTime from BOLD.json beside BOLD.nii(.gz), if that file exists and has one. */
export async function sidecarRepetitionTime(boldPath: string): Promise<{ tr: number | undefined; warning?: string }> {
  const jsonPath = boldPath.replace(/\.nii(\.gz)?$/i, '.json');
  if (jsonPath === boldPath) return { tr: undefined };
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch {
    return { tr: undefined };
  }
  try {
    const value = (JSON.parse(text) as { RepetitionTime?: unknown }).RepetitionTime;
    if (value === undefined) return { tr: undefined };
    if (typeof value === 'number' && value > 0 && Number.isFinite(value)) return { tr: value };
    return { tr: undefined, warning: `${jsonPath}: RepetitionTime ${JSON.stringify(value)} is not a positive number; ignored` };
  } catch (e) {
    return { tr: undefined, warning: `${jsonPath}: not valid JSON (${(e as Error).message}); ignored` };
  }
}
