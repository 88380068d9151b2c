/// <reference types="@webgpu/types" />
/**
 * Backend selection for `--backend auto|cpu|webgpu`, with the reason for the
 * report. The pipeline asks for a backend by choice, never by implementation:
 *
 * - 'cpu': the CPU image chain (worker threads), no KernelSet.
 * - 'webgpu': a WebGPU device (hardware, or a software adapter such as
 *   SwiftShader when that is all there is) that passes a small self-test;
 *   otherwise BACKEND_UNAVAILABLE with the reason.
 * - 'auto': WebGPU when a hardware adapter exists and passes the self-test;
 *   otherwise the CPU (a software adapter is slower than the CPU path).
 *
 * The device comes from a GpuProvider: navigator.gpu where it exists (Chromium,
 * Electron renderer, workers), else the Node host (recon/hosts/gpu-node.ts,
 * loaded only when needed).
 */
import { UhfError } from '../../shared/errors.ts';
import { fftnd } from '../fft/index.ts';
import type { BackendName, KernelSet } from './types.ts';

export interface ProvidedGpu {
  device: GPUDevice;
  /** Adapter, for reports. */
  label: string;
  isFallbackAdapter: boolean;
  release(): void;
}

/** `purpose` 'auto': only a hardware adapter is of use (a provider may skip software drivers and return early). */
export type GpuProvider = (purpose: 'auto' | 'webgpu') => Promise<{ ok: true; gpu: ProvidedGpu } | { ok: false; reason: string }>;

export interface BackendSelection {
  backend: BackendName;
  /** Why this backend: for the report. */
  reason: string;
  /** The device it runs on. */
  device: string;
  /** The kernels to use; null: the CPU image chain. */
  kernels: KernelSet | null;
  /** Releases the kernels and the device. Idempotent. */
  close(): void;
}

/** navigator.gpu in browsers / workers, the Node host elsewhere. */
export const defaultGpuProvider: GpuProvider = async (purpose) => {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) {
    const adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    if (!adapter) return { ok: false, reason: 'navigator.gpu.requestAdapter() returned no adapter' };
    const l = adapter.limits;
    const device = await adapter.requestDevice({
      requiredLimits: { maxBufferSize: l.maxBufferSize, maxStorageBufferBindingSize: l.maxStorageBufferBindingSize },
    });
    const info = adapter.info;
    const fallback = Boolean((info as GPUAdapterInfo & { isFallbackAdapter?: boolean }).isFallbackAdapter);
    return {
      ok: true,
      gpu: { device, label: `${info.vendor} ${info.architecture}${info.description ? ` (${info.description})` : ''}`, isFallbackAdapter: fallback, release: () => device.destroy() },
    };
  }
  // Node only: kept out of browser bundles (the specifier is not a literal for bundlers)
  const nodeHost = '../hosts/gpu-node.ts';
  const { acquireNodeGpu, gpuDeviceNodes } = (await import(/* @vite-ignore */ nodeHost)) as typeof import('../hosts/gpu-node.ts');
  const noGpu = gpuDeviceNodes()?.length === 0;
  if (purpose === 'auto' && noGpu) return { ok: false, reason: 'no GPU in this machine (no /dev/dri/renderD*, no /dev/nvidia*)' };
  // auto: hardware only; webgpu: the GPU plus SwiftShader, or SwiftShader alone when there is no GPU
  const r = await acquireNodeGpu({ software: purpose === 'auto' ? 'none' : noGpu ? 'only' : 'add' });
  if (!r.ok) return r;
  return { ok: true, gpu: { device: r.gpu.device, label: r.gpu.label, isFallbackAdapter: r.gpu.adapter.isFallbackAdapter, release: r.gpu.release } };
};

