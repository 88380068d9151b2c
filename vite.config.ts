// The renderer is built once into dist/renderer (`uhf serve` and `npm start` do it
// when the sources are newer), with relative asset URLs so the same build loads
// from http://127.0.0.1 (serve) and from the app's custom protocol (Electron).
import { defineConfig } from 'vite';

export default defineConfig({
  root: 'renderer',
  base: './',
  logLevel: 'warn',
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 8000,
    reportCompressedSize: false,
    modulePreload: { polyfill: false },
  },
  server: { fs: { allow: ['..'] } },
  optimizeDeps: { include: ['@kitware/vtk.js', 'plotly.js-dist-min'] },
  worker: { format: 'es' },
});
