/**
 * The GPU check, run by scripts/gpu-check/run.sh on a GPU machine (or locally:
 * `node --import ./recon/hosts/register-ts.mjs scripts/gpu-check/check.ts --quick --allow-software`).
 *
 * 1. Prints the adapter first (name, software or not, limits, Vulkan driver note).
 * 2. Parity with the CPU backend: FFTs (non-powers of two, Bluestein lengths,
 *    every axis, batches beyond one dispatch row), the image chain, and a whole
 *    reconstruction (NRMSE ≤ 1e-4). Stops with exit code 1 on any failure.
 * 3. Benchmarks (recon/bench/gpu.ts): batched 2-D FFT of 256² × 32 coils × 64
 *    slices (effective bandwidth vs the GPU's memory bandwidth) and the full
 *    recon of a 32-coil 7 T-like multislice file, both against the CPU backend.
 *
 * Options: --quick (small sizes), --allow-software (run on SwiftShader/lavapipe),
 * --out DIR (results: gpu-check.md, gpu-check.json), --skip-bench, --peak-gbs N.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CpuKernels } from '../../recon/backends/cpu/index.ts';
import { webgpuKernels } from '../../recon/backends/webgpu/kernels.ts';
import { reconstructImageWithKernels } from '../../recon/backends/webgpu/reconstruct-image-gpu.ts';
import { benchGpu, type GpuBenchResult } from '../../recon/bench/gpu.ts';
import { renderMarkdown, type Table } from '../../recon/bench/report.ts';
import { fftc, fftnd } from '../../recon/fft/index.ts';
import { acquireNodeGpu } from '../../recon/hosts/gpu-node.ts';
import { emptyAcquisitionHeader } from '../../recon/io/ismrmrd/acquisition-codec.ts';
import { writeIsmrmrd } from '../../recon/io/ismrmrd/writer.ts';
import { reconstructImage, type ImageRecipe } from '../../recon/pipeline/reconstruct-image.ts';
import { reconstructFile } from '../../recon/pipeline/run.ts';
import { presetParams, simulate } from '../../recon/sim/index.ts';

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean' },
    'allow-software': { type: 'boolean' },
    'skip-bench': { type: 'boolean' },
    out: { type: 'string' },
    'peak-gbs': { type: 'string' },
  },
});
const quick = Boolean(values.quick);
const outDir = values.out ?? process.env['OUT'] ?? 'gpu-check-results';
mkdirSync(outDir, { recursive: true });
const say = (s: string) => console.log(s);

function relL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) {
    num += (a[i]! - b[i]!) ** 2;
    den += b[i]! ** 2;
  }
  return Math.sqrt(num / (den || 1));
}

function signal(len: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  return Float32Array.from({ length: len }, () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

// ---- 1. the adapter --------------------------------------------------------------
const t0 = performance.now();
const acq = await acquireNodeGpu({ software: values['allow-software'] ? 'add' : 'none' });
if (!acq.ok) {
  say(`NO ADAPTER: ${acq.reason}`);
  process.exit(2);
}
const gpu = acq.gpu;
const ad = gpu.adapter;
say(`adapter: ${gpu.label}`);
say(`  vendor=${ad.vendor} architecture=${ad.architecture} device=${ad.device} description=${ad.description} fallback=${ad.isFallbackAdapter}`);
say(`  maxBufferSize=${ad.maxBufferSize} maxStorageBufferBindingSize=${ad.maxStorageBufferBindingSize} maxComputeWorkgroupsPerDimension=${ad.maxComputeWorkgroupsPerDimension}`);
say(`  drivers: ${gpu.driverNote}; node ${process.version}; ${((performance.now() - t0) / 1000).toFixed(2)} s to get the device`);
if (ad.isFallbackAdapter && !values['allow-software']) {
  say('the adapter is a software fallback, not the GPU: check the NVIDIA Vulkan ICD (see README), or pass --allow-software');
  gpu.release();
  process.exit(3);
}

// ---- 2. parity -------------------------------------------------------------------
const failures: string[] = [];
const parityRows: (string | number)[][] = [];
const check = (name: string, err: number, tol: number) => {
  parityRows.push([name, err, tol, err <= tol ? 'ok' : 'FAIL']);
  say(`  ${err <= tol ? 'ok  ' : 'FAIL'} ${name}: ${err.toExponential(2)} (≤ ${tol})`);
  if (!(err <= tol)) failures.push(name);
};
say('parity with the CPU backend:');
const k = webgpuKernels(gpu.device, { description: gpu.label });
const cases: [number[], number[]][] = [
  [[256, 256, 32], [0, 1]],
  [[96, 120, 8], [0, 1]],
  [[196, 13, 6], [0, 1]],
  [[384, 192, 4], [0, 1]],
  [[1000, 7], [0]],
  [[127, 50], [0]],
  [[12, 97, 9], [1]],
  [[16, 16, 16, 6], [0, 1, 2]],
  [[2, 4_200_000], [0]], // 4.2 M lines: more than 65535 workgroups in x
];
for (const [shape, axes] of cases) {
  const total = shape.reduce((a, b) => a * b, 1);
  const x = signal(2 * total, total);
  for (const inverse of [false, true]) {
    const want = x.slice();
    fftnd(want, shape, axes, { inverse });
    const got = await k.checked(() => {
      const a = k.upload(x);
      k.fft(a, shape, axes, { inverse });
      const r = k.read(a);
      k.free(a);
      return r;
    });
    check(`fft ${shape.join('×')} axes ${axes.join(',')}${inverse ? ' inverse' : ''}`, relL2(got, want), 1e-5);
  }
}
// the image chain on a 32-coil image with prewhitening and oversampling removal
{
  const [n0, n1, nc] = [384, 192, 32];
  const data = signal(2 * n0 * n1 * nc, 5);
  fftc(data, [n0, n1, 1, nc], [0, 1]);
  const m = signal(2 * nc * nc, 9);
  const recipe: ImageRecipe = { is3D: false, reconMatrix: [192, 192, 1], gridMatrix: [384, 192, 1], combine: 'rss', partialFourier: 'pocs', keepPhase: false, channelMatrix: { m: Float64Array.from(m), rows: nc, cols: nc } };
  const buffer = { key: { slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0 }, dims: [n0, n1, 1, nc] as [number, number, number, number], data, lineCount: new Uint16Array(n1).fill(1), roRange: [0, n0 - 1] as [number, number], first: emptyAcquisitionHeader() };
  const want = reconstructImage({ ...buffer, data: data.slice() }, recipe).magnitude;
  const got = (await reconstructImageWithKernels(k, buffer, recipe)).magnitude;
  check('image chain 384×192×32 → 192² (whitening, crop, RSS)', relL2(got, want), 1e-5);
  const viaCpuKernels = (await reconstructImageWithKernels(new CpuKernels(), buffer, recipe)).magnitude;
  check('image chain through the CPU KernelSet', relL2(viaCpuKernels, want), 1e-6);
}
k.dispose();
// a whole reconstruction
{
  const dir = join(outDir, 'tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'small.h5');
  const scan = simulate(presetParams('test-small', { coils: 16, matrix: [64, 60], slices: 4 }));
  await writeIsmrmrd(file, scan.header, scan.acquisitions());
  const c = await reconstructFile(file, { backend: 'cpu' });
  const g = await reconstructFile(file, { backend: 'webgpu' });
  say(`  webgpu report: backend=${g.report.backend} (${g.report.backendReason})`);
  if (g.report.backend !== 'webgpu') failures.push('report backend');
  const auto = await reconstructFile(file, { backend: 'auto' });
  say(`  --backend auto chose ${auto.report.backend}: ${auto.report.backendReason}`);
  let worst = 0;
  c.volumes.forEach((v, i) => (worst = Math.max(worst, relL2(g.volumes[i]!.magnitude.data, v.magnitude.data))));
  check('uhf recon webgpu vs cpu (simulated, 16 coils, prewhitened)', worst, 1e-4);
  // parallel imaging: calibrated on the CPU threads, applied with the GPU kernels
  const under = join(dir, 'small-r2.h5');
  const us = simulate(presetParams('test-small', { coils: 16, matrix: [64, 60], slices: 4, acceleration: 2, acsLines: 20 }));
  await writeIsmrmrd(under, us.header, us.acquisitions());
  for (const pi of ['grappa', 'sense'] as const) {
    const cu = await reconstructFile(under, { backend: 'cpu', pi });
    const gu = await reconstructFile(under, { backend: 'webgpu', pi });
    if (gu.report.backend !== 'webgpu') failures.push(`report backend (${pi})`);
    let w = 0;
    cu.volumes.forEach((v, i) => (w = Math.max(w, relL2(gu.volumes[i]!.magnitude.data, v.magnitude.data))));
    check(`uhf recon --pi ${pi} webgpu vs cpu (R = 2, 20 ACS lines)`, w, 1e-4);
  }
}

// ---- 3. benchmarks ---------------------------------------------------------------
let bench: GpuBenchResult | null = null;
const tables: Table[] = [{
  title: 'Parity with the CPU backend',
  note: `Adapter: ${gpu.label}. Relative L2 error (float32) against the CPU backend.`,
  header: ['case', 'rel. L2', 'bound', ''],
  rows: parityRows,
}];
if (!values['skip-bench'] && failures.length === 0) {
  say('benchmarks:');
  bench = await benchGpu({ gpu, quick, log: (s) => say(`  ${s}`), ...(values['peak-gbs'] ? { peakGBs: Number(values['peak-gbs']) } : {}) });
  tables.push(...bench.tables);
}
gpu.release();
const md = renderMarkdown(tables);
say(md);
writeFileSync(join(outDir, 'gpu-check.md'), md);
writeFileSync(join(outDir, 'gpu-check.json'), JSON.stringify({ adapter: gpu.label, adapterInfo: ad, failures, parity: parityRows, fft: bench?.fft, recon: bench?.recon }, null, 2));
say(failures.length ? `FAILED: ${failures.join('; ')}` : `all checks passed (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
process.exitCode = failures.length ? 1 : 0;
