#!/usr/bin/env node
// `npm start`: the desktop app when the Electron binary is installed; otherwise
// (an offline install, where Electron's binary download fails) one line saying so,
// then `uhf serve`, which prints the URL to open in a browser.
//   node scripts/start.mjs [--build] [serve options…]
//   --build   only build what the desktop app loads (renderer, preload) and exit
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);

function electronBinary() {
  try {
    const path = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

async function buildDesktop() {
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(ROOT, 'main', 'preload.ts')],
    outfile: join(ROOT, 'dist', 'main', 'preload.cjs'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['electron'],
    logLevel: 'warning',
  });
}

function run(cmd, argv) {
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = electronBinary();
if (args.includes('--build')) {
  await buildDesktop();
  console.log('built dist/renderer and dist/main/preload.cjs');
} else if (electron) {
  await buildDesktop();
  run(electron, [join(ROOT, 'main', 'electron-main.mjs'), ...args]);
} else {
  console.log('Electron is not installed here (its binary download fails offline): starting `uhf serve` instead — open the URL it prints in a browser.');
  run(process.execPath, [join(ROOT, 'bin', 'uhf.mjs'), 'serve', ...args]);
}
