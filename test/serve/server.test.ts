// `uhf serve` over real HTTP and WebSocket: the token, the Host and Origin
// checks, the binary replies, and calls that must be refused. The recon worker
// is the real AppService, run in-process through a fake link to stay fast.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { unpackMessage } from '../../shared/api/wire.ts';
import type { ReplyEnvelope } from '../../shared/api/types.ts';
import { AppService } from '../../recon/serve/service.ts';
import { toApiError } from '../../recon/serve/errors.ts';
import { serveApp, type ServeApp } from '../../recon/serve/serve-app.ts';
import type { WorkerLauncher } from '../../recon/serve/worker-supervisor.ts';
import type { WorkerToHost } from '../../recon/serve/worker-protocol.ts';

/** The worker's service, in this process. */
const inProcessWorker: WorkerLauncher = () => {
  const service = new AppService();
  let listener: (m: WorkerToHost) => void = () => undefined;
  return {
    post: (m) => {
      service.handle(m.method, m.args, m.jobId, () => undefined).then(
        (result) => listener({ type: 'reply', id: m.id, ok: true, result }),
        (e) => listener({ type: 'reply', id: m.id, ok: false, error: toApiError(e) }),
      );
    },
    onMessage: (l) => void (listener = l),
    onExit: () => undefined,
    kill: () => undefined,
  };
};

let app: ServeApp;
let host: string;
let dataDir: string;

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: app.port, path, headers: { host, ...headers } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(opts: { origin?: string; token?: string | null; host?: string } = {}): Promise<WebSocket> {
  const token = opts.token === undefined ? app.token : opts.token;
  const ws = new WebSocket(`ws://127.0.0.1:${app.port}/api${token ? `?token=${token}` : ''}`, {
    headers: { host: opts.host ?? host },
    ...(opts.origin !== '' ? { origin: opts.origin ?? `http://${host}` } : {}),
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

let nextId = 1;
function call(ws: WebSocket, method: unknown, args: unknown, jobId?: string): Promise<ReplyEnvelope> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMessage = (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const env = unpackMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) as ReplyEnvelope;
      if (env.id !== id) return;
      ws.off('message', onMessage);
      resolve(env);
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ id, method, args, ...(jobId ? { jobId } : {}) }));
  });
}

beforeAll(async () => {
  const base = mkdtempSync(join(tmpdir(), 'uhf-serve-'));
  const renderer = join(base, 'renderer');
  dataDir = join(base, 'data');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  mkdirSync(dataDir);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(renderer, 'assets', 'a.js'), 'export {}');
  writeFileSync(join(base, 'secret.txt'), 'secret');
  writeFileSync(join(dataDir, 'not-a-volume.nii'), 'garbage');
  process.env['XDG_CACHE_HOME'] = join(base, 'cache');
  app = await serveApp({ rendererDir: renderer, roots: [dataDir], launcher: inProcessWorker });
  host = `127.0.0.1:${app.port}`;
});

afterAll(async () => {
  await app?.close();
});

describe('HTTP', () => {
  it('prints a loopback URL carrying the token', () => {
    expect(app.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
  });

  it('refuses requests without the token', async () => {
    expect((await get('/')).status).toBe(403);
    expect((await get('/?token=wrong')).status).toBe(403);
    expect((await get('/assets/a.js')).status).toBe(403);
  });

  it('serves the page with the token, sets an HttpOnly SameSite cookie and the CSP', async () => {
    const r = await get(`/?token=${app.token}`);
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>t</title>');
    expect(String(r.headers['set-cookie'])).toMatch(/uhf_token=.*HttpOnly; SameSite=Strict/);
    expect(r.headers['content-security-policy']).toContain("default-src 'self'");
    const asset = await get('/assets/a.js', { cookie: `uhf_token=${app.token}` });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
  });

  it('refuses other Host names (DNS rebinding) and paths outside the renderer', async () => {
    expect((await get(`/?token=${app.token}`, { host: `evil.example:${app.port}` })).status).toBe(421);
    expect((await get(`/../secret.txt?token=${app.token}`)).status).toBe(404);
    expect((await get(`/%2e%2e/secret.txt?token=${app.token}`)).status).toBe(404);
  });
});

describe('WebSocket API', () => {
  it('refuses a foreign origin, a missing origin, a missing token and a foreign Host', async () => {
    await expect(connect({ origin: 'http://evil.example' })).rejects.toThrow(/403/);
    await expect(connect({ origin: `https://${host}` })).rejects.toThrow(/403/);
    await expect(connect({ origin: '' })).rejects.toThrow(/403/);
    await expect(connect({ token: null })).rejects.toThrow(/403/);
    await expect(connect({ token: 'x'.repeat(32) })).rejects.toThrow(/403/);
    await expect(connect({ host: `localhost.evil:${app.port}`, origin: `http://localhost.evil:${app.port}` })).rejects.toThrow(/403/);
  });

  it('answers a call from the app page in binary, and refuses malformed calls', async () => {
    const ws = await connect();
    const info = await call(ws, 'app.info', {});
    expect(info).toMatchObject({ ok: true, result: { host: 'serve', nativeDialogs: false } });
    expect(await call(ws, 'no.such', {})).toMatchObject({ ok: false, error: { code: 'API_UNKNOWN_METHOD' } });
    expect(await call(ws, 'volume.data', { volumeId: 'v1', extra: 1 })).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
    expect(await call(ws, 'volume.data', { volumeId: 'v999' })).toMatchObject({ ok: false, error: { code: 'VOLUME_NOT_FOUND' } });
    expect(await call(ws, 'nifti.open', { path: '/etc/passwd' })).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    expect(await call(ws, 'files.list', { dir: '/' })).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    expect(await call(ws, 'files.pickOpen', { kind: 'raw' })).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE' } });
    expect(await call(ws, 'nifti.open', { path: join(dataDir, 'not-a-volume.nii') })).toMatchObject({ ok: false, error: { code: expect.stringMatching(/^NIFTI_/) } });
    const listing = await call(ws, 'files.list', { dir: dataDir });
    expect(listing).toMatchObject({ ok: true, result: { dir: dataDir, entries: [{ name: 'not-a-volume.nii', kind: 'nifti' }] } });
    ws.close();
  });

  it('closes the socket on a message that is not a call', async () => {
    const ws = await connect();
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('{"method": "app.info"');
    expect(await closed).toBe(1007);
  });

  it('saves and restores a workspace, refusing malformed ones', async () => {
    const ws = await connect();
    const doc = {
      format: 'uhf-workspace',
      version: 1,
      files: [{ path: join(dataDir, 'bold.nii.gz'), role: 'bold' }],
      events: null,
      view: { crosshairMm: [1, 2, 3], frame: 4, window: [0, 100], colormap: 'gray', radiological: true },
      overlay: { positive: 3.1, negative: 3.1, showNegative: false, opacity: 0.8, minClusterSize: 5, colormap: 'hot' },
      analysis: null,
    };
    const path = join(dataDir, 'w.uhf.json');
    expect(await call(ws, 'workspace.save', { path, workspace: doc })).toMatchObject({ ok: true, result: { path } });
    expect(await call(ws, 'workspace.load', { path })).toEqual({ id: expect.any(Number), ok: true, result: doc });
    expect(await call(ws, 'workspace.save', { path, workspace: { ...doc, version: 2 } })).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
    expect(await call(ws, 'workspace.save', { path: join(dataDir, 'w.sh'), workspace: doc })).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    ws.close();
  });
});
