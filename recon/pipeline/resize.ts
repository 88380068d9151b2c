/**
 * Centred crop / zero-pad of a complex array along chosen axes. The same operation
 * serves in k-space (changing resolution: zero-fill interpolation) and in image space
 * (changing field of view), because both keep the centre at floor(n/2).
 * data: interleaved complex, shape fastest first.
 */
export function resizeCentred(data: Float32Array, shape: readonly number[], newShape: readonly number[]): Float32Array {
  if (shape.every((n, a) => n === newShape[a])) return data;
  const total = newShape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(2 * total);
  const d = shape.length;
  // Offset of the old grid's origin inside the new one, per axis (negative = crop).
  const shift = shape.map((n, a) => Math.floor(newShape[a]! / 2) - Math.floor(n / 2));
  const strideOld: number[] = [];
  const strideNew: number[] = [];
  let so = 1;
  let sn = 1;
  for (let a = 0; a < d; a++) {
    strideOld.push(so);
    strideNew.push(sn);
    so *= shape[a]!;
    sn *= newShape[a]!;
  }
  // Copy runs along axis 0, iterating over the outer axes of the new array.
  const n0 = newShape[0]!;
  const lo0 = Math.max(0, shift[0]!);
  const hi0 = Math.min(n0, shape[0]! + shift[0]!);
  if (hi0 <= lo0) return out;
  const outer = total / n0;
  const idx = new Array<number>(d).fill(0);
  for (let o = 0; o < outer; o++) {
    let rem = o;
    let srcBase = 0;
    let inside = true;
    for (let a = 1; a < d; a++) {
      idx[a] = rem % newShape[a]!;
      rem = Math.floor(rem / newShape[a]!);
      const src = idx[a]! - shift[a]!;
      if (src < 0 || src >= shape[a]!) {
        inside = false;
        break;
      }
      srcBase += src * strideOld[a]!;
    }
    if (!inside) continue;
    const dst = o * n0;
    out.set(data.subarray(2 * (srcBase + lo0 - shift[0]!), 2 * (srcBase + hi0 - shift[0]!)), 2 * (dst + lo0));
  }
  return out;
}
