/**
 * GPU benchmark: the WebGPU backend against the CPU backend on the same data,
 * in the same process.
 *
 * 1. Batched 2-D FFT (default 256² × 32 coils × 64 slices = 1 GiB complex64):
 *    upload and read-back throughput, the transform with data resident on the
 *    GPU (median of `reps`), its effective bandwidth (one read + one write of
 *    the array per transformed axis, the minimum any FFT moves) and the traffic
 *    of our kernels (one read + write per Stockham stage), both as a fraction of
 *    the GPU's memory bandwidth when known (--peak-gbs, or the name of an NVIDIA
 *    H100 / H200 in the adapter). The CPU backend (single thread, WebAssembly)
 *    is timed on one slice and scaled. Parity (relative L2) on one slice.
 * 2. Full reconstruction of a 32-coil 7 T-like multislice file (simulated
 *    '7t-anat' preset unless --file is given): `--backend cpu` (worker
 *    threads) vs `--backend webgpu`, wall time, images/s and NRMSE.
 *
 * Run: node --import ./recon/hosts/register-ts.mjs recon/bench/gpu.ts [options]
 * (also used by scripts/gpu-check). Timings on a software adapter
 * (SwiftShader) say nothing about GPUs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { CpuKernels } from '../backends/cpu/index.ts';
import { gpuFftPlan } from '../backends/webgpu/fft-plan.ts';
import { webgpuKernels, type WebGpuKernels } from '../backends/webgpu/kernels.ts';
import { acquireNodeGpu, type NodeGpu } from '../hosts/gpu-node.ts';
import { writeIsmrmrd } from '../io/ismrmrd/writer.ts';
import { reconstructFile } from '../pipeline/run.ts';
import { presetParams, simulate } from '../sim/index.ts';
import { machineLine, renderMarkdown, type Table } from './report.ts';

export interface GpuBenchOptions {
  /** FFT size n (n × n images). Default 256. */
  n?: number;
  coils?: number;
  slices?: number;
  reps?: number;
  /** Skip the whole-reconstruction benchmark. */
  skipRecon?: boolean;
  /** Skip the FFT benchmark. */
  skipFft?: boolean;
  /** FFT kernels to time (default: both on a GPU, 'stages' on a software adapter). */
  fftKernels?: ('fused' | 'stages')[];
  /** An ISMRMRD file to reconstruct instead of the simulated 7 T file. */
  file?: string;
  /** Simulator preset for the reconstruction (default '7t-anat': 192², 12 slices, 32 coils). */
  preset?: string;
  /** Smaller everything (software drivers, smoke runs). */
  quick?: boolean;
  /** The GPU's memory bandwidth in GB/s, when the adapter name does not say. */
  peakGBs?: number;
  log?: (s: string) => void;
  /** A device to use (else one is acquired and released). */
  gpu?: NodeGpu;
}

export interface FftBenchResult {
  /** 'fused' (one pass per axis in workgroup memory) or 'stages' (one pass per Stockham stage). */
  kernels: 'fused' | 'stages';
  shape: [number, number, number];
  bytes: number;
  uploadGBs: number;
  readbackGBs: number;
  gpuMs: number;
  effectiveGBs: number;
  trafficGBs: number;
  passes: number;
  peakGBs: number | null;
  cpuMsScaled: number;
  speedup: number;
  relL2: number;
}

export interface ReconBenchResult {
  /** 'fully sampled', 'GRAPPA R = 3', … */
  label: string;
  file: string;
  images: number;
  cpuSec: number;
  gpuSec: number;
  speedup: number;
  nrmse: number;
  gpuBackend: string;
  cpuThreads: number;
}

export interface GpuBenchResult {
  adapter: string;
  limits: Record<string, number>;
  fft?: FftBenchResult[];
  recon?: ReconBenchResult[];
  tables: Table[];
}

/** Memory bandwidth of known GPUs, GB/s (vendor figures). */
const KNOWN_BANDWIDTH: [RegExp, number][] = [
  [/H200/i, 4800],
  [/H100.*(PCIe|PCI)/i, 2000],
  [/H100.*NVL/i, 3900],
  [/H100/i, 3350],
  [/A100.*80/i, 2039],
  [/A100/i, 1555],
  [/L40S/i, 864],
  [/RTX 4090/i, 1008],
];

