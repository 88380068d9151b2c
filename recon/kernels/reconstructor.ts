/**
 * An ImageReconstructor that runs the image chain through a KernelSet (the GPU
 * chain of recon/backends/webgpu/reconstruct-image-gpu.ts), with a CPU safety
 * net: when the backend fails (device lost, timeout, out of memory, beyond its
 * limits) the image is reconstructed again on the CPU from the untouched
 * buffer, and every later image goes to the CPU too. Images that need parallel
 * imaging go to the CPU chain (counted apart). Errors that are not
 * backend failures (bad data) propagate. Never a hang, never a half-computed
 * image.
 */
import { isUhfError } from '../../shared/errors.ts';
import { reconstructImageWithKernels } from '../backends/webgpu/reconstruct-image-gpu.ts';
import type { ImageReconstructor } from '../pipeline/image-reconstructor.ts';
import type { KspaceBuffer } from '../pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageOutput, type ImageRecipe } from '../pipeline/reconstruct-image.ts';
import type { KernelSet } from './types.ts';

export interface KernelReconstructorStats {
  /** Images computed by the backend. */
  backendImages: number;
  /** Images computed on the CPU after a backend failure. */
  cpuImages: number;
  /** Images computed on the CPU because the backend chain lacks a step they need (parallel imaging). */
  cpuOnlyImages: number;
  /** Why, for the report. */
  cpuOnlyReason: string | null;
  /** The first backend failure, if any. */
  failure: string | null;
}

export interface KernelReconstructor extends ImageReconstructor {
  readonly stats: KernelReconstructorStats;
}

export function kernelReconstructor(kernels: KernelSet): KernelReconstructor {
  const stats: KernelReconstructorStats = { backendImages: 0, cpuImages: 0, cpuOnlyImages: 0, cpuOnlyReason: null, failure: null };
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
        if (r.pi) {
          // GRAPPA / SENSE application is not composed from kernels yet: the CPU chain does it
          stats.cpuOnlyImages++;
          stats.cpuOnlyReason ??= 'parallel imaging (GRAPPA/SENSE) runs on the CPU';
          return reconstructImage(b, r);
        }
        if (stats.failure !== null || !kernels.healthy) return onCpu(b, r);
        try {
          const out = await reconstructImageWithKernels(kernels, b, r);
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
    close: async () => {},
  };
}
