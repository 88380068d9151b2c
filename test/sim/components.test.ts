import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from '../../recon/sim/prng.ts';
import { HeadPhantom, TISSUE, TISSUE_INTENSITY, corticalRibbonPoint, defaultActivationSpheres } from '../../recon/sim/phantom.ts';
import { CoilArray, ellipticKE, ellipticKEFast, helmetCoilArray, loopField, tissueWavelengthMm } from '../../recon/sim/coils.ts';
import { accumulateCovariance, choleskyLower, CorrelatedNoise, receiverNoiseCovariance } from '../../recon/sim/noise.ts';
import { alternatingBlockDesign, blockResponse, canonicalHrf, eventsTsv, hrfStepResponse } from '../../recon/sim/design.ts';

describe('prng', () => {
  it('is deterministic per (seed, label) and differs across seeds/labels', () => {
    const a = new Rng(42, 'x');
    const b = new Rng(42, 'x');
    const c = new Rng(43, 'x');
    const d = new Rng(42, 'y');
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
    expect(Array.from({ length: 8 }, () => d.nextU32())).not.toEqual(sa);
    expect(deriveSeed(1, 'a')).not.toBe(deriveSeed(1, 'b'));
  });

  it('normal variates have the right moments and tails', () => {
    const r = new Rng(3, 'moments');
    const n = 400_000;
    const x = new Float64Array(n);
    r.fillNormal(x);
    let m = 0, v = 0, k = 0, tail = 0, below = 0;
    for (const t of x) {
      m += t; v += t * t; k += t ** 4;
      if (Math.abs(t) > 2) tail++;
      if (t < -1) below++;
    }
    m /= n; v /= n; k /= n;
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(k / (v * v) - 3)).toBeLessThan(0.05);
    expect(Math.abs(tail / n - 0.0455003)).toBeLessThan(5 * Math.sqrt(0.0455 / n));
    expect(Math.abs(below / n - 0.1586553)).toBeLessThan(5 * Math.sqrt(0.16 * 0.84 / n));
    const u = Array.from({ length: 10000 }, () => r.uniform());
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });
});

describe('phantom', () => {
  const ph = new HeadPhantom();
  it('has the expected tissues and T2*-weighted contrast', () => {
    expect(ph.at([0, 0, 200]).label).toBe(TISSUE.BACKGROUND);
    expect(ph.at([0, 0, 200]).mag).toBe(0);
    expect(ph.at([74, 0, 0]).label).toBe(TISSUE.SCALP);
    expect(ph.at([69, 0, 0]).label).toBe(TISSUE.SKULL);
    expect(ph.at([40, 0, 30]).label).toBe(TISSUE.WHITE_MATTER);
    expect(ph.at(corticalRibbonPoint([1, 0, 0.2])).label).toBe(TISSUE.GREY_MATTER);
    expect(ph.at([9, 4, 14]).label).toBe(TISSUE.CSF); // lateral ventricle
    const I = TISSUE_INTENSITY;
    expect(I[TISSUE.CSF]).toBeGreaterThan(I[TISSUE.GREY_MATTER]);
    expect(I[TISSUE.GREY_MATTER]).toBeGreaterThan(I[TISSUE.WHITE_MATTER]);
    expect(I[TISSUE.WHITE_MATTER]).toBeGreaterThan(I[TISSUE.IRON_NUCLEUS]);
    expect(I[TISSUE.SKULL]).toBeLessThan(0.1);
  });

  it('background phase is smooth, bounded over the head and scales with B0', () => {
    const p7 = new HeadPhantom({ fieldStrengthT: 7 });
    const p117 = new HeadPhantom({ fieldStrengthT: 11.7 });
    for (const pt of [[0, 0, 0], [50, -60, 40], [-70, 80, -60]] as [number, number, number][]) {
      expect(Math.abs(p7.phaseAt(...pt))).toBeLessThan(2.5);
      expect(p117.phaseAt(...pt)).toBeCloseTo((p7.phaseAt(...pt) * 11.7) / 7, 12);
    }
    const a = p7.at([10, 20, 30]);
    expect(Math.hypot(a.re, a.im)).toBeCloseTo(a.mag, 12);
  });

  it('activation masks are inside spheres and grey matter only', () => {
    const spheres = defaultActivationSpheres(['task', 'other']);
    const p = new HeadPhantom({ activations: spheres, conditions: ['task', 'other'] });
    expect(p.conditions).toEqual(['task', 'other']);
    for (const s of spheres) {
      const c = p.at(s.centre);
      expect(c.label).toBe(TISSUE.GREY_MATTER);
      expect(c.activation).toBe(s.condition === 'task' ? 1 : 2);
      // 20 mm away from the sphere centre: not active
      expect(p.at([s.centre[0], s.centre[1], s.centre[2] + 20]).activation).toBe(0);
    }
    expect(() => new HeadPhantom({ activations: spheres, conditions: ['task'] })).toThrow(/unknown condition/);
  });
});

