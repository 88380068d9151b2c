/**
 * Faults and backend selection: a lost device (before or during an image), work
 * beyond the device's limits, and `--backend auto|cpu|webgpu` with every kind
 * of adapter answer. The image must come out right (retried on the CPU) or the
 * error must be clear; never a hang.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { isUhfError } from '../../shared/errors.ts';
import { CpuKernels } from '../../recon/backends/cpu/index.ts';
import { webgpuKernels } from '../../recon/backends/webgpu/kernels.ts';
import { acquireNodeGpu, findSwiftShaderIcd } from '../../recon/hosts/gpu-node.ts';
import { kernelReconstructor } from '../../recon/kernels/reconstructor.ts';
import { openBackend, type GpuProvider } from '../../recon/kernels/select.ts';
import type { KernelSet } from '../../recon/kernels/types.ts';
import { fftc } from '../../recon/fft/index.ts';
import { emptyAcquisitionHeader } from '../../recon/io/ismrmrd/acquisition-codec.ts';
import type { KspaceBuffer } from '../../recon/pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageRecipe } from '../../recon/pipeline/reconstruct-image.ts';
import { noise, relL2, testGpu } from './gpu-device.ts';

const { gpu } = await testGpu();
afterAll(() => gpu?.release());

function buffer(n0: number, n1: number, nc: number, seed: number): KspaceBuffer {
  const data = noise(2 * n0 * n1 * nc, seed);
  fftc(data, [n0, n1, 1, nc], [0, 1]);
  return {
    key: { slice: seed, contrast: 0, phase: 0, repetition: 0, set: 0 },
    dims: [n0, n1, 1, nc],
    data,
    lineCount: new Uint16Array(n1).fill(1),
    roRange: [0, n0 - 1],
    first: emptyAcquisitionHeader(),
  };
}

const recipe: ImageRecipe = {
  is3D: false, reconMatrix: [24, 30, 1], gridMatrix: [48, 30, 1], combine: 'rss', partialFourier: 'pocs', keepPhase: false,
  channelMatrix: { m: Float64Array.from(noise(2 * 16, 3)), rows: 4, cols: 4 },
};

/** The CPU chain's image (on a copy: reconstructImage works in place). */
function expected(b: KspaceBuffer): Float32Array {
  return reconstructImage({ ...b, data: b.data.slice() }, recipe).magnitude;
}

/** A device of its own (the test destroys it). */
async function ownDevice() {
  const r = await acquireNodeGpu({ software: 'only' });
  if (!r.ok) throw new Error(r.reason);
  return r.gpu;
}

describe.skipIf(!gpu)('GPU faults: retried on the CPU, never a wrong image or a hang', () => {
  it('device lost between images: the rest go to the CPU, results correct', async () => {
    const g = await ownDevice();
    const k = webgpuKernels(g.device, { fftKernel: 'stages' });
    const rec = kernelReconstructor(k);
    const b1 = buffer(48, 30, 4, 1), b2 = buffer(48, 30, 4, 2);
    const [e1, e2] = [expected(b1), expected(b2)];
    const o1 = await rec.reconstruct(b1, recipe);
    expect(relL2(o1.magnitude, e1)).toBeLessThan(1e-5);
    g.device.destroy();
    const o2 = await rec.reconstruct(b2, recipe);
    expect(relL2(o2.magnitude, e2)).toBeLessThan(1e-6);
    expect(rec.stats.backendImages).toBe(1);
    expect(rec.stats.cpuImages).toBe(1);
    expect(rec.stats.failure).toMatch(/device|destroyed|lost/i);
    expect(k.healthy).toBe(false);
    k.dispose();
    g.release();
  });

  it('device lost while an image is in flight: that image is redone on the CPU', async () => {
    const g = await ownDevice();
    const k = webgpuKernels(g.device, { fftKernel: 'stages' });
    const rec = kernelReconstructor(k);
    const b = buffer(48, 30, 4, 5);
    const want = expected(b);
    const pending = rec.reconstruct(b, recipe);
    g.device.destroy();
    const out = await pending;
    expect(relL2(out.magnitude, want)).toBeLessThan(1e-5);
    expect(rec.stats.backendImages + rec.stats.cpuImages).toBe(1);
    k.dispose();
    g.release();
  });

  it('a raw kernel call on a lost device fails with GPU_DEVICE_LOST', async () => {
    const g = await ownDevice();
    const k = webgpuKernels(g.device, { fftKernel: 'stages' });
    const a = k.upload(new Float32Array(64));
    g.device.destroy();
    await expect(k.checked(() => k.read(a))).rejects.toSatisfy((e: unknown) => isUhfError(e, 'GPU_DEVICE_LOST'));
    expect(() => k.upload(new Float32Array(4))).toThrow(/lost|destroyed/);
    k.dispose();
    g.release();
  });

  it('work beyond the device limits: BACKEND_UNAVAILABLE, and the image is made on the CPU', async () => {
    // a binding limit of 4 KiB: the channel matrix cannot bind the image
    const k = webgpuKernels(gpu!.device, { maxBindingBytes: 4096, fftKernel: 'stages' });
    const rec = kernelReconstructor(k);
    const b = buffer(48, 30, 4, 8);
    const want = expected(b);
    const out = await rec.reconstruct(b, recipe);
    expect(relL2(out.magnitude, want)).toBeLessThan(1e-6);
    expect(rec.stats.cpuImages).toBe(1);
    expect(rec.stats.failure).toMatch(/binding limit/);
    const huge = webgpuKernels(gpu!.device);
    expect(() => huge.zeros(2 ** 31)).toThrow(/maxBufferSize/);
    k.dispose();
    huge.dispose();
  });
});

