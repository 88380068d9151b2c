/**
 * The app's security settings in one place (as VS Code keeps them): every window
 * is created from these options, every page gets this CSP, and only our own
 * custom-protocol pages may be shown.
 */
import { CONTENT_SECURITY_POLICY as CSP } from '../shared/api/csp.ts';

/** webPreferences for every BrowserWindow: isolated, sandboxed, no Node. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
  } as const;
}

/** Content-Security-Policy for the renderer: own code only, no eval, no remote hosts (shared with `uhf serve`). */
export const CONTENT_SECURITY_POLICY = CSP;

/** Chromium switches the app needs: WebGPU is behind a flag on Linux. */
export const CHROMIUM_SWITCHES: readonly [string, string?][] = process.platform === 'linux' ? [['enable-unsafe-webgpu']] : [];

/** Only our own custom-protocol pages may be shown; everything else is refused. */
export const APP_PROTOCOL = 'uhf';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_PROTOCOL}://${APP_HOST}`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** The privileges of the app scheme (registered before the app is ready). */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true, codeCache: true } as const;

export function isAllowedNavigation(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === `${APP_PROTOCOL}:` && u.host === APP_HOST;
  } catch {
    return false;
  }
}

/** Every permission request (camera, geolocation, notifications …) is denied. */
export function permissionAllowed(_permission: string): boolean {
  return false;
}