describe('coils', () => {
  it('elliptic integrals: fast polynomial agrees with the AGM', () => {
    expect(ellipticKE(0)[0]).toBeCloseTo(Math.PI / 2, 14);
    expect(ellipticKE(0)[1]).toBeCloseTo(Math.PI / 2, 14);
    expect(ellipticKE(0.5)[0]).toBeCloseTo(1.8540746773013719, 12);
    expect(ellipticKE(0.5)[1]).toBeCloseTo(1.3506438810476755, 12);
    for (let m = 0; m < 1; m += 0.0137) {
      const [k1, e1] = ellipticKE(m);
      const [k2, e2] = ellipticKEFast(m);
      expect(Math.abs(k1 - k2) / k1).toBeLessThan(5e-8);
      expect(Math.abs(e1 - e2) / e1).toBeLessThan(5e-8);
    }
  });

  it('loop field matches the on-axis formula and a numerical Biot–Savart sum', () => {
    const a = 30;
    for (const z of [0, 10, 45]) {
      const [br, bz] = loopField(a, 0, z, 0);
      expect(br).toBe(0);
      // μ0 I a² / (2 (a²+z²)^{3/2}) in units of μ0 I / π
      expect(bz).toBeCloseTo((Math.PI * a * a) / (2 * (a * a + z * z) ** 1.5), 9);
    }
    // off axis: dB = (μ0 I / 4π) dl × r / |r|³  → in units of μ0 I/π: /4
    const rho = 20, z = 15, N = 20000;
    let bx = 0, bzs = 0;
    for (let k = 0; k < N; k++) {
      const t = ((k + 0.5) / N) * 2 * Math.PI;
      const dl = [-Math.sin(t) * a * (2 * Math.PI / N), Math.cos(t) * a * (2 * Math.PI / N), 0];
      const r = [rho - a * Math.cos(t), -a * Math.sin(t), z];
      const r3 = Math.hypot(r[0]!, r[1]!, r[2]!) ** 3;
      bx += (dl[1]! * r[2]! - dl[2]! * r[1]!) / r3 / 4;
      bzs += (dl[0]! * r[1]! - dl[1]! * r[0]!) / r3 / 4;
    }
    const [br, bz] = loopField(a, rho, z, 0);
    expect(br).toBeCloseTo(bx, 7);
    expect(bz).toBeCloseTo(bzs, 7);
  });

  it('helmet arrays: requested count, outside the scalp, unit inward normals, RSS = 1 at the centre', () => {
    for (const n of [1, 4, 8, 16, 32, 64]) {
      const coils = helmetCoilArray(n);
      expect(coils.length).toBe(n);
      for (const c of coils) {
        expect(Math.hypot(...c.normal)).toBeCloseTo(1, 12);
        const [x, y, z] = c.centre;
        expect((x / 76) ** 2 + (y / 96) ** 2 + (z / 92) ** 2).toBeGreaterThan(1);
        // normal points roughly towards the head centre
        expect(c.normal[0] * -x + c.normal[1] * -y + c.normal[2] * -z).toBeGreaterThan(0);
      }
      const arr = new CoilArray(coils, 7);
      let rss = 0;
      for (let c = 0; c < n; c++) {
        const [re, im] = arr.at(c, [0, 0, 0]);
        rss += re * re + im * im;
      }
      expect(Math.sqrt(rss)).toBeCloseTo(1, 6);
    }
    expect(new Set(helmetCoilArray(32).map((c) => c.ring)).size).toBeGreaterThanOrEqual(3);
    expect(tissueWavelengthMm(7)).toBeGreaterThan(130);
    expect(tissueWavelengthMm(7)).toBeLessThan(150);
  });

  it('sensitivity falls off away from the coil and sample() matches at()', () => {
    const coils = helmetCoilArray(8);
    const arr = new CoilArray(coils, 7);
    const c0 = coils[0]!;
    const near = c0.centre.map((v, i) => v + 25 * c0.normal[i]!) as [number, number, number];
    const far = c0.centre.map((v, i) => v + 120 * c0.normal[i]!) as [number, number, number];
    const mag = (p: [number, number, number]) => Math.hypot(...arr.at(0, p));
    expect(mag(near)).toBeGreaterThan(3 * mag(far));
    const pts = Float64Array.from([...near, ...far]);
    const s = arr.sample(pts);
    for (let c = 0; c < 8; c++) {
      const [re, im] = arr.at(c, far);
      expect(s[2 * (c * 2 + 1)]).toBeCloseTo(re, 5);
      expect(s[2 * (c * 2 + 1) + 1]).toBeCloseTo(im, 5);
    }
  });
});

