/**
 * The WebGPU device for the parity tests: SwiftShader (software Vulkan from
 * Debian's chromium package) unless the Vulkan driver variables are already set.
 * In CI (CI=true) a missing adapter FAILS the tests; locally they are skipped
 * with the reason printed.
 */
import { acquireNodeGpu, type NodeGpu } from '../../recon/hosts/gpu-node.ts';

export interface TestGpu {
  gpu: NodeGpu | null;
  /** Why there is no GPU (null when there is one). */
  reason: string | null;
}

let cached: Promise<TestGpu> | null = null;

export function testGpu(): Promise<TestGpu> {
  cached ??= (async () => {
    const r = await acquireNodeGpu({ software: 'only' });
    if (r.ok) return { gpu: r.gpu, reason: null };
    const reason = `WebGPU parity tests need an adapter: ${r.reason}`;
    if (process.env['CI'] === 'true') throw new Error(`${reason} (CI: failing instead of skipping; apt install chromium libvulkan1)`);
    console.warn(`SKIPPED: ${reason}`);
    return { gpu: null, reason };
  })();
  return cached;
}

/** relative L2 error ‖a − b‖ / ‖b‖ (float64), shared with the BART comparisons. */
export { relL2 } from '../helpers/cfl.ts';

/** Deterministic pseudo-random values in [-1, 1). */
export function noise(len: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(len);
  for (let i = 0; i < len; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}
