/**
 * The app's custom protocol: uhf://app/<path> serves the built renderer (and
 * nothing else) with the CSP header. Path resolution is a pure function so the
 * traversal checks are unit-tested.
 */
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { APP_HOST, APP_PROTOCOL, CONTENT_SECURITY_POLICY } from './security.ts';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** uhf://app/a/b.js → <root>/a/b.js; null for anything outside root or another host. */
export function resolveAppUrl(url: string, root: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${APP_PROTOCOL}:` || u.host !== APP_HOST) return null;
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  if (path === '/' || path === '') path = '/index.html';
  const base = normalize(root);
  const file = normalize(join(base, path));
  return file.startsWith(base.endsWith(sep) ? base : base + sep) ? file : null;
}

export async function appProtocolResponse(request: { url: string; method: string }, root: string): Promise<Response> {
  const headers = { 'Content-Security-Policy': CONTENT_SECURITY_POLICY, 'X-Content-Type-Options': 'nosniff' };
  if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers });
  const file = resolveAppUrl(request.url, root);
  if (!file) return new Response('not found', { status: 404, headers });
  try {
    const body = await readFile(file);
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' } });
  } catch {
    return new Response('not found', { status: 404, headers });
  }
}