describe('noise covariance', () => {
  const coils = helmetCoilArray(16);
  const cov = receiverNoiseCovariance(coils, { sigma: 0.05, neighbourCorrelation: 0.2, levelSpread: 0.25, systemSeed: 3 });
  const n = 16;

  it('is Hermitian positive definite with neighbour correlation ≈ target and unequal levels', () => {
    for (let r = 0; r < n; r++) {
      expect(cov.psi[2 * (r * n + r) + 1]).toBe(0);
      for (let c = 0; c < n; c++) {
        expect(cov.psi[2 * (r * n + c)]).toBeCloseTo(cov.psi[2 * (c * n + r)]!, 15);
        expect(cov.psi[2 * (r * n + c) + 1]).toBeCloseTo(-cov.psi[2 * (c * n + r) + 1]!, 15);
      }
    }
    expect(cov.neighbourCorrelation).toBeCloseTo(0.2, 3);
    const lv = Array.from(cov.levels);
    expect(Math.max(...lv) / Math.min(...lv)).toBeGreaterThan(1.2);
    expect(Math.sqrt(lv.reduce((a, b) => a + b * b, 0) / n)).toBeCloseTo(0.05, 10);
    // L·Lᴴ = Ψ
    const L = choleskyLower(cov.psi, n);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) {
        let re = 0, im = 0;
        for (let k = 0; k < n; k++) {
          const ar = L[2 * (r * n + k)]!, ai = L[2 * (r * n + k) + 1]!;
          const br = L[2 * (c * n + k)]!, bi = -L[2 * (c * n + k) + 1]!;
          re += ar * br - ai * bi;
          im += ar * bi + ai * br;
        }
        expect(re).toBeCloseTo(cov.psi[2 * (r * n + c)]!, 14);
        expect(im).toBeCloseTo(cov.psi[2 * (r * n + c) + 1]!, 14);
      }
    }
  });

  it('generated noise has the requested covariance', () => {
    const gen = new CorrelatedNoise(cov, new Rng(9, 'noise-test'));
    const ns = 512, reps = 40;
    const acc = new Float64Array(2 * n * n);
    for (let k = 0; k < reps; k++) {
      const d = new Float32Array(2 * n * ns);
      gen.add(d, ns);
      accumulateCovariance(acc, d, n, ns);
    }
    const N = ns * reps;
    let err = 0, ref = 0;
    for (let i = 0; i < acc.length; i++) {
      err += (acc[i]! / N - cov.psi[i]!) ** 2;
      ref += cov.psi[i]! ** 2;
    }
    // expected relative Frobenius error ≈ sqrt(Σ ψ_rr ψ_cc / N) / ‖Ψ‖
    let expected = 0;
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) expected += cov.psi[2 * (r * n + r)]! * cov.psi[2 * (c * n + c)]!;
    const rel = Math.sqrt(err / ref);
    const relExpected = Math.sqrt(expected / N / ref);
    expect(rel).toBeLessThan(2 * relExpected);
    expect(rel).toBeGreaterThan(0.3 * relExpected);
  });

  it('uncorrelated when requested', () => {
    const c0 = receiverNoiseCovariance(coils, { sigma: 1, neighbourCorrelation: 0 });
    for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) if (r !== c) expect(c0.psi[2 * (r * n + c)]).toBe(0);
  });
});

describe('block design', () => {
  it('HRF has unit integral and peaks around 5 s; the step response plateaus at 1', () => {
    let s = 0;
    let peakT = 0, peak = 0;
    for (let t = 0; t < 40; t += 0.01) {
      const h = canonicalHrf(t);
      s += h * 0.01;
      if (h > peak) { peak = h; peakT = t; }
    }
    expect(s).toBeCloseTo(1, 3);
    expect(peakT).toBeGreaterThan(4.5);
    expect(peakT).toBeLessThan(5.5);
    expect(hrfStepResponse(60)).toBeCloseTo(1, 8);
    expect(hrfStepResponse(0)).toBe(0);
    expect(blockResponse(10, [20], 20)).toBe(0);
    expect(blockResponse(39, [20], 20)).toBeGreaterThan(0.9);
    expect(blockResponse(80, [20], 20)).toBeCloseTo(0, 3);
  });

  it('alternating design and events.tsv', () => {
    const d = alternatingBlockDesign({ runDurationS: 160, onS: 20, offS: 20, names: ['a', 'b'], percentSignalChange: [3, 5] });
    expect(d.conditions[0]).toEqual({ name: 'a', onsetsS: [20, 100], durationS: 20, percentSignalChange: 3 });
    expect(d.conditions[1]).toEqual({ name: 'b', onsetsS: [60, 140], durationS: 20, percentSignalChange: 5 });
    expect(eventsTsv(d)).toBe('onset\tduration\ttrial_type\n20.0\t20.0\ta\n60.0\t20.0\tb\n100.0\t20.0\ta\n140.0\t20.0\tb\n');
  });
});
