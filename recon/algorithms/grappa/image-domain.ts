/**
 * Image-domain GRAPPA: the k-space convolution of kernel.ts (`lineTaps`) turned
 * into per-voxel unmixing weights, as Gadgetron's
 * grappa2d_image_domain_kernel / ismrmrd-python-tools calculate_grappa_unmixing.
 *
 * With y_c the zero-filled lattice-only k-space and a_c = ifftc(y_c) the
 * aliased coil images (centred orthonormal transforms over [x, y, z]):
 *   GRAPPA k-space   out_d = Σ_c K_dc ⊛ y_c          (circular convolution)
 *   image domain     ifftc(out_d) = Σ_c W_dc · a_c,
 *   W_dc = sqrt(N) · ifftc(K̃_dc),  N = nx·ny·nz,
 * where K̃_dc is K_dc(Δ) placed at index centre + Δ (centre ⌊n/2⌋, wrapped):
 * the centred orthonormal transform turns circular convolution into sqrt(N)
 * times a pointwise product. K(Δ) applies to the source at k − Δ, so the
 * placed kernel is the GRAPPA source pattern flipped (Gadgetron's convKer).
 * No factor R appears because a_c is the transform of the zero-filled data
 * as acquired; W_dd contains the pass-through of the acquired samples.
 *
 * The aliased images must be ifftc of the lattice lines only (strip ACS
 * lines off the lattice first, e.g. with `maskLines` + `latticeMask`); the
 * result then equals `grappaApplyKspace(..., { keepAcquired: false })` up to
 * float32 rounding — when e1 is a multiple of Ry and e2 of Rz. Otherwise the
 * lattice is not periodic across the k-space edge and the pointwise weights
 * also mix the lines next to that seam (measured on BART's analytic phantom,
 * 95 lines, R = 2: NRMSE vs truth 0.026 here vs 0.011 in k-space, whose
 * estimates skip the missing wrapped sources and keep measured lines): zero-pad
 * e1/e2 to a multiple of R for the image-domain path, or use k-space.
 *
 * Layouts (fastest first): W is [x, y, z, Cout, Cin] (W_dc(p) at complex
 * index p + N·(d + Cout·c)); coil images [x, y, z, cha]; the combined
 * unmixing coefficients u are [x, y, z, Cin] with image = Σ_c u_c · a_c.
 * Memory: W is 8·N·Cout·Cin bytes (256² × 32 × 32: 537 MB) — for a time
 * series use `grappaUnmixing` (8·N·Cin bytes), which never holds all of W.
 */
import { UhfError } from '../../../shared/errors.ts';
import { fftnd } from '../../fft/index.ts';
import { combineWithWeights } from '../coil-combine.ts';
import { applyImageWeightsWasm } from './image-weights-wasm.ts';
import { type GrappaKernel, lineTaps } from './kernel.ts';

export type Dims3 = readonly [number, number, number];

