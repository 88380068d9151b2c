import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';
import { formatIsmrmrdSummary, summarizeIsmrmrd } from '../io/ismrmrd/summary.ts';
import { formatNiftiInfo, niftiInfo } from '../io/nifti/info.ts';
import type { Command } from './command.ts';
import { parseArgsOneLine } from './recon.ts';

export const infoCommand: Command = {
  name: 'info',
  summary: 'summarise an ISMRMRD (.h5) or NIfTI (.nii, .nii.gz) file',
  help: `usage: uhf info FILE [--json]

Summarise an ISMRMRD raw-data file (.h5) or a NIfTI image (.nii, .nii.gz).
The file is opened read-only.

  --json   print one JSON object on stdout instead of text
`,
  async run(argv, io) {
    const { values, positionals } = parseArgsOneLine('info', () => parseArgs({ args: argv, options: { json: { type: 'boolean' } }, allowPositionals: true }));
    if (positionals.length !== 1) throw new UhfError('BAD_ARGUMENT', 'expected exactly one FILE');
    const file = positionals[0]!;
    if (/\.nii(\.gz)?$/i.test(file)) {
      const info = await niftiInfo(file);
      io.stdout(values.json ? JSON.stringify(info, null, 2) : formatNiftiInfo(info));
      return 0;
    }
    const reader = await openIsmrmrd(file);
    try {
      const summary = summarizeIsmrmrd(reader);
      io.stdout(values.json ? JSON.stringify(summary, null, 2) : formatIsmrmrdSummary(summary));
    } finally {
      reader.close();
    }
    return 0;
  },
};