export function knownBandwidthGBs(name: string): number | null {
  for (const [re, gbs] of KNOWN_BANDWIDTH) if (re.test(name)) return gbs;
  return null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

/** A deterministic test signal, filled fast (a random block repeated with a varying phase is not needed for timing). */
function signal(floats: number): Float32Array {
  const x = new Float32Array(floats);
  const block = Math.min(floats, 1 << 16);
  let s = 12345;
  for (let i = 0; i < block; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  for (let at = block; at < floats; at += block) x.copyWithin(at, 0, Math.min(block, floats - at));
  return x;
}

async function timed(k: WebGpuKernels, f: () => void): Promise<number> {
  await k.flush();
  const t0 = performance.now();
  f();
  await k.flush();
  return performance.now() - t0;
}

async function benchFft(k: WebGpuKernels, variant: 'fused' | 'stages', o: Required<Pick<GpuBenchOptions, 'n' | 'coils' | 'slices' | 'reps'>> & { peakGBs: number | null; log: (s: string) => void }): Promise<FftBenchResult> {
  const { n, coils, slices, reps } = o;
  const batch = coils * slices;
  const shape: [number, number, number] = [n, n, batch];
  const floats = 2 * n * n * batch;
  const bytes = 4 * floats;
  o.log(`FFT (${variant} kernels): ${n}² × ${coils} coils × ${slices} slices (${(bytes / 2 ** 30).toFixed(2)} GiB complex64)`);
  const x = signal(floats);
  await k.flush();
  let t0 = performance.now();
  const a = k.upload(x);
  await k.flush();
  const uploadMs = performance.now() - t0;
  k.fft(a, shape, [0, 1]); // warm-up: pipelines, tables
  await k.flush();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(await timed(k, () => k.fft(a, shape, [0, 1], { inverse: r % 2 === 1 })));
  const gpuMs = median(times);
  k.free(a);
  // parity: a fresh copy, one forward transform, read back; slice 0 against the CPU backend
  const b = k.upload(x);
  k.fft(b, shape, [0, 1]);
  await k.flush();
  t0 = performance.now();
  const y = await k.read(b);
  const readMs = performance.now() - t0;
  k.free(b);
  const cpu = new CpuKernels();
  const sliceFloats = 2 * n * n * coils;
  const xs = x.subarray(0, sliceFloats);
  let want: Float32Array = new Float32Array(0);
  const cpuTimes: number[] = [];
  for (let r = 0; r < Math.max(1, Math.min(3, reps)); r++) {
    const c = cpu.upload(xs);
    const t = performance.now();
    cpu.fft(c, [n, n, coils], [0, 1]);
    cpuTimes.push(performance.now() - t);
    want = await cpu.read(c);
  }
  const err = relL2(y.subarray(0, sliceFloats), want);
  const cpuMsScaled = Math.min(...cpuTimes) * slices;
  const fusedBefore = k.counters.fusedFfts;
  const probe = k.zeros(2 * n * n);
  k.fft(probe, [n, n], [0, 1]);
  k.free(probe);
  const fusedAxes = k.counters.fusedFfts - fusedBefore;
  let passes = fusedAxes;
  for (const len of [n, n].slice(fusedAxes)) {
    const p = gpuFftPlan(len);
    passes += p.kind === 'stockham' ? p.stages.length : 2 * p.inner.stages.length + 3;
  }
  const effectiveGBs = (2 * 2 * bytes) / (gpuMs * 1e6);
  const trafficGBs = (2 * passes * bytes) / (gpuMs * 1e6);
  return {
    kernels: variant,
    shape, bytes,
    uploadGBs: bytes / (uploadMs * 1e6),
    readbackGBs: bytes / (readMs * 1e6),
    gpuMs, effectiveGBs, trafficGBs, passes,
    peakGBs: o.peakGBs,
    cpuMsScaled,
    speedup: cpuMsScaled / gpuMs,
    relL2: err,
  };
}

/** The recon cases: the fully sampled file, and the same protocol at R = 3 with 24 embedded ACS lines through GRAPPA and SENSE. */
const RECON_CASES: { label: string; acceleration: number; pi: 'none' | 'grappa' | 'sense' }[] = [
  { label: 'fully sampled', acceleration: 1, pi: 'none' },
  { label: 'GRAPPA R = 3, 24 ACS', acceleration: 3, pi: 'grappa' },
  { label: 'SENSE R = 3, 24 ACS', acceleration: 3, pi: 'sense' },
];

async function benchRecon(o: GpuBenchOptions & { log: (s: string) => void }, c: (typeof RECON_CASES)[number]): Promise<ReconBenchResult> {
  let dir: string | null = null;
  let file = o.file;
  const pi = o.file ? 'auto' : c.pi;
  try {
    if (!file) {
      dir = mkdtempSync(join(tmpdir(), 'uhf-gpu-bench-'));
      file = join(dir, 'scan.h5');
      const size = o.quick ? { matrix: [96, 96] as [number, number], slices: 4, coils: 32 } : {};
      const overrides = { ...size, ...(c.acceleration > 1 ? { acceleration: c.acceleration, acsLines: 24 } : {}) };
      const params = presetParams(o.preset ?? '7t-anat', overrides);
      o.log(`simulating ${params.name}: ${params.matrix.join('×')}, ${params.slices} slices, ${params.coils} coils, ${params.readoutOversampling}× readout oversampling …`);
      const scan = simulate(params);
      await writeIsmrmrd(file, scan.header, scan.acquisitions());
    }
    o.log(`reconstructing ${file} on the CPU …`);
    let t0 = performance.now();
    const cpu = await reconstructFile(file, { backend: 'cpu', pi });
    const cpuSec = (performance.now() - t0) / 1000;
    o.log('… and on WebGPU (a warm-up run, then the timed run)');
    await reconstructFile(file, { backend: 'webgpu', pi });
    t0 = performance.now();
    const gpu = await reconstructFile(file, { backend: 'webgpu', pi });
    const gpuSec = (performance.now() - t0) / 1000;
    let num = 0, den = 0;
    cpu.volumes.forEach((v, i) => {
      const g = gpu.volumes[i]!.magnitude.data;
      for (let j = 0; j < v.magnitude.data.length; j++) {
        num += (g[j]! - v.magnitude.data[j]!) ** 2;
        den += v.magnitude.data[j]! ** 2;
      }
    });
    return {
      label: o.file ? (cpu.report.parallelImaging?.method ?? 'fully sampled') : c.label,
      file,
      images: cpu.report.counts.images,
      cpuSec, gpuSec,
      speedup: cpuSec / gpuSec,
      nrmse: Math.sqrt(num / (den || 1)),
      gpuBackend: `${gpu.report.backend} (${gpu.report.backendDevice})`,
      cpuThreads: cpu.report.threads,
    };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGpu(opts: GpuBenchOptions = {}): Promise<GpuBenchResult> {
  const log = opts.log ?? (() => {});
  let owned: NodeGpu | null = null;
  let gpu = opts.gpu;
  if (!gpu) {
    const r = await acquireNodeGpu({ software: 'add' });
    if (!r.ok) throw new Error(r.reason);
    gpu = owned = r.gpu;
  }
  const a = gpu.adapter;
  const peak = opts.peakGBs ?? knownBandwidthGBs(`${a.device} ${a.description}`);
  const limits = {
    maxBufferSize: a.maxBufferSize,
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
  };
  const result: GpuBenchResult = { adapter: gpu.label, limits, tables: [] };
  if (!opts.skipFft) {
    const variants: ('fused' | 'stages')[] = opts.fftKernels ?? (a.isFallbackAdapter ? ['stages'] : ['fused', 'stages']);
    const rows: FftBenchResult[] = [];
    for (const variant of variants) {
      const k = webgpuKernels(gpu.device, { description: gpu.label, fftKernel: variant });
      try {
        rows.push(await benchFft(k, variant, {
          n: opts.n ?? (opts.quick ? 128 : 256),
          coils: opts.coils ?? (opts.quick ? 8 : 32),
          slices: opts.slices ?? (opts.quick ? 2 : 64),
          reps: opts.reps ?? (opts.quick ? 3 : 7),
          peakGBs: peak,
          log,
        }));
      } finally {
        k.dispose();
      }
    }
    result.fft = rows;
    const f0 = rows[0]!;
    const pct = (gbs: number) => (peak ? `${gbs.toFixed(0)} GB/s (${((100 * gbs) / peak).toFixed(0)} % of ${peak})` : `${gbs.toFixed(1)} GB/s`);
    result.tables.push({
      title: `Batched 2-D FFT on WebGPU: ${f0.shape[0]}² × ${f0.shape[2]} (${(f0.bytes / 2 ** 30).toFixed(2)} GiB complex64)`,
      note: `Adapter: ${gpu.label}. Data resident on the GPU; median of the timed transforms (forward/inverse, centred, orthonormal). Effective bandwidth: one read + one write of the array per axis (2 axes); kernel traffic: one read + write per pass ('fused': one pass per axis in workgroup memory; 'stages': one pass per Stockham stage). CPU backend: ${machineLine()}, one thread, one slice timed and scaled. Speed-up > 1: the GPU is faster.`,
      header: ['kernels', 'passes', 'GPU ms', 'effective bandwidth', 'kernel traffic', 'CPU ms (scaled)', 'speed-up', 'upload GB/s', 'read-back GB/s', 'rel. L2 vs CPU'],
      rows: rows.map((f) => [f.kernels, f.passes, f.gpuMs, pct(f.effectiveGBs), pct(f.trafficGBs), f.cpuMsScaled, f.speedup, f.uploadGBs, f.readbackGBs, f.relL2]),
    });
  }
  try {
    if (!opts.skipRecon) {
      const rs: ReconBenchResult[] = [];
      for (const c of opts.file ? RECON_CASES.slice(0, 1) : RECON_CASES) rs.push(await benchRecon({ ...opts, log }, c));
      result.recon = rs;
      const r0 = rs[0]!;
      result.tables.push({
        title: 'Whole reconstruction: --backend webgpu vs --backend cpu',
        note: `${r0.file.includes('uhf-gpu-bench-') ? `Simulated ${opts.preset ?? '7t-anat'}${opts.quick ? ' (quick: 96², 4 slices)' : ''}` : r0.file}, in-process \`reconstructFile\` (read, prewhiten, [calibrate on the CPU threads, apply GRAPPA / SENSE], FFT, crop, combine; no NIfTI writing). CPU: ${r0.cpuThreads} worker threads. WebGPU: second run (pipelines compiled).`,
        header: ['case', 'images', 'CPU s', 'WebGPU s', 'speed-up', 'images/s (GPU)', 'NRMSE GPU vs CPU', 'backend'],
        rows: rs.map((r) => [r.label, r.images, r.cpuSec, r.gpuSec, r.speedup, r.images / r.gpuSec, r.nrmse, r.gpuBackend]),
      });
    }
  } finally {
    owned?.release();
  }
  return result;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      backend: { type: 'string' },
      quick: { type: 'boolean' },
      n: { type: 'string' },
      coils: { type: 'string' },
      slices: { type: 'string' },
      reps: { type: 'string' },
      file: { type: 'string' },
      preset: { type: 'string' },
      'skip-recon': { type: 'boolean' },
      'skip-fft': { type: 'boolean' },
      'peak-gbs': { type: 'string' },
      json: { type: 'string' },
    },
  });
  if (values.backend && values.backend !== 'webgpu') {
    console.error('recon/bench/gpu.ts benchmarks --backend webgpu against the CPU backend');
    return 1;
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const res = await benchGpu({
    quick: Boolean(values.quick),
    ...(values.n ? { n: num(values.n)! } : {}),
    ...(values.coils ? { coils: num(values.coils)! } : {}),
    ...(values.slices ? { slices: num(values.slices)! } : {}),
    ...(values.reps ? { reps: num(values.reps)! } : {}),
    ...(values.file ? { file: values.file } : {}),
    ...(values.preset ? { preset: values.preset } : {}),
    ...(values['peak-gbs'] ? { peakGBs: num(values['peak-gbs'])! } : {}),
    skipRecon: Boolean(values['skip-recon']),
    skipFft: Boolean(values['skip-fft']),
    log: (s) => console.error(s),
  });
  console.log(renderMarkdown(res.tables));
  if (values.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(values.json, JSON.stringify({ ...res, tables: undefined }, null, 2));
  }
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
