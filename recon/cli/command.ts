/** What every CLI command provides; one file per command under recon/cli/. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  stderrIsTty: boolean;
}

export interface Command {
  name: string;
  summary: string;
  /** Full help text, shown by `uhf NAME --help`. */
  help: string;
  /** Returns the exit code. Throw UhfError for bad input: main prints one line and exits 1. */
  run(argv: string[], io: CliIo): Promise<number>;
}
