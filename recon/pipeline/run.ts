/**
 * The Cartesian reconstruction of one ISMRMRD file, streamed:
 * acquisition blocks → noise covariance → prewhitening → discard / oversampling
 * removal → k-space buffers (any arrival order) → [coil compression] → images
 * (worker threads) → volumes with geometry. Memory holds the images in flight,
 * never the raw file.
 */
import { UhfError } from '../../shared/errors.ts';
import { hasFlag, type AcquisitionHeader, type AcqFlagName } from '../../shared/ismrmrd.ts';
import { NoiseCovariance, prewhitener, type Prewhitener } from '../algorithms/noise-prewhitening.ts';
import { calibrationCovariance, coilCompressionFromCovariance, type CoilCompression } from '../algorithms/coil-compression.ts';
import { matMul, matMulConjTrans } from '../linalg/dense.ts';
import { openIsmrmrd } from '../io/ismrmrd/reader.ts';
import { KspaceAccumulator } from './accumulate.ts';
import { assembleVolumes, type AssembledVolume, type ReconImage } from './assemble.ts';
import { inlineReconstructor, pooledReconstructor, reconWorkerPool, type ImageReconstructor, type ReconWorkerPool } from './image-reconstructor.ts';
import type { KspaceBuffer } from './kspace-buffer.ts';
import { DEFAULTS, type ReconOptions, type ResolvedOptions } from './options.ts';
import { makePlan, type ReconPlan } from './plan.ts';
import { discardSamples, type Readout } from './readout.ts';
import { cropReadout, planWithCroppedReadout } from './readout-crop.ts';
import type { ImageRecipe } from './reconstruct-image.ts';
import { StageTimer } from './stage-timer.ts';
import { choosePi, ParallelImaging, type PiCalibration } from './parallel-imaging.ts';
import { defaultWorkerCount } from '../hosts/worker-pool.ts';
import { openBackend, type BackendSelection } from '../kernels/select.ts';
import { kernelReconstructor, type KernelReconstructor } from '../kernels/reconstructor.ts';

/** Readouts that are not image data for a Cartesian recon. */
const NOT_IMAGE: AcqFlagName[] = [
  'IS_NAVIGATION_DATA', 'IS_PHASECORR_DATA', 'IS_DUMMYSCAN_DATA', 'IS_HPFEEDBACK_DATA', 'IS_RTFEEDBACK_DATA',
  'IS_SURFACECOILCORRECTIONSCAN_DATA', 'IS_PHASE_STABILIZATION_REFERENCE', 'IS_PHASE_STABILIZATION',
];

export interface ReconReport {
  input: string;
  backend: 'cpu' | 'webgpu';
  backendReason: string;
  /** The device the images were computed on. */
  backendDevice: string;
  threads: number;
  parameters: Record<string, unknown>;
  plan: {
    encodedMatrix: [number, number, number];
    reconMatrix: [number, number, number];
    bufferMatrix: [number, number, number];
    readoutOversamplingRemoved: boolean;
    is3D: boolean;
    acceleration: [number, number];
  };
  counts: {
    acquisitions: number;
    imaging: number;
    noise: number;
    calibrationOnly: number;
    skipped: number;
    outsideLimits: number;
    images: number;
    maxImagesInFlight: number;
  };
  noise: { readouts: number; prewhitened: boolean; noiseDwellUs?: number; dataDwellUs?: number; bandwidthScale?: number; channelSigmas?: number[] };
  coilCompression?: { from: number; to: number; energyKept: number };
  parallelImaging?: { method: string; acceleration: [number, number]; calibrationMode: string; reason: string; calibratedSlices: number; calibrationReadouts: number };
  partialFourier?: { axes: string[]; method: string };
  geometryFallback?: string;
  timingsMs: Record<string, number>;
  peakRssMB: number;
  warnings: string[];
}

export interface ReconResult {
  volumes: AssembledVolume[];
  report: ReconReport;
}

