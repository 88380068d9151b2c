import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import { writeNifti } from '../io/nifti/index.ts';
import { reconstructFile } from '../pipeline/run.ts';
import { presetParams, simulate } from '../sim/index.ts';
import type { Command } from './command.ts';
import { progressBar } from './progress.ts';
import { writeSimulation } from './simulate.ts';

/** Where the demo keeps its files: simulated once, reused on later starts. */
export function demoDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'uhf-workbench', 'demo');
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the built-in demo: simulated 7 T fMRI raw data → reconstruction (no file or internet needed)',
  help: `usage: uhf demo [--dir DIR] [--fresh]

Simulate a 7 T fMRI run (16-channel head coil, oblique slices, block design) as
ISMRMRD raw data, reconstruct it to a 4D NIfTI, and print where everything is.
Files are kept in DIR (default ~/.cache/uhf-workbench/demo) and reused next time.

  --dir DIR   where to keep the demo files
  --fresh     simulate again even if the files exist
`,
  async run(argv, io) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { dir: { type: 'string' }, fresh: { type: 'boolean' } } });
    if (positionals.length) throw new UhfError('BAD_ARGUMENT', `unexpected argument '${positionals[0]}'`);
    const dir = values.dir ?? demoDir();
    mkdirSync(dir, { recursive: true });
    const raw = join(dir, '7t-fmri.h5');
    if (values.fresh || !existsSync(raw)) {
      io.stderr(`simulating a 7 T fMRI run into ${raw} …`);
      await writeSimulation(simulate(presetParams('7t-fmri')), raw);
    } else {
      io.stderr(`using the simulated run in ${raw}`);
    }
    const bar = progressBar(io);
    const t0 = performance.now();
    const result = await reconstructFile(raw, { onProgress: bar.update }).finally(bar.done);
    const bold = join(dir, '7t-fmri_bold.nii.gz');
    await writeNifti(bold, result.volumes[0]!.magnitude, { inputs: [raw], description: 'uhf demo recon' });
    const r = result.report;
    io.stdout([
      `UHF Workbench demo (${dir})`,
      `  raw data       ${raw} (${r.counts.acquisitions} acquisitions, ${r.noise.readouts} noise readouts, prewhitened: ${r.noise.prewhitened})`,
      `  reconstructed  ${bold}: ${result.volumes[0]!.magnitude.dims.join(' × ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s on ${r.threads || 1} thread(s)`,
      `  events         ${join(dir, '7t-fmri_events.tsv')}`,
      `  ground truth   ${join(dir, '7t-fmri_activation.nii.gz')} (where the activation was placed)`,
      ...r.warnings.map((w) => `  warning: ${w}`),
      '',
      'Next: uhf info FILE, uhf recon IN.h5 -o OUT.nii.gz --help',
    ].join('\n'));
    return 0;
  },
};
