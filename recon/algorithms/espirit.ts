/**
 * Coil sensitivity maps from the autocalibration (ACS) k-space region
 * (pure functions, no I/O): ESPIRiT (first eigenvector set) and Walsh/Inati
 * on the low-resolution ACS image.
 *
 * Conventions
 * - ACS: interleaved complex Float32Array, shape [ax, ay, az, cha] (channel
 *   slowest), the fully sampled calibration block cut out of k-space around
 *   its centre: ACS index floor(a/2) is the k-space centre floor(n/2) of the
 *   image grid (as `extractCalibration` cuts it). Only the ACS block is read;
 *   it may have any size ≥ the kernel (e.g. 24×24, or full readout × 24).
 * - Output maps: [x, y, z, cha] complex on the image grid `imageDims`, for the
 *   centred orthonormal FFT of recon/fft (ifftc of k-space = coil images):
 *   coil image c ≈ S_c·ρ. ESPIRiT maps have Σ_c|S_c|² = 1 inside the
 *   eigenvalue mask and are 0 outside it.
 *
 * ESPIRiT (Uecker M et al., ESPIRiT — an eigenvalue approach to
 * autocalibrating parallel MRI: where SENSE meets GRAPPA. MRM 2014;71:990),
 * as `bart ecalib -m1` (BART v0.8 defaults, from calib.c ecalib_defaults:
 * -k 6, -t 0.001, -c 0.8, hard crop, phase rotation on; BART also limits the
 * calibration region to 24 per axis (-r 24): pass such a block, e.g.
 * `extractCalibration(kspace, dims, c, [24, 24, 1])`). Verified against
 * `bart ecalib` in test/algorithms/espirit.test.ts (same kernel count,
 * eigenvalues to ~1e-6, maps to |corr| > 0.99 per coil up to a global phase):
 *  1. Calibration matrix from all kernel-sized ACS patches; its Gram matrix
 *     C = Σ patches·patchesᴴ (N×N, N = kx·ky·kz·channels) from separable
 *     sliding-window sums of products of ACS samples (espirit/calibration.ts).
 *  2. Signal subspace V∥: the eigenvectors of C with λ_i > t·λ_max, i.e.
 *     singular values σ_i/σ_max > √t — BART's rule `val[i]/val[0] >
 *     sqrtf(threshold)` (calib.c, number_of_kernels); t = 0.001 keeps σ_i
 *     above 3.2 % of σ_max (espirit/subspace.ts: tridiagonalisation +
 *     inverse iteration for the selected vectors only).
 *  3. Projection onto V∥ as a k-space operator, (1/T)·Σ_r R_rᴴ·P·R_r with
 *     P = V∥V∥ᴴ, T = kx·ky·kz, is a convolution; in the image domain it is a
 *     channels×channels matrix G(x) per voxel, G(x) = (1/T)·Σ_k ṽ_k(x)·ṽ_k(x)ᴴ
 *     (ṽ_k = inverse DFT of kernel k), with eigenvalues in [0, 1]. G is a
 *     trigonometric polynomial of degree < k per axis, so it is computed
 *     exactly on a 2k grid and sinc-interpolated (zero-padded FFT) to the
 *     image grid — what BART's compute_imgcov/caltwo do.
 *  4. Per voxel, the dominant eigenvector of G(x) (power iteration started
 *     from the linear extrapolation 2·v(x−1) − v(x−2) of the neighbours along
 *     x, at most `maxIterations` (30, as BART's orthiter) steps, stopping at
 *     ‖G·v − λv‖ ≤ 1e-4·λ); the maps are zeroed where its eigenvalue
 *     λ ≤ crop (`bart ecalib -c`; soft: BART's
 *     -S weighting) — the eigenvalue is ≈ 1 inside the object and falls
 *     towards 0 outside it.
 *  5. Phase: each voxel's vector is rotated so that uᴴ·S(x) is real and
 *     positive, u = first principal component of the ACS channel covariance
 *     Σ x·xᴴ (BART's rotphase with scc + fixphase2).
 *
 * Cost: step 1 is O(channels²·(2k−1)^d·|ACS|), step 2 O(N³) (N = 288 for a
 * 6×6 kernel and 8 channels: ~15 ms with the WebAssembly SIMD kernels of
 * espirit/wasm.ts), steps 3–4 O(channels²) per voxel (step 1's row sums and
 * step 4's matrix-vector products in WebAssembly SIMD too:
 * espirit/calibration-wasm.ts, espirit/voxel-wasm.ts); 96×96, 8 coils, 24²
 * ACS: ~50 ms in all. A 3D ACS block gets a 3D kernel (default 6×6×6), which
 * makes N = 216·channels (1728 for 8 coils: seconds); pass a smaller kernel
 * (e.g. 3 or 4 per axis, as the 3D test does) to keep it affordable. A 2D
 * kernel ([kx, ky, 1]) on a 3D ACS block gives maps that do not vary along z
 * (the operator then does not couple k_z): not what 3D data need.
 *
 * Low-resolution Walsh/Inati (`lowResMaps`): the ACS block is multiplied by a
 * separable Hamming window, zero-padded to the image grid, inverse FFT'd
 * (ifftc) and handed to walshMaps/inatiMaps (coil-maps.ts).
 */
