/**
 * FFT benchmark: our fftc vs `bart fft -u <mask>` (FFTW) on the same data.
 *
 * Ours is timed in memory (min over repetitions, after a warm-up), single
 * threaded, with the default backend (WebAssembly SIMD) and with pure JS. BART
 * can only be timed as a whole command, which includes process start, reading
 * the .cfl and writing the result; as an I/O baseline we time `bart scale 1` on
 * the same file (same start-up, read, one pass over the data, write), run
 * alternately with the fft so both see the same machine load. We report the
 * whole-command time (`bartMs`, `ratio`; also with OMP_NUM_THREADS=1) and the
 * baseline-subtracted estimate (`bartNetMs`, `ratioNet`). For reference, raw
 * FFTW (the library BART calls) is also timed in memory through Python ctypes.
 * Each BART output is compared with ours (`relErr`).
 *
 * Run directly: `npx tsx recon/bench/fft.ts`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UhfError } from '../../shared/errors.ts';
import { fftc, ifftc, axesFromBitmask, setFftBackend } from '../fft/index.ts';

export interface FftBenchRow {
  name: string;
  /** Ours, in memory, min over repetitions (single thread). */
  oursMs: number;
  /** Whole `bart fft -u` command, min over repetitions (BART's default OpenMP threads). */
  bartMs: number;
  /** The same with OMP_NUM_THREADS=1. */
  bart1tMs: number;
  /** oursMs / bartMs. */
  ratio: number;
  /** Whole `bart scale 1` command on the same file (start-up + I/O baseline). */
  bartIoMs: number;
  /** max(bartMs - bartIoMs, 0): estimate of BART's FFT compute alone. */
  bartNetMs: number;
  /** oursMs / bartNetMs. */
  ratioNet: number;
  /** Relative L2 difference between our result and BART's. */
  relErr: number;
  /** Ours with the pure-JS backend (no WebAssembly). */
  oursJsMs: number;
  /**
   * Raw FFTW (libfftw3f via Python ctypes, 1 thread, uncentred, unscaled, in
   * memory) with the FFTW_ESTIMATE plan BART uses and with FFTW_MEASURE; null
   * when /usr/bin/python3 + numpy + libfftw3f are not available.
   */
  fftwEstimateMs: number | null;
  fftwMeasureMs: number | null;
}

export interface FftBenchOptions {
  /** Repetitions per measurement (default 7). */
  reps?: number;
  /** bart executable (default $BART or `bart`). */
  bart?: string;
  /** Only run cases whose name includes this string. */
  filter?: string;
  /** Python with numpy used to time raw FFTW via ctypes (default /usr/bin/python3); '' skips it. */
  python?: string;
}

interface Case { name: string; shape: number[]; mask: number; inverse?: boolean }

const CASES: Case[] = [
  { name: '2D 256x256 x32 coils', shape: [256, 256, 32], mask: 3 },
  { name: '2D 256x256 x32 coils inverse', shape: [256, 256, 32], mask: 3, inverse: true },
  { name: '1D readout 256 (256x256x32)', shape: [256, 256, 32], mask: 1 },
  { name: '1D readout 512 (512x128x32)', shape: [512, 128, 32], mask: 1 },
  { name: '1D phase-encode 256 (256x256x32)', shape: [256, 256, 32], mask: 2 },
  { name: '3D 128x128x64 x8 coils', shape: [128, 128, 64, 8], mask: 7 },
  { name: '2D 196x208 x32 coils', shape: [196, 208, 32], mask: 3 },
  { name: '2D 96x120 x32 coils', shape: [96, 120, 32], mask: 3 },
  { name: '2D 240x320 x16 coils', shape: [240, 320, 16], mask: 3 },
  { name: '2D 194x97 x32 coils (Bluestein)', shape: [194, 97, 32], mask: 3 },
];

