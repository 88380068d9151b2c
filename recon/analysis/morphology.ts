/** Binary 3D morphology and connected components on [x y z] masks (x fastest). */

export type Connectivity = 6 | 18 | 26;

/** Neighbour offsets (di, dj, dk) for a connectivity. */
export function neighbourOffsets(connectivity: Connectivity): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let k = -1; k <= 1; k++) {
    for (let j = -1; j <= 1; j++) {
      for (let i = -1; i <= 1; i++) {
        const n = Math.abs(i) + Math.abs(j) + Math.abs(k);
        if (n === 0) continue;
        if (connectivity === 6 && n > 1) continue;
        if (connectivity === 18 && n > 2) continue;
        out.push([i, j, k]);
      }
    }
  }
  return out;
}

/** Connected components of `binary`: labels 1..count (0 = background) and the size of each. */
export function labelComponents(
  binary: Uint8Array,
  dims: readonly [number, number, number],
  connectivity: Connectivity,
): { labels: Int32Array; sizes: number[] } {
  const [nx, ny, nz] = dims;
  const offsets = neighbourOffsets(connectivity);
  const labels = new Int32Array(binary.length);
  const sizes: number[] = [0];
  const stack = new Int32Array(binary.length);
  for (let start = 0; start < binary.length; start++) {
    if (!binary[start] || labels[start]) continue;
    const label = sizes.length;
    let size = 0;
    let top = 0;
    stack[top++] = start;
    labels[start] = label;
    while (top > 0) {
      const v = stack[--top]!;
      size++;
      const i = v % nx;
      const j = Math.floor(v / nx) % ny;
      const k = Math.floor(v / (nx * ny));
      for (const [di, dj, dk] of offsets) {
        const a = i + di;
        const b = j + dj;
        const c = k + dk;
        if (a < 0 || b < 0 || c < 0 || a >= nx || b >= ny || c >= nz) continue;
        const w = a + nx * (b + ny * c);
        if (binary[w] && !labels[w]) {
          labels[w] = label;
          stack[top++] = w;
        }
      }
    }
    sizes.push(size);
  }
  return { labels, sizes };
}

/** Keep only the largest connected component. */
export function largestComponent(binary: Uint8Array, dims: readonly [number, number, number], connectivity: Connectivity = 6): Uint8Array {
  const { labels, sizes } = labelComponents(binary, dims, connectivity);
  let best = 0;
  for (let l = 1; l < sizes.length; l++) if (sizes[l]! > (sizes[best] ?? 0)) best = l;
  const out = new Uint8Array(binary.length);
  if (best === 0) return out;
  for (let v = 0; v < binary.length; v++) if (labels[v] === best) out[v] = 1;
  return out;
}

function morph(binary: Uint8Array, dims: readonly [number, number, number], erode: boolean): Uint8Array {
  const [nx, ny, nz] = dims;
  const out = new Uint8Array(binary.length);
  const offsets = neighbourOffsets(6);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const v = i + nx * (j + ny * k);
        let value = binary[v]!;
        if (erode ? value : !value) {
          for (const [di, dj, dk] of offsets) {
            const a = i + di;
            const b = j + dj;
            const c = k + dk;
            // Outside the volume counts as background (scipy's border_value = 0).
            const inside = a >= 0 && b >= 0 && c >= 0 && a < nx && b < ny && c < nz;
            const nb = inside ? binary[a + nx * (b + ny * c)]! : 0;
            if (erode && !nb) {
              value = 0;
              break;
            }
            if (!erode && nb) {
              value = 1;
              break;
            }
          }
        }
        out[v] = value ? 1 : 0;
      }
    }
  }
  return out;
}

/** Binary erosion/dilation with the 6-connected cross, repeated `iterations` times. */
export function erode(binary: Uint8Array, dims: readonly [number, number, number], iterations = 1): Uint8Array {
  let m = binary;
  for (let i = 0; i < iterations; i++) m = morph(m, dims, true);
  return m;
}

export function dilate(binary: Uint8Array, dims: readonly [number, number, number], iterations = 1): Uint8Array {
  let m = binary;
  for (let i = 0; i < iterations; i++) m = morph(m, dims, false);
  return m;
}
