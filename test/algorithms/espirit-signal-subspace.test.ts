import { describe, expect, it } from 'vitest';
import { signalSubspace } from '../../recon/algorithms/espirit/signal-subspace.ts';

/** A smooth multi-coil ACS block (a few Gaussian blobs × coil phases) plus noise: low rank in patch space, as real ACS data. */
function acsBlock(dims: [number, number, number], channels: number, noise: number, seed: number): Float32Array {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const [ax, ay, az] = dims;
  const out = new Float32Array(2 * ax * ay * az * channels);
  const blobs = Array.from({ length: 4 }, () => ({ x: rnd() * ax, y: rnd() * ay, w: 2 + 4 * (rnd() + 0.5), f: rnd() }));
  for (let c = 0; c < channels; c++) {
    const gain = 1 + rnd(), ph = 6 * rnd(), gx = rnd(), gy = rnd();
    for (let z = 0; z < az; z++) {
      for (let y = 0; y < ay; y++) {
        for (let x = 0; x < ax; x++) {
          let re = 0, im = 0;
          for (const b of blobs) {
            const m = Math.exp(-(((x - ax / 2 - b.x / 4) ** 2) + ((y - ay / 2 - b.y / 4) ** 2)) / (b.w * b.w));
            const p = ph + gx * x * 0.3 + gy * y * 0.3 + b.f * 3;
            re += gain * m * Math.cos(p);
            im += gain * m * Math.sin(p);
          }
          const i = 2 * (x + ax * (y + ay * (z + az * c)));
          out[i] = re + noise * rnd();
          out[i + 1] = im + noise * rnd();
        }
      }
    }
  }
  return out;
}

/** Σ_k v_k·v_kᴴ (N×N complex). */
function projector(vectors: Float64Array, K: number, N: number): Float64Array {
  const P = new Float64Array(2 * N * N);
  for (let k = 0; k < K; k++) {
    const o = 2 * k * N;
    for (let i = 0; i < N; i++) {
      const ar = vectors[o + 2 * i]!, ai = vectors[o + 2 * i + 1]!;
      for (let j = 0; j < N; j++) {
        const br = vectors[o + 2 * j]!, bi = vectors[o + 2 * j + 1]!;
        P[2 * (i * N + j)]! += ar * br + ai * bi;
        P[2 * (i * N + j) + 1]! += ai * br - ar * bi;
      }
    }
  }
  return P;
}

describe('ESPIRiT signal subspace: the dual route (fewer patches than unknowns) equals the primal one', () => {
  const cases: { name: string; dims: [number, number, number]; channels: number; kernel: [number, number, number] }[] = [
    { name: '24×24 ACS, 6×6 kernel, 12 coils (361 patches < 432 unknowns)', dims: [24, 24, 1], channels: 12, kernel: [6, 6, 1] },
    { name: '20×14 ACS, 5×4 kernel, 9 coils', dims: [20, 14, 1], channels: 9, kernel: [5, 4, 1] },
    { name: '3D 10×10×8 ACS, 4×4×3 kernel, 6 coils', dims: [10, 10, 8], channels: 6, kernel: [4, 4, 3] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const acs = acsBlock(c.dims, c.channels, 0.02, 7 + c.channels);
      const p = signalSubspace(acs, c.dims, c.channels, c.kernel, 0.001, 'primal');
      const d = signalSubspace(acs, c.dims, c.channels, c.kernel, 0.001, 'dual');
      expect(p.route).toBe('primal');
      expect(d.route).toBe('dual');
      expect(d.size).toBe(p.size);
      expect(d.count).toBe(p.count);
      expect(d.values.length).toBe(p.values.length);
      const lmax = p.values[0]!;
      for (let k = 0; k < p.count; k++) expect(Math.abs(d.values[k]! - p.values[k]!)).toBeLessThan(1e-9 * lmax);
      // unit vectors
      for (let k = 0; k < d.count; k++) {
        let s = 0;
        for (let i = 0; i < 2 * d.size; i++) s += d.vectors[2 * k * d.size + i]! ** 2;
        expect(Math.abs(s - 1)).toBeLessThan(1e-9);
      }
      const Pp = projector(p.vectors, p.count, p.size), Pd = projector(d.vectors, d.count, d.size);
      let diff = 0;
      for (let i = 0; i < Pp.length; i++) diff = Math.max(diff, Math.abs(Pp[i]! - Pd[i]!));
      expect(diff).toBeLessThan(1e-8);
    });
  }

  it('the dual vectors from WebAssembly equal the JS loops (odd K and N)', () => {
    const acs = acsBlock([20, 18, 1], 7, 0.05, 11);
    const counts = new Set<number>();
    for (const t of [0.001, 0.003, 0.01, 0.03]) {
      const w = signalSubspace(acs, [20, 18, 1], 7, [5, 5, 1], t, 'dual');
      const j = signalSubspace(acs, [20, 18, 1], 7, [5, 5, 1], t, 'dual-js');
      expect(w.count).toBe(j.count);
      expect(w.size % 2).toBe(1); // N = 175: the padded unknown
      counts.add(w.count % 2);
      let diff = 0;
      for (let i = 0; i < j.vectors.length; i++) diff = Math.max(diff, Math.abs(w.vectors[i]! - j.vectors[i]!));
      expect(diff).toBeLessThan(1e-12);
    }
    expect(counts.has(1)).toBe(true); // and a padded vector
  });

  it('auto picks the dual route only when the patches are clearly fewer than the unknowns', () => {
    const acs = acsBlock([24, 24, 1], 4, 0.02, 3);
    expect(signalSubspace(acs, [24, 24, 1], 4, [6, 6, 1], 0.001).route).toBe('primal'); // 361 patches, 144 unknowns
    const many = acsBlock([24, 24, 1], 16, 0.02, 5);
    expect(signalSubspace(many, [24, 24, 1], 16, [6, 6, 1], 0.001).route).toBe('dual'); // 361 < 0.75·576
  });
});
