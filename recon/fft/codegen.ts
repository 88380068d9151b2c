/**
 * Generator for recon/fft/codelets.ts (straight-line radix-r butterflies in
 * three flavours: buffer→buffer Stockham pass, fused first pass reading the
 * interleaved Float32 data, fused last pass writing it). Regenerate with
 *
 *   npx tsx recon/fft/codegen.ts > recon/fft/codelets.ts
 *
 * Butterflies are forward DFTs (exp(-2πi tu/r)). Composite radices are split
 * Cooley–Tukey style into smaller butterflies with constant twiddles
 * (trivial angles are special-cased); odd primes use the symmetric pair form
 *   b_u = a0 + Σ_t cos(2πtu/r)(a_t + a_{r-t}) - i Σ_t sin(2πtu/r)(a_t - a_{r-t}).
 */

export const RADICES = [2, 3, 4, 5, 7, 8, 11, 13] as const;

interface C { re: string; im: string }

class Emitter {
  lines: string[] = [];
  private n = 0;
  readonly consts = new Map<string, string>();
  constructor(private readonly indent: string) {}

  tmp(reExpr: string, imExpr: string): C {
    const k = this.n++;
    this.lines.push(`${this.indent}const z${k}r = ${reExpr}, z${k}i = ${imExpr};`);
    return { re: `z${k}r`, im: `z${k}i` };
  }

  constant(value: number): string {
    if (value === 1) return '1';
    const lit = value.toPrecision(17);
    const existing = this.consts.get(lit);
    if (existing) return existing;
    const name = `K${this.consts.size}`;
    this.consts.set(lit, name);
    return name;
  }
}

function add(e: Emitter, a: C, b: C): C { return e.tmp(`${a.re} + ${b.re}`, `${a.im} + ${b.im}`); }
function sub(e: Emitter, a: C, b: C): C { return e.tmp(`${a.re} - ${b.re}`, `${a.im} - ${b.im}`); }

/** a * exp(-2πi j/r), simplified for multiples of π/4. */
function rot(e: Emitter, a: C, j: number, r: number): C {
  const jj = ((j % r) + r) % r;
  if (jj === 0) return a;
  const eighths = (8 * jj) / r;
  if (Number.isInteger(eighths)) {
    const h = e.constant(Math.SQRT1_2);
    switch (eighths) {
      case 2: return e.tmp(a.im, `-${a.re}`);
      case 4: return e.tmp(`-${a.re}`, `-${a.im}`);
      case 6: return e.tmp(`-${a.im}`, a.re);
      case 1: return e.tmp(`(${a.re} + ${a.im}) * ${h}`, `(${a.im} - ${a.re}) * ${h}`);
      case 3: return e.tmp(`(${a.im} - ${a.re}) * ${h}`, `-(${a.re} + ${a.im}) * ${h}`);
      case 5: return e.tmp(`-(${a.re} + ${a.im}) * ${h}`, `(${a.re} - ${a.im}) * ${h}`);
      case 7: return e.tmp(`(${a.re} - ${a.im}) * ${h}`, `(${a.re} + ${a.im}) * ${h}`);
    }
  }
  const c = e.constant(cos2pi(jj, r)), s = e.constant(-sin2pi(jj, r));
  return e.tmp(`${a.re} * ${c} - ${a.im} * ${s}`, `${a.re} * ${s} + ${a.im} * ${c}`);
}

/** cos(2πk/r), evaluated on a reduced angle for accuracy. */
function cos2pi(k: number, r: number): number {
  let kk = ((k % r) + r) % r;
  if (2 * kk > r) kk = r - kk; // cos is even
  // now 0 <= 2πkk/r <= π
  if (4 * kk > r) return -Math.sin((Math.PI * (4 * kk - r)) / (2 * r)); // cos(π/2 + x) = -sin x
  return Math.cos((2 * Math.PI * kk) / r);
}

/** sin(2πk/r), evaluated on a reduced angle for accuracy. */
function sin2pi(k: number, r: number): number {
  let kk = ((k % r) + r) % r;
  let sign = 1;
  if (2 * kk > r) { kk = r - kk; sign = -1; } // sin is odd
  if (4 * kk > r) kk = r / 2 - kk; // sin(π - x) = sin x (kk may become half-integer)
  return sign * Math.sin((2 * Math.PI * kk) / r);
}

