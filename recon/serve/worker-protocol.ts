/**
 * Messages between a host (Electron main, the serve server) and the recon
 * worker process. Carried by structured clone (Electron's parentPort, Node's
 * `fork` with advanced serialization), so typed arrays travel as binary.
 */
import type { ApiErrorPayload, ProgressEvent } from '../../shared/api/types.ts';

export type HostToWorker = { type: 'call'; id: number; method: string; args: unknown; jobId?: string };

export type WorkerToHost =
  | { type: 'ready'; pid: number }
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: ApiErrorPayload }
  | ProgressEvent;

/** Throttles a job's progress to ~10 events/s and estimates the time left from the rate so far. */
export function progressReporter(jobId: string, emit: (e: ProgressEvent) => void, now: () => number = () => performance.now()) {
  const t0 = now();
  let last = -Infinity;
  let lastStage = '';
  return (stage: string, fraction: number) => {
    const t = now();
    const f = Math.min(1, Math.max(0, fraction));
    if (stage === lastStage && f < 1 && t - last < 100) return;
    last = t;
    lastStage = stage;
    const elapsed = (t - t0) / 1000;
    const etaSec = f >= 0.03 && f < 1 ? (elapsed * (1 - f)) / f : f >= 1 ? 0 : null;
    emit({ type: 'progress', jobId, stage, fraction: f, etaSec });
  };
}
