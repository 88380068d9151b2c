/**
 * The recon worker process of the app: serves the worker methods of the API
 * contract (recon, NIfTI, GLM …) for one host. It runs as an Electron
 * utilityProcess (messages on `process.parentPort`) or as a Node child process
 * forked by `uhf serve` (messages on `process.send`, advanced serialization).
 * A crash, an out-of-memory or a lost GPU here ends this process only; the host
 * reports it and starts a new one.
 */
import { AppService } from '../serve/service.ts';
import { toApiError } from '../serve/errors.ts';
import { progressReporter, type HostToWorker, type WorkerToHost } from '../serve/worker-protocol.ts';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

type Channel = { post(m: WorkerToHost): void; listen(onMessage: (m: unknown) => void): void };

function channel(): Channel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { post: (m) => parentPort.postMessage(m), listen: (f) => parentPort.on('message', (e) => f(e.data)) };
  }
  if (process.send) {
    const send = process.send.bind(process);
    return { post: (m) => void send(m), listen: (f) => process.on('message', f) };
  }
  throw new Error('app-worker: no parent to talk to (start it from Electron or uhf serve)');
}

function isCall(m: unknown): m is HostToWorker {
  const c = m as HostToWorker;
  return !!c && typeof c === 'object' && c.type === 'call' && typeof c.id === 'number' && typeof c.method === 'string' && (c.jobId === undefined || typeof c.jobId === 'string');
}

const service = new AppService();
const ch = channel();
ch.listen((m) => {
  if (!isCall(m)) return;
  const progress = m.jobId ? progressReporter(m.jobId, (e) => ch.post(e)) : () => undefined;
  service.handle(m.method, m.args, m.jobId, progress).then(
    (result) => ch.post({ type: 'reply', id: m.id, ok: true, result }),
    (err) => ch.post({ type: 'reply', id: m.id, ok: false, error: toApiError(err) }),
  );
});
// The host's channel keeps this process alive; when the host goes, so does the worker.
process.on('disconnect', () => process.exit(0));
ch.post({ type: 'ready', pid: process.pid });