describe('backend selection (--backend auto | cpu | webgpu)', () => {
  const none: GpuProvider = async () => ({ ok: false, reason: 'no WebGPU adapter: test' });
  const softwareOrHardware = (isFallbackAdapter: boolean): GpuProvider => async () => {
    const g = await ownDevice();
    return { ok: true, gpu: { device: g.device, label: `${g.label} (test)`, isFallbackAdapter, release: g.release } };
  };

  it('cpu: always the CPU chain', async () => {
    const s = await openBackend('cpu', { provider: none });
    expect(s).toMatchObject({ backend: 'cpu', kernels: null });
    expect(s.reason).toMatch(/requested/);
  });

  it('no adapter: auto falls back with the reason, webgpu fails clearly', async () => {
    const s = await openBackend('auto', { provider: none });
    expect(s.backend).toBe('cpu');
    expect(s.reason).toBe('auto: no WebGPU adapter: test');
    await expect(openBackend('webgpu', { provider: none })).rejects.toThrow(/--backend webgpu: no WebGPU adapter: test/);
    const throwing: GpuProvider = async () => {
      throw new Error('dawn exploded');
    };
    expect((await openBackend('auto', { provider: throwing })).reason).toMatch(/dawn exploded/);
  });

  it.skipIf(!gpu)('software adapter: auto prefers the CPU, webgpu uses it', async () => {
    const auto = await openBackend('auto', { provider: softwareOrHardware(true) });
    expect(auto.backend).toBe('cpu');
    expect(auto.reason).toMatch(/software/);
    const forced = await openBackend('webgpu', { provider: softwareOrHardware(true) });
    expect(forced.backend).toBe('webgpu');
    expect(forced.kernels?.backend).toBe('webgpu');
    expect(forced.reason).toMatch(/requested/);
    forced.close();
    forced.close();
  });

  it.skipIf(!gpu)('hardware adapter: auto uses WebGPU after the self-test; a broken one is refused', async () => {
    const auto = await openBackend('auto', { provider: softwareOrHardware(false) });
    expect(auto.backend).toBe('webgpu');
    expect(auto.reason).toMatch(/passed the self-test/);
    auto.close();
    // kernels that compute garbage
    const broken = (): KernelSet => {
      const c = new CpuKernels();
      c.fft = (a) => c.scale(a, 2);
      return c;
    };
    const refused = await openBackend('auto', { provider: softwareOrHardware(false), webgpu: broken });
    expect(refused.backend).toBe('cpu');
    expect(refused.reason).toMatch(/self-test.*relative L2/);
    await expect(openBackend('webgpu', { provider: softwareOrHardware(false), webgpu: broken })).rejects.toThrow(/self-test/);
  });

  it('finds the SwiftShader ICD shipped with Chromium when it is installed', () => {
    const icd = findSwiftShaderIcd();
    if (icd === null) console.warn('no SwiftShader ICD on this machine');
    else expect(icd).toMatch(/vk_swiftshader_icd\.json$/);
  });
});
