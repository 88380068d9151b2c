// The secure defaults, the custom protocol's path resolution, the menu, and
// the values electron-main.mjs sets before the app is ready.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { menuTemplate } from '../../main/menu.ts';
import { resolveAppUrl } from '../../main/protocol.ts';
import { APP_PROTOCOL, APP_SCHEME_PRIVILEGES, CONTENT_SECURITY_POLICY, isAllowedNavigation, permissionAllowed, secureWebPreferences } from '../../main/security.ts';
import { API_METHODS, CONTRACT } from '../../shared/api/contract.ts';

describe('secure window defaults', () => {
  it('isolates, sandboxes and keeps Node out of every window', () => {
    const p = secureWebPreferences('/app/preload.cjs');
    expect(p).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false, webSecurity: true, allowRunningInsecureContent: false, webviewTag: false });
  });

  it('has a strict CSP: no eval, no remote hosts, no plugins, no framing', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/'unsafe-eval'|https?:|\*/);
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });

  it('allows navigation to our own pages only, and no permission', () => {
    expect(isAllowedNavigation('uhf://app/index.html')).toBe(true);
    for (const url of ['https://example.org', 'file:///etc/passwd', 'uhf://other/index.html', 'javascript:alert(1)', 'data:text/html,x', '']) expect(isAllowedNavigation(url)).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) expect(permissionAllowed(p)).toBe(false);
  });

  it('electron-main.mjs registers the same scheme and privileges as security.ts', () => {
    const text = readFileSync(new URL('../../main/electron-main.mjs', import.meta.url), 'utf8');
    expect(text).toContain(`scheme: '${APP_PROTOCOL}'`);
    for (const [k, v] of Object.entries(APP_SCHEME_PRIVILEGES)) expect(text).toContain(`${k}: ${v}`);
    expect(text).toContain("appendSwitch('enable-unsafe-webgpu')");
  });
});

describe('uhf:// protocol', () => {
  const root = '/opt/app/dist/renderer';
  it('maps app URLs into the renderer folder', () => {
    expect(resolveAppUrl('uhf://app/', root)).toBe(`${root}/index.html`);
    expect(resolveAppUrl('uhf://app/assets/index-1.js', root)).toBe(`${root}/assets/index-1.js`);
  });
  it('refuses traversal, other hosts and other schemes', () => {
    for (const url of ['uhf://app/../../../etc/passwd', 'uhf://app/%2e%2e/%2e%2e/etc/passwd', 'uhf://app/..%2f..%2fetc/passwd', 'uhf://evil/index.html', 'file:///etc/passwd', 'uhf://app/%00x', 'uhf://app/%E0%A4%A']) {
      const r = resolveAppUrl(url, root);
      expect(r === null || r.startsWith(`${root}/`), url).toBe(true);
      if (r) expect(r).not.toContain('..');
    }
    expect(resolveAppUrl('uhf://app/..%2f..%2fetc/passwd', root)).toBeNull();
    expect(resolveAppUrl('uhf://evil/index.html', root)).toBeNull();
  });
});

describe('menu and contract', () => {
  it('sends commands to the window and lists recent files', () => {
    const sent: string[] = [];
    const menu = menuTemplate({ recent: ['/data/a.h5'], send: (c) => sent.push(c), isMac: false, dev: false });
    const file = menu.find((m) => m.label === 'File')!;
    const recent = file.submenu!.find((m) => m.label === 'Open Recent')!;
    recent.submenu![0]!.click!();
    file.submenu![0]!.click!();
    expect(sent).toEqual(['open:/data/a.h5', 'open-raw']);
  });
  it('gives every method a schema and a place to run', () => {
    for (const m of API_METHODS) {
      expect(['host', 'worker']).toContain(CONTRACT[m].runsIn);
      expect(typeof CONTRACT[m].args.parse).toBe('function');
    }
  });
});