export async function reconstructFile(path: string, options: ReconOptions = {}): Promise<ReconResult> {
  const o: ResolvedOptions = { ...DEFAULTS, ...options };
  const timer = new StageTimer();
  const warnings: string[] = [];
  if (o.phase && o.combine === 'rss') throw new UhfError('BAD_ARGUMENT', 'a phase image needs map-based coil combination: use --combine walsh or inati with --phase');
  const reader = await timer.timeAsync('open', () => openIsmrmrd(path));
  let reconstructor: ImageReconstructor | undefined;
  let piCtl: ParallelImaging | undefined;
  let selection: BackendSelection | undefined;
  let pool: ReconWorkerPool | null = null;
  try {
    const encodedPlan = makePlan(reader.header, path);
    const piSetup = choosePi(encodedPlan, o.pi, reader.header, path, warnings);
    // Parallel imaging works on readouts cropped to the recon FOV (readout-crop.ts).
    const plan = piSetup ? planWithCroppedReadout(encodedPlan) : encodedPlan;
    const prepareReadout = (r: Readout): Readout | null => plan === encodedPlan ? r : cropReadout(r, encodedPlan.bufferRo, plan.bufferRo);
    let croppedOutside = 0;
    // Worker threads pay a start-up cost (~0.3 s each): use them when there are
    // several images to share out.
    const threads = Math.min(o.workers ?? defaultWorkerCount(), expectedImages(plan));
    selection = await timer.timeAsync('backend', () => openBackend(o.backend));
    const onKernels: KernelReconstructor | undefined = selection.kernels ? kernelReconstructor(selection.kernels) : undefined;
    // One set of worker threads, started now (their start-up overlaps the reading),
    // for the images and the calibrations alike; with a kernel backend (parallel
    // imaging applied there too) only the calibrations use it.
    pool = threads > 1 && (!onKernels || piSetup) ? reconWorkerPool(threads) : null;
    reconstructor = onKernels ?? (pool ? pooledReconstructor(pool) : inlineReconstructor());
    piCtl = piSetup ? new ParallelImaging(piSetup, plan, path, pool, Boolean(o.gfactor)) : undefined;
    const recipe = imageRecipe(plan, o);
    const maxAverage = plan.encoding.encodingLimits.average?.maximum ?? 0;
    const acc = new KspaceAccumulator(plan, path, maxAverage);
    const noise = { cov: null as NoiseCovariance | null, whitener: null as Prewhitener | null, decided: false, lateNoise: 0 };
    const counts = { acquisitions: reader.count, imaging: 0, noise: 0, calibrationOnly: 0, skipped: 0, outsideLimits: 0, images: 0, maxImagesInFlight: 0 };
    let cc: CoilCompression | undefined;
    let pf: ReconReport['partialFourier'];
    const images: ReconImage[] = [];
    const gfactors: ReconImage[] = [];
    // `pending`: images being reconstructed (back-pressure); `all`: everything not
    // finished, including images waiting for an interleaved calibration.
    const pending = new Set<Promise<void>>();
    const all = new Set<Promise<void>>();
    const maxPending = Math.max(2, 2 * Math.max(1, reconstructor.threads));

    let channelMatrix: ImageRecipe['channelMatrix'];
    const submit = (b: KspaceBuffer) => {
      if (channelMatrix === undefined) {
        const W = noise.whitener?.matrix;
        const C = b.dims[3];
        if (o.coils !== undefined && o.coils < C) {
          cc = timer.time('coil compression', () => compressionFor(b, o.coils!, W));
          channelMatrix = { m: W ? matMul(cc!.matrix, W, cc!.virtualCoils, C, C) : cc!.matrix, rows: cc!.virtualCoils, cols: C };
        } else if (W) {
          channelMatrix = { m: W, rows: C, cols: C };
        }
      }
      const key = b.key;
      const first = b.first;
      const dims: [number, number, number] = [recipe.reconMatrix[0], recipe.reconMatrix[1], recipe.is3D ? recipe.reconMatrix[2] : 1];
      const launch = (pi: PiCalibration | undefined) => {
        const r = { ...recipe, ...(channelMatrix ? { channelMatrix } : {}), ...(pi ? { pi, gfactor: Boolean(o.gfactor) && key.repetition === firstRepetition(key.slice, key.repetition) } : {}) };
        const job = reconstructor!.reconstruct(b, r).then((out) => {
          images.push({ key, dims, magnitude: out.magnitude, ...(out.phase ? { phase: out.phase } : {}), first });
          if (out.gfactor) gfactors.push({ key, dims, magnitude: out.gfactor, first });
          pf ??= out.partialFourier;
          counts.images++;
        });
        const tracked = job.finally(() => pending.delete(tracked));
        pending.add(tracked);
        counts.maxImagesInFlight = Math.max(counts.maxImagesInFlight, pending.size);
        return tracked;
      };
      const whole = piCtl ? piCtl.calibrationFor(b, channelMatrix).then(launch) : launch(undefined);
      const tracked = whole.finally(() => all.delete(tracked));
      all.add(tracked);
      // Keep rejections observed until they are awaited below.
      tracked.catch(() => {});
    };
    const firstRep = new Map<number, number>();
    const firstRepetition = (slice: number, rep: number) => {
      if (!firstRep.has(slice)) firstRep.set(slice, rep);
      return firstRep.get(slice)!;
    };

    const reconStart = performance.now();
    for (const block of reader.blocks({ blockSize: o.blockSize, ...(o.signal ? { signal: o.signal } : {}) })) {
      o.onProgress?.({ stage: 'reading and preparing', fraction: (0.9 * block.start) / Math.max(1, reader.count) });
      timer.time('prepare', () => {
        for (const a of block.acquisitions) {
          const h = a.head;
          if (hasFlag(h.flags, 'IS_NOISE_MEASUREMENT')) {
            counts.noise++;
            if (noise.decided) {
              noise.lateNoise++;
              continue;
            }
            noise.cov ??= new NoiseCovariance(h.activeChannels);
            noise.cov.add(a.data, h.activeChannels, h.numberOfSamples, h.sampleTimeUs);
            continue;
          }
          if (NOT_IMAGE.some((f) => hasFlag(h.flags, f))) {
            counts.skipped++;
            continue;
          }
          if (hasFlag(h.flags, 'IS_PARALLEL_CALIBRATION')) {
            counts.calibrationOnly++;
            const r = prepareReadout(discardSamples({ data: a.data, channels: h.activeChannels, samples: h.numberOfSamples, centerSample: h.centerSample }, h.discardPre, h.discardPost));
            if (r) piCtl?.observe(h, r);
            else croppedOutside++;
            continue;
          }
          if (h.encodingSpaceRef !== plan.encodingIndex) {
            counts.skipped++;
            continue;
          }
          if (!noise.decided) decideWhitening(noise, h, plan, o.prewhiten, warnings, path);
          counts.imaging++;
          // Prewhitening is linear in the samples: it is applied later, to each image
          // in its worker, where the cropped field of view has the fewest samples.
          const r = prepareReadout(discardSamples({ data: a.data, channels: h.activeChannels, samples: h.numberOfSamples, centerSample: h.centerSample }, h.discardPre, h.discardPost));
          if (!r) {
            croppedOutside++;
            continue;
          }
          piCtl?.observe(h, r);
          for (const b of acc.add(h, r)) submit(b);
        }
      });
      piCtl?.retryWaiting(channelMatrix, false);
      // Back-pressure: never hold more than a few images in flight.
      while (pending.size >= maxPending) await timer.timeAsync('reconstruct (waiting)', () => Promise.race(pending));
    }
    for (const b of acc.finish()) submit(b);
    piCtl?.retryWaiting(channelMatrix, true);
    o.onProgress?.({ stage: 'reconstructing images', fraction: 0.92 });
    await timer.timeAsync('reconstruct (waiting)', async () => {
      while (all.size) await Promise.all(all);
    });
    timer.ms['reconstruct'] = performance.now() - reconStart;
    counts.outsideLimits = acc.report.outsideLimits + croppedOutside;
    if (counts.outsideLimits) warnings.push(`${counts.outsideLimits} readouts lie outside the encoded matrix and were ignored`);
    if (acc.report.closedAtEnd && acc.report.maxOpenBuffers > 8) {
      warnings.push(`${acc.report.closedAtEnd} images had no LAST_IN_SLICE flag and were held until the end of the file`);
    }
    if (noise.lateNoise) warnings.push(`${noise.lateNoise} noise readouts came after imaging data and were not used`);
    if (counts.calibrationOnly && !piCtl) warnings.push(`${counts.calibrationOnly} calibration-only readouts were not used (no parallel imaging in this reconstruction)`);
    o.onProgress?.({ stage: 'assembling volumes', fraction: 0.96 });
    const trSec = reader.header.sequenceParameters?.TRMs[0] ? reader.header.sequenceParameters.TRMs[0] / 1000 : undefined;
    const assembled = timer.time('assemble', () => assembleVolumes(images, plan, path, trSec));
    if (gfactors.length) {
      const g = assembleVolumes(gfactors, plan, path);
      for (const v of g.volumes) assembled.volumes.push({ ...v, suffix: `${v.suffix}_gfactor`, magnitude: { ...v.magnitude, description: 'g-factor' } });
    }
    warnings.push(...assembled.warnings);
    o.onProgress?.({ stage: 'done', fraction: 1 });
    const enc = plan.encoding.encodedSpace.matrixSize;
    let backend = selection.backend;
    let backendReason = selection.reason;
    if (onKernels) {
      const { backendImages, cpuImages, failure } = onKernels.stats;
      const all = backendImages + cpuImages;
      if (backendImages === 0 && all > 0) {
        backend = 'cpu';
        backendReason = `${selection.reason}; the GPU failed (${failure ?? 'unknown'}): the images were reconstructed on the CPU`;
      } else if (failure) {
        warnings.push(`${cpuImages} of ${all} images were reconstructed on the CPU after a GPU failure: ${failure}`);
      }
    }
    const report: ReconReport = {
      input: path,
      backend,
      backendReason,
      backendDevice: backend === 'cpu' ? 'CPU' : selection.device,
      threads: reconstructor.threads,
      parameters: { combine: o.combine, partialFourier: o.partialFourier, prewhiten: o.prewhiten, coils: o.coils ?? null, phase: o.phase, pi: o.pi },
      plan: {
        encodedMatrix: [enc.x, enc.y, enc.z],
        reconMatrix: plan.reconMatrix,
        bufferMatrix: [plan.bufferRo, plan.bufferE1, plan.bufferE2],
        readoutOversamplingRemoved: encodedPlan.readoutKeepFraction < 1,
        is3D: plan.is3D,
        acceleration: plan.acceleration,
      },
      counts,
      noise: noiseReport(noise),
      ...(cc ? { coilCompression: { from: cc.channels, to: cc.virtualCoils, energyKept: cc.energyFraction } } : {}),
      ...(pf ? { partialFourier: pf } : {}),
      ...(piSetup && piCtl ? { parallelImaging: { method: piSetup.method, acceleration: piSetup.accel, calibrationMode: piSetup.calibrationMode, reason: piSetup.reason, calibratedSlices: piCtl.stats.calibratedSlices, calibrationReadouts: piCtl.stats.calibrationReadouts } } : {}),
      ...(assembled.geometryFallback ? { geometryFallback: assembled.geometryFallback } : {}),
      timingsMs: timer.ms,
      peakRssMB: timer.peakRssMB,
      warnings,
    };
    return { volumes: assembled.volumes, report };
  } finally {
    await reconstructor?.close();
    await pool?.close();
    selection?.close();
    reader.close();
  }
}