import { UhfError } from '../../shared/errors.ts';
import { fftnd, ifftc } from '../fft/index.ts';
import { inatiMaps, walshMaps, type InatiOptions, type WalshOptions } from './coil-maps.ts';
import { calibrationGram } from './espirit/calibration.ts';
import { dominantEigenspace } from './espirit/subspace.ts';
import { voxelKernel } from './espirit/voxel-wasm.ts';

/** Voxels per block of the transposed G plane (step 4). */
const VOXEL_BLOCK = 64;

export type EspiritVoxelBackend = 'auto' | 'js' | 'wasm';
let voxelBackend: EspiritVoxelBackend = 'auto';

/**
 * Selects the implementation of the per-voxel matrix-vector product of step 4:
 * 'wasm' (the WebAssembly SIMD kernel of espirit/voxel-wasm.ts; JS if
 * WebAssembly is unavailable), 'js', or 'auto' (wasm for ≥ 8 channels).
 * Results agree to rounding. Returns the previous setting.
 */
export function setEspiritVoxelBackend(b: EspiritVoxelBackend): EspiritVoxelBackend {
  const prev = voxelBackend;
  voxelBackend = b;
  return prev;
}

export type Dims3 = readonly [number, number, number];
export type KernelSize = number | readonly [number, number, number];

export interface EspiritOptions {
  /**
   * Kernel size (`bart ecalib -k`): one number k = k along every axis whose
   * ACS size is > 1, or [kx, ky, kz]. Default 6. Clamped to the ACS size.
   */
  kernel?: KernelSize;
  /** Null-space threshold t (`bart ecalib -t`): keep σ_i/σ_max > √t. Default 0.001. */
  threshold?: number;
  /** Eigenvalue crop (`bart ecalib -c`): maps = 0 where λ ≤ crop. Default 0.8; 0 keeps all. */
  crop?: number;
  /** Smooth crop weighting (`bart ecalib -S`) instead of the hard threshold. Default false. */
  softCrop?: boolean;
  /**
   * Per-voxel phase: 'principal' (default, as BART: uᴴS real positive for the
   * first principal component u of the ACS), a coil index (S_ref real ≥ 0),
   * or 'none' (the raw eigenvector phase; not smooth).
   */
  phaseReference?: 'principal' | 'none' | number;
  /** Power-iteration steps per voxel, at most. Default 30. */
  maxIterations?: number;
}

export interface EspiritResult {
  /** Maps [x, y, z, cha] complex (see file comment). */
  maps: Float32Array;
  /**
   * First eigenvalue of G(x) per voxel [x, y, z] (real; what `bart ecalib`
   * writes as its third output). Voxels whose trace(G) (≥ λ₁) is already
   * below the crop level get the Rayleigh quotient of a single power step (a
   * lower bound of λ₁), the others the converged value.
   */
  eigenvalues: Float32Array;
  /** Singular values of the calibration matrix, descending (√ of the eigenvalues of C). */
  singularValues: Float64Array;
  /** Number of kernels kept (signal-subspace dimension). */
  kernelCount: number;
  /** The kernel size used, [kx, ky, kz]. */
  kernel: [number, number, number];
}

