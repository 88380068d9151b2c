/**
 * A small pool of worker threads running one TypeScript module. Jobs are sent with
 * their ArrayBuffers transferred (never copied as JSON); a worker that crashes
 * fails its job with a typed error instead of hanging the pool.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { UhfError } from '../../shared/errors.ts';
import { workerBundle } from './worker-bundle.ts';

const BOOTSTRAP = new URL('./ts-worker.mjs', import.meta.url);

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
}

export class WorkerPool<In, Out> {
  private readonly slots: Slot[] = [];
  private readonly queue: { job: In; transfer: ArrayBuffer[]; pending: Pending }[] = [];
  private closed = false;

  /**
   * Starts `size` workers running `moduleUrl`: from its bundle (worker-bundle.ts)
   * once that is built, else through the tsx bootstrap. Jobs queue until then.
   */
  constructor(moduleUrl: URL, size = defaultWorkerCount()) {
    this.size = size;
    void workerBundle(moduleUrl).then((bundle) => {
      if (this.closed) return;
      for (let i = 0; i < size; i++) this.spawn(bundle ? new Worker(bundle) : new Worker(BOOTSTRAP, { workerData: { module: moduleUrl.href } }));
      this.pump();
    });
  }

  readonly size: number;

  private spawn(worker: Worker): void {
    const slot: Slot = { worker, busy: null };
    worker.on('message', (msg: { ok: true; value: Out } | { ok: false; error: { code: string; message: string } }) => {
      const p = slot.busy;
      slot.busy = null;
      if (p) {
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new UhfError((msg.error.code as UhfError['code']) ?? 'INTERNAL', msg.error.message));
      }
      this.pump();
    });
    worker.on('error', (err) => {
      const p = slot.busy;
      slot.busy = null;
      p?.reject(new UhfError('INTERNAL', `worker thread failed: ${err.message}`, { cause: err }));
    });
    worker.unref();
    this.slots.push(slot);
  }

  /** Jobs queued or running. */
  get inFlight(): number {
    return this.queue.length + this.slots.filter((s) => s.busy).length;
  }

  run(job: In, transfer: ArrayBuffer[] = []): Promise<Out> {
    if (this.closed) return Promise.reject(new UhfError('INTERNAL', 'worker pool is closed'));
    return new Promise<Out>((resolve, reject) => {
      this.queue.push({ job, transfer, pending: { resolve: resolve as (v: unknown) => void, reject } });
      this.pump();
    });
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const next = this.queue.shift()!;
      slot.busy = next.pending;
      slot.worker.ref();
      slot.worker.postMessage(next.job, next.transfer);
    }
    for (const slot of this.slots) if (!slot.busy) slot.worker.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queue.splice(0)) q.pending.reject(new UhfError('CANCELLED', 'worker pool closed'));
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism());
}
