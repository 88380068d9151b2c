/**
 * An ImageReconstructor that runs the image chain through a KernelSet (the
 * chains of recon/backends/webgpu/reconstruct-image-gpu.ts, parallel imaging
 * included), with a CPU safety net: when the backend fails (device lost,
 * timeout, out of memory, beyond its limits) the image is reconstructed again
 * on the CPU from the untouched buffer, and every later image goes to the CPU
 * too. Errors that are not backend failures (bad data) propagate. Never a
 * hang, never a half-computed image.
 *
 * Parallel-imaging calibrations (GRAPPA weights, SENSE maps and unfolding
 * weights) stay on the backend between the images of a slice, within
 * CALIBRATION_CACHE_BYTES, until `close`.
 */
import { isUhfError } from '../../shared/errors.ts';
import { reconstructImageWithKernels } from '../backends/webgpu/reconstruct-image-gpu.ts';
import type { ImageReconstructor } from '../pipeline/image-reconstructor.ts';
import type { KspaceBuffer } from '../pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageOutput, type ImageRecipe } from '../pipeline/reconstruct-image.ts';
import { DeviceCache } from './device-cache.ts';
import type { KernelSet } from './types.ts';

/** Calibration data kept on the backend between images. */
const CALIBRATION_CACHE_BYTES = 512 * 2 ** 20;

export interface KernelReconstructorStats {
  /** Images computed by the backend. */
  backendImages: number;
  /** Images computed on the CPU after a backend failure. */
  cpuImages: number;
  /** The first backend failure, if any. */
  failure: string | null;
}

export interface KernelReconstructor extends ImageReconstructor {
  readonly stats: KernelReconstructorStats;
}

export function kernelReconstructor(kernels: KernelSet): KernelReconstructor {
  const stats: KernelReconstructorStats = { backendImages: 0, cpuImages: 0, failure: null };
  const cache = new DeviceCache(kernels, Math.min(CALIBRATION_CACHE_BYTES, kernels.limits.maxArrayBytes));
  let inFlight = 0;
  const onCpu = (b: KspaceBuffer, r: ImageRecipe): ImageOutput => {
    stats.cpuImages++;
    return reconstructImage(b, r);
  };
  return {
    threads: 0,
    stats,
    get inFlight() {
      return inFlight;
    },
    async reconstruct(b, r) {
      inFlight++;
      try {
        if (stats.failure !== null || !kernels.healthy) return onCpu(b, r);
        try {
          const out = await reconstructImageWithKernels(kernels, b, r, cache);
          stats.backendImages++;
          return out;
        } catch (e) {
          if (!isUhfError(e, 'GPU_DEVICE_LOST') && !isUhfError(e, 'BACKEND_UNAVAILABLE')) throw e;
          stats.failure ??= e.message;
          return onCpu(b, r);
        }
      } finally {
        inFlight--;
      }
    },
    close: async () => cache.clear(),
  };
}