function checkDims(dims: Dims3, what: string, who: string): void {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new UhfError('BAD_ARGUMENT', `${who}: bad ${what} [${dims.join(',')}]`);
}

function checkInputs(acs: Float32Array, acsDims: Dims3, imageDims: Dims3, channels: number, who: string): void {
  checkDims(acsDims, 'ACS dims', who);
  checkDims(imageDims, 'image dims', who);
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel count ${channels}`);
  const na = acsDims[0] * acsDims[1] * acsDims[2];
  if (acs.length !== 2 * na * channels) throw new UhfError('SHAPE_MISMATCH', `${who}: ACS has ${acs.length / 2} complex values, [${acsDims.join(',')}] × ${channels} channels need ${na * channels}`);
  for (let d = 0; d < 3; d++) {
    if (acsDims[d]! > imageDims[d]!) throw new UhfError('BAD_ARGUMENT', `${who}: ACS [${acsDims.join(',')}] larger than the image grid [${imageDims.join(',')}]`);
  }
}

/** Offset of ACS index 0 on the image grid (centres aligned: floor(a/2) ↔ floor(n/2)). */
function acsOffset(a: number, n: number): number {
  return Math.floor(n / 2) - Math.floor(a / 2);
}

/**
 * The centred calibration block of size `size` (clamped to the k-space dims)
 * cut out of k-space [ro, e1, e2, cha]; returns the block and its dims.
 */
export function extractCalibration(kspace: Float32Array, dims: Dims3, channels: number, size: Dims3): { acs: Float32Array; dims: [number, number, number] } {
  checkDims(dims, 'k-space dims', 'extractCalibration');
  const n = dims[0] * dims[1] * dims[2];
  if (kspace.length !== 2 * n * channels) throw new UhfError('SHAPE_MISMATCH', `extractCalibration: k-space has ${kspace.length / 2} complex values, [${dims.join(',')}] × ${channels} need ${n * channels}`);
  const a: [number, number, number] = [Math.min(size[0], dims[0]), Math.min(size[1], dims[1]), Math.min(size[2], dims[2])];
  checkDims(a, 'calibration size', 'extractCalibration');
  const na = a[0] * a[1] * a[2];
  const out = new Float32Array(2 * na * channels);
  const o0 = acsOffset(a[0], dims[0]), o1 = acsOffset(a[1], dims[1]), o2 = acsOffset(a[2], dims[2]);
  for (let c = 0; c < channels; c++) {
    for (let z = 0; z < a[2]; z++) {
      for (let y = 0; y < a[1]; y++) {
        const src = 2 * (o0 + dims[0] * ((y + o1) + dims[1] * ((z + o2) + dims[2] * c)));
        const dst = 2 * (a[0] * (y + a[1] * (z + a[2] * c)));
        out.set(kspace.subarray(src, src + 2 * a[0]), dst);
      }
    }
  }
  return { acs: out, dims: a };
}

function kernelDims(kernel: KernelSize | undefined, acsDims: Dims3, who: string): [number, number, number] {
  const k = kernel ?? 6;
  const raw: [number, number, number] = typeof k === 'number' ? [k, k, k] : [k[0], k[1], k[2]];
  for (const v of raw) if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad kernel [${raw.join(',')}]`);
  return [Math.min(raw[0], acsDims[0]), Math.min(raw[1], acsDims[1]), Math.min(raw[2], acsDims[2])];
}

/** Dominant eigenvector u of Σ_q x(q)·x(q)ᴴ over the ACS samples (channels×channels). */
function principalComponent(acs: Float32Array, na: number, c: number): Float64Array {
  const R = new Float64Array(2 * c * c);
  for (let a = 0; a < c; a++) {
    for (let b = 0; b <= a; b++) {
      let re = 0, im = 0;
      const oa = 2 * na * a, ob = 2 * na * b;
      for (let q = 0; q < na; q++) {
        const ar = acs[oa + 2 * q]!, ai = acs[oa + 2 * q + 1]!, br = acs[ob + 2 * q]!, bi = acs[ob + 2 * q + 1]!;
        re += ar * br + ai * bi;
        im += ai * br - ar * bi;
      }
      R[2 * (a * c + b)] = re; R[2 * (a * c + b) + 1] = im;
      R[2 * (b * c + a)] = re; R[2 * (b * c + a) + 1] = -im;
    }
  }
  const sub = dominantEigenspace(R, c, 1);
  return sub.vectors.subarray(0, 2 * c);
}

