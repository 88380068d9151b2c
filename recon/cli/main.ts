/**
 * `uhf` CLI dispatcher. Errors become one line on stderr and exit code 1; a stack
 * trace is shown only for internal errors and only with UHF_DEBUG=1.
 */
import { isUhfError } from '../../shared/errors.ts';
import type { CliIo, Command } from './command.ts';

/**
 * The commands, loaded on demand: a command's module pulls in its part of the
 * engine, and a CLI start should pay only for the command it runs.
 */
const COMMANDS: { name: string; summary: string; load: () => Promise<Command> }[] = [
  { name: 'info', summary: 'summarise an ISMRMRD (.h5) or NIfTI (.nii, .nii.gz) file', load: async () => (await import('./info.ts')).infoCommand },
  { name: 'recon', summary: 'reconstruct Cartesian ISMRMRD raw data into NIfTI images', load: async () => (await import('./recon.ts')).reconCommand },
  { name: 'simulate', summary: 'write simulated multi-coil raw data (ISMRMRD) with its ground truth', load: async () => (await import('./simulate.ts')).simulateCommand },
  { name: 'glm', summary: 'first-level fMRI GLM: events.tsv → z/t/beta maps, clusters, tSNR', load: async () => (await import('./glm.ts')).glmCommand },
  { name: 'serve', summary: "host the app's UI and API over HTTP + WebSocket (loopback, token)", load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'demo', summary: 'the built-in demo in a terminal: simulated 7 T fMRI raw data → reconstruction', load: async () => (await import('./demo.ts')).demoCommand },
  { name: 'bench', summary: 'benchmarks against BART, the ISMRMRD reference recon and nipy; writes BENCHMARKS.md', load: async () => (await import('./bench.ts')).benchCommand },
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: uhf <command> [options]',
    '',
    'UHF Workbench: ultra-high-field MRI raw data to images and activation maps.',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    "Run 'uhf <command> --help' for a command's options.",
  ].join('\n');
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  stderr: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
  stderrIsTty: Boolean(process.stderr.isTTY),
};

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 1;
  }
  if (name === '--version') {
    const { version } = await import('../../package.json', { with: { type: 'json' } }).then((m) => m.default);
    io.stdout(version);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`uhf: unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')}; see 'uhf --help')`);
    return 1;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (isUhfError(e)) {
      io.stderr(`uhf ${name}: ${e.message}`);
      return 1;
    }
    if (e instanceof TypeError && /parseArgs|option|argument/i.test(String((e as { code?: string }).code ?? e.message))) {
      io.stderr(`uhf ${name}: ${e.message} (see 'uhf ${name} --help')`);
      return 1;
    }
    io.stderr(`uhf ${name}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env['UHF_DEBUG']) io.stderr(e instanceof Error ? (e.stack ?? '') : '');
    return 2;
  }
}