function smallestFactor(r: number): number {
  for (let f = 2; f * f <= r; f++) if (r % f === 0) return f;
  return r;
}

/** Emits a forward DFT of the inputs; returns the outputs. */
function dft(e: Emitter, a: C[]): C[] {
  const r = a.length;
  if (r === 1) return a;
  if (r === 2) return [add(e, a[0]!, a[1]!), sub(e, a[0]!, a[1]!)];
  const f = smallestFactor(r);
  if (f === r) {
    // odd prime, symmetric pairs
    const h = (r - 1) / 2;
    const S: C[] = [], D: C[] = [];
    for (let t = 1; t <= h; t++) { S[t] = add(e, a[t]!, a[r - t]!); D[t] = sub(e, a[t]!, a[r - t]!); }
    const out: C[] = new Array<C>(r);
    let b0re = a[0]!.re, b0im = a[0]!.im;
    for (let t = 1; t <= h; t++) { b0re += ` + ${S[t]!.re}`; b0im += ` + ${S[t]!.im}`; }
    out[0] = e.tmp(b0re, b0im);
    for (let u = 1; u <= h; u++) {
      let rre = a[0]!.re, rim = a[0]!.im, jre = '', jim = '';
      for (let t = 1; t <= h; t++) {
        const c = e.constant(cos2pi(t * u, r));
        const sv = sin2pi(t * u, r);
        const s = e.constant(Math.abs(sv));
        rre += ` + ${c} * ${S[t]!.re}`; rim += ` + ${c} * ${S[t]!.im}`;
        const op = sv < 0 ? '-' : '+';
        jre += ` ${op} ${s} * ${D[t]!.re}`; jim += ` ${op} ${s} * ${D[t]!.im}`;
      }
      const R = e.tmp(rre, rim), J = e.tmp(`0${jre}`, `0${jim}`);
      out[u] = e.tmp(`${R.re} + ${J.im}`, `${R.im} - ${J.re}`);
      out[r - u] = e.tmp(`${R.re} - ${J.im}`, `${R.im} + ${J.re}`);
    }
    return out;
  }
  // Cooley–Tukey split r = r1 * r2 (r1 = f): t = r2*t1 + t2, k = k1 + r1*k2.
  const r1 = f, r2 = r / f;
  const c: C[][] = [];
  for (let t2 = 0; t2 < r2; t2++) {
    const col: C[] = [];
    for (let t1 = 0; t1 < r1; t1++) col.push(a[r2 * t1 + t2]!);
    const d = dft(e, col);
    c.push(d.map((v, k1) => rot(e, v, t2 * k1, r)));
  }
  const out: C[] = new Array<C>(r);
  for (let k1 = 0; k1 < r1; k1++) {
    const row: C[] = [];
    for (let t2 = 0; t2 < r2; t2++) row.push(c[t2]![k1]!);
    const d = dft(e, row);
    for (let k2 = 0; k2 < r2; k2++) out[k1 + r1 * k2] = d[k2]!;
  }
  return out;
}

function cleanup(expr: string): string {
  return expr.replace(/^0 \+ /, '').replace(/^0 - /, '-').replace(/--/g, '');
}

