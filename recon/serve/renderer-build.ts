/**
 * The renderer is built once with vite into dist/renderer (offline, no dev
 * server) and rebuilt only when a source is newer than the build.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const RENDERER_SRC = join(REPO, 'renderer');
export const RENDERER_DIST = join(REPO, 'dist', 'renderer');
const INPUTS = [RENDERER_SRC, join(REPO, 'shared'), join(REPO, 'vite.config.ts')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(join(path, name)));
  }
  return newest;
}

export function rendererIsFresh(dist = RENDERER_DIST): boolean {
  const index = join(dist, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return INPUTS.every((p) => newestMtime(p) <= built);
}

/** Returns the folder to serve; builds it first when missing or stale (needs vite, a devDependency). */
export async function ensureRendererBuilt(log: (line: string) => void = () => undefined, options: { force?: boolean } = {}): Promise<string> {
  if (!options.force && rendererIsFresh()) return RENDERER_DIST;
  if (!existsSync(RENDERER_SRC)) {
    if (existsSync(join(RENDERER_DIST, 'index.html'))) return RENDERER_DIST;
    throw new Error('no renderer sources and no built renderer');
  }
  log('building the renderer (vite build → dist/renderer) …');
  const t0 = performance.now();
  const vite = await import('vite');
  await vite.build({ configFile: join(REPO, 'vite.config.ts'), logLevel: 'warn' });
  log(`renderer built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return RENDERER_DIST;
}
