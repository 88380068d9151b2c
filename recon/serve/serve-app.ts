/**
 * Everything `uhf serve` runs, as one function the CLI and the tests share:
 * the file policy, the recon worker (a Node child process), the API host with
 * the serve flavour of the host methods, and the HTTP + WebSocket server.
 */
import { mkdirSync } from 'node:fs';
import type { ApiEvent, AppInfo } from '../../shared/api/types.ts';
import { demoDir } from '../cli/demo.ts';
import { ApiHost, commonHostHandlers } from './api-host.ts';
import { ApiFailure } from './errors.ts';
import { FileAccessPolicy } from './file-policy.ts';
import { ensureRendererBuilt } from './renderer-build.ts';
import { startServer, type RunningServer } from './server.ts';
import { SettingsStore } from './settings.ts';
import { nodeWorkerLauncher, WorkerSupervisor, type WorkerLauncher } from './worker-supervisor.ts';

export interface ServeAppOptions {
  host?: string;
  port?: number;
  roots?: string[];
  token?: string;
  rendererDir?: string;
  launcher?: WorkerLauncher;
  log?: (line: string) => void;
}

export interface ServeApp extends RunningServer {
  supervisor: WorkerSupervisor;
  policy: FileAccessPolicy;
  api: ApiHost;
}

export async function serveApp(o: ServeAppOptions = {}): Promise<ServeApp> {
  const log = o.log ?? (() => undefined);
  const rendererDir = o.rendererDir ?? (await ensureRendererBuilt(log));
  mkdirSync(demoDir(), { recursive: true });
  const policy = new FileAccessPolicy([process.cwd(), demoDir(), ...(o.roots ?? [])]);
  const listeners = new Set<(e: ApiEvent) => void>();
  const supervisor = new WorkerSupervisor(o.launcher ?? nodeWorkerLauncher(), (e) => {
    if (e.type === 'worker' && e.state === 'crashed') log(`recon worker: ${e.message}`);
    for (const l of listeners) l(e);
  });
  const settings = new SettingsStore(null);
  settings.update({ firstLaunchDone: true }).catch(() => undefined);
  const version = (await import('../../package.json', { with: { type: 'json' } })).default.version;
  const notHere = (what: string) => () => Promise.reject(new ApiFailure('NOT_AVAILABLE', `${what} needs the desktop app; in the browser use the file list`));
  const api = new ApiHost({
    policy,
    worker: supervisor,
    handlers: {
      ...commonHostHandlers(policy),
      'app.info': async (): Promise<AppInfo> => ({ version, host: 'serve', platform: process.platform, roots: [...policy.rootList], firstLaunch: false, nativeDialogs: false }),
      'settings.get': async () => settings.get(),
      'settings.update': async (a) => settings.update(a.patch),
      'files.pickOpen': notHere('a native Open dialog'),
      'files.pickSave': notHere('a native Save dialog'),
    },
    onOpened: (p) => void settings.addRecent(p),
  });
  const running = await startServer({
    host: o.host ?? '127.0.0.1',
    port: o.port ?? 0,
    rendererDir,
    api,
    subscribe: (l) => void listeners.add(l),
    ...(o.token ? { token: o.token } : {}),
  });
  return {
    ...running,
    supervisor,
    policy,
    api,
    close: async () => {
      supervisor.close();
      await running.close();
    },
  };
}
