/**
 * Reconstruction benchmarks against libismrmrd's C++ reference recon
 * (`ismrmrd_recon_cartesian_2d`, Debian ismrmrd-tools), in the same run on the
 * same files, plus reading throughput and memory on large files.
 *
 * Both sides are timed as whole commands (process start, reading, recon, writing),
 * since the reference can only be run that way; ours is also timed in-process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Acquisition } from '../../shared/ismrmrd.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';
import { writeIsmrmrd } from '../io/ismrmrd/writer.ts';
import { reconstructFile } from '../pipeline/run.ts';
import { presetParams, simulate } from '../sim/index.ts';
import { writeSimulation } from '../cli/simulate.ts';
import type { ReadMemoryReport } from './read-memory.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UHF = join(REPO, 'bin', 'uhf.mjs');
const REGISTER_TS = join(REPO, 'recon', 'hosts', 'register-ts.mjs');

export interface ReconBenchRow {
  name: string;
  detail: string;
  oursSec: number;
  peerSec: number | null;
  /** peerSec / oursSec (> 1: we are faster). */
  speedup: number | null;
  extra?: Record<string, number | string>;
}

function wall(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

function best(n: number, fn: () => number): number {
  let m = Infinity;
  for (let i = 0; i < n; i++) m = Math.min(m, fn());
  return m;
}

function sheppLogan(out: string, matrix: number, coils: number): void {
  execFileSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', String(matrix), '-c', String(coils), '-o', out], { stdio: 'ignore' });
}

/** The C++ reference writes into its input: run it on a fresh copy each time. */
function referenceSeconds(file: string, dir: string): number {
  const copy = join(dir, 'ref-copy.h5');
  copyFileSync(file, copy);
  const t = wall(() => execFileSync('ismrmrd_recon_cartesian_2d', [copy], { stdio: 'ignore' }));
  rmSync(copy, { force: true });
  return t;
}

function oursCommandSeconds(file: string, out: string, args: string[] = []): { sec: number; report: { peakRssMB: number; timingsMs: Record<string, number>; threads: number } } {
  const t0 = performance.now();
  const res = spawnSync(process.execPath, [UHF, 'recon', file, '-o', out, '--json', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const sec = (performance.now() - t0) / 1000;
  if (res.status !== 0) throw new Error(`uhf recon failed: ${res.stderr}`);
  return { sec, report: JSON.parse(res.stdout) };
}

export async function benchRecon(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<ReconBenchRow[]> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'uhf-bench-'));
  const rows: ReconBenchRow[] = [];
  try {
    // 1. Single 2D image, 32 coils: ours vs the C++ reference on the same file.
    for (const m of opts.quick ? [128] : [128, 256]) {
      const f = join(dir, `sl-${m}.h5`);
      sheppLogan(f, m, 32);
      const reps = opts.quick ? 2 : 3;
      const ref = best(reps, () => referenceSeconds(f, dir));
      const ours = best(reps, () => oursCommandSeconds(f, join(dir, 'o.nii.gz')).sec);
      const t0 = performance.now();
      await reconstructFile(f, { workers: 0 });
      const oursInProcess = (performance.now() - t0) / 1000;
      log(`shepp-logan ${m}² × 32 coils: ours ${ours.toFixed(2)} s (in-process ${oursInProcess.toFixed(2)} s), C++ reference ${ref.toFixed(2)} s`);
      rows.push({ name: `2D ${m}²×32 coils, 1 image (whole command)`, detail: `ismrmrd_generate_cartesian_shepp_logan -m ${m} -c 32`, oursSec: ours, peerSec: ref, speedup: ref / ours, extra: { oursInProcessSec: oursInProcess } });
    }
    // 2. 32-coil multislice (the 7 T anatomical preset): the reference recon handles one
    //    2D image per file, so it is timed on single-image files of the same size and
    //    scaled by the number of slices.
    {
      const slices = opts.quick ? 4 : 12;
      const params = presetParams('7t-anat', { slices });
      const f = join(dir, 'anat.h5');
      await writeSimulation(simulate(params), f);
      const { sec, report } = oursCommandSeconds(f, join(dir, 'anat.nii.gz'));
      const one = join(dir, 'sl-one.h5');
      sheppLogan(one, params.matrix[0], params.coils);
      const perImage = best(2, () => referenceSeconds(one, dir));
      const bytes = statSync(f).size;
      log(`7t-anat ${params.matrix.join('×')} × ${params.coils} coils × ${slices} slices: ours ${sec.toFixed(2)} s; reference ≈ ${(perImage * slices).toFixed(2)} s (${perImage.toFixed(2)} s per image)`);
      rows.push({
        name: `2D multislice ${params.matrix.join('×')}×${params.coils} coils×${slices} slices`,
        detail: 'uhf simulate --preset 7t-anat; reference = per-image time × slices',
        oursSec: sec,
        peerSec: perImage * slices,
        speedup: (perImage * slices) / sec,
        extra: { rawMB: bytes / 2 ** 20, peakRssMB: report.peakRssMB, threads: report.threads, acquisitionsPerSec: (params.slices * (params.matrix[1] + 0)) / sec },
      });
    }
    // 3. Throughput and memory on a large file: reading, and a full recon of a ≥ 2 GB file.
    {
      const targetMB = opts.quick ? 400 : 2100;
      const seed = join(dir, 'seed.h5');
      sheppLogan(seed, 256, 32);
      const r = await openIsmrmrd(seed);
      const lines = r.readBlock(0, r.count);
      const xml = r.xml;
      r.close();
      const perRep = lines.reduce((s, a) => s + a.data.byteLength, 0);
      const reps = Math.ceil((targetMB * 2 ** 20) / perRep);
      const big = join(dir, 'big.h5');
      function* many(): Generator<Acquisition> {
        for (let rep = 0; rep < reps; rep++) for (const a of lines) yield { ...a, head: { ...a.head, idx: { ...a.head.idx, repetition: rep } } };
      }
      const patched = xml.replace(/<repetition>\s*<minimum>0<\/minimum>\s*<maximum>\d+<\/maximum>/, `<repetition><minimum>0</minimum><maximum>${reps - 1}</maximum>`);
      await writeIsmrmrd(big, patched, many());
      const bytes = statSync(big).size;
      const readReport = JSON.parse(execFileSync(process.execPath, ['--import', REGISTER_TS, join(REPO, 'recon', 'bench', 'read-memory.ts'), big], { encoding: 'utf8' })) as ReadMemoryReport;
      log(`read ${(bytes / 2 ** 20).toFixed(0)} MB: ${readReport.acquisitionsPerSec.toFixed(0)} acquisitions/s, WASM heap ${readReport.wasmHeapStartMB.toFixed(0)} → ${readReport.wasmHeapEndMB.toFixed(0)} MB, RSS peak ${readReport.rssPeakMB.toFixed(0)} MB`);
      rows.push({
        name: `read ${(bytes / 2 ** 20).toFixed(0)} MB ISMRMRD (${readReport.rows} acquisitions of 32×512)`,
        detail: 'streamed, blocks of 256',
        oursSec: readReport.seconds,
        peerSec: null,
        speedup: null,
        extra: { acquisitionsPerSec: Math.round(readReport.acquisitionsPerSec), MBPerSec: Math.round(readReport.bytes / 2 ** 20 / readReport.seconds), wasmHeapGrowthMB: readReport.wasmHeapEndMB - readReport.wasmHeapStartMB, rssPeakMB: readReport.rssPeakMB },
      });
      const { sec, report } = oursCommandSeconds(big, join(dir, 'big.nii.gz'));
      const outMB = (256 * 256 * reps * 4) / 2 ** 20;
      log(`recon ${(bytes / 2 ** 20).toFixed(0)} MB: ${sec.toFixed(1)} s, peak RSS ${report.peakRssMB.toFixed(0)} MB (output ${outMB.toFixed(0)} MB)`);
      rows.push({
        name: `full recon of a ${(bytes / 2 ** 30).toFixed(2)} GB file (${reps} frames of 256²×32 coils)`,
        detail: 'peak RSS of the whole process vs raw size',
        oursSec: sec,
        peerSec: null,
        speedup: null,
        extra: { rawMB: Math.round(bytes / 2 ** 20), peakRssMB: Math.round(report.peakRssMB), outputMB: Math.round(outMB), acquisitionsPerSec: Math.round((lines.length * reps) / sec), voxelsPerSec: Math.round((256 * 256 * reps) / sec) },
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
