/// <reference types="@webgpu/types" />
/** Arrays onto, within and off the device: upload, zeros, copy, read. */
import { COPY_DST, MAP_READ, MODE_READ, type GpuArray } from './device-buffers.ts';
import type { GpuContext } from './gpu-context.ts';

export function uploadGpu(ctx: GpuContext, data: Float32Array): GpuArray {
  ctx.alive();
  const a = ctx.newArray(data.length);
  // writeBuffer runs before recorded-but-unsubmitted work: submit that first (the buffer may be a reused one).
  ctx.submit();
  // writeBuffer takes no SharedArrayBuffer (calibrations shared with worker threads live on one)
  const src = data.buffer instanceof ArrayBuffer ? data : data.slice();
  if (data.length) ctx.gpu.queue.writeBuffer(a.buffer, 0, src.buffer, src.byteOffset, src.byteLength);
  return a;
}

export function zerosGpu(ctx: GpuContext, length: number): GpuArray {
  ctx.alive();
  const a = ctx.newArray(length);
  ctx.endPass();
  ctx.enc().clearBuffer(a.buffer);
  return a;
}

export function copyGpu(ctx: GpuContext, a: GpuArray): GpuArray {
  ctx.alive();
  const src = ctx.own(a);
  const out = ctx.newArray(src.length);
  if (src.bytes) copy4(ctx, src.buffer, out.buffer, src.bytes);
  return out;
}

function copy4(ctx: GpuContext, src: GPUBuffer, dst: GPUBuffer, bytes: number): void {
  ctx.endPass();
  ctx.enc().copyBufferToBuffer(src, 0, dst, 0, Math.ceil(bytes / 4) * 4);
}

export function readGpu(ctx: GpuContext, a: GpuArray): Promise<Float32Array> {
  ctx.alive();
  const src = ctx.own(a);
  const bytes = src.bytes;
  if (bytes === 0) return Promise.resolve(new Float32Array(0));
  const staging = ctx.createBuffer(bytes, MAP_READ | COPY_DST);
  ctx.endPass();
  ctx.enc().copyBufferToBuffer(src.buffer, 0, staging, 0, bytes);
  ctx.submit();
  return ctx.settle(staging.mapAsync(MODE_READ, 0, bytes)).then(
    () => {
      const out = new Float32Array(staging.getMappedRange(0, bytes).slice(0));
      staging.unmap();
      staging.destroy();
      return out;
    },
    (e: unknown) => {
      staging.destroy();
      throw e;
    },
  );
}
