import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import { assertNotInput } from '../io/atomic.ts';
import { writeNifti } from '../io/nifti/index.ts';
import { sidecarPathFor, writeSidecar } from '../io/sidecar.ts';
import type { BackendChoice, PiMethod } from '../pipeline/options.ts';
import type { CombineMethod, PartialFourierMethod } from '../pipeline/reconstruct-image.ts';
import { reconstructFile } from '../pipeline/run.ts';
import type { Command } from './command.ts';
import { progressBar } from './progress.ts';

const COMBINE: Record<string, CombineMethod> = { rss: 'rss', adaptive: 'walsh', walsh: 'walsh', inati: 'inati' };
const PI: PiMethod[] = ['auto', 'none', 'grappa', 'sense'];
const BACKENDS: BackendChoice[] = ['auto', 'cpu', 'webgpu'];
const PF: PartialFourierMethod[] = ['pocs', 'homodyne', 'zerofill'];

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UhfError('BAD_ARGUMENT', `--${name} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

/**
 * parseArgs, with its errors made one line: Node's messages for some mistakes span
 * several lines (e.g. `--threads -1`: "argument is ambiguous" + two hint lines), and
 * the CLI promises one line per error. (Shared by the info, recon and simulate commands.)
 */
export function parseArgsOneLine<T>(command: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof TypeError && String((e as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      throw new UhfError('BAD_ARGUMENT', `${e.message.trim().replace(/\s*\n\s*/g, ' ')} (see 'uhf ${command} --help')`);
    }
    throw e;
  }
}

/** OUT.nii.gz + suffix → OUT_suffix.nii.gz */
export function withSuffix(out: string, suffix: string): string {
  const m = /^(.*?)(\.nii(?:\.gz)?)$/i.exec(out);
  return m ? `${m[1]}${suffix}${m[2]}` : `${out}${suffix}`;
}

export const reconCommand: Command = {
  name: 'recon',
  summary: 'reconstruct Cartesian ISMRMRD raw data into NIfTI images',
  help: `usage: uhf recon IN.h5 -o OUT.nii.gz [options]

Reconstruct Cartesian ISMRMRD raw data: noise prewhitening (from the noise-scan
readouts), readout oversampling removal, k-space accumulation by slice / contrast /
repetition, partial-Fourier completion, centred FFT, coil combination, and volumes
placed in RAS world space from the ISMRMRD geometry. Repetitions become a 4D volume.

  -o, --output FILE        OUT.nii.gz (magnitude, float32); several echoes or sets
                           add OUT_echo-N.nii.gz …; a JSON sidecar goes beside each
  --combine METHOD         rss (default) | adaptive (= walsh) | walsh | inati
  --pi METHOD              auto (default) | none | grappa | sense
  --backend NAME           auto (default) | cpu | webgpu
  --coils N                compress to N virtual coils (SVD) before reconstruction
  --partial-fourier M      pocs (default) | homodyne | zerofill
  --no-prewhiten           ignore the noise-scan readouts
  --phase                  also write OUT_phase.nii.gz (needs --combine walsh|inati)
  --gfactor                with parallel imaging, also write OUT_gfactor.nii.gz
  --int16                  store int16 with scaling instead of float32
  --threads N              worker threads (default: all cores; 0 = none)
  --json                   print a JSON report on stdout
`,
  async run(argv, io) {
    const { values, positionals } = parseArgsOneLine('recon', () => parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        combine: { type: 'string' },
        pi: { type: 'string' },
        backend: { type: 'string' },
        coils: { type: 'string' },
        'partial-fourier': { type: 'string' },
        'no-prewhiten': { type: 'boolean' },
        phase: { type: 'boolean' },
        gfactor: { type: 'boolean' },
        int16: { type: 'boolean' },
        threads: { type: 'string' },
        json: { type: 'boolean' },
      },
    }));
    if (positionals.length !== 1) throw new UhfError('BAD_ARGUMENT', 'expected exactly one input file (IN.h5)');
    if (!values.output) throw new UhfError('BAD_ARGUMENT', 'missing -o OUT.nii.gz');
    if (!/\.nii(\.gz)?$/i.test(values.output)) throw new UhfError('BAD_ARGUMENT', `the output must end in .nii.gz or .nii (got '${values.output}')`);
    const input = positionals[0]!;
    const combine = values.combine === undefined ? undefined : COMBINE[values.combine];
    if (values.combine !== undefined && !combine) throw new UhfError('BAD_ARGUMENT', `--combine must be one of ${Object.keys(COMBINE).join(', ')}`);
    const int = (name: string, v: string | undefined, min: number) => {
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new UhfError('BAD_ARGUMENT', `--${name} must be an integer ≥ ${min} (got '${v}')`);
      return n;
    };
    const coils = int('coils', values.coils, 1);
    const threads = int('threads', values.threads, 0);
    const pi = oneOf('pi', values.pi, PI);
    const backend = oneOf('backend', values.backend, BACKENDS);
    const partialFourier = oneOf('partial-fourier', values['partial-fourier'], PF);
    // Every file this command writes (each image and its JSON sidecar) must not be the
    // input: checked before the reconstruction (no time wasted) and before the first
    // write (no image left behind when a later sidecar would be refused).
    const refuseInput = async (images: string[]) => {
      for (const path of images) for (const out of [path, sidecarPathFor(path)]) await assertNotInput(out, [input]);
    };
    await refuseInput([values.output]);
    const bar = progressBar(io);
    const t0 = performance.now();
    const controller = new AbortController();
    const onSignal = () => controller.abort();
    process.once('SIGINT', onSignal);
    let result;
    try {
      result = await reconstructFile(input, {
        ...(combine ? { combine } : {}),
        ...(pi ? { pi } : {}),
        ...(backend ? { backend } : {}),
        ...(partialFourier ? { partialFourier } : {}),
        ...(coils !== undefined ? { coils } : {}),
        ...(threads !== undefined ? { workers: threads } : {}),
        prewhiten: values['no-prewhiten'] ? 'off' : 'auto',
        phase: Boolean(values.phase),
        gfactor: Boolean(values.gfactor),
        signal: controller.signal,
        onProgress: bar.update,
      });
    } finally {
      bar.done();
      process.removeListener('SIGINT', onSignal);
    }
    const reconSec = (performance.now() - t0) / 1000;
    const outputs: string[] = [];
    const tWrite = performance.now();
    const datatype = values.int16 ? 'int16' : 'float32';
    await refuseInput(result.volumes.flatMap((v) => [withSuffix(values.output!, v.suffix), ...(v.phase ? [withSuffix(values.output!, `${v.suffix}_phase`)] : [])]));
    for (const v of result.volumes) {
      const targets: [string, typeof v.magnitude][] = [[withSuffix(values.output, v.suffix), v.magnitude]];
      if (v.phase) targets.push([withSuffix(values.output, `${v.suffix}_phase`), v.phase]);
      for (const [path, vol] of targets) {
        await writeNifti(path, vol, { datatype, inputs: [input], description: 'uhf recon' });
        outputs.push(path);
      }
    }
    const writeSec = (performance.now() - tWrite) / 1000;
    const timingsSec = Object.fromEntries(Object.entries(result.report.timingsMs).map(([k, ms]) => [k, ms / 1000]));
    for (const path of outputs) {
      await writeSidecar(path, {
        inputs: [input],
        parameters: { ...result.report.parameters, backend: result.report.backend, threads: result.report.threads },
        timingsSec: { ...timingsSec, total: reconSec, write: writeSec },
        extra: {
          ...(result.volumes[0]?.magnitude.trSec ? { RepetitionTime: result.volumes[0].magnitude.trSec } : {}),
          Reconstruction: { plan: result.report.plan, counts: result.report.counts, noise: result.report.noise, warnings: result.report.warnings, ...(result.report.geometryFallback ? { geometryFallback: result.report.geometryFallback } : {}) },
        },
      });
    }
    if (values.json) {
      io.stdout(JSON.stringify({ ...result.report, outputs, totalSec: reconSec + writeSec }, null, 2));
    } else {
      for (const w of result.report.warnings) io.stderr(`warning: ${w}`);
      io.stderr(`wrote ${outputs.join(', ')} (${reconSec.toFixed(2)} s, ${result.report.backend}, ${result.report.threads || 1} thread${result.report.threads > 1 ? 's' : ''})`);
    }
    return 0;
  },
};
