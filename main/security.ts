/**
 * The app's security settings in one place (as VS Code keeps them): every window
 * is created from these options, and every page gets this CSP.
 */

/** webPreferences for every BrowserWindow: isolated, sandboxed, no Node. */
export function secureWebPreferences(preloadPath: string) {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    spellcheck: false,
  } as const;
}

/** Content-Security-Policy for the renderer: own code only, no eval, no remote hosts. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Chromium switches the app needs: WebGPU is behind a flag on Linux. */
export const CHROMIUM_SWITCHES: readonly [string, string?][] = [['enable-unsafe-webgpu']];

/** Only our own custom-protocol pages may be shown; everything else is refused. */
export const APP_PROTOCOL = 'uhf';

export function isAllowedNavigation(url: string): boolean {
  try {
    return new URL(url).protocol === `${APP_PROTOCOL}:`;
  } catch {
    return false;
  }
}
