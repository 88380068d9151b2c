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
 *     inverse iteration for the selected vectors only). With fewer patches P
 *     than unknowns N (many coils: 24² ACS, 6×6 kernel, 32 coils → P = 361,
 *     N = 1152) from the P×P dual Gram instead (espirit/signal-subspace.ts).
 *  3. Projection onto V∥ as a k-space operator, (1/T)·Σ_r R_rᴴ·P·R_r with
 *     P = V∥V∥ᴴ, T = kx·ky·kz, is a convolution; in the image domain it is a
 *     channels×channels matrix G(x) per voxel, G(x) = (1/T)·Σ_k ṽ_k(x)·ṽ_k(x)ᴴ
 *     (ṽ_k = inverse DFT of kernel k), with eigenvalues in [0, 1]. G is a
 *     trigonometric polynomial of degree < k per axis, so it is computed
 *     exactly on a 2k grid and sinc-interpolated (zero-padded FFT) to the
 *     image grid — what BART's compute_imgcov/caltwo do — one row of voxels
 *     at a time (espirit/image-gram.ts).
 *  4. Per voxel, the dominant eigenvector of G(x) (power iteration started
 *     from the linear extrapolation 2·v(x−1) − v(x−2) of the neighbours along
 *     x, at most `maxIterations` (30, as BART's orthiter) steps, stopping at
 *     ‖G·v − λv‖ ≤ 1e-4·λ); the maps are zeroed where its eigenvalue
 *     λ ≤ crop (`bart ecalib -c`; soft: BART's
 *     -S weighting) — the eigenvalue is ≈ 1 inside the object and falls
 *     towards 0 outside it. Steps 4–5 run per row of voxels
 *     (espirit/voxel-stage.ts).
 *  5. Phase: each voxel's vector is rotated so that uᴴ·S(x) is real and
 *     positive, u = first principal component of the ACS channel covariance
 *     Σ x·xᴴ (BART's rotphase with scc + fixphase2).
 *
 * Cost: step 1 is O(channels²·(2k−1)^d·|ACS|), step 2 O(min(N, P)³) (N = 288 for a
 * 6×6 kernel and 8 channels: ~15 ms with the WebAssembly SIMD kernels of
 * espirit/wasm.ts), steps 3–5 O(channels²) per voxel (step 1's row sums and
 * the whole per-voxel stage in WebAssembly SIMD too:
 * espirit/calibration-wasm.ts, espirit/voxel-wasm.ts; step 3's row
 * transforms, O(channels²·log n) per voxel, with the FFTs of recon/fft);
 * 96×96, 8 coils, 24² ACS: ~50 ms in all; 192×192, 32 coils, 192×24 ACS:
 * ~0.25 s for steps 3–5. A 3D ACS block gets a 3D kernel (default 6×6×6), which
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
import { ifftc } from '../fft/index.ts';
import { inatiMaps, walshMaps, type InatiOptions, type WalshOptions } from './coil-maps.ts';
import { dominantEigenspace } from './espirit/subspace.ts';
import { imageGram } from './espirit/image-gram.ts';
import { signalSubspace } from './espirit/signal-subspace.ts';
import { voxelStage } from './espirit/voxel-stage.ts';

export { setEspiritVoxelBackend, type EspiritVoxelBackend } from './espirit/voxel-stage.ts';

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
  const na = acsDims[0] * acsDims[1] * acsDims[2];

  // 1–2. calibration Gram and its signal subspace
  // (the dual P×P problem when the patches are fewer than the unknowns: many coils)
  const sub = signalSubspace(acs, acsDims, c, kernel, threshold);
  const K = sub.count;
  const singularValues = sub.values.map((v) => Math.sqrt(Math.max(v, 0)));
  if (!(sub.values[0]! > 0)) throw new UhfError('UNSUPPORTED_DATA', `${who}: the ACS block holds no signal`);

  // 3–5. G per voxel on the image grid, its dominant eigenvector, crop and phase
  const gram = imageGram(sub.vectors, K, c, kernel, imageDims);
  const phase = ref === 'principal' ? principalComponent(acs, na, c) : ref === 'none' ? null : ref;
  const { maps, eigenvalues } = voxelStage(gram, imageDims, { channels: c, maxIterations: maxIt, crop, softCrop: soft, phase });
  return { maps, eigenvalues, singularValues, kernelCount: K, kernel };
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
