/// <reference types="@webgpu/types" />
/**
 * The N-D FFT of the WebGPU kernel set, one axis at a time, with the plans of
 * fft-plan.ts: fused Stockham (all stages of a line in workgroup memory),
 * Stockham stages through global memory, or Bluestein for lengths with a
 * prime factor above 7.
 *
 * Unlike the other kernels, FFTs of arrays larger than
 * maxStorageBufferBindingSize do not fail: they run in chunks of whole slices
 * (bound at aligned offsets).
 */
import { UhfError } from '../../../shared/errors.ts';
import type { FftKernelOptions } from '../../kernels/types.ts';
import { scaleGpu } from './array-kernels.ts';
import type { GpuArray, Range } from './device-buffers.ts';
import { gpuFftPlan, type BluesteinPlan, type Radix, type StockhamPlan } from './fft-plan.ts';
import type { GpuContext } from './gpu-context.ts';
import { f32bits } from './pipelines.ts';
import { bluesteinInWgsl, bluesteinOutWgsl, FUSED_THREADS, fusedFftWgsl, fusedLines, POINTWISE_WGSL, stockhamStageWgsl } from './wgsl.ts';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export function fftGpu(ctx: GpuContext, a: GpuArray, shape: readonly number[], axes: readonly number[], opts: FftKernelOptions): void {
  ctx.alive();
  const arr = ctx.own(a);
  let total = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 1) throw new UhfError('BAD_ARGUMENT', `FFT shape must contain positive integers, got [${shape.join(', ')}]`);
    total *= d;
  }
  if (arr.length !== 2 * total) throw new UhfError('SHAPE_MISMATCH', `FFT data has ${arr.length / 2} complex elements but shape [${shape.join(', ')}] needs ${total}`);
  const seen = new Set<number>();
  for (const ax of axes) {
    if (!Number.isInteger(ax) || ax < 0 || ax >= shape.length || seen.has(ax)) throw new UhfError('BAD_ARGUMENT', `bad FFT axis ${ax} for ${shape.length}-D shape`);
    seen.add(ax);
  }
  const inverse = opts.inverse ?? false;
  const centred = opts.centred ?? true;
  const norm = opts.norm ?? 'ortho';
  for (const axis of axes) {
    const n = shape[axis]!;
    const scale = norm === 'ortho' ? 1 / Math.sqrt(n) : norm === 'backward' && inverse ? 1 / n : 1;
    if (n === 1) {
      if (scale !== 1) scaleGpu(ctx, arr, scale);
      continue;
    }
    let inner = 1, outer = 1;
    for (let d = 0; d < axis; d++) inner *= shape[d]!;
    for (let d = axis + 1; d < shape.length; d++) outer *= shape[d]!;
    fftAxis(ctx, arr, n, inner, outer, inverse, centred ? Math.floor(n / 2) : 0, scale);
  }
}

/**
 * Transforms the lines along an axis (length n, stride `inner`, `outer`
 * slices of inner·n values). Whole array when it fits one binding; else in
 * chunks of whole slices, bound in place when the chunk offsets can be
 * aligned to minStorageBufferOffsetAlignment, otherwise copied through an
 * aligned work buffer.
 */
function fftAxis(ctx: GpuContext, a: GpuArray, n: number, inner: number, outer: number, inverse: boolean, rot: number, scale: number): void {
  const plan = gpuFftPlan(n);
  const slice = inner * n;
  const need = 8 * Math.max(slice, plan.kind === 'bluestein' ? inner * plan.m : slice);
  const maxB = ctx.limits.maxBindingBytes;
  if (outer * need <= maxB) {
    if (plan.kind === 'stockham' && canFuse(ctx, plan)) {
      fusedFft(ctx, plan, { buffer: a.buffer, offset: 0, size: a.bytes }, inner, outer, inverse, rot, rot, scale);
    } else if (plan.kind === 'stockham') {
      // ping-pong with a scratch buffer; swap buffers when the result lands there
      const scratch = ctx.allocBuffer(a.bytes);
      const A: Range = { buffer: a.buffer, offset: 0, size: a.bytes };
      const B: Range = { buffer: scratch, offset: 0, size: a.bytes };
      if (stockham(ctx, plan, A, B, inner, outer, inverse, rot, rot, scale)) {
        ctx.releaseBuffer(a.buffer);
        a.buffer = scratch;
      } else {
        ctx.releaseBuffer(scratch);
      }
    } else {
      bluestein(ctx, plan, { buffer: a.buffer, offset: 0, size: a.bytes }, inner, outer, inverse, rot, scale);
    }
    return;
  }
  const alignElems = Math.max(1, ctx.offsetAlign / 8);
  const step = alignElems / gcd(slice, alignElems);
  let g = Math.floor(maxB / need / step) * step;
  const viaCopy = g < 1;
  if (viaCopy) g = Math.floor(maxB / need);
  if (g < 1) {
    throw new UhfError('BACKEND_UNAVAILABLE', `an FFT slice of ${(need / 2 ** 20).toFixed(2)} MiB exceeds the device's storage binding limit (${(maxB / 2 ** 20).toFixed(2)} MiB)`);
  }
  const work = viaCopy ? ctx.allocBuffer(8 * slice * g) : null;
  const scratch = plan.kind === 'stockham' && !canFuse(ctx, plan) ? ctx.allocBuffer(8 * slice * g) : null;
  for (let o0 = 0; o0 < outer; o0 += g) {
    const cnt = Math.min(g, outer - o0);
    const region: Range = { buffer: a.buffer, offset: 8 * slice * o0, size: 8 * slice * cnt };
    const target: Range = work ? { buffer: work, offset: 0, size: region.size } : region;
    if (work) ctx.copyRange(region, target, region.size);
    ctx.counters.fftChunks++;
    if (work) ctx.counters.fftChunksCopied++;
    if (plan.kind === 'stockham' && !scratch) {
      fusedFft(ctx, plan, target, inner, cnt, inverse, rot, rot, scale);
    } else if (plan.kind === 'stockham') {
      const B: Range = { buffer: scratch!, offset: 0, size: region.size };
      if (stockham(ctx, plan, target, B, inner, cnt, inverse, rot, rot, scale)) ctx.copyRange(B, target, region.size);
    } else {
      bluestein(ctx, plan, target, inner, cnt, inverse, rot, scale);
    }
    if (work) ctx.copyRange(target, region, region.size);
  }
  if (work) ctx.releaseBuffer(work);
  if (scratch) ctx.releaseBuffer(scratch);
}