function voxels(dims: Dims3, who: string): number {
  for (const v of dims) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad image dims [${dims.join(', ')}]`);
  }
  return dims[0] * dims[1] * dims[2];
}

function checkFits(kernel: GrappaKernel, dims: Dims3, who: string): void {
  const [nx, ny, nz] = dims;
  const [ry, rz] = kernel.accel;
  if (nx < kernel.kernelSize[0] || ny < ry || nz < rz) {
    throw new UhfError('BAD_ARGUMENT', `${who}: image [${dims.join(', ')}] is smaller than the kernel (readout ${kernel.kernelSize[0]}, R = ${ry}×${rz})`);
  }
}

/**
 * Places sqrt(N)·K_dc for output channel d and every input channel c into
 * dst ([x, y, z, Cin], zeroed here) and transforms it: dst = W_d· (all c).
 */
function weightsForOutput(kernel: GrappaKernel, dims: Dims3, d: number, dst: Float32Array): void {
  const [nx, ny, nz] = dims;
  const N = nx * ny * nz;
  const cin = kernel.channelsIn;
  const kro = kernel.kernelSize[0];
  const scale = Math.sqrt(N);
  const cx = Math.floor(nx / 2), cy = Math.floor(ny / 2), cz = Math.floor(nz / 2);
  const mod = (v: number, n: number): number => ((v % n) + n) % n;
  dst.fill(0);
  for (const tap of lineTaps(kernel)) {
    const y = mod(cy + tap.d1, ny), z = mod(cz + tap.d2, nz);
    for (let c = 0; c < cin; c++) {
      const wb = 2 * (d * cin + c) * kro;
      for (let i = 0; i < kro; i++) {
        const wr = tap.w[wb + 2 * i]!, wi = tap.w[wb + 2 * i + 1]!;
        if (wr === 0 && wi === 0) continue;
        // out(ro) += w·y(ro + dx)  ⇒  Δro = −dx
        const x = mod(cx - kernel.srcRo[i]!, nx);
        const p = 2 * (x + nx * (y + ny * z) + N * c);
        dst[p] = dst[p]! + wr * scale;
        dst[p + 1] = dst[p + 1]! + wi * scale;
      }
    }
  }
  fftnd(dst, [nx, ny, nz, cin], [0, 1, 2], { inverse: true });
}

/**
 * Image-domain GRAPPA weights W [x, y, z, Cout, Cin] (complex interleaved
 * float32) for images of `imageDims` (= the k-space [ro, e1, e2] size).
 * Applying them to the aliased coil images (ifftc over x, y, z of the
 * zero-filled lattice-only k-space) gives the unaliased coil images.
 */
export function grappaImageWeights(kernel: GrappaKernel, imageDims: Dims3): Float32Array {
  const who = 'grappaImageWeights';
  const N = voxels(imageDims, who);
  checkFits(kernel, imageDims, who);
  const cin = kernel.channelsIn, cout = kernel.channelsOut;
  const tmp = new Float32Array(2 * N * cin);
  const W = new Float32Array(2 * N * cout * cin);
  for (let d = 0; d < cout; d++) {
    weightsForOutput(kernel, imageDims, d, tmp);
    for (let c = 0; c < cin; c++) W.set(tmp.subarray(2 * N * c, 2 * N * (c + 1)), 2 * N * (d + cout * c));
  }
  return W;
}

// float64 accumulator, grown on demand (single-threaded use)
let acc = new Float64Array(0);

export type ImageWeightsBackend = 'auto' | 'js' | 'wasm';
let weightsBackend: ImageWeightsBackend = 'auto';

/**
 * Selects applyImageWeights' implementation: 'wasm' (image-weights-wasm.ts,
 * float32 sums; JS if WebAssembly is unavailable), 'js' (float64 sums), or
 * 'auto' (wasm for ≥ 4 channels). Returns the previous setting.
 */
export function setImageWeightsBackend(b: ImageWeightsBackend): ImageWeightsBackend {
  const prev = weightsBackend;
  weightsBackend = b;
  return prev;
}

/**
 * Unaliased coil images out_d = Σ_c W_dc · a_c, [x, y, z, Cout], from aliased
 * coil images [x, y, z, Cin] and W [x, y, z, Cout, Cin]. No allocation
 * besides `out` (pass one for a time series). `weightsKey` names W (e.g. the
 * calibration's id) so that the WebAssembly path keeps it between frames.
 */
export function applyImageWeights(aliased: Float32Array, W: Float32Array, imageDims: Dims3, channelsIn: number, channelsOut: number, out?: Float32Array, weightsKey: string | null = null): Float32Array {
  const who = 'applyImageWeights';
  const N = voxels(imageDims, who);
  const cin = channelsIn, cout = channelsOut;
  if (!Number.isInteger(cin) || cin < 1 || !Number.isInteger(cout) || cout < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel counts ${cout}×${cin}`);
  if (aliased.length !== 2 * N * cin) throw new UhfError('SHAPE_MISMATCH', `${who}: images have ${aliased.length / 2} complex values, [${imageDims.join(', ')}] × ${cin} channels need ${N * cin}`);
  if (W.length !== 2 * N * cout * cin) throw new UhfError('SHAPE_MISMATCH', `${who}: weights have ${W.length / 2} complex values, [${imageDims.join(', ')}] × ${cout} × ${cin} need ${N * cout * cin}`);
  const res = out ?? new Float32Array(2 * N * cout);
  if (res.length !== 2 * N * cout) throw new UhfError('SHAPE_MISMATCH', `${who}: out has ${res.length / 2} complex values, expected ${N * cout}`);
  if (res.buffer === aliased.buffer) throw new UhfError('BAD_ARGUMENT', `${who}: out must not share memory with the input`);
  const wasm = weightsBackend === 'wasm' || (weightsBackend === 'auto' && cin >= 4 && cout >= 4);
  if (wasm && applyImageWeightsWasm(aliased, W, N, cin, cout, res, weightsKey)) return res;
  if (acc.length < 2 * N) acc = new Float64Array(2 * N);
  const a = acc;
  for (let d = 0; d < cout; d++) {
    a.fill(0, 0, 2 * N);
    for (let c = 0; c < cin; c++) {
      const wb = 2 * N * (d + cout * c), ib = 2 * N * c;
      for (let q = 0; q < 2 * N; q += 2) {
        const wr = W[wb + q]!, wi = W[wb + q + 1]!;
        const xr = aliased[ib + q]!, xi = aliased[ib + q + 1]!;
        a[q]! += wr * xr - wi * xi;
        a[q + 1]! += wr * xi + wi * xr;
      }
    }
    const ob = 2 * N * d;
    for (let q = 0; q < 2 * N; q++) res[ob + q] = a[q]!;
  }
  return res;
}

