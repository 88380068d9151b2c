import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { workerBundle } from '../../recon/hosts/worker-bundle.ts';
import { reconWorkerPool } from '../../recon/pipeline/image-reconstructor.ts';
import type { KspaceBuffer } from '../../recon/pipeline/kspace-buffer.ts';
import { reconstructImage, type ImageOutput, type ImageRecipe } from '../../recon/pipeline/reconstruct-image.ts';

function job(seed: number): { buffer: KspaceBuffer; recipe: ImageRecipe } {
  const dims: [number, number, number, number] = [12, 10, 1, 3];
  const data = Float32Array.from({ length: 2 * 12 * 10 * 3 }, (_, i) => Math.sin(i * 0.7 + seed));
  return {
    buffer: { key: { slice: 0, contrast: 0, phase: 0, repetition: 0, set: 0 }, dims, data, lineCount: new Uint16Array(10).fill(1), roRange: [0, 11], first: null } as unknown as KspaceBuffer,
    recipe: { is3D: false, reconMatrix: [12, 10, 1], gridMatrix: [12, 10, 1], combine: 'rss', partialFourier: 'zerofill', keepPhase: false },
  };
}

describe('reconstruction worker threads', () => {
  afterEach(() => {
    delete process.env['UHF_WORKER_BUNDLE'];
  });

  it('the worker module bundles into one JavaScript file', async () => {
    const url = await workerBundle(new URL('../../recon/hosts/image.worker.ts', import.meta.url));
    expect(url).not.toBeNull();
    expect(existsSync(fileURLToPath(url!))).toBe(true);
  });

  for (const mode of ['bundled', 'through tsx'] as const) {
    it(`${mode}: images equal the calling thread's`, async () => {
      if (mode === 'through tsx') process.env['UHF_WORKER_BUNDLE'] = 'off';
      const pool = reconWorkerPool(2);
      try {
        const outs = await Promise.all([1, 2, 3].map((s) => pool.run(job(s), []) as Promise<ImageOutput>));
        outs.forEach((o, i) => {
          const j = job(i + 1);
          expect(Array.from(o.magnitude)).toEqual(Array.from(reconstructImage(j.buffer, j.recipe).magnitude));
        });
      } finally {
        await pool.close();
      }
    });
  }
});
