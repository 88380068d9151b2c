/**
 * Deterministic pseudo-random numbers: xoshiro128** seeded through
 * splitmix32, plus Gaussian variates by the Marsaglia–Tsang ziggurat.
 * Never uses Math.random. Streams are derived from (seed, label) so that
 * independent parts of the simulation (noise, coil phases, ...) do not
 * disturb each other.
 */

function splitmix32(state: number): [number, number] {
  let z = (state + 0x9e3779b9) | 0;
  const next = z;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [next, z >>> 0];
}

/** FNV-1a 32-bit hash of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Seed for an independent stream: mixes a numeric seed with labels. */
export function deriveSeed(seed: number, ...labels: (string | number)[]): number {
  let h = (Math.trunc(seed) ^ 0x5bd1e995) >>> 0;
  // fold in the high bits of large seeds
  h = (h ^ Math.trunc(seed / 4294967296)) >>> 0;
  for (const l of labels) {
    const v = typeof l === 'number' ? (Math.trunc(l) >>> 0) : hashString(l);
    h = Math.imul(h ^ v, 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, ...labels: (string | number)[]) {
    let st = deriveSeed(seed, ...labels) | 0;
    const out: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [ns, v] = splitmix32(st);
      st = ns;
      out.push(v | 0);
    }
    this.a = out[0]!;
    this.b = out[1]!;
    this.c = out[2]!;
    this.d = out[3]!;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** Next uint32 (xoshiro128**). */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result >>> 0;
  }

  /** Uniform in [0, 1) with 32 random bits. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform in the open interval (0, 1). */
  uniformOpen(): number {
    return (this.nextU32() + 0.5) / 4294967296;
  }

  /** Standard normal N(0, 1) (Marsaglia–Tsang ziggurat, 128 layers). */
  normal(): number {
    const hz = this.nextU32() | 0;
    const iz = hz & 127;
    if (Math.abs(hz) < ZIG_K[iz]!) return hz * ZIG_W[iz]!;
    return this.normalTail(hz, iz);
  }

  private normalTail(hz: number, iz: number): number {
    for (;;) {
      let x = hz * ZIG_W[iz]!;
      if (iz === 0) {
        let y: number;
        do {
          x = -Math.log(this.uniformOpen()) / ZIG_R;
          y = -Math.log(this.uniformOpen());
        } while (y + y < x * x);
        return hz > 0 ? ZIG_R + x : -ZIG_R - x;
      }
      if (ZIG_F[iz]! + this.uniform() * (ZIG_F[iz - 1]! - ZIG_F[iz]!) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextU32() | 0;
      iz = hz & 127;
      if (Math.abs(hz) < ZIG_K[iz]!) return hz * ZIG_W[iz]!;
    }
  }

  /** Fill `out` with independent N(0, sd²) values. */
  fillNormal(out: Float64Array | Float32Array, sd = 1): void {
    const n = out.length;
    for (let i = 0; i < n; i++) {
      const hz = this.nextU32() | 0;
      const iz = hz & 127;
      out[i] = (Math.abs(hz) < ZIG_K[iz]! ? hz * ZIG_W[iz]! : this.normalTail(hz, iz)) * sd;
    }
  }
}

// Ziggurat tables (Marsaglia & Tsang 2000, "The ziggurat method for generating random variables").
const ZIG_R = 3.442619855899;
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = Math.floor((dn / q) * m1);
  ZIG_K[1] = 0;
  ZIG_W[0] = q / m1;
  ZIG_W[127] = dn / m1;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = Math.floor((dn / tn) * m1);
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / m1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
