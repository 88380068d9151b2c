/**
 * Step 3 of ESPIRiT (espirit.ts): the channels×channels matrix
 * G(x) = (1/T)·Σ_k ṽ_k(x)·ṽ_k(x)ᴴ on the image grid, one row of voxels at a
 * time, as the packed upper triangle (P = c(c+1)/2 pairs a ≤ b, row by row).
 *
 * G is a trigonometric polynomial of degree < k per axis: it is computed
 * exactly on the 2k grid L (G_L = Σ_k w_k·w_kᴴ, w_k = ifftc of kernel k), its
 * Fourier coefficients are placed on the image grid's frequencies and
 * transformed back (sinc interpolation, BART's compute_imgcov/caltwo): along
 * z for the whole volume, along y per slice on the few x frequencies that hold
 * coefficients, along x per row. Rows come out voxel-major ([x][pair]), what
 * the per-voxel eigen-solve reads, so no full-resolution [pair][voxel] volume
 * (P·nx·ny values: 150 MB for 32 coils at 192²) is ever held.
 */
import { fftnd, ifftc } from '../../fft/index.ts';

type Dims3 = readonly [number, number, number];

/** Complex values per batch of kernel images transformed together (bounds the scratch). */
const KERNEL_BATCH_ELEMS = 1 << 20;

export interface ImageGram {
  /** Packed pairs per voxel, c(c+1)/2. */
  readonly pairs: number;
  /** Makes slice z current (the y transform of its coefficient columns). */
  slice(z: number): void;
  /** G on row y of the current slice into `out`: [x][pair] interleaved complex (2·nx·pairs floats). */
  row(y: number, out: Float32Array): void;
}

/**
 * G_L on the 2k grid, [pair][j] interleaved complex float64, from the K
 * kernels (vectors: K × N interleaved complex, N = T·c, kernel index t
 * fastest within each channel).
 */
function gramOnKernelGrid(vectors: Float64Array, K: number, c: number, kernel: Dims3, L: Dims3): Float64Array {
  const [kx, ky, kz] = kernel;
  const [Lx, Ly, Lz] = L;
  const T = kx * ky * kz, N = T * c, Lpix = Lx * Ly * Lz;
  const P = (c * (c + 1)) / 2;
  const lAxes = [0, 1, 2].filter((d) => L[d]! > 1);
  const GL = new Float64Array(2 * P * Lpix);
  const batch = Math.max(1, Math.min(K, Math.floor(KERNEL_BATCH_ELEMS / (Lpix * c))));
  const kbuf = new Float32Array(2 * Lpix * c * batch);
  // one voxel j's kernel images, [channel][kernel], so that the sum over kernels runs on contiguous data
  const W = new Float64Array(2 * c * batch);
  for (let k0 = 0; k0 < K; k0 += batch) {
    const nk = Math.min(batch, K - k0);
    kbuf.fill(0);
    for (let k = 0; k < nk; k++) {
      const vo = 2 * (k0 + k) * N;
      for (let ch = 0; ch < c; ch++) {
        for (let tz = 0; tz < kz; tz++) {
          for (let ty = 0; ty < ky; ty++) {
            for (let tx = 0; tx < kx; tx++) {
              const src = vo + 2 * (tx + kx * (ty + ky * tz) + T * ch);
              const dst = 2 * (tx + Lx * (ty + Ly * (tz + Lz * (ch + c * k))));
              kbuf[dst] = vectors[src]!;
              kbuf[dst + 1] = vectors[src + 1]!;
            }
          }
        }
      }
    }
    const kimg = kbuf.subarray(0, 2 * Lpix * c * nk);
    if (lAxes.length > 0) ifftc(kimg, [Lx, Ly, Lz, c * nk], lAxes);
    for (let j = 0; j < Lpix; j++) {
      for (let ch = 0; ch < c; ch++) {
        for (let k = 0; k < nk; k++) {
          const s = 2 * (j + Lpix * (ch + c * k)), d = 2 * (k + nk * ch);
          W[d] = kimg[s]!;
          W[d + 1] = kimg[s + 1]!;
        }
      }
      // kernels summed in order onto the running value: the same rounding as one kernel at a time
      let pair = 0;
      for (let a = 0; a < c; a++) {
        const oa = 2 * nk * a;
        for (let b = a; b < c; b++, pair++) {
          const ob = 2 * nk * b, og = 2 * (j + Lpix * pair);
          let re = GL[og]!, im = GL[og + 1]!;
          for (let k = 0; k < 2 * nk; k += 2) {
            const ar = W[oa + k]!, ai = W[oa + k + 1]!, br = W[ob + k]!, bi = W[ob + k + 1]!;
            re = re + ar * br + ai * bi;
            im = im + ai * br - ar * bi;
          }
          GL[og] = re;
          GL[og + 1] = im;
        }
      }
    }
  }
  return GL;
}

