/**
 * The renderer's Content-Security-Policy, one string for both hosts (Electron's
 * custom protocol and `uhf serve`): own code only, no eval (WebAssembly
 * compilation allowed), no remote hosts; 'self' also covers the serve WebSocket.
 */
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
