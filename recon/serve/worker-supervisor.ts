/**
 * The host's side of the recon worker: starts it (through a launcher, so the
 * same logic drives an Electron utilityProcess and a Node child process),
 * routes calls and progress, and survives the worker: when it dies every call
 * in flight fails with WORKER_CRASHED or WORKER_OUT_OF_MEMORY (retryOnCpu), a
 * 'crashed' event goes to the UI, and the next call starts a fresh worker.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ApiErrorPayload, ApiEvent, ProgressEvent } from '../../shared/api/types.ts';
import { ApiFailure } from './errors.ts';
import type { HostToWorker, WorkerToHost } from './worker-protocol.ts';

export interface WorkerExit {
  code: number | null;
  /** e.g. 'oom', 'crashed', a signal name; whatever the launcher knows. */
  reason: string;
  /** Last lines the worker wrote to stderr, when captured. */
  stderr?: string;
}

export interface WorkerLink {
  post(message: HostToWorker): void;
  onMessage(listener: (message: WorkerToHost) => void): void;
  onExit(listener: (exit: WorkerExit) => void): void;
  kill(): void;
}

export type WorkerLauncher = () => WorkerLink;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  method: string;
}

export class WorkerSupervisor {
  private link: WorkerLink | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  crashes = 0;

  constructor(
    private readonly launch: WorkerLauncher,
    private readonly onEvent: (event: ApiEvent) => void = () => undefined,
  ) {}

  private ensure(): WorkerLink {
    if (this.link) return this.link;
    const link = this.launch();
    this.link = link;
    link.onMessage((m) => this.onMessage(m));
    link.onExit((exit) => {
      if (this.link === link) this.link = null;
      this.onExit(exit);
    });
    return link;
  }

  private onMessage(m: WorkerToHost): void {
    if (m.type === 'reply') {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(new ApiFailure(m.error.code, m.error.message, { ...(m.error.file ? { file: m.error.file } : {}), ...(m.error.retryOnCpu ? { retryOnCpu: true } : {}) }));
    } else if (m.type === 'progress') {
      this.onEvent(m satisfies ProgressEvent);
    } else if (m.type === 'ready') {
      this.onEvent({ type: 'worker', state: 'ready', message: `recon worker ready (pid ${m.pid})` });
    }
  }

  private onExit(exit: WorkerExit): void {
    if (this.closed) return;
    const oom = exit.reason === 'oom' || /heap out of memory|allocation failed|out of memory/i.test(exit.stderr ?? '');
    const what = oom ? 'ran out of memory' : `stopped unexpectedly (${exit.reason}${exit.code !== null ? `, exit code ${exit.code}` : ''})`;
    const error: ApiErrorPayload = {
      code: oom ? 'WORKER_OUT_OF_MEMORY' : 'WORKER_CRASHED',
      message: `the recon worker ${what}; the app is fine — retry, or retry on the CPU backend`,
      retryOnCpu: true,
    };
    const failed = [...this.pending.values()];
    this.pending.clear();
    if (failed.length || exit.code !== 0) this.crashes++;
    for (const p of failed) p.reject(new ApiFailure(error.code, error.message, { retryOnCpu: true }));
    this.onEvent({ type: 'worker', state: 'crashed', message: error.message });
  }

  /** Send one call to the worker (starting it if needed). Arguments must already be validated. */
  call(method: string, args: unknown, jobId?: string): Promise<unknown> {
    if (this.closed) return Promise.reject(new ApiFailure('WORKER_CRASHED', 'the recon worker is shut down'));
    const link = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      link.post({ type: 'call', id, method, args, ...(jobId ? { jobId } : {}) });
    });
  }

  get running(): boolean {
    return this.link !== null;
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new ApiFailure('CANCELLED', 'the app is closing'));
    this.pending.clear();
    this.link?.kill();
    this.link = null;
  }
}

export const APP_WORKER_PATH = fileURLToPath(new URL('../hosts/app-worker.ts', import.meta.url));
export const REGISTER_TS_URL = new URL('../hosts/register-ts.mjs', import.meta.url).href;

/** Runs the worker as a Node child process (for `uhf serve` and tests). */
export function nodeWorkerLauncher(options: { module?: string; env?: NodeJS.ProcessEnv; execArgv?: string[] } = {}): WorkerLauncher {
  return () => {
    const child = fork(options.module ?? APP_WORKER_PATH, [], {
      execArgv: ['--import', REGISTER_TS_URL, ...(options.execArgv ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      env: options.env ?? process.env,
    });
    let stderrTail = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      process.stderr.write(text);
      stderrTail = (stderrTail + text).slice(-4000);
    });
    return {
      post: (m) => void child.send(m),
      onMessage: (l) => void child.on('message', (m) => l(m as WorkerToHost)),
      onExit: (l) => void child.on('close', (code, signal) => l({ code, reason: signal ?? (code === 0 ? 'exited' : 'crashed'), stderr: stderrTail })),
      kill: () => void child.kill(),
    };
  };
}
