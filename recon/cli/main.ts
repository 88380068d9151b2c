/**
 * `uhf` CLI dispatcher. Errors become one line on stderr and exit code 1; a stack
 * trace is shown only for internal errors and only with UHF_DEBUG=1.
 */
import { isUhfError } from '../../shared/errors.ts';
import type { CliIo, Command } from './command.ts';
import { glmCommand } from './glm.ts';
import { benchCommand } from './bench.ts';
import { demoCommand } from './demo.ts';
import { infoCommand } from './info.ts';
import { reconCommand } from './recon.ts';
import { simulateCommand } from './simulate.ts';
import { serveCommand } from './serve.ts';

const COMMANDS: Command[] = [infoCommand, reconCommand, simulateCommand, demoCommand, benchCommand, glmCommand, serveCommand];

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
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.stderr(`uhf: unknown command '${name}'\n${usage()}`);
    return 1;
  }
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