function genPass(r: number, consts: Map<string, string>): string {
  const e = new Emitter('      ');
  const inputs: C[] = [];
  for (let t = 0; t < r; t++) inputs.push({ re: `a${t}r`, im: `a${t}i` });
  const outs = dft(e, inputs);
  merge(consts, e.consts);
  const L: string[] = [];
  L.push(`export function pass${r}(`);
  L.push(`  xr: Float64Array, xi: Float64Array, yr: Float64Array, yi: Float64Array,`);
  L.push(`  m: number, s: number, twr: Float64Array, twi: Float64Array,`);
  L.push(`): void {`);
  L.push(`  const sm = s * m;`);
  L.push(`  for (let p = 0; p < m; p++) {`);
  L.push(`    const tb = ${r - 1} * p;`);
  for (let u = 1; u < r; u++) L.push(`    const w${u}r = twr[tb + ${u - 1}]!, w${u}i = twi[tb + ${u - 1}]!;`);
  L.push(`    const ib = s * p, o0 = ${r} * s * p;`);
  L.push(`    for (let q = 0; q < s; q++) {`);
  L.push(`      const i0 = ib + q;`);
  for (let t = 0; t < r; t++) {
    const idx = t === 0 ? 'i0' : `i0 + ${t === 1 ? '' : `${t} * `}sm`;
    L.push(`      const a${t}r = xr[${idx}]!, a${t}i = xi[${idx}]!;`);
  }
  L.push(...e.lines.map((l) => rename(l, consts, e.consts)));
  L.push(`      const o = o0 + q;`);
  storeTwiddled(L, outs, r, 's', e.consts, consts);
  L.push(`    }`, `  }`, `}`);
  return L.join('\n');
}

function genFirst(r: number, consts: Map<string, string>): string {
  const e = new Emitter('      ');
  const inputs: C[] = [];
  for (let t = 0; t < r; t++) inputs.push({ re: `a${t}r`, im: `a${t}i` });
  const outs = dft(e, inputs);
  merge(consts, e.consts);
  const L: string[] = [];
  L.push(`export function first${r}(`);
  L.push(`  data: Float32Array, base: number, vs: number, src: Int32Array, sgn: number,`);
  L.push(`  yr: Float64Array, yi: Float64Array, m: number, V: number, twr: Float64Array, twi: Float64Array,`);
  L.push(`): void {`);
  L.push(`  for (let p = 0; p < m; p++) {`);
  for (let t = 0; t < r; t++) L.push(`    const r${t} = base + src[p${t === 0 ? '' : ` + ${t === 1 ? '' : `${t} * `}m`}]!;`);
  L.push(`    const tb = ${r - 1} * p;`);
  for (let u = 1; u < r; u++) L.push(`    const w${u}r = twr[tb + ${u - 1}]!, w${u}i = twi[tb + ${u - 1}]!;`);
  L.push(`    const o0 = ${r} * V * p;`);
  L.push(`    for (let v = 0; v < V; v++) {`);
  L.push(`      const d = vs * v;`);
  for (let t = 0; t < r; t++) L.push(`      const a${t}r = data[r${t} + d]!, a${t}i = sgn * data[r${t} + d + 1]!;`);
  L.push(...e.lines.map((l) => rename(l, consts, e.consts)));
  L.push(`      const o = o0 + v;`);
  storeTwiddled(L, outs, r, 'V', e.consts, consts);
  L.push(`    }`, `  }`, `}`);
  return L.join('\n');
}

function genLast(r: number, consts: Map<string, string>): string {
  const e = new Emitter('      ');
  const inputs: C[] = [];
  for (let t = 0; t < r; t++) inputs.push({ re: `a${t}r`, im: `a${t}i` });
  const outs = dft(e, inputs);
  merge(consts, e.consts);
  const L: string[] = [];
  L.push(`export function last${r}(`);
  L.push(`  xr: Float64Array, xi: Float64Array, data: Float32Array, base: number, vs: number, dst: Int32Array,`);
  L.push(`  scale: number, sgn: number, K: number, V: number,`);
  L.push(`): void {`);
  L.push(`  const s = K * V, si = scale * sgn;`);
  L.push(`  for (let kk = 0; kk < K; kk++) {`);
  for (let u = 0; u < r; u++) L.push(`    const d${u} = base + dst[kk${u === 0 ? '' : ` + ${u === 1 ? '' : `${u} * `}K`}]!;`);
  L.push(`    const ib = kk * V;`);
  L.push(`    for (let v = 0; v < V; v++) {`);
  L.push(`      const i0 = ib + v;`);
  for (let t = 0; t < r; t++) {
    const idx = t === 0 ? 'i0' : `i0 + ${t === 1 ? '' : `${t} * `}s`;
    L.push(`      const a${t}r = xr[${idx}]!, a${t}i = xi[${idx}]!;`);
  }
  L.push(...e.lines.map((l) => rename(l, consts, e.consts)));
  L.push(`      const d = vs * v;`);
  for (let u = 0; u < r; u++) {
    const b = outs[u]!;
    L.push(`      data[d${u} + d] = scale * (${cleanup(rn(b.re, consts, e.consts))}); data[d${u} + d + 1] = si * (${cleanup(rn(b.im, consts, e.consts))});`);
  }
  L.push(`    }`, `  }`, `}`);
  return L.join('\n');
}

