/**
 * Parallel imaging in the streamed pipeline: which method, where the calibration
 * data come from, and one calibration per slice that every image (every repetition
 * of an fMRI run) of that slice reuses.
 *
 * Calibration modes (ISMRMRD `calibrationMode`):
 * - embedded: ACS lines are flagged PARALLEL_CALIBRATION_AND_IMAGING (also image
 *   lines) or PARALLEL_CALIBRATION (calibration only, never image data);
 * - separate: a calibration scan of PARALLEL_CALIBRATION lines, usually once before
 *   the imaging (e.g. in the first repetition), reused for every frame;
 * - interleaved: frames sample shifted lattices; without flagged ACS lines the
 *   image lines of neighbouring frames are combined until the centre is filled.
 */
import { UhfError } from '../../shared/errors.ts';
import { hasFlag, type AcquisitionHeader, type IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import type { ReconWorkerPool } from './image-reconstructor.ts';
import { findAcsRegion } from '../algorithms/grappa/index.ts';
import { placeReadout } from './accumulate.ts';
import { newBuffer, type KspaceBuffer } from './kspace-buffer.ts';
import type { PiMethod } from './options.ts';
import type { ReconPlan } from './plan.ts';
import type { Readout } from './readout.ts';
import { calibrateParallelImaging, type PiCalibration, type PiSetup } from './pi-calibrate.ts';

export type { PiCalibration, PiSetup };

/** Decide the method from the header and the request; null = no parallel imaging. */
export function choosePi(plan: ReconPlan, requested: PiMethod, header: IsmrmrdHeader, file: string, warnings: string[]): PiSetup | null {
  const [r1, r2] = plan.acceleration;
  const R = r1 * r2;
  const mode = plan.encoding.parallelImaging?.calibrationMode ?? 'embedded';
  if (R <= 1) {
    if (requested === 'grappa' || requested === 'sense') warnings.push(`--pi ${requested} ignored: the data are not undersampled (R = 1)`);
    return null;
  }
  if (requested === 'none') {
    warnings.push(`the data are undersampled (R = ${r1}×${r2}) and parallel imaging is off: the image is zero-filled and aliased`);
    return null;
  }
  const channels = header.acquisitionSystemInformation?.receiverChannels;
  if (channels !== undefined && channels > 0 && R > channels) {
    throw new UhfError('UNSUPPORTED_DATA', `acceleration R = ${r1}×${r2} = ${R} exceeds the ${channels} receive channels: parallel imaging cannot unfold it`, { file });
  }
  if (mode === 'external') {
    throw new UhfError('UNSUPPORTED_DATA', 'the calibration mode is "external" (calibration data in another file): not supported; use --pi none for an aliased image', { file });
  }
  const method = requested === 'sense' ? 'sense' : 'grappa';
  if (method === 'sense' && (plan.bufferE1 % r1 !== 0 || plan.bufferE2 % r2 !== 0)) {
    warnings.push(`SENSE: the encoded matrix (${plan.bufferE1} × ${plan.bufferE2} lines) is not a multiple of R = ${r1}×${r2}: iterative CG-SENSE instead of direct unfolding, and no g-factor map`);
  }
  const reason = requested === 'auto'
    ? `auto: the header declares R = ${r1}×${r2} → GRAPPA, calibration ${mode}`
    : `requested: ${method.toUpperCase()}, calibration ${mode}`;
  return { method, accel: [r1, r2], calibrationMode: mode, reason };
}

/** Fewest contiguous ACS lines (e1) through the centre that count as calibration data. */
const MIN_ACS_LINES = 4;

/** Collects calibration lines per slice and hands out one calibration per slice. */
export class ParallelImaging {
  private readonly refs = new Map<number, KspaceBuffer>();
  private readonly calibrations = new Map<number, Promise<PiCalibration>>();
  private readonly waiting = new Map<number, { buffer: KspaceBuffer; resolve: (c: PiCalibration) => void; reject: (e: unknown) => void }[]>();
  readonly stats = { calibrationReadouts: 0, calibratedSlices: 0 };
  /** Names this run's calibrations, so that workers can cache what they derive from them. */
  private readonly runId = globalThis.crypto.randomUUID();

  constructor(
    readonly setup: PiSetup,
    private readonly plan: ReconPlan,
    private readonly file: string,
    /** Worker threads to calibrate on (shared with the images; its owner closes it); null: in this thread. */
    private readonly pool: ReconWorkerPool | null,
    private readonly wantGfactor: boolean,
  ) {}

  /**
   * Offer a prepared readout. Calibration-only lines always count; image lines
   * count when they are also ACS (embedded) or when the mode is interleaved.
   */
  observe(h: AcquisitionHeader, r: Readout): void {
    const cal = hasFlag(h.flags, 'IS_PARALLEL_CALIBRATION') || hasFlag(h.flags, 'IS_PARALLEL_CALIBRATION_AND_IMAGING');
    if (!cal && this.setup.calibrationMode !== 'interleaved') return;
    const p = this.plan;
    const at = placeReadout(p, h, r);
    if (!at) return;
    const { e1, e2, roOffset } = at;
    let ref = this.refs.get(h.idx.slice);
    if (!ref) {
      ref = newBuffer({ slice: h.idx.slice, contrast: 0, phase: 0, repetition: 0, set: 0 }, [p.bufferRo, p.bufferE1, p.bufferE2, r.channels], h);
      this.refs.set(h.idx.slice, ref);
    }
    if (ref.dims[3] !== r.channels) return;
    const [n0, n1, n2] = ref.dims;
    const line = e1 + n1 * e2;
    // The newest readout of a line wins: calibration reuses the latest frame.
    for (let c = 0; c < r.channels; c++) {
      const dst = 2 * (roOffset + n0 * (line + n1 * n2 * c));
      ref.data.set(r.data.subarray(2 * c * r.samples, 2 * (c + 1) * r.samples), dst);
    }
    ref.lineCount[line] = 1;
    this.stats.calibrationReadouts++;
  }

  /** The calibration for the slice of `b` (computed once; later images reuse it). */
  calibrationFor(b: KspaceBuffer, channelMatrix: CalibrateJob['channelMatrix']): Promise<PiCalibration> {
    const slice = b.key.slice;
    const known = this.calibrations.get(slice);
    if (known) return known;
    const ref = this.refs.get(slice);
    if (!ref || !this.hasAcs(ref)) {
      if (this.setup.calibrationMode === 'interleaved') {
        // Not enough frames yet: wait for more lines (or the end of the scan).
        return new Promise((resolve, reject) => {
          (this.waiting.get(slice) ?? this.waiting.set(slice, []).get(slice)!).push({ buffer: b, resolve, reject });
        });
      }
      return Promise.reject(this.noCalibration(slice));
    }
    return this.start(slice, ref, channelMatrix);
  }

  /** Retry the images waiting for interleaved calibration (call after each block, and at the end). */
  retryWaiting(channelMatrix: CalibrateJob['channelMatrix'], final: boolean): void {
    for (const [slice, list] of this.waiting) {
      const ref = this.refs.get(slice);
      // A later image of the slice may have started the calibration already: share it.
      const cal = this.calibrations.get(slice) ?? (ref && this.hasAcs(ref) ? this.start(slice, ref, channelMatrix) : undefined);
      if (cal) {
        this.waiting.delete(slice);
        for (const w of list) cal.then(w.resolve, w.reject);
      } else if (final) {
        this.waiting.delete(slice);
        for (const w of list) w.reject(this.noCalibration(slice));
      }
    }
  }

  get pendingSlices(): number {
    return this.waiting.size;
  }

  /** Contiguous ACS lines (e1) through the k-space centre of `ref`, 0 when none. */
  private acsLines(ref: KspaceBuffer): number {
    const region = findAcsRegion(ref.lineCount.length === ref.dims[1] * ref.dims[2] ? Uint8Array.from(ref.lineCount, (x) => (x ? 1 : 0)) : new Uint8Array(0), ref.dims[1], ref.dims[2]);
    return region?.size[0] ?? 0;
  }

  private hasAcs(ref: KspaceBuffer): boolean {
    return this.acsLines(ref) >= MIN_ACS_LINES;
  }

  private noCalibration(slice: number): UhfError {
    const ref = this.refs.get(slice);
    const found = ref ? this.acsLines(ref) : 0;
    const what = found > 0
      ? `only ${found} contiguous calibration (ACS) line${found === 1 ? '' : 's'} at the k-space centre (at least ${MIN_ACS_LINES} are needed, more for the GRAPPA kernel or ESPIRiT maps)`
      : 'no calibration (ACS) lines around the k-space centre';
    return new UhfError(
      'UNSUPPORTED_DATA',
      `slice ${slice}: the data are undersampled (R = ${this.setup.accel.join('×')}) but there are ${what} (calibration mode ${this.setup.calibrationMode}); use --pi none for an aliased image`,
      { file: this.file },
    );
  }

  private start(slice: number, ref: KspaceBuffer, channelMatrix: CalibrateJob['channelMatrix']): Promise<PiCalibration> {
    // The reference buffer keeps filling (interleaved, later frames): calibrate a snapshot.
    const snapshot: KspaceBuffer = { ...ref, data: Float32Array.from(ref.data), lineCount: Uint16Array.from(ref.lineCount) };
    const job: CalibrateJob = { kind: 'calibrate', id: `${this.runId}/${slice}`, ref: snapshot, setup: this.setup, is3D: this.plan.is3D, gfactor: this.wantGfactor, ...(channelMatrix ? { channelMatrix } : {}) };
    let p: Promise<PiCalibration>;
    if (this.pool) {
      p = (this.pool.run(job, [snapshot.data.buffer as ArrayBuffer]) as Promise<PiCalibration>).then(shareArrays);
    } else {
      p = Promise.resolve().then(() => calibrateParallelImaging(job));
    }
    p = p.then((c) => {
      this.stats.calibratedSlices++;
      return c;
    });
    this.calibrations.set(slice, p);
    return p;
  }
}

/**
 * The calibration's arrays moved to shared memory: every image of the slice
 * carries its calibration to a worker, and a structured clone of a typed array
 * on a SharedArrayBuffer shares it instead of copying (image-domain GRAPPA
 * weights of a 32-coil slice are ~100 MB).
 */
function shareArrays(c: PiCalibration): PiCalibration {
  const out: Record<string, unknown> = { ...c };
  for (const [key, v] of Object.entries(c)) {
    if (v instanceof Float32Array && v.length > 0 && !(v.buffer instanceof SharedArrayBuffer)) {
      const shared = new Float32Array(new SharedArrayBuffer(v.byteLength));
      shared.set(v);
      out[key] = shared;
    }
  }
  return out as unknown as PiCalibration;
}

export interface CalibrateJob {
  kind: 'calibrate';
  /** Unique per run and slice (PiCalibration.id). */
  id: string;
  ref: KspaceBuffer;
  setup: PiSetup;
  is3D: boolean;
  /** Compute the g-factor map too (costs a map estimate for GRAPPA). */
  gfactor: boolean;
  channelMatrix?: { m: Float64Array; rows: number; cols: number };
}