/** Images the header announces (slices × contrasts × phases × repetitions × sets). */
function expectedImages(plan: ReconPlan): number {
  const l = plan.encoding.encodingLimits;
  const n = (x: { maximum: number } | undefined) => (x ? x.maximum + 1 : 1);
  return n(l.slice) * n(l.contrast) * n(l.phase) * n(l.repetition) * n(l.set);
}


function imageRecipe(plan: ReconPlan, o: ResolvedOptions): ImageRecipe {
  const grid = (a: 0 | 1 | 2, n: number) => {
    const bufferFov = plan.bufferFovMm[a];
    const reconVoxel = plan.reconFovMm[a] / plan.reconMatrix[a];
    return bufferFov > 0 && reconVoxel > 0 ? Math.max(1, Math.round(bufferFov / reconVoxel)) : n;
  };
  return {
    is3D: plan.is3D,
    reconMatrix: plan.reconMatrix,
    gridMatrix: [grid(0, plan.bufferRo), grid(1, plan.bufferE1), plan.is3D ? grid(2, plan.bufferE2) : 1],
    combine: o.combine,
    partialFourier: o.partialFourier,
    keepPhase: o.phase,
  };
}

function decideWhitening(
  noise: { cov: NoiseCovariance | null; whitener: Prewhitener | null; decided: boolean },
  first: AcquisitionHeader,
  plan: ReconPlan,
  mode: 'auto' | 'off',
  warnings: string[],
  file: string,
): void {
  noise.decided = true;
  if (mode === 'off' || !noise.cov) return;
  if (noise.cov.channels !== first.activeChannels) {
    throw new UhfError('UNSUPPORTED_DATA', `noise readouts have ${noise.cov.channels} channels, imaging readouts ${first.activeChannels}`, { file });
  }
  // Noise readouts that are exactly zero (simulated noise-free data, e.g. libismrmrd's
  // generator with -n 0 -C) carry no noise statistics: nothing to whiten with. One dead
  // channel among live ones still fails in prewhitener(), naming the channel.
  if (noise.cov.channelSigmas().every((s) => s === 0)) {
    warnings.push('the noise readouts are all zero (noise-free data?): no prewhitening');
    return;
  }
  noise.whitener = prewhitener(noise.cov, { dataDwellUs: first.sampleTimeUs, receiverNoiseBandwidth: plan.receiverNoiseBandwidth });
  if (noise.cov.count < 10 * noise.cov.channels) {
    warnings.push(`only ${noise.cov.count} noise samples for ${noise.cov.channels} channels: the noise covariance is poorly estimated`);
  }
  (noise as { dataDwellUs?: number }).dataDwellUs = first.sampleTimeUs;
}

