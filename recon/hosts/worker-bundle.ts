/**
 * Worker threads from one bundled JavaScript file instead of the TypeScript
 * sources through tsx.
 *
 * A worker that loads the engine through tsx's loader transpiles and resolves
 * every module again: ~0.35 s on an idle 2-core machine and 2.5 s while the
 * main thread reads a file, during which the reconstruction waits for its
 * first calibration. esbuild (already installed: tsx runs on it) bundles a
 * worker's module graph in ~60 ms in its own process; the worker then starts
 * in ~20 ms. Built once per process and entry, into a temporary folder removed
 * at exit. Where esbuild cannot run (e.g. inside a packaged app's archive)
 * the caller falls back to the tsx bootstrap.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const built = new Map<string, Promise<URL | null>>();
let dir: string | null = null;

function outDir(): string {
  if (dir === null) {
    const d = mkdtempSync(join(tmpdir(), 'uhf-workers-'));
    dir = d;
    process.once('exit', () => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

/** The bundled form of the worker module `entry` (a .ts file URL), or null when it cannot be built. */
export function workerBundle(entry: URL): Promise<URL | null> {
  if (process.env['UHF_WORKER_BUNDLE'] === 'off' || !entry.pathname.endsWith('.ts')) return Promise.resolve(null);
  let p = built.get(entry.href);
  if (!p) {
    p = (async () => {
      try {
        const { build } = await import('esbuild');
        const outfile = join(outDir(), `${basename(entry.pathname, '.ts')}-${built.size}.mjs`);
        await build({
          entryPoints: [fileURLToPath(entry)],
          outfile,
          bundle: true,
          format: 'esm',
          platform: 'node',
          target: 'node20',
          logLevel: 'silent',
        });
        return pathToFileURL(outfile);
      } catch {
        return null;
      }
    })();
    built.set(entry.href, p);
  }
  return p;
}
