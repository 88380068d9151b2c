// The host survives its recon worker: a crash or an out-of-memory fails the
// calls in flight with a typed error (retry on the CPU offered), the UI hears
// of it, and the next call gets a fresh worker. Uses the real worker process.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../shared/api/types.ts';
import { ApiFailure } from '../../recon/serve/errors.ts';
import { nodeWorkerLauncher, WorkerSupervisor, type WorkerExit, type WorkerLauncher, type WorkerLink } from '../../recon/serve/worker-supervisor.ts';

async function failure(p: Promise<unknown>): Promise<ApiFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ApiFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('WorkerSupervisor', () => {
  it('runs calls in a real worker process, survives its death and restarts it', async () => {
    const links: WorkerLink[] = [];
    const base = nodeWorkerLauncher({ env: { ...process.env, XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'uhf-sup-')) } });
    const launcher: WorkerLauncher = () => {
      const l = base();
      links.push(l);
      return l;
    };
    const events: ApiEvent[] = [];
    const sup = new WorkerSupervisor(launcher, (e) => events.push(e));
    try {
      const notFound = await failure(sup.call('volume.data', { volumeId: 'v1' }));
      expect(notFound.code).toBe('VOLUME_NOT_FOUND');
      const bad = await failure(sup.call('volume.data', { volumeId: 3 }));
      expect(bad.code).toBe('API_BAD_REQUEST');

      const inFlight = sup.call('demo.prepare', {}, 'job-1');
      links[0]!.kill();
      const crash = await failure(inFlight);
      expect(crash.code).toBe('WORKER_CRASHED');
      expect(crash.extra.retryOnCpu).toBe(true);
      expect(events.some((e) => e.type === 'worker' && e.state === 'crashed')).toBe(true);

      const again = await failure(sup.call('volume.data', { volumeId: 'v1' }));
      expect(again.code).toBe('VOLUME_NOT_FOUND');
      expect(links).toHaveLength(2);
    } finally {
      sup.close();
    }
  }, 60_000);

  it('tells an out-of-memory from a crash', async () => {
    let exit: (e: WorkerExit) => void = () => undefined;
    const launcher: WorkerLauncher = () => ({ post: () => undefined, onMessage: () => undefined, onExit: (l) => void (exit = l), kill: () => undefined });
    const sup = new WorkerSupervisor(launcher);
    const p = sup.call('recon.run', {});
    exit({ code: 134, reason: 'crashed', stderr: 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory' });
    const e = await failure(p);
    expect(e.code).toBe('WORKER_OUT_OF_MEMORY');
    const q = sup.call('recon.run', {});
    exit({ code: null, reason: 'oom' });
    expect((await failure(q)).code).toBe('WORKER_OUT_OF_MEMORY');
    sup.close();
    expect((await failure(sup.call('app.info', {}))).code).toBe('WORKER_CRASHED');
  });
});
