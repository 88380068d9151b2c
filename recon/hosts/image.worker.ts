/** Worker thread: reconstructs k-space buffers into images (see reconstruct-image.ts). */
import { parentPort } from 'node:worker_threads';
import { toErrorPayload } from '../../shared/errors.ts';
import type { KspaceBuffer } from '../pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageRecipe } from '../pipeline/reconstruct-image.ts';

parentPort!.on('message', (job: { buffer: KspaceBuffer; recipe: ImageRecipe }) => {
  try {
    const out = reconstructImage(job.buffer, job.recipe);
    const transfer = [out.magnitude.buffer as ArrayBuffer, ...(out.phase ? [out.phase.buffer as ArrayBuffer] : [])];
    parentPort!.postMessage({ ok: true, value: out }, transfer);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: toErrorPayload(e) });
  }
});