/**
 * G per voxel on the image grid (see the file comment), from the K kernels of
 * the signal subspace (vectors: K × N interleaved complex).
 */
export function imageGram(vectors: Float64Array, K: number, c: number, kernel: Dims3, imageDims: Dims3): ImageGram {
  const [kx, ky, kz] = kernel;
  const T = kx * ky * kz;
  const [nx, ny, nz] = imageDims;
  const npix = nx * ny * nz;
  const L: [number, number, number] = [kx > 1 ? 2 * kx : 1, ky > 1 ? 2 * ky : 1, kz > 1 ? 2 * kz : 1];
  const [Lx, Ly, Lz] = L;
  const Lpix = Lx * Ly * Lz;
  const P = (c * (c + 1)) / 2;
  const lAxes = [0, 1, 2].filter((d) => L[d]! > 1);
  const GL = gramOnKernelGrid(vectors, K, c, kernel, L);
  // Fourier coefficients of G: ifftc over the L grid (scale applied below)
  const coef = new Float32Array(2 * Lpix * P);
  for (let i = 0; i < coef.length; i++) coef[i] = GL[i]!;
  if (lAxes.length > 0) ifftc(coef, [Lx, Ly, Lz, P], lAxes);
  // total scale: G_full = √(Npix·Lpix)/T · fftc(pad(ifftc(Σ w·wᴴ)))
  const scale = Math.sqrt(npix * Lpix) / T;
  // Nyquist index of the L grid (coefficient of Δ = −k: zero for a degree < k polynomial)
  const skip = (j: number, Ld: number): boolean => Ld > 1 && j === 0;
  const wrap = (j: number, Ld: number, n: number): number => ((j - Math.floor(Ld / 2) + Math.floor(n / 2)) % n + n) % n;

  // z interpolation first, for the whole volume: [Lx, Ly, nz, P]
  const zc = new Float32Array(2 * Lx * Ly * nz * P);
  for (let p = 0; p < P; p++) {
    for (let jz = 0; jz < Lz; jz++) {
      if (skip(jz, Lz)) continue;
      const iz = wrap(jz, Lz, nz);
      for (let jy = 0; jy < Ly; jy++) {
        for (let jx = 0; jx < Lx; jx++) {
          const s = 2 * (jx + Lx * (jy + Ly * (jz + Lz * p)));
          const d = 2 * (jx + Lx * (jy + Ly * (iz + nz * p)));
          zc[d] = zc[d]! + coef[s]! * scale;
          zc[d + 1] = zc[d + 1]! + coef[s + 1]! * scale;
        }
      }
    }
  }
  if (nz > 1) fftnd(zc, [Lx, Ly, nz, P], [2]);

  // the image columns x that receive coefficients (several jx land on one x where nx < Lx)
  const colOf = new Int32Array(Lx).fill(-1);
  const xs: number[] = [];
  for (let jx = 0; jx < Lx; jx++) {
    if (skip(jx, Lx)) continue;
    const ix = wrap(jx, Lx, nx);
    let k = xs.indexOf(ix);
    if (k < 0) { k = xs.length; xs.push(ix); }
    colOf[jx] = k;
  }
  const colX = Int32Array.from(xs);
  const ncol = colX.length;
  // the current slice's columns after the y transform, [pair][column][y]: a row's pairs are contiguous
  const cols = new Float32Array(2 * P * ncol * ny);

  return {
    pairs: P,
    slice(z: number): void {
      cols.fill(0);
      for (let p = 0; p < P; p++) {
        for (let jy = 0; jy < Ly; jy++) {
          if (skip(jy, Ly)) continue;
          const iy = wrap(jy, Ly, ny);
          for (let jx = 0; jx < Lx; jx++) {
            if (skip(jx, Lx)) continue;
            const s = 2 * (jx + Lx * (jy + Ly * (z + nz * p)));
            const d = 2 * (p + P * (colOf[jx]! + ncol * iy));
            cols[d] = cols[d]! + zc[s]!;
            cols[d + 1] = cols[d + 1]! + zc[s + 1]!;
          }
        }
      }
      if (ny > 1) fftnd(cols, [P, ncol, ny], [2]);
    },
    row(y: number, out: Float32Array): void {
      out.fill(0, 0, 2 * nx * P);
      for (let k = 0; k < ncol; k++) {
        const s = 2 * P * (k + ncol * y);
        out.set(cols.subarray(s, s + 2 * P), 2 * P * colX[k]!);
      }
      if (nx > 1) fftnd(out.subarray(0, 2 * nx * P), [P, nx], [1]);
    },
  };
}
