import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import type { Volume } from '../../shared/volume.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { writeIsmrmrd } from '../io/ismrmrd/writer.ts';
import { writeNifti } from '../io/nifti/index.ts';
import { isPresetName, PRESET_NAMES, presetParams, simulate, type SimParams, type SimulatedScan } from '../sim/index.ts';
import type { Command } from './command.ts';
import { parseArgsOneLine } from './recon.ts';

function numberList(name: string, v: string, count: number): number[] {
  const xs = v.split(',').map(Number);
  if (xs.length !== count || xs.some((x) => !Number.isFinite(x))) throw new UhfError('BAD_ARGUMENT', `--${name} takes ${count} comma-separated numbers (got '${v}')`);
  return xs;
}

function int(name: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UhfError('BAD_ARGUMENT', `--${name} must be an integer ≥ ${min} (got '${v}')`);
  return n;
}

export function overridesFrom(values: Record<string, string | boolean | undefined>): Partial<SimParams> {
  const o: Partial<SimParams> = {};
  const s = (k: string) => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  if (s('seed') !== undefined) o.seed = int('seed', s('seed')!, 0);
  if (s('coils') !== undefined) o.coils = int('coils', s('coils')!, 1);
  if (s('slices') !== undefined) o.slices = int('slices', s('slices')!, 1);
  if (s('repetitions') !== undefined) o.repetitions = int('repetitions', s('repetitions')!, 1);
  if (s('acceleration') !== undefined) o.acceleration = int('acceleration', s('acceleration')!, 1);
  if (s('acs') !== undefined) o.acsLines = int('acs', s('acs')!, 0);
  if (s('oversampling') !== undefined) o.readoutOversampling = int('oversampling', s('oversampling')!, 1);
  if (s('field') !== undefined) {
    const t = Number(s('field'));
    if (!(t > 0 && t <= 30)) throw new UhfError('BAD_ARGUMENT', `--field must be in (0, 30] tesla (got '${s('field')}')`);
    o.fieldStrengthT = t;
  }
  if (s('noise') !== undefined) {
    const n = Number(s('noise'));
    if (!(n >= 0)) throw new UhfError('BAD_ARGUMENT', `--noise must be ≥ 0 (got '${s('noise')}')`);
    o.noiseSigma = n;
  }
  if (s('matrix') !== undefined) {
    const [x, y] = numberList('matrix', s('matrix')!, 2);
    o.matrix = [int('matrix', String(x), 4), int('matrix', String(y), 4)];
  }
  if (s('tilt') !== undefined) {
    const [lr, ap] = numberList('tilt', s('tilt')!, 2);
    o.tiltLRDeg = lr!;
    o.tiltAPDeg = ap!;
  }
  if (s('calibration') !== undefined) {
    const c = s('calibration');
    if (c !== 'embedded' && c !== 'separate') throw new UhfError('BAD_ARGUMENT', `--calibration must be embedded or separate (got '${c}')`);
    o.calibrationMode = c;
  }
  return o;
}

/** FILE.h5 → FILE (the stem that the truth files share). */
function stemOf(path: string): string {
  return path.replace(/\.(h5|hdf5|mrd)$/i, '');
}

export interface SimulationOutputs {
  raw: string;
  truth: string[];
  events?: string;
  acquisitions: number;
}

