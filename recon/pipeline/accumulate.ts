/**
 * Accumulate prepared readouts into k-space buffers, one per image (slice,
 * contrast, phase, repetition, set), whatever order they arrive in. A buffer is
 * handed on as soon as its last readout is seen (LAST_IN_SLICE, or LAST_IN_ENCODE_STEP2
 * … for 3D), so a time series never holds more than the images in flight.
 */
import { UhfError } from '../../shared/errors.ts';
import { hasFlag, type AcquisitionHeader } from '../../shared/ismrmrd.ts';
import { imageKeyOf, keyString, newBuffer, type KspaceBuffer } from './kspace-buffer.ts';
import type { ReconPlan } from './plan.ts';
import type { Readout } from './readout.ts';

export interface AccumulatorReport {
  readouts: number;
  outsideLimits: number;
  /** Buffers that had to be closed at the end of the stream (no LAST flag seen). */
  closedAtEnd: number;
  maxOpenBuffers: number;
}

/**
 * Where a readout goes in its image's k-space buffer: the e1/e2 line (the k-space
 * centre line of the encoding limits lands on floor(n/2)) and the readout offset
 * (its centre sample lands on floor(n/2)); null when it falls outside the buffer.
 */
export function placeReadout(p: ReconPlan, h: AcquisitionHeader, r: Readout): { e1: number; e2: number; roOffset: number } | null {
  const e1 = h.idx.kspaceEncodeStep1 + (Math.floor(p.bufferE1 / 2) - p.centerE1);
  const e2 = p.is3D ? h.idx.kspaceEncodeStep2 + (Math.floor(p.bufferE2 / 2) - p.centerE2) : 0;
  const roOffset = Math.floor(p.bufferRo / 2) - r.centerSample;
  if (e1 < 0 || e1 >= p.bufferE1 || e2 < 0 || e2 >= p.bufferE2 || roOffset < 0 || roOffset + r.samples > p.bufferRo) return null;
  return { e1, e2, roOffset };
}

export class KspaceAccumulator {
  private readonly open = new Map<string, KspaceBuffer>();
  private channels = -1;
  readonly report: AccumulatorReport = { readouts: 0, outsideLimits: 0, closedAtEnd: 0, maxOpenBuffers: 0 };

  constructor(
    private readonly plan: ReconPlan,
    private readonly file: string,
    private readonly maxAverage: number,
  ) {}

  /** Add one readout; returns the buffers it completed (usually none or one). */
  add(h: AcquisitionHeader, r: Readout): KspaceBuffer[] {
    if (this.channels < 0) this.channels = r.channels;
    if (r.channels !== this.channels) {
      throw new UhfError('UNSUPPORTED_DATA', `the channel count changes within the scan (${this.channels} → ${r.channels} at scan counter ${h.scanCounter})`, { file: this.file });
    }
    const p = this.plan;
    const at = placeReadout(p, h, r);
    if (!at) {
      this.report.outsideLimits++;
      return this.maybeClose(h);
    }
    const { e1, e2, roOffset } = at;
    const key = imageKeyOf(h);
    const ks = keyString(key);
    let b = this.open.get(ks);
    if (!b) {
      b = newBuffer(key, [p.bufferRo, p.bufferE1, p.bufferE2, r.channels], h);
      this.open.set(ks, b);
      this.report.maxOpenBuffers = Math.max(this.report.maxOpenBuffers, this.open.size);
    }
    const [n0, n1, n2] = b.dims;
    const line = e1 + n1 * e2;
    const firstVisit = b.lineCount[line] === 0;
    for (let c = 0; c < r.channels; c++) {
      const src = 2 * c * r.samples;
      const dst = 2 * (roOffset + n0 * (line + n1 * n2 * c));
      if (firstVisit) b.data.set(r.data.subarray(src, src + 2 * r.samples), dst);
      else for (let i = 0; i < 2 * r.samples; i++) b.data[dst + i]! += r.data[src + i]!;
    }
    b.lineCount[line]!++;
    b.roRange = [Math.min(b.roRange[0], roOffset), Math.max(b.roRange[1], roOffset + r.samples - 1)];
    this.report.readouts++;
    return this.maybeClose(h);
  }

  private maybeClose(h: AcquisitionHeader): KspaceBuffer[] {
    const last = this.plan.is3D
      ? hasFlag(h.flags, 'LAST_IN_SLICE') || (hasFlag(h.flags, 'LAST_IN_ENCODE_STEP2') && hasFlag(h.flags, 'LAST_IN_ENCODE_STEP1'))
      : hasFlag(h.flags, 'LAST_IN_SLICE');
    if (!last || h.idx.average < this.maxAverage) return [];
    const ks = keyString(imageKeyOf(h));
    const b = this.open.get(ks);
    if (!b) return [];
    this.open.delete(ks);
    return [b];
  }

  /** End of stream: everything still open, in key order. */
  finish(): KspaceBuffer[] {
    const rest = [...this.open.values()];
    this.report.closedAtEnd = rest.length;
    this.open.clear();
    return rest;
  }
}