function storeTwiddled(L: string[], outs: C[], r: number, stride: string, local: Map<string, string>, global: Map<string, string>): void {
  const b0 = outs[0]!;
  L.push(`      yr[o] = ${cleanup(rn(b0.re, global, local))}; yi[o] = ${cleanup(rn(b0.im, global, local))};`);
  for (let u = 1; u < r; u++) {
    const b = outs[u]!;
    const idx = `o + ${u === 1 ? '' : `${u} * `}${stride}`;
    L.push(`      {`);
    L.push(`        const br = ${cleanup(rn(b.re, global, local))}, bi = ${cleanup(rn(b.im, global, local))};`);
    L.push(`        yr[${idx}] = br * w${u}r - bi * w${u}i; yi[${idx}] = br * w${u}i + bi * w${u}r;`);
    L.push(`      }`);
  }
}

/** Maps per-emitter constant names (K0, K1, ...) to the global names. */
function rn(expr: string, global: Map<string, string>, local: Map<string, string>): string {
  const byLocal = new Map<string, string>();
  for (const [lit, name] of local) byLocal.set(name, global.get(lit)!);
  return expr.replace(/\bK(\d+)\b/g, (m) => byLocal.get(m) ?? m);
}

function rename(line: string, global: Map<string, string>, local: Map<string, string>): string {
  const out = rn(line, global, local);
  return out.replace(/= 0 \+ /g, '= ').replace(/, (z\d+i) = 0 \+ /g, ', $1 = ').replace(/= 0 - /g, '= -').replace(/, (z\d+i) = 0 - /g, ', $1 = -');
}

function merge(global: Map<string, string>, local: Map<string, string>): void {
  for (const lit of local.keys()) if (!global.has(lit)) global.set(lit, `C${global.size}`);
}

export function generate(): string {
  const consts = new Map<string, string>();
  const bodies: string[] = [];
  for (const r of RADICES) {
    bodies.push(genPass(r, consts), genFirst(r, consts), genLast(r, consts));
  }
  const head = [
    '/* eslint-disable */',
    '// GENERATED by recon/fft/codegen.ts — do not edit by hand.',
    '// npx tsx recon/fft/codegen.ts > recon/fft/codelets.ts',
    '//',
    '// passR:  Stockham DIF pass, y[q + s*(R*p + u)] = w^(p*u) Σ_t x[q + s*(p + t*m)] ω_R^(t*u)',
    '// firstR: the same with s = V, reading line v element j from data[base + vs*v + src[j]] (imag * sgn)',
    '// lastR:  m = 1 pass (no twiddles), writing element kk + K*u of line v to data[base + vs*v + dst[kk + K*u]]',
    '//         (real * scale, imag * scale * sgn)',
    '',
  ];
  for (const [lit, name] of consts) head.push(`const ${name} = ${lit};`);
  head.push('');
  const tail = [
    '',
    'export type RadixPass = typeof pass2;',
    'export type FirstPass = typeof first2;',
    'export type LastPass = typeof last2;',
    `export const PASS: Readonly<Record<number, RadixPass>> = { ${RADICES.map((r) => `${r}: pass${r}`).join(', ')} };`,
    `export const FIRST: Readonly<Record<number, FirstPass>> = { ${RADICES.map((r) => `${r}: first${r}`).join(', ')} };`,
    `export const LAST: Readonly<Record<number, LastPass>> = { ${RADICES.map((r) => `${r}: last${r}`).join(', ')} };`,
    '',
  ];
  return head.join('\n') + bodies.join('\n\n') + '\n' + tail.join('\n');
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  process.stdout.write(generate());
}