function noiseReport(noise: { cov: NoiseCovariance | null; whitener: Prewhitener | null }): ReconReport['noise'] {
  if (!noise.cov) return { readouts: 0, prewhitened: false };
  return {
    readouts: noise.cov.readoutCount,
    prewhitened: Boolean(noise.whitener),
    noiseDwellUs: noise.cov.dwellUs,
    ...((noise as { dataDwellUs?: number }).dataDwellUs !== undefined ? { dataDwellUs: (noise as { dataDwellUs?: number }).dataDwellUs } : {}),
    ...(noise.whitener ? { bandwidthScale: noise.whitener.scale } : {}),
    channelSigmas: Array.from(noise.cov.channelSigmas()),
  };
}

/**
 * Compression from the central k-space lines of the first image (BART cc /
 * Gadgetron eigen-channel), computed on whitened data: Ψ_w = W·Ψ·Wᴴ.
 */
function compressionFor(b: KspaceBuffer, virtualCoils: number, W: Float64Array | undefined): CoilCompression {
  const [n0, n1, n2, nc] = b.dims;
  const half = Math.min(12, Math.floor(n1 / 2));
  const c1 = Math.floor(n1 / 2);
  const lines: number[] = [];
  for (let k = 0; k < n2; k++) for (let j = c1 - half; j < c1 + half; j++) if (b.lineCount[j + n1 * k]) lines.push(j + n1 * k);
  const samples = lines.length * n0;
  const calib = new Float32Array(2 * nc * samples);
  for (let c = 0; c < nc; c++) {
    lines.forEach((line, i) => {
      const src = 2 * n0 * (line + n1 * n2 * c);
      calib.set(b.data.subarray(src, src + 2 * n0), 2 * (c * samples + i * n0));
    });
  }
  const psi = calibrationCovariance(calib, nc, samples);
  const whitened = W ? matMulConjTrans(matMul(W, psi, nc, nc, nc), W, nc, nc, nc) : psi;
  return coilCompressionFromCovariance(whitened, nc, { virtualCoils }, samples);
}