/** A tiny FFT on the device against the CPU (null: passed): catches drivers that run but compute garbage. */
export async function selfTest(k: KernelSet): Promise<string | null> {
  try {
    const shape = [12, 5, 2];
    const x = new Float32Array(2 * 120);
    for (let i = 0; i < x.length; i++) x[i] = Math.sin(0.37 * i) + 0.25 * Math.cos(1.3 * i * i);
    const ref = x.slice();
    fftnd(ref, shape, [0, 1]);
    const got = await k.checked(() => {
      const a = k.upload(x);
      k.fft(a, shape, [0, 1]);
      const r = k.read(a);
      k.free(a);
      return r;
    });
    let num = 0, den = 0;
    for (let i = 0; i < ref.length; i++) {
      num += (got[i]! - ref[i]!) ** 2;
      den += ref[i]! ** 2;
    }
    const err = Math.sqrt(num / den);
    return err < 1e-4 ? null : `its FFT differs from the CPU's (relative L2 ${err.toExponential(1)})`;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function cpuSelection(reason: string): BackendSelection {
  return { backend: 'cpu', reason, device: 'CPU', kernels: null, close: () => {} };
}

export interface OpenBackendOptions {
  provider?: GpuProvider;
  /** Builds the WebGPU KernelSet on a device (default: recon/backends/webgpu). */
  webgpu?: (device: GPUDevice, description: string, software: boolean) => KernelSet | Promise<KernelSet>;
}

/** Opens the backend for `choice`; throws BACKEND_UNAVAILABLE only when 'webgpu' was asked for and cannot run. */
export async function openBackend(choice: 'auto' | 'cpu' | 'webgpu', opts: OpenBackendOptions = {}): Promise<BackendSelection> {
  if (choice === 'cpu') return cpuSelection('requested (--backend cpu)');
  const provider = opts.provider ?? defaultGpuProvider;
  let acquired: Awaited<ReturnType<GpuProvider>>;
  try {
    acquired = await provider(choice);
  } catch (e) {
    acquired = { ok: false, reason: `WebGPU initialisation failed: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!acquired.ok) {
    if (choice === 'webgpu') throw new UhfError('BACKEND_UNAVAILABLE', `--backend webgpu: ${acquired.reason}`);
    return cpuSelection(`auto: ${acquired.reason}`);
  }
  const gpu = acquired.gpu;
  if (choice === 'auto' && gpu.isFallbackAdapter) {
    gpu.release();
    return cpuSelection(`auto: the only WebGPU adapter is a software one (${gpu.label}), slower than the CPU; --backend webgpu uses it anyway`);
  }
  let kernels: KernelSet;
  try {
    const make = opts.webgpu ?? (async (device: GPUDevice, description: string, software: boolean) => (await import('../backends/webgpu/kernels.ts')).webgpuKernels(device, { description, software }));
    kernels = await make(gpu.device, gpu.label, gpu.isFallbackAdapter);
  } catch (e) {
    gpu.release();
    const reason = `WebGPU kernels could not be set up: ${e instanceof Error ? e.message : String(e)}`;
    if (choice === 'webgpu') throw new UhfError('BACKEND_UNAVAILABLE', `--backend webgpu: ${reason}`);
    return cpuSelection(`auto: ${reason}`);
  }
  const failed = await selfTest(kernels);
  if (failed) {
    kernels.dispose();
    gpu.release();
    if (choice === 'webgpu') throw new UhfError('BACKEND_UNAVAILABLE', `--backend webgpu: ${gpu.label} failed the self-test: ${failed}`);
    return cpuSelection(`auto: WebGPU adapter ${gpu.label} failed the self-test (${failed})`);
  }
  let closed = false;
  return {
    backend: 'webgpu',
    reason: choice === 'webgpu' ? `requested (--backend webgpu) on ${gpu.label}` : `auto: WebGPU adapter ${gpu.label} found and passed the self-test`,
    device: gpu.label,
    kernels,
    close() {
      if (closed) return;
      closed = true;
      kernels.dispose();
      gpu.release();
    },
  };
}
