/** Small numeric helpers for the analysis tests. */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>, keep?: ArrayLike<number>): number {
  let n = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && !keep[i]) continue;
    n++;
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    if (keep && !keep[i]) continue;
    const x = a[i]! - ma;
    const y = b[i]! - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, keep?: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep[i]) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function maxAbs(a: ArrayLike<number>, keep?: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) if (!keep || keep[i]) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
