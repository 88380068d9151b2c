/// <reference types="@webgpu/types" />
/**
 * Compute pipelines and what a dispatch binds: compiled pipelines, the
 * workgroup grid, the bind group entries and uniform words.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { Range } from './device-buffers.ts';
import { WORKGROUP } from './wgsl.ts';

/** Compiled pipelines per device, shared by every kernel set on it (compiling is the slow part on software drivers). */
const pipelineCache = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();

/** The pipeline of `code` (entry point `main`), compiled once per device and `key`. */
export function pipeline(gpu: GPUDevice, key: string, code: () => string): GPUComputePipeline {
  let cache = pipelineCache.get(gpu);
  if (!cache) pipelineCache.set(gpu, (cache = new Map()));
  let p = cache.get(key);
  if (!p) {
    const module = gpu.createShaderModule({ code: code(), label: key });
    p = gpu.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: key });
    cache.set(key, p);
  }
  return p;
}

/**
 * The workgroups for `total` threads: dispatches larger than
 * maxComputeWorkgroupsPerDimension (`maxX`) use a 2-D grid, whose row width
 * gx·WORKGROUP the kernels read from their uniform block (see wgsl.ts).
 */
export function workgroupGrid(total: number, maxX: number, maxY: number): { gx: number; gy: number } {
  const groups = Math.ceil(total / WORKGROUP);
  const gx = Math.min(groups, maxX);
  const gy = Math.ceil(groups / gx);
  if (gy > maxY) throw new UhfError('BACKEND_UNAVAILABLE', `dispatch of ${total} threads exceeds the device's workgroup grid`);
  return { gx, gy };
}

/** `bindings` bound in order, the uniform block last. */
export function bindGroupEntries(bindings: (Range | GPUBuffer)[], uniform: GPUBuffer): GPUBindGroupEntry[] {
  const entries: GPUBindGroupEntry[] = bindings.map((b, i) => ({
    binding: i,
    resource: 'offset' in b ? { buffer: b.buffer, offset: b.offset, size: b.size } : { buffer: b },
  }));
  entries.push({ binding: bindings.length, resource: { buffer: uniform } });
  return entries;
}

/** A float parameter as its word in a uniform block. */
export function f32bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0]!;
}
