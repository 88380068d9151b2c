// Electron's entry point (`electron main/electron-main.mjs`, or "main" in a packaged
// app). Privileged schemes and Chromium switches must be set before the app is
// ready, so they come first, from plain JS; their values are those of
// main/security.ts (test/main/security.test.ts checks that they agree). Then the
// TypeScript sources run unbuilt, as in the CLI.
import electron from 'electron';

const { app, protocol } = electron;
if (process.platform === 'linux') app.commandLine.appendSwitch('enable-unsafe-webgpu');
protocol.registerSchemesAsPrivileged([
  { scheme: 'uhf', privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: true, codeCache: true } },
]);

await import('../recon/hosts/register-ts.mjs');
const { runElectronApp } = await import('./main.ts');
await runElectronApp(electron);