/**
 * G (c×c, row-major interleaved, full) from its upper triangle packed row by
 * row (pairs a ≤ b, interleaved complex, from src[o]); returns trace(G).
 */
function unpackHermitian(src: Float32Array, o: number, G: Float64Array, c: number): number {
  let trace = 0;
  for (let a = 0; a < c; a++) {
    const d = src[o]!;
    o += 2;
    G[2 * (a * c + a)] = d; G[2 * (a * c + a) + 1] = 0;
    trace += d;
    for (let b = a + 1, u = 2 * (a * c + b), l = 2 * (b * c + a); b < c; b++, o += 2, u += 2, l += 2 * c) {
      const re = src[o]!, im = src[o + 1]!;
      G[u] = re; G[u + 1] = im;
      G[l] = re; G[l + 1] = -im;
    }
  }
  return trace;
}

/** BART's soft-crop weight (calib.c: scurve((√λ − c)/(1 − c))). */
function softWeight(crop: number, lambda: number): number {
  const x = (Math.sqrt(Math.max(lambda, 0)) - crop) / (1 - crop);
  if (x <= -1) return 0;
  if (x >= 1) return 1;
  return 0.5 * (1 + (2 * x) / (1 + x * x));
}

/**
 * ESPIRiT sensitivity maps (first eigenvector set) from the ACS block, with
 * the eigenvalue map and calibration details. See the file comment.
 */