/** Write the raw data and the ground truth beside it. */
export async function writeSimulation(scan: SimulatedScan, out: string): Promise<SimulationOutputs> {
  const stem = stemOf(out);
  const { count } = await writeIsmrmrd(out, scan.header, scan.acquisitions());
  const t = scan.truth;
  const truthFiles: [string, Volume][] = [
    [`${stem}_truth.nii.gz`, t.image],
    [`${stem}_truth-rss.nii.gz`, t.rss],
    [`${stem}_labels.nii.gz`, t.labels],
  ];
  if (scan.eventsTsv) truthFiles.push([`${stem}_activation.nii.gz`, t.activationMask]);
  const maps = t.coilMaps();
  const [nx, ny, nz, nc] = maps.dims;
  const mag = new Float32Array(nx * ny * nz * nc);
  for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(maps.data[2 * i]!, maps.data[2 * i + 1]!);
  truthFiles.push([`${stem}_coilmaps-magnitude.nii.gz`, { dims: [nx, ny, nz, nc], data: mag, affine: maps.affine, description: 'coil sensitivity magnitude; 4th axis = coil' }]);
  const written: string[] = [];
  for (const [path, vol] of truthFiles) {
    await writeNifti(path, vol, { description: vol.description ?? 'uhf simulate ground truth' });
    written.push(path);
  }
  const meta = {
    definition: t.definition,
    params: scan.params,
    affine: t.geometry.affine,
    sliceAtZ: t.geometry.sliceAtZ,
    spacingMm: t.geometry.spacingMm,
    frameTimesS: t.frameTimesS,
    sliceTimingS: t.sliceTimingS,
    regressors: Object.fromEntries(Object.entries(t.regressors).map(([k, v]) => [k, Array.from(v)])),
    activations: t.activations,
    acquisitions: count,
  };
  const metaPath = `${stem}_truth.json`;
  await writeFileAtomic(metaPath, new TextEncoder().encode(JSON.stringify(meta, null, 2)));
  written.push(metaPath);
  let events: string | undefined;
  if (scan.eventsTsv) {
    events = `${stem}_events.tsv`;
    await writeFileAtomic(events, new TextEncoder().encode(scan.eventsTsv));
  }
  return { raw: out, truth: written, ...(events ? { events } : {}), acquisitions: count };
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'write simulated multi-coil raw data (ISMRMRD) with its ground truth',
  help: `usage: uhf simulate --preset NAME -o FILE.h5 [options]

Simulate a multi-coil Cartesian acquisition of a numerical head phantom (loop-coil
sensitivities, correlated receiver noise with noise-scan readouts, oblique slices,
optional undersampling with ACS lines, repetitions with a block-design activation).
Deterministic from --seed. Beside FILE.h5 it writes the ground truth:
FILE_truth.nii.gz (image), FILE_truth-rss.nii.gz (RSS of the coil sensitivities),
FILE_labels.nii.gz, FILE_coilmaps-magnitude.nii.gz, FILE_truth.json (geometry,
parameters, regressors) and, for fMRI runs, FILE_activation.nii.gz and FILE_events.tsv.

presets: ${PRESET_NAMES.join(', ')}

  -o, --output FILE.h5     the raw-data file to write
  --preset NAME            required
  --seed N                 noise realisation (default: the preset's)
  --field T                field strength, tesla (e.g. 7, 11.7)
  --coils N                receive channels
  --matrix NX,NY           recon matrix
  --slices N
  --repetitions N
  --acceleration R         undersampling along ky
  --acs N                  fully sampled calibration lines
  --calibration MODE       embedded | separate
  --oversampling N         readout oversampling factor
  --tilt LR,AP             slice tilt about L-R and A-P, degrees
  --noise SIGMA            channel noise level (0 = noise free)
  --json                   print what was written as JSON
`,
  async run(argv, io) {
    const { values, positionals } = parseArgsOneLine('simulate', () => parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        preset: { type: 'string' },
        seed: { type: 'string' },
        field: { type: 'string' },
        coils: { type: 'string' },
        matrix: { type: 'string' },
        slices: { type: 'string' },
        repetitions: { type: 'string' },
        acceleration: { type: 'string' },
        acs: { type: 'string' },
        calibration: { type: 'string' },
        oversampling: { type: 'string' },
        tilt: { type: 'string' },
        noise: { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
    if (positionals.length) throw new UhfError('BAD_ARGUMENT', `unexpected argument '${positionals[0]}'`);
    if (!values.preset) throw new UhfError('BAD_ARGUMENT', `missing --preset (one of ${PRESET_NAMES.join(', ')})`);
    if (!isPresetName(values.preset)) throw new UhfError('BAD_ARGUMENT', `unknown preset '${values.preset}' (one of ${PRESET_NAMES.join(', ')})`);
    if (!values.output) throw new UhfError('BAD_ARGUMENT', 'missing -o FILE.h5');
    const t0 = performance.now();
    const scan = simulate(presetParams(values.preset, overridesFrom(values)));
    const written = await writeSimulation(scan, values.output);
    const seconds = (performance.now() - t0) / 1000;
    if (values.json) io.stdout(JSON.stringify({ ...written, seconds }, null, 2));
    else io.stderr(`wrote ${written.raw} (${written.acquisitions} acquisitions, ${seconds.toFixed(1)} s) and ${written.truth.length + (written.events ? 1 : 0)} ground-truth files beside it`);
    return 0;
  },
};
