/**
 * Distribution tails for turning t and F statistics into p-values and z
 * scores without losing the far tails: everything is carried as log
 * probabilities. t and F tails come from the regularised incomplete beta
 * function (continued fraction, modified Lentz); z = Φ⁻¹(1 − p) from
 * Wichura's AS 241 fed with log p (so p far below 1e-300 still works),
 * polished by Newton steps on log Φc where AS 241 is outside its range.
 */

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const y = x - 1;
  let a = LANCZOS[0]!;
  const t = y + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i]! / (y + i);
  return LN_SQRT_2PI + (y + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Stirling remainder ln Γ(x) − [(x − ½) ln x − x + ½ ln 2π], for x ≥ 10. */
function stirlingCorrection(x: number): number {
  const r = 1 / x;
  const r2 = r * r;
  return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))));
}

/** ln B(a, b), without the cancellation of ln Γ differences when a or b is large. */
export function lnBeta(a: number, b: number): number {
  const lo = Math.min(a, b);
  const hi = Math.max(a, b);
  if (hi < 10) return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
  if (lo < 10) {
    // ln Γ(hi) − ln Γ(hi + lo) by Stirling, written to avoid cancellation.
    const diff = -(hi - 0.5) * Math.log1p(lo / hi) - lo * Math.log(hi + lo) + lo + stirlingCorrection(hi) - stirlingCorrection(hi + lo);
    return lnGamma(lo) + diff;
  }
  const s = a + b;
  return (
    LN_SQRT_2PI +
    (a - 0.5) * -Math.log1p(b / a) +
    (b - 0.5) * -Math.log1p(a / b) -
    0.5 * Math.log(s) +
    stirlingCorrection(a) +
    stirlingCorrection(b) -
    stirlingCorrection(s)
  );
}

/** Continued fraction for I_x(a, b) (Numerical Recipes' betacf, modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return h;
}

/** log(1 − e^v) for v ≤ 0, accurately at both ends. */
export function log1mExp(v: number): number {
  return v > -Math.LN2 ? Math.log(-Math.expm1(v)) : Math.log1p(-Math.exp(v));
}

/** log(e^u + e^v). */
function logAddExp(u: number, v: number): number {
  const hi = Math.max(u, v);
  if (hi === -Infinity) return -Infinity;
  return hi + Math.log1p(Math.exp(Math.min(u, v) - hi));
}

export interface LogTails {
  /** log P(X ≤ x). */
  logLower: number;
  /** log P(X > x). */
  logUpper: number;
}

/**
 * log I_x(a, b) and log(1 − I_x(a, b)), with x and y = 1 − x given separately
 * (and their logs) so that neither is formed by subtraction.
 */
export function logBetaIncTails(a: number, b: number, x: number, y: number, lnx: number, lny: number, lnB = lnBeta(a, b)): LogTails {
  if (!(x > 0)) return { logLower: -Infinity, logUpper: 0 };
  if (!(y > 0)) return { logLower: 0, logUpper: -Infinity };
  const front = a * lnx + b * lny - lnB;
  if (x < (a + 1) / (a + b + 2)) {
    const logLower = front - Math.log(a) + Math.log(betaContinuedFraction(a, b, x));
    return { logLower, logUpper: log1mExp(Math.min(logLower, 0)) };
  }
  const logUpper = front - Math.log(b) + Math.log(betaContinuedFraction(b, a, y));
  return { logLower: log1mExp(Math.min(logUpper, 0)), logUpper };
}

/** Student t with `dof` degrees of freedom: log tails at t (ln B precomputed per dof). */
export function makeTTails(dof: number): (t: number) => LogTails {
  const a = dof / 2;
  const lnB = lnBeta(a, 0.5);
  return (t: number): LogTails => {
    if (Number.isNaN(t)) return { logLower: NaN, logUpper: NaN };
    if (t === 0) return { logLower: -Math.LN2, logUpper: -Math.LN2 };
    const t2 = t * t;
    if (t2 === Infinity) return t > 0 ? { logLower: 0, logUpper: -Infinity } : { logLower: -Infinity, logUpper: 0 };
    // P(|T| > |t|) = I_x(ν/2, ½), x = ν / (ν + t²).
    const x = dof / (dof + t2);
    const y = t2 / (dof + t2);
    const two = logBetaIncTails(a, 0.5, x, y, -Math.log1p(t2 / dof), -Math.log1p(dof / t2), lnB);
    const small = two.logLower - Math.LN2; // one tail beyond |t|
    const big = -Math.LN2 + Math.log1p(Math.exp(two.logUpper)); // ½ + ½·P(|T| ≤ |t|)
    return t > 0 ? { logLower: big, logUpper: small } : { logLower: small, logUpper: big };
  };
}

/** F with (d1, d2) degrees of freedom: log tails at f ≥ 0. */
export function makeFTails(d1: number, d2: number): (f: number) => LogTails {
  const lnB = lnBeta(d2 / 2, d1 / 2);
  return (f: number): LogTails => {
    if (Number.isNaN(f)) return { logLower: NaN, logUpper: NaN };
    if (f <= 0) return { logLower: -Infinity, logUpper: 0 };
    if (f === Infinity) return { logLower: 0, logUpper: -Infinity };
    const u = d1 * f;
    // P(F > f) = I_x(d2/2, d1/2), x = d2 / (d2 + d1 f).
    const r = logBetaIncTails(d2 / 2, d1 / 2, d2 / (d2 + u), u / (d2 + u), -Math.log1p(u / d2), -Math.log1p(d2 / u), lnB);
    return { logLower: r.logUpper, logUpper: r.logLower };
  };
}