export function espirit(acs: Float32Array, acsDims: Dims3, imageDims: Dims3, channels: number, opts: EspiritOptions = {}): EspiritResult {
  const who = 'espiritMaps';
  checkInputs(acs, acsDims, imageDims, channels, who);
  const threshold = opts.threshold ?? 0.001;
  const crop = opts.crop ?? 0.8;
  const soft = opts.softCrop ?? false;
  const maxIt = opts.maxIterations ?? 30;
  const ref = opts.phaseReference ?? 'principal';
  if (!(threshold >= 0 && threshold < 1)) throw new UhfError('BAD_ARGUMENT', `${who}: threshold must be in [0, 1), got ${threshold}`);
  if (!(crop >= 0 && crop < 1)) throw new UhfError('BAD_ARGUMENT', `${who}: crop must be in [0, 1), got ${crop}`);
  if (!Number.isInteger(maxIt) || maxIt < 1) throw new UhfError('BAD_ARGUMENT', `${who}: maxIterations must be an integer ≥ 1, got ${maxIt}`);
  if (typeof ref === 'number' && !(Number.isInteger(ref) && ref >= 0 && ref < channels)) throw new UhfError('BAD_ARGUMENT', `${who}: phaseReference coil ${ref} out of range`);
  const c = channels;
  const kernel = kernelDims(opts.kernel, acsDims, who);
  const [kx, ky, kz] = kernel;
  const T = kx * ky * kz;
  const [nx, ny, nz] = imageDims;
  const nxy = nx * ny, npix = nxy * nz;
  const na = acsDims[0] * acsDims[1] * acsDims[2];

  // 1–2. calibration Gram and its signal subspace
  const cal = calibrationGram(acs, acsDims, c, kernel);
  const N = cal.size;
  const sub = dominantEigenspace(cal.gram, N, threshold);
  const K = sub.count;
  const singularValues = sub.values.map((v) => Math.sqrt(Math.max(v, 0)));
  if (!(sub.values[0]! > 0)) throw new UhfError('UNSUPPORTED_DATA', `${who}: the ACS block holds no signal`);

  // 3. G on the 2k grid: G_L = (Lpix/T)·Σ_k w_k·w_kᴴ, w_k = ifftc(kernel k)
  const L: [number, number, number] = [kx > 1 ? 2 * kx : 1, ky > 1 ? 2 * ky : 1, kz > 1 ? 2 * kz : 1];
  const [Lx, Ly, Lz] = L;
  const Lpix = Lx * Ly * Lz;
  const P = (c * (c + 1)) / 2;
  const GL = new Float64Array(2 * P * Lpix);
  const kbuf = new Float32Array(2 * Lpix * c);
  const lAxes = [0, 1, 2].filter((d) => L[d]! > 1);
  for (let k = 0; k < K; k++) {
    kbuf.fill(0);
    const vo = 2 * k * N;
    for (let ch = 0; ch < c; ch++) {
      for (let tz = 0; tz < kz; tz++) {
        for (let ty = 0; ty < ky; ty++) {
          for (let tx = 0; tx < kx; tx++) {
            const t = tx + kx * (ty + ky * tz);
            const src = vo + 2 * (t + T * ch);
            const dst = 2 * (tx + Lx * (ty + Ly * (tz + Lz * ch)));
            kbuf[dst] = sub.vectors[src]!;
            kbuf[dst + 1] = sub.vectors[src + 1]!;
          }
        }
      }
    }
    if (lAxes.length > 0) ifftc(kbuf, [Lx, Ly, Lz, c], lAxes);
    let pair = 0;
    for (let a = 0; a < c; a++) {
      for (let b = a; b < c; b++, pair++) {
        const oa = 2 * Lpix * a, ob = 2 * Lpix * b, og = 2 * Lpix * pair;
        for (let j = 0; j < Lpix; j++) {
          const ar = kbuf[oa + 2 * j]!, ai = kbuf[oa + 2 * j + 1]!, br = kbuf[ob + 2 * j]!, bi = kbuf[ob + 2 * j + 1]!;
          GL[og + 2 * j] = GL[og + 2 * j]! + ar * br + ai * bi;
          GL[og + 2 * j + 1] = GL[og + 2 * j + 1]! + ai * br - ar * bi;
        }
      }
    }
  }
  // Fourier coefficients of G: ifftc over the L grid (scale applied at the end)
  const coef = new Float32Array(2 * Lpix * P);
  for (let i = 0; i < coef.length; i++) coef[i] = GL[i]!;
  if (lAxes.length > 0) ifftc(coef, [Lx, Ly, Lz, P], lAxes);
  // total scale: G_full = √(Npix·Lpix)/T · fftc(pad(ifftc(Σ w·wᴴ)))
  const scale = Math.sqrt(npix * Lpix) / T;
  // Nyquist index of the L grid (coefficient of Δ = −k: zero for a degree < k polynomial)
  const skip = (j: number, Ld: number): boolean => Ld > 1 && j === 0;
  const wrap = (j: number, Ld: number, n: number): number => ((j - Math.floor(Ld / 2) + Math.floor(n / 2)) % n + n) % n;

  // z interpolation first: [Lx, Ly, nz, P]
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

  // principal component for the phase reference
  const u = ref === 'principal' ? principalComponent(acs, na, c) : null;

  const maps = new Float32Array(2 * npix * c);
  const eig = new Float32Array(npix);
  const plane = new Float32Array(2 * nxy * P);
  // G, v, y (and the kernel's scratch) in the wasm memory on the wasm path
  const vk = voxelBackend === 'js' || (voxelBackend === 'auto' && c < 8) ? null : voxelKernel();
  const useWasm = vk !== null && vk.ensure(16 * (c * c + 3 * c));
  const vmem = useWasm ? new Float64Array(vk.memory.buffer, 0, 2 * (c * c + 3 * c)) : new Float64Array(2 * (c * c + 2 * c));
  const G = vmem.subarray(0, 2 * c * c);
  const v = vmem.subarray(2 * c * c, 2 * c * c + 2 * c), y = vmem.subarray(2 * c * c + 2 * c, 2 * c * c + 4 * c);
  const gB = 0, vB = 16 * c * c, yB = vB + 16 * c, sB = yB + 16 * c;
  // the converged vectors of the previous two voxels along x, for the start guess
  const prev1 = new Float64Array(2 * c), prev2 = new Float64Array(2 * c);
  let warm = 0;
  const cropLevel = crop === 0 ? -Infinity : soft ? Math.max(0, 2 * crop - 1) ** 2 : crop;
  // plane offset (floats) of the packed pair (a ≤ b), in packing order
  const pairOff = new Int32Array(P);
  for (let pi = 0; pi < P; pi++) pairOff[pi] = 2 * nxy * pi;
  const tblock = new Float32Array(2 * VOXEL_BLOCK * P);
  // pruned 2D FFT of the plane (nx, ny > 1 and few coefficient columns): the
  // distinct columns ix = wrap(jx) and, per jx, its column's index
  let pruned: { cols: Float32Array; colOf: Int32Array; colX: Int32Array } | null = null;
  if (nx > 1 && ny > 1 && Lx > 1) {
    const colOf = new Int32Array(Lx).fill(-1);
    const xs: number[] = [];
    for (let jx = 0; jx < Lx; jx++) {
      if (skip(jx, Lx)) continue;
      const ix = wrap(jx, Lx, nx);
      let k = xs.indexOf(ix);
      if (k < 0) { k = xs.length; xs.push(ix); }
      colOf[jx] = k;
    }
    if (2 * xs.length <= nx) pruned = { cols: new Float32Array(2 * xs.length * ny * P), colOf, colX: Int32Array.from(xs) };
  }
  for (let z = 0; z < nz; z++) {
    // 3 (cont.). this slice of G at full resolution
    plane.fill(0);
    if (pruned !== null) {
      // only the columns ix that hold coefficients are non-zero: FFT along y
      // on those columns alone, scatter them into the plane, FFT along x
      const { cols, colOf, colX } = pruned;
      const ncol = colX.length;
      cols.fill(0);
      for (let p = 0; p < P; p++) {
        for (let jy = 0; jy < Ly; jy++) {
          if (skip(jy, Ly)) continue;
          const iy = wrap(jy, Ly, ny);
          for (let jx = 0; jx < Lx; jx++) {
            if (skip(jx, Lx)) continue;
            const s = 2 * (jx + Lx * (jy + Ly * (z + nz * p)));
            const d = 2 * (colOf[jx]! + ncol * (iy + ny * p));
            cols[d] = cols[d]! + zc[s]!;
            cols[d + 1] = cols[d + 1]! + zc[s + 1]!;
          }
        }
      }
      fftnd(cols, [ncol, ny, P], [1]);
      for (let r = 0; r < ny * P; r++) {
        for (let k = 0; k < ncol; k++) {
          const d = 2 * (colX[k]! + nx * r), s = 2 * (k + ncol * r);
          plane[d] = cols[s]!;
          plane[d + 1] = cols[s + 1]!;
        }
      }
      fftnd(plane, [nx, ny, P], [0]);
    } else {
      for (let p = 0; p < P; p++) {
        for (let jy = 0; jy < Ly; jy++) {
          if (skip(jy, Ly)) continue;
          const iy = wrap(jy, Ly, ny);
          for (let jx = 0; jx < Lx; jx++) {
            if (skip(jx, Lx)) continue;
            const ix = wrap(jx, Lx, nx);
            const s = 2 * (jx + Lx * (jy + Ly * (z + nz * p)));
            const d = 2 * (ix + nx * (iy + ny * p));
            plane[d] = plane[d]! + zc[s]!;
            plane[d + 1] = plane[d + 1]! + zc[s + 1]!;
          }
        }
      }
      const xyAxes = [0, 1].filter((d) => imageDims[d]! > 1);
      if (xyAxes.length > 0) fftnd(plane, [nx, ny, P], xyAxes);
    }

    // 4. per-voxel dominant eigenvector
    for (let q = 0; q < nxy; q++) {
      const vox = q + nxy * z;
      // the plane ([pair][voxel]) transposed to [voxel][pair] in blocks of
      // VOXEL_BLOCK voxels, so that a voxel's pairs are contiguous
      const qb = q % VOXEL_BLOCK;
      if (qb === 0) {
        const cnt = Math.min(VOXEL_BLOCK, nxy - q);
        for (let pi = 0; pi < P; pi++) {
          const o = pairOff[pi]! + 2 * q;
          for (let j = 0, d = 2 * pi; j < cnt; j++, d += 2 * P) {
            tblock[d] = plane[o + 2 * j]!;
            tblock[d + 1] = plane[o + 2 * j + 1]!;
          }
        }
      }
      const trace = unpackHermitian(tblock, 2 * qb * P, G, c);
      const background = trace <= cropLevel;
      if (q % nx === 0) warm = 0;
      if (warm >= 2 && !background) {
        // linear extrapolation along x (the maps are smooth): 2·v(x−1) − v(x−2)
        let s = 0;
        for (let i = 0; i < 2 * c; i++) { const t = 2 * prev1[i]! - prev2[i]!; v[i] = t; s += t * t; }
        const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
        if (inv > 0) for (let i = 0; i < 2 * c; i++) v[i] = v[i]! * inv; else v.set(prev1);
      } else if (warm === 1 && !background) {
        v.set(prev1);
      } else {
        // start: the column of the largest diagonal entry
        let m = 0, best = -Infinity;
        for (let a = 0; a < c; a++) if (G[2 * (a * c + a)]! > best) { best = G[2 * (a * c + a)]!; m = a; }
        for (let a = 0; a < c; a++) { v[2 * a] = G[2 * (a * c + m)]!; v[2 * a + 1] = G[2 * (a * c + m) + 1]!; }
        let s = 0;
        for (let i = 0; i < 2 * c; i++) s += v[i]! * v[i]!;
        if (!(s > 0)) { v.fill(0); v[0] = 1; s = 1; }
        const inv = 1 / Math.sqrt(s);
        for (let i = 0; i < 2 * c; i++) v[i] = v[i]! * inv;
      }
      // background (trace(G) ≥ λ₁ is below the crop level): one step for the λ estimate
      const steps = background ? 1 : maxIt;
      let lambda = 0;
      for (let it = 0; it < steps; it++) {
        // y = G·v, λ = vᴴy
        let lr = 0, yy = 0;
        if (useWasm) {
          vk.matvec(c, gB, vB, yB, sB);
          for (let a = 0; a < c; a++) {
            const sr = y[2 * a]!, si = y[2 * a + 1]!;
            lr += v[2 * a]! * sr + v[2 * a + 1]! * si;
            yy += sr * sr + si * si;
          }
        } else for (let a = 0; a < c; a++) {
          let sr = 0, si = 0;
          const row = 2 * a * c;
          for (let b = 0; b < c; b++) {
            const gr = G[row + 2 * b]!, gi = G[row + 2 * b + 1]!, vr = v[2 * b]!, vi = v[2 * b + 1]!;
            sr += gr * vr - gi * vi;
            si += gr * vi + gi * vr;
          }
          y[2 * a] = sr; y[2 * a + 1] = si;
          lr += v[2 * a]! * sr + v[2 * a + 1]! * si;
          yy += sr * sr + si * si;
        }
        lambda = lr;
        // ‖y − λv‖² = ‖y‖² − λ² (‖v‖ = 1, λ real)
        const res2 = yy - lr * lr;
        if (!(yy > 0)) { lambda = 0; break; }
        const inv = 1 / Math.sqrt(yy);
        for (let i = 0; i < 2 * c; i++) v[i] = y[i]! * inv;
        if (res2 <= 1e-8 * lr * lr) break;
      }
      eig[vox] = lambda;
      if (!background && lambda > 0) {
        prev2.set(prev1);
        prev1.set(v);
        warm++;
      } else {
        warm = 0;
      }
      const w = crop === 0 ? 1 : soft ? softWeight(crop, lambda) : lambda <= crop ? 0 : 1;
      if (w === 0 || background) continue;
      // 5. phase reference
      let tr = 1, ti = 0;
      if (u !== null) {
        tr = 0; ti = 0;
        for (let a = 0; a < c; a++) {
          const ur = u[2 * a]!, ui = u[2 * a + 1]!, vr = v[2 * a]!, vi = v[2 * a + 1]!;
          tr += ur * vr + ui * vi;
          ti += ur * vi - ui * vr;
        }
      } else if (typeof ref === 'number') {
        tr = v[2 * ref]!; ti = v[2 * ref + 1]!;
      }
      const m = Math.hypot(tr, ti);
      const cr = m > 0 ? tr / m : 1, ci = m > 0 ? -ti / m : 0;
      for (let a = 0; a < c; a++) {
        const vr = v[2 * a]!, vi = v[2 * a + 1]!;
        const o = 2 * (vox + npix * a);
        maps[o] = w * (vr * cr - vi * ci);
        maps[o + 1] = w * (vr * ci + vi * cr);
      }
    }
  }
  return { maps, eigenvalues: eig, singularValues, kernelCount: K, kernel };
}