/**
 * Combined unmixing coefficients u [x, y, z, Cin]: u_c = Σ_d w_d · W_dc, so
 * that the combined image is Σ_c u_c · a_c (ismrmrd-python-tools' `unmix`,
 * Gadgetron's unmixing_coeff). `combineWeights` [x, y, z, Cout] are applied
 * without conjugation, e.g. conj(S_d)/Σ|S|² from `combineWeights` in
 * coil-combine.ts for maps S of the Cout target channels. W is computed one
 * output channel at a time (never held whole): Cout·Cin FFTs of N points.
 */
export function grappaUnmixing(kernel: GrappaKernel, imageDims: Dims3, combineWeights: Float32Array, out?: Float32Array): Float32Array {
  const who = 'grappaUnmixing';
  const N = voxels(imageDims, who);
  checkFits(kernel, imageDims, who);
  const cin = kernel.channelsIn, cout = kernel.channelsOut;
  if (combineWeights.length !== 2 * N * cout) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: combination weights have ${combineWeights.length / 2} complex values, [${imageDims.join(', ')}] × ${cout} output channels need ${N * cout}`);
  }
  const res = out ?? new Float32Array(2 * N * cin);
  if (res.length !== 2 * N * cin) throw new UhfError('SHAPE_MISMATCH', `${who}: out has ${res.length / 2} complex values, expected ${N * cin}`);
  const u = new Float64Array(2 * N * cin);
  const tmp = new Float32Array(2 * N * cin);
  for (let d = 0; d < cout; d++) {
    weightsForOutput(kernel, imageDims, d, tmp);
    const cb = 2 * N * d;
    for (let c = 0; c < cin; c++) {
      const b = 2 * N * c;
      for (let q = 0; q < 2 * N; q += 2) {
        const wr = combineWeights[cb + q]!, wi = combineWeights[cb + q + 1]!;
        const kr = tmp[b + q]!, ki = tmp[b + q + 1]!;
        u[b + q]! += wr * kr - wi * ki;
        u[b + q + 1]! += wr * ki + wi * kr;
      }
    }
  }
  for (let q = 0; q < 2 * N * cin; q++) res[q] = u[q]!;
  return res;
}

/**
 * One combined image Σ_c u_c · a_c [x, y, z] (complex) from aliased coil
 * images [x, y, z, Cin] and unmixing coefficients from `grappaUnmixing`: the
 * per-frame fast path for a time series (one complex multiply-add per voxel
 * and channel). Pass `out` to avoid allocating per frame.
 */
export function applyUnmixing(aliased: Float32Array, unmix: Float32Array, imageDims: Dims3, channelsIn: number, out?: Float32Array): Float32Array {
  return combineWithWeights(aliased, unmix, imageDims, channelsIn, out);
}
