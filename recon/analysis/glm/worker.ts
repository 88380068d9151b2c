/** Worker-thread side of the chunk pool: fits the blocks it is sent with one ChunkProcessor. */
import { parentPort, workerData } from 'node:worker_threads';
import { ChunkProcessor, type ChunkOutput, type GlmSetup } from './chunk.ts';

export interface ChunkRequest {
  id: number;
  y: Float32Array;
  m: number;
}

export type ChunkReply = { id: number; out: ChunkOutput } | { id: number; error: string };

function buffersOf(out: ChunkOutput): ArrayBuffer[] {
  const arrays = [out.mean, out.sigma2, out.rho, ...out.stat, ...out.z, ...out.effect, ...out.variance];
  return arrays.map((a) => a.buffer as ArrayBuffer);
}

const port = parentPort;
if (port) {
  const processor = new ChunkProcessor((workerData as { setup: GlmSetup }).setup);
  port.on('message', (msg: ChunkRequest) => {
    try {
      const out = processor.process(msg.y, msg.m);
      port.postMessage({ id: msg.id, out } satisfies ChunkReply, buffersOf(out));
    } catch (e) {
      port.postMessage({ id: msg.id, error: e instanceof Error ? e.message : String(e) } satisfies ChunkReply);
    }
  });
  port.postMessage({ ready: true });
}
