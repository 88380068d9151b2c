/**
 * Shared assertions for the `uhf` CLI tests.
 */
import { expect } from 'vitest';
import { lines, uhf, uhfInProcess } from './recon.ts';

/**
 * Each [args, message] case is a usage error: exit 1, nothing on stdout, and one
 * line on stderr that matches `prefix` (e.g. /^uhf info: /) and `message`.
 * The first two run as a real process (exit code, streams); the rest through
 * main() in-process.
 */
export async function expectUsageErrors(prefix: RegExp, cases: readonly (readonly [string[], RegExp])[]): Promise<void> {
  for (const [n, [args, message]] of cases.entries()) {
    const r = n < 2 ? uhf(args) : await uhfInProcess(args);
    expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(1);
    expect(r.stdout).toBe('');
    const err = lines(r.stderr);
    expect(err, r.stderr).toHaveLength(1);
    expect(err[0]).toMatch(prefix);
    expect(err[0]).toMatch(message);
  }
}
