/**
 * GRAPPA k-space application: the WebAssembly SIMD kernel (apply-wasm.ts)
 * against the JS loops of apply-kspace.ts on random data — 2D and 3D
 * kernels, odd readout and output channel counts (padding paths), ACS lines
 * kept or re-estimated, lattice lines at the wrapped edges. The kernel sums
 * in float32 (as the GPU does), the JS loops in float64: ≤ 1e-6 relative L2,
 * and per sample within float32 rounding of a sum of |w·y| terms.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { grappaApplyKspace, setGrappaApplyBackend } from '../../recon/algorithms/grappa/apply-kspace.ts';
import { grappaApplyKernel } from '../../recon/algorithms/grappa/apply-wasm.ts';
import { grappaCalibrate } from '../../recon/algorithms/grappa/calibrate.ts';
import type { KernelSize } from '../../recon/algorithms/grappa/kernel.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

interface Case {
  name: string;
  dims: [number, number, number, number];
  accel: [number, number];
  acs: [number, number];
  kernel?: KernelSize;
  outChannels?: number;
  keepAcquired?: boolean;
}

const cases: Case[] = [
  { name: '2D R = 3, 8 coils', dims: [32, 36, 1, 8], accel: [3, 1], acs: [16, 1] },
  { name: '2D R = 2, odd readout, 5 of 7 output channels, ACS re-estimated', dims: [31, 30, 1, 7], accel: [2, 1], acs: [14, 1], outChannels: 5, keepAcquired: false },
  { name: '3D R = 2×2, 6 coils', dims: [12, 16, 12, 6], accel: [2, 2], acs: [10, 8], kernel: [3, 4, 2] },
];

afterEach(() => { setGrappaApplyBackend('auto'); });

describe('GRAPPA k-space application: wasm kernel vs JS loops', () => {
  it('the wasm kernel is available', () => {
    expect(grappaApplyKernel()).not.toBeNull();
  });

  for (const c of cases) {
    it(c.name, () => {
      const [nro, n1, n2, nc] = c.dims;
      const r = rng(nro * 7919 + n1 * 31 + nc);
      const full = new Float32Array(2 * nro * n1 * n2 * nc);
      for (let i = 0; i < full.length; i++) full[i] = r();
      // ACS block, centred
      const [a1, a2] = c.acs;
      const b1 = (n1 - a1) >> 1, b2 = (n2 - a2) >> 1;
      const acs = new Float32Array(2 * nro * a1 * a2 * nc);
      for (let ch = 0; ch < nc; ch++) {
        for (let j2 = 0; j2 < a2; j2++) {
          for (let j1 = 0; j1 < a1; j1++) {
            const s = 2 * nro * ((b1 + j1) + n1 * ((b2 + j2) + n2 * ch));
            acs.set(full.subarray(s, s + 2 * nro), 2 * nro * (j1 + a1 * (j2 + a2 * ch)));
          }
        }
      }
      const opts = { accel: c.accel, ...(c.kernel ? { kernel: c.kernel } : {}), ...(c.outChannels ? { outChannels: c.outChannels } : {}) };
      const ker = grappaCalibrate(acs, [nro, a1, a2, nc], opts);
      // lattice (offset 0) plus the ACS block
      const und = new Float32Array(full.length);
      for (let e2 = 0; e2 < n2; e2++) {
        for (let e1 = 0; e1 < n1; e1++) {
          const lat = e1 % c.accel[0] === 0 && e2 % c.accel[1] === 0;
          const inAcs = e1 >= b1 && e1 < b1 + a1 && e2 >= b2 && e2 < b2 + a2;
          if (!lat && !inAcs) continue;
          for (let ch = 0; ch < nc; ch++) {
            const s = 2 * nro * (e1 + n1 * (e2 + n2 * ch));
            und.set(full.subarray(s, s + 2 * nro), s);
          }
        }
      }
      const sampling = { keepAcquired: c.keepAcquired ?? true };
      setGrappaApplyBackend('js');
      const js = grappaApplyKspace(und, c.dims, ker, sampling);
      setGrappaApplyBackend('wasm');
      const wasm = grappaApplyKspace(und, c.dims, ker, sampling);
      expect(wasm.length).toBe(js.length);
      let num = 0, den = 0;
      for (let i = 0; i < js.length; i++) {
        const d = wasm[i]! - js[i]!;
        num += d * d;
        den += js[i]! * js[i]!;
      }
      expect(den).toBeGreaterThan(0);
      expect(Math.sqrt(num / den)).toBeLessThanOrEqual(1e-6);
      // and per sample: float32 sums of a few hundred terms, relative to the output scale
      let peak = 0;
      for (let i = 0; i < js.length; i++) peak = Math.max(peak, Math.abs(js[i]!));
      for (let i = 0; i < js.length; i++) expect(Math.abs(wasm[i]! - js[i]!)).toBeLessThanOrEqual(1e-6 * Math.abs(js[i]!) + 1e-6 * peak);
    });
  }
});
