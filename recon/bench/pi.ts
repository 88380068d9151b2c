/**
 * Parallel imaging: ours (GRAPPA and SENSE through reconstructFile, the whole
 * file, all cores) against BART (`bart ecalib -m1` + `bart pics -S -l2 -r λ`,
 * slice by slice) on the SAME k-space, timed and scored against the noise-free
 * truth. `uhf bench --only pi [--quick]` prints and writes the table.
 *
 * Data: the simulator's 7 T presets (oblique slices, a noise scan, correlated
 * receiver noise), undersampled along ky with 24 embedded ACS lines: anatomical
 * 192² × 32 coils × 12 slices at R = 3 and 2, and an fMRI run (64² × 16 coils ×
 * 12 slices × 20 frames, R = 2) where both calibrate once per slice (BART: ecalib
 * on the first frame, one pics call on all frames of the slice).
 * BART gets, per slice, the k-space exactly as the pipeline sees it: every
 * acquired line (lattice and ACS) of the encoded (readout-oversampled) grid,
 * prewhitened with the pipeline's whitener (the noise scan's covariance, the
 * same bandwidth scale); its image is cropped to the recon FOV as ours is.
 *
 * Truth. After prewhitening with W, the coil sensitivities are W·S, so the
 * noise-free recon of the fully sampled data (RSS, or SENSE/pics with
 * normalised ESPIRiT maps) is |image|·‖W·S‖ (truth.image × the whitened coil
 * RSS), not |image|·‖S‖. Magnitudes are compared inside the head mask
 * (truth.image > 0) after a least-squares scale (recon/sim compareToTruth).
 *
 * These helpers are also used by test/pipeline/pi-*.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasFlag } from '../../shared/ismrmrd.ts';
import { NoiseCovariance, prewhitener, DEFAULT_RECEIVER_NOISE_BANDWIDTH } from '../algorithms/noise-prewhitening.ts';
import { applyChannelMatrix } from '../linalg/apply.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';
import { writeIsmrmrd } from '../io/ismrmrd/writer.ts';
import { reconstructFile } from '../pipeline/run.ts';
import { compareToTruth, presetParams, simulate, type PresetName, type SimParams, type SimulatedScan } from '../sim/index.ts';

// ------------------------------------------------------------------ .cfl

/** Writes BART's `base`.hdr/.cfl (complex float32, fastest dim first). */
export function writeCfl(base: string, dims: readonly number[], data: Float32Array): void {
  const padded = [...dims];
  while (padded.length < 16) padded.push(1);
  writeFileSync(`${base}.hdr`, `# Dimensions\n${padded.join(' ')}\n`);
  writeFileSync(`${base}.cfl`, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

export function readCfl(base: string): { dims: number[]; data: Float32Array } {
  const hdr = readFileSync(`${base}.hdr`, 'utf8').split('\n');
  const line = hdr[hdr.findIndex((l) => l.trim() === '# Dimensions') + 1] ?? '';
  const dims = line.trim().split(/\s+/).map(Number);
  const buf = readFileSync(`${base}.cfl`);
  const data = new Float32Array(buf.byteLength / 4);
  new Uint8Array(data.buffer).set(buf);
  return { dims, data };
}

export function bartExe(): string {
  return process.env['BART'] ?? 'bart';
}

export function runBart(args: readonly string[]): void {
  execFileSync(bartExe(), args, { stdio: 'pipe' });
}

// ------------------------------------------------------------------ data

export interface SliceKspace {
  /** [nx_e, ny, 1, nc] interleaved complex, every acquired line, prewhitened. */
  kspace: Float32Array;
  dims: [number, number, number, number];
  /** Lines present (e1). */
  mask: Uint8Array;
}

export interface WhitenedFile {
  /** The pipeline's whitener W (complex nc×nc, row-major), or null when the file has no noise scan. */
  W: Float64Array | null;
  channels: number;
  /** Per slice (idx.slice), repetition `rep`. */
  slices: SliceKspace[];
}

/**
 * Every acquired line of repetition `rep` of an ISMRMRD file (2D multislice,
 * full readouts; a separate calibration scan counts as repetition 0's),
 * prewhitened as the pipeline does: Ψ from the noise readouts,
 * W = s·L⁻¹ with s the dwell/bandwidth scale (noise-prewhitening.ts). The last
 * readout of a line wins.
 */
export async function whitenedKspace(file: string, rep = 0): Promise<WhitenedFile> {
  const r = await openIsmrmrd(file);
  try {
    const enc = r.header.encoding[0]!;
    const nx = enc.encodedSpace.matrixSize.x, ny = enc.encodedSpace.matrixSize.y;
    const nSlices = (enc.encodingLimits.slice?.maximum ?? 0) + 1;
    const rnb = r.header.acquisitionSystemInformation?.relativeReceiverNoiseBandwidth ?? DEFAULT_RECEIVER_NOISE_BANDWIDTH;
    let cov: NoiseCovariance | null = null;
    let W: Float64Array | null = null;
    let decided = false;
    let nc = 0;
    const slices: SliceKspace[] = [];
    for (const block of r.blocks()) {
      for (const a of block.acquisitions) {
        const h = a.head;
        if (hasFlag(h.flags, 'IS_NOISE_MEASUREMENT')) {
          cov ??= new NoiseCovariance(h.activeChannels);
          cov.add(a.data, h.activeChannels, h.numberOfSamples, h.sampleTimeUs);
          continue;
        }
        if (h.idx.repetition !== rep) continue;
        nc = h.activeChannels;
        if (!decided) {
          decided = true;
          if (cov && cov.channelSigmas().some((s) => s > 0)) W = prewhitener(cov, { dataDwellUs: h.sampleTimeUs, receiverNoiseBandwidth: rnb }).matrix;
        }
        if (h.numberOfSamples !== nx) throw new Error(`whitenedKspace: readouts of ${h.numberOfSamples} samples, matrix ${nx}`);
        const s = h.idx.slice;
        while (slices.length <= s) slices.push({ kspace: new Float32Array(2 * nx * ny * nc), dims: [nx, ny, 1, nc], mask: new Uint8Array(ny) });
        const dst = slices[s]!;
        const line = W ? applyChannelMatrix(W, nc, nc, a.data, nx, new Float32Array(a.data.length)) : a.data;
        const y = h.idx.kspaceEncodeStep1;
        for (let c = 0; c < nc; c++) dst.kspace.set(line.subarray(2 * nx * c, 2 * nx * (c + 1)), 2 * nx * (y + ny * c));
        dst.mask[y] = 1;
      }
    }
    if (slices.length !== nSlices) throw new Error(`whitenedKspace: ${slices.length} slices found, header says ${nSlices}`);
    return { W, channels: nc, slices };
  } finally {
    r.close();
  }
}

/**
 * The noise-free truth of a prewhitened recon of repetition `rep`: |frame(rep)|·‖W·S‖
 * on the recon grid [x y z] (z = idx.slice), W = identity when null.
 */
export function whitenedTruth(scan: SimulatedScan, W: Float64Array | null, rep = 0): Float64Array {
  const maps = scan.truth.coilMaps();
  const [nx, ny, nz, nc] = maps.dims;
  const n = nx * ny * nz;
  const img = scan.params.repetitions === 1 ? scan.truth.image.data : scan.truth.frame(rep).data;
  const out = new Float64Array(n);
  const s = new Float64Array(2 * nc);
  for (let p = 0; p < n; p++) {
    if (img[p] === 0) continue;
    for (let c = 0; c < nc; c++) {
      s[2 * c] = maps.data[2 * (p + n * c)]!;
      s[2 * c + 1] = maps.data[2 * (p + n * c) + 1]!;
    }
    let e = 0;
    for (let a = 0; a < nc; a++) {
      let re = 0, im = 0;
      if (!W) {
        re = s[2 * a]!;
        im = s[2 * a + 1]!;
      } else {
        for (let b = 0; b <= a; b++) {
          const wr = W[2 * (a * nc + b)]!, wi = W[2 * (a * nc + b) + 1]!;
          re += wr * s[2 * b]! - wi * s[2 * b + 1]!;
          im += wr * s[2 * b + 1]! + wi * s[2 * b]!;
        }
      }
      e += re * re + im * im;
    }
    out[p] = img[p]! * Math.sqrt(e);
  }
  return out;
}

/** 1 where the object is (truth.image > 0). */
export function headMask(scan: SimulatedScan): Uint8Array {
  return Uint8Array.from(scan.truth.image.data, (v) => (v > 0 ? 1 : 0));
}

/** NRMSE after the least-squares scale, over `mask`. */
export function maskedNrmse(recon: ArrayLike<number>, truth: ArrayLike<number>, mask: ArrayLike<number>): number {
  return compareToTruth(recon, truth, mask).nrmse;
}

// ------------------------------------------------------------------ BART

export interface BartResult {
  /** |image| on the recon grid [nx, ny, slices, frames] (readout FOV cropped to `reconNx`). */
  magnitude: Float32Array;
  /** Wall seconds of the BART commands (ecalib + pics for every slice, process start and .cfl I/O included). */
  seconds: number;
}

/**
 * `bart ecalib -m1` + `bart pics -S -l2 -r λ` on each slice's k-space, the image
 * cropped centrally along the readout to `reconNx` (as the pipeline removes the
 * readout oversampling). `-S` rescales the image to the data (magnitudes are
 * compared after a least-squares scale anyway).
 */
export function bartSense(slices: readonly SliceKspace[], reconNx: number, lambda: number, dir: string): BartResult {
  return bartSenseFrames([slices], reconNx, lambda, dir);
}

/**
 * A time series, `frames[t][slice]`: per slice, `ecalib` once on the first frame
 * (BART's equivalent of calibrating once per slice) and ONE `pics` call on all
 * frames stacked along BART's time dimension (10), the maps shared.
 */
export function bartSenseFrames(frames: readonly (readonly SliceKspace[])[], reconNx: number, lambda: number, dir: string): BartResult {
  const T = frames.length;
  const first = frames[0]!;
  const nz = first.length;
  const [nxe, ny, , nc] = first[0]!.dims;
  const out = new Float32Array(reconNx * ny * nz * T);
  const off = Math.floor(nxe / 2) - Math.floor(reconNx / 2);
  const frameLen = 2 * nxe * ny * nc;
  let seconds = 0;
  for (let z = 0; z < nz; z++) {
    const base = join(dir, `bart-k${z}`);
    writeCfl(`${base}-cal`, first[z]!.dims, first[z]!.kspace);
    const all = new Float32Array(frameLen * T);
    for (let t = 0; t < T; t++) all.set(frames[t]![z]!.kspace, frameLen * t);
    writeCfl(base, [nxe, ny, 1, nc, 1, 1, 1, 1, 1, 1, T], all);
    const t0 = performance.now();
    runBart(['ecalib', '-m1', `${base}-cal`, `${base}-maps`]);
    runBart(['pics', '-S', '-l2', '-r', String(lambda), base, `${base}-maps`, `${base}-img`]);
    seconds += (performance.now() - t0) / 1000;
    const img = readCfl(`${base}-img`).data;
    for (let t = 0; t < T; t++) {
      for (let y = 0; y < ny; y++) {
        for (let x = 0; x < reconNx; x++) {
          const i = x + off + nxe * (y + ny * t);
          out[x + reconNx * (y + ny * (z + nz * t))] = Math.hypot(img[2 * i]!, img[2 * i + 1]!);
        }
      }
    }
  }
  return { magnitude: out, seconds };
}

// ------------------------------------------------------------------ benchmark

export interface PiBenchRow {
  name: string;
  /** Ours: reconstructFile wall seconds (whole file, all cores; best of the runs). */
  oursSec: number;
  /** BART: ecalib + pics wall seconds over all slices. */
  bartSec: number;
  /** bartSec / oursSec (> 1: ours is faster). */
  ratio: number;
  oursNrmse: number;
  bartNrmse: number;
}

/** λ for pics -l2 (BART's usual choice; data scaled by BART's own heuristic). */
export const BART_LAMBDA = 0.01;

/** Simulate a preset (default the 7 T anatomical one) and write it to `dir`/`tag`.h5. */
export async function simulateFile(dir: string, overrides: Partial<SimParams>, tag = 'pi', preset: PresetName = '7t-anat'): Promise<{ scan: SimulatedScan; file: string }> {
  const scan = simulate(presetParams(preset, overrides));
  const file = join(dir, `${tag}.h5`);
  await writeIsmrmrd(file, scan.header, scan.acquisitions());
  return { scan, file };
}

interface PiCase {
  preset: PresetName;
  matrix: [number, number];
  slices: number;
  coils: number;
  R: number;
  repetitions: number;
}

/** NRMSE of a [x y z t] run against per-frame truths, one least-squares scale for the whole run. */
function runNrmse(recon: ArrayLike<number>, truths: readonly Float64Array[], mask: Uint8Array): number {
  const n = mask.length;
  const t = new Float64Array(n * truths.length), m = new Uint8Array(n * truths.length);
  truths.forEach((tr, f) => {
    t.set(tr, n * f);
    m.set(mask, n * f);
  });
  return maskedNrmse(recon, t, m);
}

export async function benchPi(opts: { quick?: boolean; log?: (s: string) => void } = {}): Promise<PiBenchRow[]> {
  const log = opts.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'uhf-bench-pi-'));
  const rows: PiBenchRow[] = [];
  const cases: PiCase[] = opts.quick
    ? [
      { preset: '7t-anat', matrix: [96, 96], slices: 2, coils: 16, R: 3, repetitions: 1 },
      { preset: '7t-fmri', matrix: [64, 64], slices: 2, coils: 16, R: 2, repetitions: 4 },
    ]
    : [
      { preset: '7t-anat', matrix: [192, 192], slices: 12, coils: 32, R: 3, repetitions: 1 },
      { preset: '7t-anat', matrix: [192, 192], slices: 12, coils: 32, R: 2, repetitions: 1 },
      { preset: '7t-fmri', matrix: [64, 64], slices: 12, coils: 16, R: 2, repetitions: 20 },
    ];
  try {
    for (const c of cases) {
      const { scan, file } = await simulateFile(dir, {
        matrix: c.matrix, slices: c.slices, coils: c.coils, acceleration: c.R, acsLines: 24, repetitions: c.repetitions,
      }, `bench-${c.preset}-${c.R}`, c.preset);
      const frames: WhitenedFile[] = [];
      for (let t = 0; t < c.repetitions; t++) frames.push(await whitenedKspace(file, t));
      const W = frames[0]!.W;
      const truths = Array.from({ length: c.repetitions }, (_, t) => whitenedTruth(scan, W, t));
      const mask = headMask(scan);
      const bart = bartSenseFrames(frames.map((f) => f.slices), c.matrix[0], BART_LAMBDA, dir);
      const bartNrmse = runNrmse(bart.magnitude, truths, mask);
      const label = `${c.preset} ${c.matrix.join('×')}×${c.coils} coils×${c.slices} slices${c.repetitions > 1 ? `×${c.repetitions} frames` : ''}, R = ${c.R}, 24 ACS`;
      log(`${label}: BART ecalib + pics -l2 -r ${BART_LAMBDA}: ${bart.seconds.toFixed(2)} s, NRMSE ${bartNrmse.toFixed(4)}`);
      for (const pi of ['grappa', 'sense'] as const) {
        let best = Infinity;
        let nrmse = NaN;
        for (let i = 0; i < (opts.quick ? 1 : 2); i++) {
          const t0 = performance.now();
          const r = await reconstructFile(file, { pi });
          best = Math.min(best, (performance.now() - t0) / 1000);
          nrmse = runNrmse(r.volumes[0]!.magnitude.data, truths, mask);
        }
        log(`  ours ${pi.toUpperCase()}: ${best.toFixed(2)} s, NRMSE ${nrmse.toFixed(4)} → BART / ours = ${(bart.seconds / best).toFixed(2)}`);
        rows.push({ name: `${pi.toUpperCase()}: ${label}`, oursSec: best, bartSec: bart.seconds, ratio: bart.seconds / best, oursNrmse: nrmse, bartNrmse });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
