import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UhfError } from '../../shared/errors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { benchFft } from '../bench/fft.ts';
import { benchGlm } from '../bench/glm.ts';
import { benchGpu } from '../bench/gpu.ts';
import { benchPi } from '../bench/pi.ts';
import { benchRecon } from '../bench/recon.ts';
import { renderMarkdown, type Table } from '../bench/report.ts';
import type { Command } from './command.ts';

const SECTIONS = ['fft', 'recon', 'glm', 'pi'] as const;
type Section = (typeof SECTIONS)[number];

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmarks against BART and the ISMRMRD reference recon; writes BENCHMARKS.md',
  help: `usage: uhf bench [--only fft,recon] [--quick] [--out FILE]

Time our FFT against BART (\`bart fft\`, FFTW) and our reconstruction against
libismrmrd's \`ismrmrd_recon_cartesian_2d\`, on the same data in the same run,
plus reading throughput and peak memory on a ≥ 2 GB raw file, and parallel
imaging (GRAPPA, SENSE) against \`bart ecalib\` + \`bart pics\`. Needs Debian's
bart and ismrmrd-tools. Writes the tables to BENCHMARKS.md (or --out).

  --only LIST   comma-separated sections: ${SECTIONS.join(', ')}
  --quick       smaller cases (a smoke run)
  --out FILE    where to write the markdown (default: BENCHMARKS.md in the repo)
  --backend B   webgpu: also time the WebGPU kernels and recon against the CPU
                backend (on a software adapter the numbers say nothing about GPUs)
`,
  async run(argv, io) {
    const { values } = parseArgs({ args: argv, options: { only: { type: 'string' }, quick: { type: 'boolean' }, out: { type: 'string' }, backend: { type: 'string' } } });
    if (values.backend !== undefined && values.backend !== 'cpu' && values.backend !== 'webgpu') {
      throw new UhfError('BAD_ARGUMENT', `--backend must be cpu or webgpu (got '${values.backend}')`);
    }
    const only = (values.only?.split(',') ?? [...SECTIONS]) as Section[];
    for (const s of only) if (!SECTIONS.includes(s)) throw new UhfError('BAD_ARGUMENT', `unknown section '${s}' (${SECTIONS.join(', ')})`);
    const quick = Boolean(values.quick);
    const log = (s: string) => io.stderr(s);
    const tables: Table[] = [];
    if (only.includes('fft')) {
      log('FFT vs bart fft …');
      const rows = await benchFft({ reps: quick ? 3 : 7 });
      tables.push({
        title: 'FFT: ours vs BART (FFTW)',
        note: 'Centred orthonormal FFT (`fftc`), single thread, in memory. BART can only be timed as a whole command, so its time includes start-up and .cfl I/O; `bart scale 1` on the same file is that baseline, and "BART net" subtracts it. Raw FFTW (ctypes, FFTW_ESTIMATE as BART plans) is the pure-compute reference. Ratio < 1: ours is faster.',
        header: ['case', 'ours ms', 'BART cmd ms', 'BART net ms', 'ours / BART net', 'raw FFTW ms', 'rel. L2 vs BART'],
        rows: rows.map((r) => [r.name, r.oursMs, r.bartMs, r.bartNetMs > 0 ? r.bartNetMs : '≤ I/O noise', r.bartNetMs > 0 ? r.ratioNet : '—', r.fftwEstimateMs ?? 'n/a', r.relErr]),
      });
    }
    if (only.includes('recon')) {
      log('reconstruction vs ismrmrd_recon_cartesian_2d …');
      const rows = await benchRecon({ quick, log });
      tables.push({
        title: 'Cartesian reconstruction: ours vs the ISMRMRD C++ reference',
        note: 'Whole commands on the same files (process start, read, recon, write): `uhf recon` vs `ismrmrd_recon_cartesian_2d`. Speed-up > 1: ours is faster. Memory rows: peak resident memory of the whole `uhf recon` process.',
        header: ['case', 'ours s', 'reference s', 'speed-up', 'details'],
        rows: rows.map((r) => [r.name, r.oursSec, r.peerSec ?? '—', r.speedup ?? '—', Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${typeof v === 'number' ? (Number.isInteger(v) ? v : v.toFixed(2)) : v}`).join(', ')]),
      });
    }
    if (only.includes('glm')) {
      log('GLM vs nipy …');
      const rows = await benchGlm({ quick, log });
      tables.push({
        title: 'fMRI GLM: ours vs nipy',
        note: 'Same data, design, mask and contrasts; nipy (Debian python3-nipy) runs in a child process and reports its own fit time. Ratio = ours / nipy (< 1: ours is faster). The 7 T-size row has no peer.',
        header: ['case', 'ours s', 'nipy s', 'ours / nipy', 'details'],
        rows: rows.map((r) => [r.name, r.oursSec, r.peerSec ?? '—', r.ratio ?? '—', Object.entries(r.extra ?? {}).map(([k, v]) => `${k} ${String(v)}`).join(', ')]),
      });
    }
    if (only.includes('pi')) {
      log('parallel imaging vs bart ecalib + pics …');
      const rows = await benchPi({ quick, log });
      tables.push({
        title: 'Parallel imaging: ours vs BART ESPIRiT + pics -l2',
        note: 'Simulated 7 T data (noise scan, oblique slices, 24 embedded ACS lines), the same k-space for both. Ours: `reconstructFile` on the whole file (read, prewhiten, calibrate once per slice, reconstruct, all cores). BART: `ecalib -m1` (once per slice) + `pics -S -l2 -r 0.01` (all frames of a slice in one call) on the prewhitened k-space of each slice, process start and .cfl I/O included. NRMSE: magnitude vs the noise-free truth inside the head, least-squares scale. Ratio = BART s / ours s (> 1: ours is faster; the target is ≥ 10 at equal or better NRMSE).',
        header: ['case', 'ours s', 'BART s', 'BART / ours', 'ours NRMSE', 'BART NRMSE'],
        rows: rows.map((r) => [r.name, r.oursSec, r.bartSec, r.ratio, r.oursNrmse, r.bartNrmse]),
      });
    }
    if (values.backend === 'webgpu') {
      log('WebGPU backend vs CPU …');
      tables.push(...(await benchGpu({ ...(quick ? { quick } : {}), log })).tables);
    }
    const out = values.out ?? join(fileURLToPath(new URL('../../', import.meta.url)), 'BENCHMARKS.md');
    await writeFileAtomic(out, new TextEncoder().encode(renderMarkdown(tables)));
    io.stdout(renderMarkdown(tables));
    io.stderr(`wrote ${out}`);
    return 0;
  },
};