function canFuse(ctx: GpuContext, plan: StockhamPlan): boolean {
  return ctx.fused && plan.n <= 2048 && 8 * fusedLines(plan.n) * plan.n <= ctx.workgroupBytes;
}

/** All stages of every line of `data` in workgroup memory, in place (see fusedFftWgsl). */
function fusedFft(ctx: GpuContext, plan: StockhamPlan, data: Range, inner: number, outer: number, inverse: boolean, rotIn: number, rotOut: number, scale: number): void {
  const sgn = inverse ? 1 : -1;
  const n = plan.n;
  const contiguous = inner === 1;
  const tw = ctx.table(`tw${n}`, () => plan.twiddles);
  const lines = inner * outer;
  const groups = Math.ceil(lines / fusedLines(n));
  ctx.dispatch(`fused${n}${sgn}${contiguous ? 'c' : 's'}`, () => fusedFftWgsl(n, plan.stages, sgn, contiguous), [data, tw], groups * FUSED_THREADS, [
    lines, inner, rotIn, rotOut, f32bits(scale),
  ]);
  ctx.counters.fusedFfts++;
}

/** Stockham stages A → B → A … (or all at once in workgroup memory, in A); returns true when the result is in B. */
function stockham(ctx: GpuContext, plan: StockhamPlan, A: Range, B: Range, inner: number, outer: number, inverse: boolean, rotIn: number, rotOut: number, scale: number): boolean {
  if (canFuse(ctx, plan)) {
    fusedFft(ctx, plan, A, inner, outer, inverse, rotIn, rotOut, scale);
    return false;
  }
  const sgn = inverse ? 1 : -1;
  const tw = ctx.table(`tw${plan.n}`, () => plan.twiddles);
  let src = A, dst = B;
  plan.stages.forEach((s, idx) => {
    const first = idx === 0, last = idx === plan.stages.length - 1;
    const R: Radix = s.radix;
    ctx.dispatch(`stockham${R}${sgn}`, () => stockhamStageWgsl(R, sgn), [src, dst, tw], inner * outer * (plan.n / R), [
      plan.n, inner, s.ns, s.twiddleOffset, first ? rotIn : 0, last ? rotOut : 0, f32bits(last ? scale : 1),
    ]);
    [src, dst] = [dst, src];
  });
  return src === B;
}

/** Bluestein on the `outer` slices of `data` (in place), through two scratch buffers of lines·m values. */
function bluestein(ctx: GpuContext, plan: BluesteinPlan, data: Range, inner: number, outer: number, inverse: boolean, rot: number, scale: number): void {
  const { n, m } = plan;
  const sgn = inverse ? 1 : -1;
  const chirp = ctx.table(`chirp${n}`, () => plan.chirp);
  const kern = ctx.table(`bk${n}${inverse ? 'i' : 'f'}`, () => (inverse ? plan.kernelInverse : plan.kernelForward));
  const lines = inner * outer;
  const s1 = ctx.allocBuffer(8 * m * lines);
  const s2 = ctx.allocBuffer(8 * m * lines);
  const S1: Range = { buffer: s1, offset: 0, size: 8 * m * lines };
  const S2: Range = { buffer: s2, offset: 0, size: 8 * m * lines };
  ctx.dispatch(`blIn${sgn}`, () => bluesteinInWgsl(sgn), [data, S1, chirp], lines * m, [n, m, inner, rot]);
  let cur = stockham(ctx, plan.inner, S1, S2, 1, lines, false, 0, 0, 1) ? S2 : S1;
  ctx.dispatch('pointwise', () => POINTWISE_WGSL, [cur, kern], lines * m, [m]);
  const other = cur === S1 ? S2 : S1;
  cur = stockham(ctx, plan.inner, cur, other, 1, lines, true, 0, 0, 1) ? other : cur;
  ctx.dispatch(`blOut${sgn}`, () => bluesteinOutWgsl(sgn), [cur, data, chirp], lines * n, [n, m, inner, rot, f32bits(scale)]);
  ctx.releaseBuffer(s1);
  ctx.releaseBuffer(s2);
}