function writeCfl(base: string, dims: readonly number[], data: Float32Array): void {
  const padded = [...dims];
  while (padded.length < 16) padded.push(1);
  writeFileSync(`${base}.hdr`, `# Dimensions\n${padded.join(' ')}\n`);
  writeFileSync(`${base}.cfl`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

function readCflData(base: string, count: number): Float32Array {
  const buf = readFileSync(`${base}.cfl`);
  if (buf.byteLength !== 8 * count) throw new UhfError('INTERNAL', `${base}.cfl has ${buf.byteLength} bytes, expected ${8 * count}`);
  const out = new Float32Array(2 * count);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Min wall time of each command, running them alternately (so both see the same machine load). */
function timeCommands(exe: string, commands: { args: string[]; env?: Record<string, string> }[], reps: number): number[] {
  const best = commands.map(() => Infinity);
  for (let r = 0; r < reps + 1; r++) {
    commands.forEach(({ args, env }, i) => {
      const t0 = performance.now();
      const res = spawnSync(exe, args, { stdio: 'pipe', env: env ? { ...process.env, ...env } : process.env });
      const dt = performance.now() - t0;
      if (res.error || res.status !== 0) {
        throw new UhfError('BACKEND_UNAVAILABLE', `'${exe} ${args.join(' ')}' failed: ${res.error?.message ?? res.stderr.toString()}`);
      }
      if (r > 0) best[i] = Math.min(best[i]!, dt); // the first round warms the page cache
    });
  }
  return best;
}

const FFTW_SCRIPT = String.raw`
import ctypes, json, sys, time
import numpy as np
cfg = json.loads(sys.argv[1])
lib = ctypes.CDLL('libfftw3f.so.3')
class IoDim(ctypes.Structure):
    _fields_ = [('n', ctypes.c_int), ('is', ctypes.c_int), ('os', ctypes.c_int)]
lib.fftwf_plan_guru_dft.restype = ctypes.c_void_p
lib.fftwf_plan_guru_dft.argtypes = [ctypes.c_int, ctypes.POINTER(IoDim), ctypes.c_int, ctypes.POINTER(IoDim), ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_uint]
lib.fftwf_execute.argtypes = [ctypes.c_void_p]
lib.fftwf_destroy_plan.argtypes = [ctypes.c_void_p]
shape, mask, reps, inverse = cfg['shape'], cfg['mask'], cfg['reps'], cfg['inverse']
strides = []
s = 1
for d in shape:
    strides.append(s); s *= d
a = (np.random.rand(2 * s).astype(np.float32) - 0.5)
tr = [IoDim(shape[i], strides[i], strides[i]) for i in range(len(shape)) if (mask >> i) & 1]
hm = [IoDim(shape[i], strides[i], strides[i]) for i in range(len(shape)) if not (mask >> i) & 1]
out = {}
for name, flag in (('estimate', 1 << 6), ('measure', 0)):
    TA = IoDim * max(len(tr), 1); HA = IoDim * max(len(hm), 1)
    b = a.copy()
    p = lib.fftwf_plan_guru_dft(len(tr), TA(*tr), len(hm), HA(*hm), b.ctypes.data, b.ctypes.data, 1 if inverse else -1, flag)
    b[:] = a
    lib.fftwf_execute(p)
    best = 1e9
    for r in range(reps):
        t0 = time.perf_counter(); lib.fftwf_execute(p); best = min(best, time.perf_counter() - t0)
    lib.fftwf_destroy_plan(p)
    out[name] = best * 1e3
print(json.dumps(out))
`;

/** Times raw FFTW through Python ctypes; null if that is not possible here. */
function timeFftw(python: string, c: Case, reps: number): { estimate: number; measure: number } | null {
  const res = spawnSync(python, ['-c', FFTW_SCRIPT, JSON.stringify({ shape: c.shape, mask: c.mask, reps, inverse: !!c.inverse })], { stdio: 'pipe' });
  if (res.error || res.status !== 0) return null;
  try {
    const o = JSON.parse(res.stdout.toString()) as { estimate: number; measure: number };
    return typeof o.estimate === 'number' && typeof o.measure === 'number' ? o : null;
  } catch {
    return null;
  }
}

function relL2(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i]! - b[i]!; num += d * d; den += b[i]! * b[i]!; }
  return Math.sqrt(num / den);
}

export async function benchFft(options: FftBenchOptions = {}): Promise<FftBenchRow[]> {
  const reps = options.reps ?? 7;
  const python = options.python ?? '/usr/bin/python3';
  const exe = options.bart ?? process.env['BART'] ?? 'bart';
  const probe = spawnSync(exe, ['version'], { stdio: 'pipe' });
  if (probe.error || probe.status !== 0) {
    throw new UhfError('BACKEND_UNAVAILABLE', `bart is needed for the FFT benchmark but '${exe}' could not be run`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'uhf-bench-fft-'));
  const rows: FftBenchRow[] = [];
  try {
    for (const c of CASES) {
      if (options.filter && !c.name.includes(options.filter)) continue;
      const count = c.shape.reduce((a, b) => a * b, 1);
      const x = new Float32Array(2 * count);
      let s = 12345;
      for (let i = 0; i < x.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; x[i] = s / 2147483648 - 1; }
      const inp = join(dir, 'in'), out = join(dir, 'out');
      writeCfl(inp, c.shape, x);
      const axes = axesFromBitmask(c.mask, c.shape.length);
      const f = c.inverse ? ifftc : fftc;

      // Correctness against BART on this very data.
      const bartArgs = ['fft', '-u', ...(c.inverse ? ['-i'] : []), String(c.mask), inp, out];
      const [bartMs, bartIoMs, bart1tMs] = timeCommands(exe, [
        { args: bartArgs },
        { args: ['scale', '1', inp, join(dir, 'io')] },
        { args: bartArgs, env: { OMP_NUM_THREADS: '1' } },
      ], reps) as [number, number, number];
      const bartOut = readCflData(out, count);
      const y = x.slice();
      f(y, c.shape, axes);
      const relErr = relL2(y, bartOut);

      const timeOurs = (): number => {
        let best = Infinity;
        f(y, c.shape, axes); // warm-up
        for (let r = 0; r < reps; r++) {
          const t0 = performance.now();
          f(y, c.shape, axes); // orthonormal: repeated application keeps the data bounded
          best = Math.min(best, performance.now() - t0);
        }
        return best;
      };
      const oursMs = timeOurs();
      const prev = setFftBackend('js');
      let oursJsMs: number;
      try {
        oursJsMs = timeOurs();
      } finally {
        setFftBackend(prev);
      }
      const fftw = python ? timeFftw(python, c, reps) : null;
      const bartNetMs = Math.max(bartMs - bartIoMs, 0);
      rows.push({
        name: c.name, oursMs, bartMs, bart1tMs, ratio: oursMs / bartMs,
        bartIoMs, bartNetMs, ratioNet: bartNetMs > 0 ? oursMs / bartNetMs : Infinity, relErr,
        oursJsMs, fftwEstimateMs: fftw?.estimate ?? null, fftwMeasureMs: fftw?.measure ?? null,
      });
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function fmt(v: number, d = 1): string {
  return Number.isFinite(v) ? v.toFixed(d) : 'inf';
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const filter = process.argv[2];
  const rows = await benchFft(filter ? { filter } : {});
  const cols: [string, number, (r: FftBenchRow) => string][] = [
    ['case', 34, (r) => r.name],
    ['ours', 7, (r) => fmt(r.oursMs)],
    ['oursJS', 7, (r) => fmt(r.oursJsMs)],
    ['bart', 7, (r) => fmt(r.bartMs)],
    ['bart1T', 7, (r) => fmt(r.bart1tMs)],
    ['ratio', 6, (r) => fmt(r.ratio, 2)],
    ['bartIO', 7, (r) => fmt(r.bartIoMs)],
    ['bartNet', 8, (r) => fmt(r.bartNetMs)],
    ['rNet', 6, (r) => fmt(r.ratioNet, 2)],
    ['fftwEst', 8, (r) => (r.fftwEstimateMs === null ? '-' : fmt(r.fftwEstimateMs))],
    ['fftwMeas', 9, (r) => (r.fftwMeasureMs === null ? '-' : fmt(r.fftwMeasureMs))],
    ['relErr', 9, (r) => r.relErr.toExponential(2)],
  ];
  console.log('times in ms, min over repetitions; ours/oursJS in memory, bart = whole command, bartIO = `bart scale 1`, fftw = raw libfftw3f 1 thread');
  console.log(cols.map(([h, w], i) => (i === 0 ? h.padEnd(w) : h.padStart(w))).join(' '));
  for (const r of rows) console.log(cols.map(([, w, g], i) => (i === 0 ? g(r).padEnd(w) : g(r).padStart(w))).join(' '));
}