/** ESPIRiT maps only ([x, y, z, cha]); see `espirit`. */
export function espiritMaps(acs: Float32Array, acsDims: Dims3, imageDims: Dims3, channels: number, opts: EspiritOptions = {}): Float32Array {
  return espirit(acs, acsDims, imageDims, channels, opts).maps;
}

export interface LowResOptions {
  /** Window applied to the ACS block before zero-padding: 'hamming' (default) or 'none'. */
  window?: 'hamming' | 'none';
  /** Options of walshMaps / inatiMaps. */
  walsh?: WalshOptions;
  inati?: InatiOptions;
  /**
   * Zero the maps where the low-resolution RSS image is below this fraction
   * of its maximum (0, the default, keeps all voxels).
   */
  maskThreshold?: number;
}

/** The low-resolution coil images: windowed ACS zero-padded to the image grid, ifftc. [x, y, z, cha]. */
export function lowResImages(acs: Float32Array, acsDims: Dims3, imageDims: Dims3, channels: number, window: 'hamming' | 'none' = 'hamming'): Float32Array {
  checkInputs(acs, acsDims, imageDims, channels, 'lowResImages');
  const [ax, ay, az] = acsDims;
  const [nx, ny, nz] = imageDims;
  const npix = nx * ny * nz;
  const win = (i: number, a: number): number => (window === 'none' || a === 1 ? 1 : 0.54 - 0.46 * Math.cos((2 * Math.PI * (i + 0.5)) / a));
  const wx = Float64Array.from({ length: ax }, (_, i) => win(i, ax));
  const wy = Float64Array.from({ length: ay }, (_, i) => win(i, ay));
  const wz = Float64Array.from({ length: az }, (_, i) => win(i, az));
  const o0 = acsOffset(ax, nx), o1 = acsOffset(ay, ny), o2 = acsOffset(az, nz);
  const img = new Float32Array(2 * npix * channels);
  for (let c = 0; c < channels; c++) {
    for (let z = 0; z < az; z++) {
      for (let yy = 0; yy < ay; yy++) {
        for (let x = 0; x < ax; x++) {
          const w = wx[x]! * wy[yy]! * wz[z]!;
          const s = 2 * (x + ax * (yy + ay * (z + az * c)));
          const d = 2 * ((x + o0) + nx * ((yy + o1) + ny * ((z + o2) + nz * c)));
          img[d] = acs[s]! * w;
          img[d + 1] = acs[s + 1]! * w;
        }
      }
    }
  }
  const axes = [0, 1, 2].filter((d) => imageDims[d]! > 1);
  if (axes.length > 0) ifftc(img, [nx, ny, nz, channels], axes);
  return img;
}

