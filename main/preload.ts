/**
 * The preload of every window (sandboxed, context-isolated): exposes
 * `window.uhf`, a few functions generated from the API contract — never
 * ipcRenderer itself. Unknown methods are refused here already; main checks
 * the sender and parses every argument again. Bundled to dist/main/preload.cjs
 * by scripts/start.mjs, since a sandboxed preload is a single CommonJS script.
 */
import { BRIDGE_CHANNELS, type BridgeReply, type UhfBridge } from '../shared/api/bridge.ts';
import { API_METHODS } from '../shared/api/contract.ts';
import type { ApiEvent } from '../shared/api/types.ts';

interface PreloadElectron {
  contextBridge: { exposeInMainWorld(key: string, api: unknown): void };
  ipcRenderer: {
    invoke(channel: string, ...args: unknown[]): Promise<unknown>;
    on(channel: string, listener: (event: { ports: { onmessage: ((m: { data: unknown }) => void) | null; start(): void }[] }, ...args: unknown[]) => void): void;
    removeListener(channel: string, listener: (...args: never[]) => void): void;
  };
  webUtils: { getPathForFile(file: unknown): string };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer, webUtils } = require('electron') as PreloadElectron;

const listeners = new Set<(e: ApiEvent) => void>();
ipcRenderer.on(BRIDGE_CHANNELS.port, (event) => {
  const port = event.ports[0];
  if (!port) return;
  port.onmessage = (m) => {
    for (const l of listeners) l(m.data as ApiEvent);
  };
  port.start();
});

const known = new Set<string>(API_METHODS);

const bridge: UhfBridge = {
  kind: 'electron',
  methods: [...API_METHODS],
  invoke(method, args, jobId) {
    if (typeof method !== 'string' || !known.has(method)) {
      return Promise.resolve({ ok: false, error: { code: 'API_UNKNOWN_METHOD', message: `unknown method ${String(method).slice(0, 60)}` } });
    }
    return ipcRenderer.invoke(BRIDGE_CHANNELS.invoke, method, args, jobId ?? null) as Promise<BridgeReply>;
  },
  onEvent(listener) {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  droppedFile(file) {
    let path = '';
    try {
      path = webUtils.getPathForFile(file);
    } catch {
      /* not a File */
    }
    return ipcRenderer.invoke(BRIDGE_CHANNELS.dropped, path) as Promise<BridgeReply>;
  },
  onMenu(listener) {
    const handler = (_e: unknown, command: unknown) => {
      if (typeof command === 'string') listener(command);
    };
    ipcRenderer.on(BRIDGE_CHANNELS.menu, handler as never);
    return () => ipcRenderer.removeListener(BRIDGE_CHANNELS.menu, handler);
  },
};

contextBridge.exposeInMainWorld('uhf', bridge);