export function tLogSf(t: number, dof: number): number {
  return makeTTails(dof)(t).logUpper;
}

export function fLogSf(f: number, d1: number, d2: number): number {
  return makeFTails(d1, d2)(f).logUpper;
}

// ---------------------------------------------------------------- normal ---

/** log Φc(z) = log P(Z > z). */
export function normLogSf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  if (z < 0) return log1mExp(normLogSf(-z));
  if (z < 3) return Math.log(0.5 * erfcSeries(z / Math.SQRT2));
  if (z === Infinity) return -Infinity;
  // Mills ratio Φc(z)/φ(z) = 1/(z + 1/(z + 2/(z + 3/(z + …)))), modified Lentz.
  const tiny = 1e-300;
  let f = z;
  let c = z;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    d = z + k * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = z + k / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = c * d;
    f *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return -0.5 * z * z - LN_SQRT_2PI - Math.log(f);
}

/** erfc(x) for 0 ≤ x < ~2.2 from erf's series in e^{-x²}·Σ (2x²)^n x / (2n+1)!! (all terms positive). */
function erfcSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}

const A = [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727];
const B = [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561];
const C = [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4];
const D = [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9];
const E = [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7];
const F = [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15];

function poly(c: readonly number[], x: number): number {
  let v = c[7]!;
  for (let i = 6; i >= 0; i--) v = v * x + c[i]!;
  return v;
}

/** z ≥ 0 with P(Z > z) = e^{logq}, for logq ≤ log ½. */
export function upperQuantileFromLog(logq: number): number {
  if (Number.isNaN(logq)) return NaN;
  if (logq === -Infinity) return Infinity;
  if (logq >= -Math.LN2) return 0;
  const q = Math.exp(logq);
  if (q >= 0.075) {
    const d = q - 0.5;
    const r = 0.180625 - d * d;
    return (-d * poly(A, r)) / poly(B, r);
  }
  let r = Math.sqrt(-logq);
  let z: number;
  if (r <= 5) {
    r -= 1.6;
    z = poly(C, r) / poly(D, r);
  } else {
    r -= 5;
    z = poly(E, r) / poly(F, r);
  }
  if (logq < -680) {
    // Beyond AS 241's tested range: Newton on log Φc(z) − logq (its slope is −φ/Φc).
    for (let i = 0; i < 3; i++) {
      const ls = normLogSf(z);
      const slope = -Math.exp(-0.5 * z * z - LN_SQRT_2PI - ls);
      const step = (ls - logq) / slope;
      z -= step;
      if (Math.abs(step) < 1e-15 * z) break;
    }
  }
  return z;
}

/** Signed z with the same tail probabilities. */
export function zFromLogTails(t: LogTails): number {
  if (Number.isNaN(t.logUpper) || Number.isNaN(t.logLower)) return NaN;
  return t.logUpper <= t.logLower ? upperQuantileFromLog(t.logUpper) : -upperQuantileFromLog(t.logLower);
}

/** z such that P(Z > z) = p (isf). */
export function zFromP(p: number): number {
  if (!(p >= 0 && p <= 1)) return NaN;
  return p <= 0.5 ? upperQuantileFromLog(Math.log(p)) : -upperQuantileFromLog(Math.log1p(-p));
}

/**
 * t → z for a fixed dof, the per-voxel hot path: only the smaller tail
 * P(T > |t|) is formed (as a log), then z = sign(t)·Φc⁻¹(that tail).
 */
export function makeTToZ(dof: number): (t: number) => number {
  const a = dof / 2;
  const lnB = lnBeta(a, 0.5);
  const lnA = Math.log(a);
  const lnHalf = Math.log(0.5);
  const switchAt = (a + 1) / (a + 2.5);
  return (t: number): number => {
    if (Number.isNaN(t)) return NaN;
    if (t === 0) return 0;
    const t2 = t * t;
    if (t2 === Infinity) return t > 0 ? Infinity : -Infinity;
    const x = dof / (dof + t2);
    const front = -a * Math.log1p(t2 / dof) - 0.5 * Math.log1p(dof / t2) - lnB;
    // log P(|T| > |t|) = log I_x(ν/2, ½)
    const logTwo =
      x < switchAt
        ? front - lnA + Math.log(betaContinuedFraction(a, 0.5, x))
        : log1mExp(Math.min(0, front - lnHalf + Math.log(betaContinuedFraction(0.5, a, t2 / (dof + t2)))));
    const z = upperQuantileFromLog(Math.min(logTwo - Math.LN2, -Math.LN2));
    return t > 0 ? z : -z;
  };
}

export function tToZ(t: number, dof: number): number {
  return makeTToZ(dof)(t);
}

export function fToZ(f: number, d1: number, d2: number): number {
  return zFromLogTails(makeFTails(d1, d2)(f));
}

export { logAddExp };
