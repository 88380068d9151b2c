/**
 * The renderer's API client: the Electron preload bridge when the app runs in
 * Electron, else the `uhf serve` WebSocket. Both carry the same contract.
 */
import { createApiClient, isApiErrorPayload, type ApiClient, type Transport } from '../../shared/api/client.ts';
import type { UhfBridge } from '../../shared/api/bridge.ts';
import type { ApiEvent, ReplyEnvelope } from '../../shared/api/types.ts';
import { unpackMessage } from '../../shared/api/wire.ts';

declare global {
  interface Window {
    uhf?: UhfBridge;
  }
}

export function bridge(): UhfBridge | null {
  return window.uhf?.kind === 'electron' ? window.uhf : null;
}

function electronTransport(b: UhfBridge): Transport {
  return {
    async request(method, args, jobId) {
      const reply = await b.invoke(method, args, jobId);
      if (reply.ok) return reply.result;
      throw reply.error;
    },
    onEvent: (l) => b.onEvent(l),
  };
}

/** WebSocket to /api of the serving origin; the token comes from the page URL (or the cookie it set). */
function wsTransport(): Promise<Transport> {
  const token = new URLSearchParams(location.search).get('token');
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const listeners = new Set<(e: ApiEvent) => void>();
  let next = 1;
  ws.addEventListener('message', (m) => {
    if (typeof m.data === 'string') {
      const e = JSON.parse(m.data) as ApiEvent;
      for (const l of listeners) l(e);
      return;
    }
    const env = unpackMessage(m.data as ArrayBuffer) as ReplyEnvelope;
    const p = pending.get(env.id);
    if (!p) return;
    pending.delete(env.id);
    if (env.ok) p.resolve(env.result);
    else p.reject(env.error);
  });
  ws.addEventListener('close', () => {
    for (const p of pending.values()) p.reject({ code: 'WORKER_CRASHED', message: 'the connection to uhf serve was closed (is it still running?)' });
    pending.clear();
    for (const l of listeners) l({ type: 'worker', state: 'crashed', message: 'disconnected from uhf serve' });
  });
  const transport: Transport = {
    request(method, args, jobId) {
      if (ws.readyState !== WebSocket.OPEN) return Promise.reject({ code: 'WORKER_CRASHED', message: 'not connected to uhf serve' });
      const id = next++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, args, ...(jobId ? { jobId } : {}) }));
      });
    },
    onEvent(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return new Promise((resolve, reject) => {
    ws.addEventListener('open', () => resolve(transport), { once: true });
    ws.addEventListener('error', () => reject(new Error('cannot connect to uhf serve (open the URL it printed, with its token)')), { once: true });
  });
}

export async function connectApi(): Promise<ApiClient> {
  const b = bridge();
  return createApiClient(b ? electronTransport(b) : await wsTransport());
}

export { isApiErrorPayload };
