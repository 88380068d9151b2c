/**
 * One k-space buffer → one image through a KernelSet: the same steps, in the
 * same order, as the CPU chain (recon/pipeline/reconstruct-image.ts), so that
 * on the WebGPU backend the data are uploaded once and stay on the GPU until
 * the image (or, for map-based combination, the coil images) is read back:
 *
 *   upload → averages + zero-fill (weightLines) → [channel matrix in k-space]
 *   → k-space resize → ifftc → image crop → [channel matrix in image space]
 *   → RSS → read
 *
 * Steps without a kernel run on the CPU, on host copies, exactly as the CPU
 * chain does them: POCS / homodyne partial Fourier (before upload, with the
 * channel matrix applied there when it must precede them) and the coil maps of
 * Walsh / Inati combination (after reading back the coil images).
 *
 * Parallel imaging (recipe.pi: GRAPPA / SENSE of undersampled data) follows
 * the CPU chain's branch into reconstructParallel: reconstruct-parallel-gpu.ts,
 * with the calibration arrays kept in `cache` (default: none kept).
 *
 * The buffer `b` is never modified, so the caller can retry it on the CPU.
 * Generic in the backend: with the CPU KernelSet it reproduces reconstructImage.
 */
import { combineWithMaps } from '../../algorithms/coil-combine.ts';
import { inatiMaps, walshMaps } from '../../algorithms/coil-maps.ts';
import { homodyne, pocs } from '../../algorithms/partial-fourier.ts';
import { DeviceCache } from '../../kernels/device-cache.ts';
import type { DeviceArray, KernelSet } from '../../kernels/types.ts';
import { applyChannelMatrix } from '../../linalg/apply.ts';
import { normaliseAverages, partialFourierRanges, type KspaceBuffer } from '../../pipeline/kspace-buffer.ts';
import type { ImageOutput, ImageRecipe } from '../../pipeline/reconstruct-image.ts';
import { reconstructParallelWithKernels } from './reconstruct-parallel-gpu.ts';

