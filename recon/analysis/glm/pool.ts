/**
 * A worker_threads pool for voxel blocks. Workers load a bundle of worker.ts
 * (recon/hosts/worker-bundle.ts), else the TypeScript sources through tsx's
 * loader (as bin/uhf.mjs does); if they cannot start, callers fall back to
 * fitting inline.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UhfError } from '../../../shared/errors.ts';
import { workerBundle } from '../../hosts/worker-bundle.ts';
import type { ChunkOutput, GlmSetup } from './chunk.ts';
import type { ChunkReply, ChunkRequest } from './worker.ts';

interface Slot {
  worker: Worker;
  busy: number;
}

function bootstrapSource(): string {
  // tsx's ESM register API (the CommonJS build of it cannot register ESM hooks from a worker).
  const tsxRoot = dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = pathToFileURL(join(tsxRoot, 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL('./worker.ts', import.meta.url).href;
  return `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })
  .catch((e) => { require('node:worker_threads').parentPort.postMessage({ fatal: String((e && e.stack) || e) }); });`;
}

export class ChunkPool {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (o: ChunkOutput) => void; reject: (e: Error) => void; slot: Slot }>();

  private constructor(private readonly slots: Slot[]) {
    for (const slot of slots) {
      slot.worker.on('message', (msg: ChunkReply) => this.onReply(msg));
      slot.worker.on('error', (err) => this.failAll(err));
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Start `threads` workers and wait until each has built its model. */
  static async start(threads: number, setup: GlmSetup, timeoutMs = 60_000): Promise<ChunkPool> {
    // From a bundle of worker.ts when esbuild can build one (starts in ~0.1 s), else through tsx.
    const bundle = await workerBundle(new URL('./worker.ts', import.meta.url));
    const source = bundle ? null : bootstrapSource();
    const workers = Array.from({ length: threads }, () => (source === null ? new Worker(bundle!, { workerData: { setup } }) : new Worker(source, { eval: true, workerData: { setup } })));
    try {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(() => reject(new UhfError('BACKEND_UNAVAILABLE', 'GLM worker did not start in time')), timeoutMs);
              w.once('message', (msg: { ready?: boolean; fatal?: string }) => {
                clearTimeout(timer);
                if (msg.ready) resolve();
                else reject(new UhfError('BACKEND_UNAVAILABLE', `GLM worker failed to start: ${msg.fatal ?? 'unknown'}`));
              });
              w.once('error', (e) => {
                clearTimeout(timer);
                reject(e);
              });
            }),
        ),
      );
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new ChunkPool(workers.map((worker) => ({ worker, busy: 0 })));
  }

  /** Fit one block (its buffer is transferred to the worker). */
  run(y: Float32Array, m: number): Promise<ChunkOutput> {
    const slot = this.slots.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    slot.busy++;
    return new Promise<ChunkOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, slot });
      slot.worker.postMessage({ id, y, m } satisfies ChunkRequest, [y.buffer as ArrayBuffer]);
    });
  }

  private onReply(msg: ChunkReply): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    p.slot.busy--;
    if ('error' in msg) p.reject(new UhfError('INTERNAL', `GLM worker: ${msg.error}`));
    else p.resolve(msg.out);
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(err);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
