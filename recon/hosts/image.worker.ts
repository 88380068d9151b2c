/**
 * Worker thread of the reconstruction: k-space buffers → images
 * (reconstruct-image.ts), and per-slice parallel-imaging calibrations
 * (pi-calibrate.ts). Results go back with their buffers transferred.
 */
import { parentPort } from 'node:worker_threads';
import { toErrorPayload } from '../../shared/errors.ts';
import type { KspaceBuffer } from '../pipeline/kspace-buffer.ts';
import type { CalibrateJob } from '../pipeline/parallel-imaging.ts';
import { calibrateParallelImaging } from '../pipeline/pi-calibrate.ts';
import { reconstructImage, type ImageRecipe } from '../pipeline/reconstruct-image.ts';

type Job = { kind?: 'image'; buffer: KspaceBuffer; recipe: ImageRecipe } | CalibrateJob;

function buffersOf(value: object): ArrayBuffer[] {
  return Object.values(value).filter((v): v is Float32Array => v instanceof Float32Array).map((v) => v.buffer as ArrayBuffer);
}

parentPort!.on('message', (job: Job) => {
  try {
    const value = job.kind === 'calibrate' ? calibrateParallelImaging(job) : reconstructImage(job.buffer, job.recipe);
    parentPort!.postMessage({ ok: true, value }, [...new Set(buffersOf(value))]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: toErrorPayload(e) });
  }
});
