/**
 * The recon worker as an Electron utilityProcess: the same app-worker.ts that
 * `uhf serve` forks, started with the TypeScript loader. A crash, an
 * out-of-memory (Electron reports the reason through 'child-process-gone') or
 * a lost GPU ends that process only; the supervisor reports it to the UI.
 */
import { APP_WORKER_PATH, REGISTER_TS_URL, type WorkerExit, type WorkerLauncher, type WorkerLink } from '../recon/serve/worker-supervisor.ts';
import type { WorkerToHost } from '../recon/serve/worker-protocol.ts';
import type { ElectronModule } from './electron-types.ts';

export const WORKER_SERVICE_NAME = 'UHF recon worker';

/** Exit reasons by pid, filled from app 'child-process-gone' (which knows about OOM). */
const goneReasons = new Map<number, string>();

export function watchChildProcesses(electron: ElectronModule): void {
  electron.app.on('child-process-gone', (_e, d) => {
    if (d.type === 'Utility' && (d.serviceName === WORKER_SERVICE_NAME || d.name === WORKER_SERVICE_NAME)) goneReasons.set(-1, d.reason);
  });
}

export function utilityWorkerLauncher(electron: ElectronModule): WorkerLauncher {
  return (): WorkerLink => {
    const child = electron.utilityProcess.fork(APP_WORKER_PATH, [], {
      serviceName: WORKER_SERVICE_NAME,
      execArgv: ['--import', REGISTER_TS_URL],
      stdio: 'pipe',
    });
    let stderrTail = '';
    child.stderr?.on('data', (chunk) => {
      const text = chunk.toString();
      process.stderr.write(text);
      stderrTail = (stderrTail + text).slice(-4000);
    });
    const exitListeners: ((e: WorkerExit) => void)[] = [];
    child.on('exit', (code) => {
      // 'child-process-gone' arrives around the same time; give it a moment to say why.
      setTimeout(() => {
        const reason = goneReasons.get(-1) ?? (code === 0 ? 'exited' : 'crashed');
        goneReasons.delete(-1);
        for (const l of exitListeners) l({ code, reason, stderr: stderrTail });
      }, 50);
    });
    return {
      post: (m) => child.postMessage(m),
      onMessage: (l) => child.on('message', (m) => l(m as WorkerToHost)),
      onExit: (l) => void exitListeners.push(l),
      kill: () => void child.kill(),
    };
  };
}