/**
 * Walsh or Inati maps of the low-resolution ACS image (see the file comment):
 * [x, y, z, cha], Σ_c|S_c|² = 1 where there is signal.
 */
export function lowResMaps(acs: Float32Array, acsDims: Dims3, imageDims: Dims3, channels: number, method: 'walsh' | 'inati', opts: LowResOptions = {}): Float32Array {
  const img = lowResImages(acs, acsDims, imageDims, channels, opts.window ?? 'hamming');
  const maps = method === 'walsh' ? walshMaps(img, imageDims, channels, opts.walsh) : inatiMaps(img, imageDims, channels, opts.inati);
  const thr = opts.maskThreshold ?? 0;
  if (thr > 0) {
    const npix = imageDims[0] * imageDims[1] * imageDims[2];
    const rss = new Float64Array(npix);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < npix; p++) {
        const re = img[2 * (p + npix * c)]!, im = img[2 * (p + npix * c) + 1]!;
        rss[p] = rss[p]! + re * re + im * im;
      }
    }
    let max = 0;
    for (let p = 0; p < npix; p++) if (rss[p]! > max) max = rss[p]!;
    const lim = thr * thr * max;
    for (let p = 0; p < npix; p++) {
      if (rss[p]! < lim) for (let c = 0; c < channels; c++) { maps[2 * (p + npix * c)] = 0; maps[2 * (p + npix * c) + 1] = 0; }
    }
  }
  return maps;
}
