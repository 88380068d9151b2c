/**
 * The GLM fit shown on the time course: ordinary least squares of the voxel's
 * series on the design (n × p, row-major), solved from the normal equations
 * (p is a handful of columns). The analysis itself (AR(1), contrasts, maps)
 * runs in the engine; this only draws the model through the data.
 */
export function olsFit(design: Float64Array, n: number, p: number, y: ArrayLike<number>): Float64Array {
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let t = 0; t < n; t++) {
    const yt = y[t]!;
    if (!Number.isFinite(yt)) continue;
    for (let i = 0; i < p; i++) {
      const xi = design[t * p + i]!;
      b[i]! += xi * yt;
      for (let j = 0; j < p; j++) a[i * p + j]! += xi * design[t * p + j]!;
    }
  }
  // A tiny ridge keeps rank-deficient designs solvable (the fit is unchanged on the column space).
  let trace = 0;
  for (let i = 0; i < p; i++) trace += a[i * p + i]!;
  for (let i = 0; i < p; i++) a[i * p + i]! += 1e-10 * (trace / p || 1);
  const beta = solve(a, b, p);
  const fit = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += design[t * p + j]! * beta[j]!;
    fit[t] = s;
  }
  return fit;
}

/** Gaussian elimination with partial pivoting; a and b are overwritten. */
export function solve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r * p + c]!) > Math.abs(a[piv * p + c]!)) piv = r;
    if (piv !== c) {
      for (let k = 0; k < p; k++) [a[c * p + k], a[piv * p + k]] = [a[piv * p + k]!, a[c * p + k]!];
      [b[c], b[piv]] = [b[piv]!, b[c]!];
    }
    const d = a[c * p + c]!;
    if (Math.abs(d) < 1e-300) continue;
    for (let r = c + 1; r < p; r++) {
      const f = a[r * p + c]! / d;
      if (f === 0) continue;
      for (let k = c; k < p; k++) a[r * p + k]! -= f * a[c * p + k]!;
      b[r]! -= f * b[c]!;
    }
  }
  const x = new Float64Array(p);
  for (let r = p - 1; r >= 0; r--) {
    let s = b[r]!;
    for (let k = r + 1; k < p; k++) s -= a[r * p + k]! * x[k]!;
    const d = a[r * p + r]!;
    x[r] = Math.abs(d) < 1e-300 ? 0 : s / d;
  }
  return x;
}
