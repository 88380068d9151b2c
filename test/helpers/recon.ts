/**
 * Helpers for the reconstruction tests: libismrmrd's reference recon and the
 * arrays its Shepp-Logan generator stores, the `uhf` CLI as a subprocess, and
 * plain numerical comparisons (float64, no fitted scale unless asked).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Acquisition } from '../../shared/ismrmrd.ts';
import { DEBIAN_PYTHON, requireTool, run } from './peers.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Read raw little-endian float32 written by numpy's tofile(). */
function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export interface ReferenceRecon {
  /** libismrmrd's image (/dataset/cpp/data), x fastest: [ny][nx] in C order. */
  image: Float32Array;
  /** Its shape as h5py reports it, e.g. [1, 1, 1, ny, nx]. */
  shape: number[];
}

/**
 * Run libismrmrd's `ismrmrd_recon_cartesian_2d` on a COPY of `file` (it appends
 * its image to the file it reads) and return /dataset/cpp/data as read by h5py.
 */
export function referenceRecon(file: string): ReferenceRecon {
  const copy = `${file}.ref.h5`;
  copyFileSync(file, copy);
  run(requireTool('/usr/bin/ismrmrd_recon_cartesian_2d', 'ismrmrd-tools'), [copy]);
  const bin = `${copy}.f32`;
  const shape = JSON.parse(run(DEBIAN_PYTHON, ['-c', `
import h5py, json, numpy as np
d = np.asarray(h5py.File(${JSON.stringify(copy)}, 'r')['dataset/cpp/data'][...])
d.astype('<f4').tofile(${JSON.stringify(bin)})
print(json.dumps(list(d.shape)))`])) as number[];
  return { image: readF32(bin), shape };
}

export interface GeneratorArrays {
  /** |phantom| [m][m] (x fastest). */
  phantom: Float32Array;
  /** sqrt(Σ_c |csm_c|²) [m][m] (x fastest). */
  csmRss: Float32Array;
  m: number;
}

/** The ground truth that ismrmrd_generate_cartesian_shepp_logan stores beside the data. */
export function generatorArrays(file: string): GeneratorArrays {
  const base = `${file}.arrays`;
  const m = Number(run(DEBIAN_PYTHON, ['-c', `
import h5py, numpy as np
f = h5py.File(${JSON.stringify(file)}, 'r')
p = f['dataset/phantom'][...][0]
c = f['dataset/csm'][...][0]
np.abs(p['real'] + 1j * p['imag']).astype('<f4').tofile(${JSON.stringify(`${base}.phantom`)})
np.sqrt((c['real'].astype(float) ** 2 + c['imag'].astype(float) ** 2).sum(0)).astype('<f4').tofile(${JSON.stringify(`${base}.csm`)})
print(p.shape[0])`]).trim());
  return { phantom: readF32(`${base}.phantom`), csmRss: readF32(`${base}.csm`), m };
}

/**
 * Whiten every readout of an ISMRMRD file in place with numpy, independently of our
 * code: Ψ = (1/N)·Σ n·nᴴ over the noise readouts, W = s·inv(chol(Ψ)). Returns nothing;
 * libismrmrd's reference recon of the result is the reference for our prewhitened recon.
 */
export function whitenWithNumpy(file: string, scale: number): void {
  run(DEBIAN_PYTHON, ['-c', `
import h5py, numpy as np
f = h5py.File(${JSON.stringify(file)}, 'r+')
d = f['dataset/data']
rows = d[...]
h = rows['head']
noise = (h['flags'] & (1 << 18)) != 0
def cx(i):
    v = rows[i]['data'].astype(np.float64).reshape(int(h['active_channels'][i]), int(h['number_of_samples'][i]), 2)
    return v[..., 0] + 1j * v[..., 1]
n = np.concatenate([cx(i) for i in np.nonzero(noise)[0]], axis=1)
W = ${scale} * np.linalg.inv(np.linalg.cholesky(n @ n.conj().T / n.shape[1]))
for i in range(len(rows)):
    y = W @ cx(i)
    rows[i]['data'] = np.stack([y.real, y.imag], axis=-1).astype(np.float32).ravel()
d[...] = rows
f.close()`]);
}

// ------------------------------------------------------------------ numbers

/** ‖a − b‖ / ‖b‖ (no rescaling), float64. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`relErr: lengths ${a.length} and ${b.length}`);
  let e = 0, t = 0;
  for (let i = 0; i < a.length; i++) {
    e += (a[i]! - b[i]!) ** 2;
    t += b[i]! ** 2;
  }
  return Math.sqrt(e / t);
}

/** ‖a − b‖ (float64). */
export function l2Dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < a.length; i++) e += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(e);
}

export function l2Norm(a: ArrayLike<number>): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i]! ** 2;
  return Math.sqrt(t);
}

/** Least-squares scale s minimising ‖s·a − b‖. */
export function lsScale(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
  }
  return ab / aa;
}

export function scaled(a: ArrayLike<number>, s: number): Float64Array {
  return Float64Array.from(a as ArrayLike<number>, (v) => v * s);
}

/** Pearson correlation over the indices where `mask` is true (all when omitted). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>, mask?: (i: number) => boolean): number {
  let n = 0, sa = 0, sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask(i)) continue;
    n++;
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n, mb = sb / n;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    if (mask && !mask(i)) continue;
    const x = a[i]! - ma, y = b[i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return ab / Math.sqrt(aa * bb);
}

/** A deep-enough copy of an acquisition for tests that tamper with headers. */
export function cloneAcquisition(a: Acquisition): Acquisition {
  return { head: { ...a.head, idx: { ...a.head.idx, user: [...a.head.idx.user] }, position: [...a.head.position], readDir: [...a.head.readDir], phaseDir: [...a.head.phaseDir], sliceDir: [...a.head.sliceDir] }, traj: a.traj, data: a.data };
}

// ------------------------------------------------------------------ CLI

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/uhf.mjs ARGS` from the repository root. Never throws on a non-zero exit. */
export function uhf(args: readonly string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'uhf.mjs'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
    env: opts.env ?? { ...process.env, UHF_DEBUG: '' },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * The same command line through the CLI's `main` in this process (no subprocess
 * start-up: for long lists of usage errors). stdout/stderr get what the process
 * would print; status is main's exit code.
 */
export async function uhfInProcess(args: readonly string[]): Promise<CliResult> {
  const { main } = await import('../../recon/cli/main.ts');
  let stdout = '';
  let stderr = '';
  const status = await main([...args], {
    stdout: (t) => { stdout += t.endsWith('\n') ? t : `${t}\n`; },
    stderr: (t) => { stderr += t.endsWith('\n') ? t : `${t}\n`; },
    stderrIsTty: false,
  });
  return { status, stdout, stderr };
}

/** Lines of text without the trailing empty one. */
export function lines(text: string): string[] {
  return text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

/** Files in `dir` (for "nothing left behind" checks: temp files start with a dot). */
export function listDir(dir: string): string[] {
  return readdirSync(dir).sort();
}
