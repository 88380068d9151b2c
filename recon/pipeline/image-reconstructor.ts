/**
 * Where buffers become images: in the calling thread, or on a pool of worker
 * threads (all cores). The pipeline sees one interface and never which it got.
 */
import type { KspaceBuffer } from './kspace-buffer.ts';
import { reconstructImage, type ImageOutput, type ImageRecipe } from './reconstruct-image.ts';
import { WorkerPool } from '../hosts/worker-pool.ts';
import type { CalibrateJob } from './parallel-imaging.ts';
import type { PiCalibration } from './pi-calibrate.ts';

export interface ImageReconstructor {
  readonly threads: number;
  reconstruct(buffer: KspaceBuffer, recipe: ImageRecipe): Promise<ImageOutput>;
  /** Jobs not yet finished (for back-pressure). */
  readonly inFlight: number;
  close(): Promise<void>;
}

export function inlineReconstructor(): ImageReconstructor {
  return {
    threads: 0,
    inFlight: 0,
    reconstruct: async (b, r) => reconstructImage(b, r),
    close: async () => {},
  };
}

/**
 * The worker threads of a reconstruction: images and parallel-imaging
 * calibrations share them (one start-up per thread, no oversubscription).
 */
export type ReconWorkerPool = WorkerPool<{ buffer: KspaceBuffer; recipe: ImageRecipe } | CalibrateJob, ImageOutput | PiCalibration>;

export function reconWorkerPool(threads: number): ReconWorkerPool {
  return new WorkerPool(new URL('../hosts/image.worker.ts', import.meta.url), threads);
}

/** Images on `pool`'s threads; the pool's owner closes it. */
export function pooledReconstructor(pool: ReconWorkerPool): ImageReconstructor {
  return {
    threads: pool.size,
    get inFlight() {
      return pool.inFlight;
    },
    // The buffer's samples move to the worker (transferred, not copied).
    reconstruct: (buffer, recipe) => pool.run({ buffer, recipe }, [buffer.data.buffer as ArrayBuffer]) as Promise<ImageOutput>,
    close: async () => {},
  };
}
