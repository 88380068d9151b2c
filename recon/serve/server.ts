/**
 * `uhf serve`: the app's renderer over HTTP and its API over a WebSocket, on
 * loopback by default. A per-run random token guards both: the first page
 * load carries it in the URL (?token=…), which sets an HttpOnly, SameSite=Strict
 * cookie for the assets and the socket. Requests must also name this server in
 * their Host header (no DNS rebinding) and the socket's Origin must be this
 * server (no cross-site pages driving the engine).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CONTENT_SECURITY_POLICY } from '../../shared/api/csp.ts';
import { packMessage } from '../../shared/api/wire.ts';
import type { ApiEvent, ReplyEnvelope } from '../../shared/api/types.ts';
import { toApiError } from './errors.ts';
import type { ApiHost } from './api-host.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

const COOKIE = 'uhf_token';
const MAX_MESSAGE_BYTES = 1 << 20;

export interface ServeOptions {
  host: string;
  port: number;
  rendererDir: string;
  api: ApiHost;
  /** Called with every event; the server routes progress to the socket that started the job. */
  subscribe: (listener: (e: ApiEvent) => void) => void;
  token?: string;
}

export interface RunningServer {
  url: string;
  token: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

function sameToken(a: string | null | undefined, token: string): boolean {
  if (!a) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(token);
  return x.length === y.length && timingSafeEqual(x, y);
}

function cookieToken(req: IncomingMessage): string | null {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** Host names this server answers to: the bound address and loopback aliases, with the port. */
export function allowedHosts(host: string, port: number): Set<string> {
  if (host === '0.0.0.0' || host === '::') return new Set(); // any Host (the user asked for a public bind)
  const bracket = (n: string) => (n.includes(':') && !n.startsWith('[') ? `[${n}]` : n);
  return new Set([host, '127.0.0.1', 'localhost', '::1'].map((n) => `${bracket(n)}:${port}`));
}

function hostOk(req: IncomingMessage, allowed: Set<string>): boolean {
  return allowed.size === 0 || allowed.has(req.headers.host ?? '');
}

/** The socket's Origin must be this server's own origin. */
export function originOk(req: IncomingMessage, allowed: Set<string>): boolean {
  const origin = req.headers.origin;
  const host = req.headers.host ?? '';
  if (!origin) return false;
  if (origin !== `http://${host}`) return false;
  return allowed.size === 0 || allowed.has(host);
}

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CONTENT_SECURITY_POLICY } : {}),
    ...extra,
  });
  res.end(body);
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const token = o.token ?? randomBytes(24).toString('base64url');
  const root = resolve(o.rendererDir);
  let allowed = new Set<string>();
  const sockets = new Set<WebSocket>();
  const jobOwner = new Map<string, WebSocket>();

  const server = createServer((req, res) => {
    void handleHttp(req, res).catch((e) => send(res, 500, `internal error: ${(e as Error).message}`));
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!hostOk(req, allowed)) return send(res, 421, 'wrong host');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://x');
    const queryToken = url.searchParams.get('token');
    const authorised = sameToken(queryToken, token) || sameToken(cookieToken(req), token);
    if (!authorised) return send(res, 403, 'uhf serve: open the URL printed by `uhf serve` (it carries the access token).');
    const setCookie = sameToken(queryToken, token) ? { 'Set-Cookie': `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/` } : undefined;
    let pathname = decodeURIComponent(url.pathname);
    if (pathname === '/' || pathname === '') pathname = '/index.html';
    const file = normalize(join(root, pathname));
    if (!file.startsWith(root + sep)) return send(res, 404, 'not found');
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return send(res, 404, 'not found');
    const body = await readFile(file);
    send(res, 200, req.method === 'HEAD' ? Buffer.alloc(0) : body, MIME[extname(file)] ?? 'application/octet-stream', setCookie);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const authorised = sameToken(url.searchParams.get('token'), token) || sameToken(cookieToken(req), token);
    if (url.pathname !== '/api' || !hostOk(req, allowed) || !originOk(req, allowed) || !authorised) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onSocket(ws));
  });

  function onSocket(ws: WebSocket): void {
    sockets.add(ws);
    ws.on('close', () => {
      sockets.delete(ws);
      for (const [job, owner] of jobOwner) if (owner === ws) jobOwner.delete(job);
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) return ws.close(1003, 'text frames only');
      let msg: { id?: unknown; method?: unknown; args?: unknown; jobId?: unknown };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        return ws.close(1007, 'malformed message');
      }
      if (!msg || typeof msg !== 'object' || typeof msg.id !== 'number' || !Number.isSafeInteger(msg.id)) return ws.close(1007, 'malformed message');
      const id = msg.id;
      if (typeof msg.jobId === 'string') jobOwner.set(msg.jobId, ws);
      o.api.dispatch(msg.method, msg.args, msg.jobId).then(
        (result) => reply(ws, { id, ok: true, result }),
        (err) => reply(ws, { id, ok: false, error: toApiError(err) }),
      ).finally(() => {
        if (typeof msg.jobId === 'string' && jobOwner.get(msg.jobId) === ws) jobOwner.delete(msg.jobId);
      });
    });
  }

  function reply(ws: WebSocket, env: ReplyEnvelope): void {
    if (ws.readyState === ws.OPEN) ws.send(packMessage(env), { binary: true });
  }

  o.subscribe((e) => {
    const text = JSON.stringify(e);
    if (e.type === 'progress') {
      const ws = jobOwner.get(e.jobId);
      if (ws?.readyState === ws?.OPEN) ws?.send(text);
    } else {
      for (const ws of sockets) if (ws.readyState === ws.OPEN) ws.send(text);
    }
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port, o.host, () => ok());
  });
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(o.host, port);
  const shownHost = o.host === '0.0.0.0' || o.host === '::' ? '127.0.0.1' : o.host.includes(':') ? `[${o.host}]` : o.host;
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    token,
    port,
    server,
    close: async () => {
      for (const ws of sockets) ws.terminate();
      wss.close();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
