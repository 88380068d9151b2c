/**
 * Plain gather/scatter between interleaved Float32 data and the split Float64
 * line buffers, for the cases where the first/last Stockham pass cannot be
 * fused with it (single-pass lengths, Bluestein).
 *
 * Line v of a block starts at data[base + vs*v]; element j of every line is at
 * row offset rows[j] (in floats) from the line start, so the centring rotation
 * (and the axis stride) live in the `src`/`dst` row tables. `sgn` = -1
 * conjugates on the way in (and out), `scale` scales on the way out.
 */

export function gatherRows(
  data: Float32Array, base: number, vs: number, src: Int32Array, sgn: number, n: number, V: number,
  xr: Float64Array, xi: Float64Array,
): void {
  for (let j = 0; j < n; j++) {
    const row = base + src[j]!, b = j * V;
    for (let v = 0; v < V; v++) {
      const o = row + vs * v;
      xr[b + v] = data[o]!;
      xi[b + v] = sgn * data[o + 1]!;
    }
  }
}

export function scatterRows(
  data: Float32Array, base: number, vs: number, dst: Int32Array, scale: number, sgn: number, n: number, V: number,
  yr: Float64Array, yi: Float64Array,
): void {
  const si = scale * sgn;
  for (let k = 0; k < n; k++) {
    const row = base + dst[k]!, b = k * V;
    for (let v = 0; v < V; v++) {
      const o = row + vs * v;
      data[o] = scale * yr[b + v]!;
      data[o + 1] = si * yi[b + v]!;
    }
  }
}

