// Every tolerance and time limit of the E2E run, each with its reason.
export const E2E = {
  /** Renderer build (vite, ~45–60 s on 2 cores when stale) + worker + browser start. */
  setupMs: 150_000,
  /** Simulation (first run only, ~10–17 s) + recon (~12 s on 2 cores) + GLM (~2 s), with margin. */
  demoMs: 110_000,
  /** A click lands within a display pixel (half the smallest voxel) of the intended point. */
  crosshairMm: 2,
  /** An 8 mm sphere at 1.5 mm display pixels covers ~80 px within 0.75 r; the thresholded cluster is smaller than the sphere. */
  minOverlayPixels: 20,
  /** pixelmatch colour threshold: small anti-aliasing and float differences between Chromium builds. */
  pixelThreshold: 0.1,
  /** Fraction of differing pixels allowed: the slice views were pixel-identical run to run here; 1% absorbs font/AA changes. */
  maxDiffFraction: 0.01,
} as const;