/** The image of one buffer, computed with `k`'s kernels. */
export async function reconstructImageWithKernels<A extends DeviceArray>(k: KernelSet<A>, b: KspaceBuffer, recipe: ImageRecipe, cache?: DeviceCache<A>): Promise<ImageOutput> {
  if (recipe.pi) return reconstructParallelWithKernels(k, b, recipe, recipe.pi, cache ?? new DeviceCache(k, 0));
  let [n0, n1, n2, nc] = b.dims;
  const { ranges, axes: pfAxes } = partialFourierRanges(b, recipe.is3D);
  const mix = recipe.channelMatrix;
  const pfOnCpu = pfAxes.length > 0 && recipe.partialFourier !== 'zerofill';
  const zeroFill = pfAxes.length > 0 && recipe.partialFourier === 'zerofill';
  const spatial = recipe.is3D ? [0, 1, 2] : [0, 1];
  const arrays: A[] = [];
  const track = (a: A): A => {
    if (!arrays.includes(a)) arrays.push(a);
    return a;
  };
  let outChannels = nc;
  let outDims: [number, number, number] = [1, 1, 1];
  let result: { rss: Float32Array } | { coils: Float32Array };

  try {
    result = await k.checked((): Promise<{ rss: Float32Array } | { coils: Float32Array }> => {
      let data: A;
      let mixed = false;
      let inImageSpace = false;
      if (pfOnCpu) {
        // POCS / homodyne run on the CPU: prepare the k-space there, as the CPU chain does.
        const host = { ...b, data: b.data.slice() };
        normaliseAverages(host);
        let kspace: Float32Array = host.data;
        if (mix) {
          kspace = applyChannelMatrix(mix.m, mix.rows, mix.cols, kspace, n0 * n1 * n2, kspace).subarray(0, 2 * mix.rows * n0 * n1 * n2);
          nc = mix.rows;
          mixed = true;
        }
        if (recipe.partialFourier === 'pocs') kspace = pocs(kspace, [n0, n1, n2, nc], ranges);
        else {
          kspace = homodyne(kspace, [n0, n1, n2, nc], ranges, { output: recipe.combine === 'rss' ? 'real' : 'rephased' });
          inImageSpace = true;
        }
        data = track(k.upload(kspace));
      } else {
        data = track(k.upload(b.data));
        // averages (lines summed more than once) and zero-filling of unsampled k-space, one pass
        const weights = new Float32Array(n1 * n2);
        let needed = zeroFill;
        const e1 = zeroFill && ranges.e1 ? ranges.e1 : [0, n1 - 1];
        const e2 = zeroFill && ranges.e2 ? ranges.e2 : [0, n2 - 1];
        for (let z = 0; z < n2; z++) {
          for (let y = 0; y < n1; y++) {
            const line = y + n1 * z;
            const count = b.lineCount[line]!;
            const inside = y >= e1[0]! && y <= e1[1]! && z >= e2[0]! && z <= e2[1]!;
            weights[line] = inside ? (count > 1 ? 1 / count : 1) : 0;
            if (count > 1) needed = true;
          }
        }
        if (needed) {
          const ro = zeroFill && ranges.ro ? ranges.ro : [0, n0 - 1];
          k.weightLines(data, n0, n1 * n2, nc, weights, ro[0]!, ro[1]!);
        }
        if (mix && mix.rows < mix.cols) {
          data = track(k.channelMatrix(mix.m, mix.rows, mix.cols, data, n0 * n1 * n2));
          nc = mix.rows;
          mixed = true;
        }
      }
      // Resolution: zero-fill (or crop) k-space to the grid whose voxel is the recon voxel.
      const g = recipe.gridMatrix;
      const target = [g[0], g[1], recipe.is3D ? g[2] : 1, nc];
      if (inImageSpace && (target[0] !== n0 || target[1] !== n1 || target[2] !== n2)) {
        k.fft(data, [n0, n1, n2, nc], spatial);
        inImageSpace = false;
      }
      data = track(k.resize(data, [n0, n1, n2, nc], target));
      [n0, n1, n2] = [target[0]!, target[1]!, target[2]!];
      if (!inImageSpace) k.fft(data, [n0, n1, n2, nc], spatial, { inverse: true });
      // Field of view: crop (or pad) the image to the recon matrix.
      const [rx, ry, rz] = recipe.reconMatrix;
      outDims = [rx, ry, recipe.is3D ? rz : 1];
      data = track(k.resize(data, [n0, n1, n2, nc], [outDims[0], outDims[1], outDims[2], nc]));
      const voxels = outDims[0] * outDims[1] * outDims[2];
      if (mix && !mixed) {
        data = track(k.channelMatrix(mix.m, mix.rows, mix.cols, data, voxels));
        nc = mix.rows;
      }
      outChannels = nc;
      if (recipe.combine === 'rss') return k.read(track(k.rss(data, voxels, nc))).then((rss) => ({ rss }));
      return k.read(data).then((coils) => ({ coils }));
    });
  } finally {
    for (const a of arrays) k.free(a);
  }

  const partial = pfAxes.length ? { partialFourier: { axes: pfAxes, method: recipe.partialFourier } } : {};
  if ('rss' in result) return { magnitude: result.rss, ...partial };
  const images = result.coils;
  const voxels = outDims[0] * outDims[1] * outDims[2];
  const maps = recipe.combine === 'walsh' ? walshMaps(images, outDims, outChannels) : inatiMaps(images, outDims, outChannels);
  const complex = combineWithMaps(images, maps, outDims, outChannels);
  const magnitude = new Float32Array(voxels);
  const phase = recipe.keepPhase ? new Float32Array(voxels) : undefined;
  for (let v = 0; v < voxels; v++) {
    const re = complex[2 * v]!;
    const im = complex[2 * v + 1]!;
    magnitude[v] = Math.hypot(re, im);
    if (phase) phase[v] = Math.atan2(im, re);
  }
  return { magnitude, ...(phase ? { phase } : {}), ...partial };
}
