/** Running the Debian peers that tests compare against. A missing peer fails loudly: CI must have it. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's python (with h5py, nibabel, nipy), not a pyenv one that may be first on PATH. */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function requireTool(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package ${pkg} (see .ci/run)`);
  return path;
}

export function run(cmd: string, args: string[], opts: { input?: string; maxBuffer?: number } = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: opts.maxBuffer ?? 512 * 1024 * 1024, input: opts.input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function python(scriptPath: string, args: string[]): string {
  return run(requireTool(DEBIAN_PYTHON, 'python3'), [scriptPath, ...args]);
}

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(prefix = 'uhf-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** ismrmrd-tools' Shepp-Logan generator: writes `out` with the given options. */
export function generateSheppLogan(out: string, opts: { matrix?: number; coils?: number; oversampling?: number; repetitions?: number; acceleration?: number; calibrationWidth?: number; noiseCalibration?: boolean; noiseLevel?: number }): void {
  const args = ['-o', out];
  if (opts.matrix) args.push('-m', String(opts.matrix));
  if (opts.coils) args.push('-c', String(opts.coils));
  if (opts.oversampling) args.push('-O', String(opts.oversampling));
  if (opts.repetitions) args.push('-r', String(opts.repetitions));
  if (opts.acceleration) args.push('-a', String(opts.acceleration));
  if (opts.calibrationWidth) args.push('-w', String(opts.calibrationWidth));
  if (opts.noiseLevel !== undefined) args.push('-n', String(opts.noiseLevel));
  if (opts.noiseCalibration) args.push('-C');
  run(requireTool('/usr/bin/ismrmrd_generate_cartesian_shepp_logan', 'ismrmrd-tools'), args);
}
