// Lint with the process layering of the design card: the engine (recon/) and the
// contracts (shared/) run in Node, workers and browsers, so they never import
// Electron or the DOM; shared/ imports nothing from the engine; the renderer never
// imports Node. Numerics stay typed: no `any` leaks across modules.
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'worker_threads', 'url', 'crypto', 'zlib', 'util', 'stream', 'http', 'https', 'net', 'module', 'process', 'events', 'buffer'];
const noNode = nodeBuiltins.flatMap((m) => [m, `node:${m}`, `${m}/*`, `node:${m}/*`]);

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'out/**', 'coverage/**', '**/*.min.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['recon/**/*.ts', 'shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'recon/ and shared/ must not depend on Electron.' }],
        patterns: [{ group: ['electron/*', '**/main/**', '**/renderer/**'], message: 'recon/ and shared/ must not import the app layers.' }],
      }],
      'no-restricted-globals': ['error', 'window', 'document', 'localStorage', 'sessionStorage'],
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'shared/ holds contracts only.' }, ...noNode.map((name) => ({ name, message: 'shared/ holds contracts only: no Node APIs.' }))],
        patterns: [{ group: ['**/recon/**', '**/main/**', '**/renderer/**'], message: 'shared/ holds contracts only.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'electron', message: 'The renderer talks to main only through the preload API.' }, ...noNode.map((name) => ({ name, message: 'The renderer runs sandboxed: no Node APIs.' }))],
        patterns: [{ group: ['**/main/**', '**/recon/io/**', '**/recon/cli/**'], message: 'The renderer reaches the engine through the typed API in shared/.' }],
      }],
    },
  },
);
