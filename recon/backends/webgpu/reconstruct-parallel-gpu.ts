/**
 * The image of an undersampled buffer through a KernelSet: the steps of
 * recon/pipeline/reconstruct-parallel.ts, in the same order, with the k-space
 * uploaded once and kept on the backend until the image (or, for Walsh
 * combination, the coil images) is read back:
 *
 *   upload → averages [+ lattice-only lines] (weightLines) → [whitening / coil
 *   compression (channelMatrix)] →
 *     GRAPPA, image domain:  ifftc → voxelMatrix(W [x y z cout cin])
 *     GRAPPA, k-space:       lineConvolution (the kernel's taps)
 *     SENSE, lattice tiles:  ifftc → voxelMatrix(unfolding weights [x y z cha])
 *     SENSE, otherwise:      CG-SENSE (kernelCgSense on kernelSenseOperator)
 *   → recon grid (fftc, resize, ifftc) → FOV crop (resize) → RSS → read
 *
 * On the host, from the calibration and the line mask only: the lattice
 * (detectLattice, with the CPU chain's errors for irregular data), the line
 * roles of GRAPPA, SENSE unfolding weights (senseUnfoldWeights, once per
 * calibration and lattice: the weights equal senseUnfold on strictly regular,
 * lattice-only data), the g-factor crop and the Walsh maps of map-based
 * combination. Calibration arrays go through `cache`, so a time series uploads
 * them once per slice.
 *
 * The buffer `b` is never modified, so the caller can retry it on the CPU.
 */
import { combineWithMaps } from '../../algorithms/coil-combine.ts';
import { walshMaps } from '../../algorithms/coil-maps.ts';
import { acquiredLineMask, detectLattice, latticeMask } from '../../algorithms/grappa/index.ts';
import { senseUnfoldWeights } from '../../algorithms/sense/index.ts';
import { kernelCgSense } from '../../kernels/cg-sense.ts';
import type { DeviceCache } from '../../kernels/device-cache.ts';
import { grappaLineConvolution, grappaLineRoles } from '../../kernels/line-convolution.ts';
import { kernelSenseOperator } from '../../kernels/sense-operator.ts';
import type { DeviceArray, KernelSet } from '../../kernels/types.ts';
import type { KspaceBuffer } from '../../pipeline/kspace-buffer.ts';
import type { PiCalibration } from '../../pipeline/pi-calibrate.ts';
import type { ImageOutput, ImageRecipe } from '../../pipeline/reconstruct-image.ts';
import { CG_SENSE, cropReal, hasOffLatticeLines, sampledSamples, SENSE_FINISH_ITERATIONS } from '../../pipeline/reconstruct-parallel.ts';

type Dims3 = [number, number, number];

/** Which application, decided on the host as reconstructParallel decides it. */
type Method =
  | { kind: 'grappa-image'; offset: [number, number] }
  | { kind: 'grappa-kspace'; roles: Uint8Array }
  | { kind: 'sense-unfold'; offset: [number, number] }
  | { kind: 'cg-sense'; sampled: Uint8Array };

function methodOf(cal: PiCalibration, mask: Uint8Array, dims: Dims3): Method {
  const [n0, n1, n2] = dims;
  if (cal.method === 'grappa' && cal.weights) return { kind: 'grappa-image', offset: detectLattice(mask, n1, n2, cal.accel).offset };
  if (cal.method === 'grappa') {
    const accel = cal.kernel!.accel;
    return { kind: 'grappa-kspace', roles: grappaLineRoles(mask, n1, n2, accel, detectLattice(mask, n1, n2, accel).offset) };
  }
  if (n1 % cal.accel[0] === 0 && n2 % cal.accel[1] === 0) return { kind: 'sense-unfold', offset: detectLattice(mask, n1, n2, cal.accel).offset };
  return { kind: 'cg-sense', sampled: sampledSamples(mask, n0) };
}

type Result = { rss: Float32Array } | { coils: Float32Array; channels: number } | { complex: Float32Array };

export async function reconstructParallelWithKernels<A extends DeviceArray>(
  k: KernelSet<A>, b: KspaceBuffer, recipe: ImageRecipe, cal: PiCalibration, cache: DeviceCache<A>,
): Promise<ImageOutput> {
  const [n0, n1, n2, nc0] = b.dims;
  const dims: Dims3 = [n0, n1, n2];
  const N = n0 * n1 * n2;
  const axes = recipe.is3D ? [0, 1, 2] : [0, 1];
  const g = recipe.gridMatrix;
  const grid: Dims3 = [g[0], g[1], recipe.is3D ? g[2] : 1];
  const out: Dims3 = [recipe.reconMatrix[0], recipe.reconMatrix[1], recipe.is3D ? recipe.reconMatrix[2] : 1];
  const voxels = out[0] * out[1] * out[2];
  const regrid = grid[0] !== n0 || grid[1] !== n1 || grid[2] !== n2;
  const mix = recipe.channelMatrix;
  const nc = mix ? mix.rows : nc0;
  const gfactor = recipe.gfactor && cal.gfactor.length ? cropReal(cal.gfactor, dims, out) : undefined;
  // The CPU chain finds the acquired lines in the averaged, whitened k-space:
  // neither step turns a zero line non-zero or (short of a singular matrix) the reverse.
  const mask = acquiredLineMask(b.data, b.dims);
  const method = methodOf(cal, mask, dims);

  // averages, and for the aliased-image methods the lattice lines only (ACS lines off it dropped)
  const weights = new Float32Array(n1 * n2);
  const lattice = method.kind === 'grappa-image' || method.kind === 'sense-unfold' ? latticeMask(n1, n2, cal.accel, method.offset) : null;
  let weigh = lattice !== null;
  for (let line = 0; line < n1 * n2; line++) {
    const count = b.lineCount[line]!;
    if (count > 1) weigh = true;
    weights[line] = lattice && !lattice[line] ? 0 : count > 1 ? 1 / count : 1;
  }

  const arrays: A[] = [];
  const track = (a: A): A => {
    if (!arrays.includes(a)) arrays.push(a);
    return a;
  };
  const cached: A[] = [];
  const calibration = (key: string, make: () => Float32Array): A => {
    const a = cache.acquire(cal, key, () => k.upload(make()));
    cached.push(a);
    return a;
  };

  /** Upload and prepare the k-space [ro, e1, e2, nc]. */
  const front = (): A => {
    let data = track(k.upload(b.data));
    if (weigh) k.weightLines(data, n0, n1 * n2, nc0, weights, 0, n0 - 1);
    if (mix) data = track(k.channelMatrix(mix.m, mix.rows, mix.cols, data, N));
    return data;
  };
  // Acquired lines off the lattice (ACS lines that are also image lines): image-domain
  // GRAPPA puts every measured line back and SENSE finishes with CG over every
  // acquired line, as reconstructParallel does.
  const offLattice = (method.kind === 'grappa-image' || method.kind === 'sense-unfold') && hasOffLatticeLines(mask, n1, n2, cal.accel, method.offset);
  const notAcquired = Float32Array.from(mask, (m) => (m ? 0 : 1));
  /** The averaged, whitened k-space of the acquired lines only (the others zero). */
  const measuredLines = (): A => {
    let m = track(k.upload(b.data));
    const w = Float32Array.from(b.lineCount, (count) => (count > 1 ? 1 / count : count === 1 ? 1 : 0));
    k.weightLines(m, n0, n1 * n2, nc0, w, 0, n0 - 1);
    if (mix) m = track(k.channelMatrix(mix.m, mix.rows, mix.cols, m, N));
    return m;
  };
  /** Buffer grid → recon grid (zero-filled k-space interpolation) → FOV crop. */
  const toRecon = (img: A, channels: number): A => {
    if (regrid) {
      k.fft(img, [...dims, channels], axes);
      img = track(k.resize(img, [...dims, channels], [...grid, channels]));
      k.fft(img, [...grid, channels], axes, { inverse: true });
    }
    return track(k.resize(img, [...grid, channels], [...out, channels]));
  };
  /** Coil images [x y z cha] on the recon grid → what is read back. */
  const finish = (coils: A, channels: number): Promise<Result> => {
    if (recipe.combine === 'rss') return k.read(track(k.rss(coils, voxels, channels))).then((rss) => ({ rss }));
    return k.read(coils).then((c) => ({ coils: c, channels }));
  };

  let result: Result;
  try {
    if (method.kind === 'cg-sense' || (method.kind === 'sense-unfold' && offLattice)) {
      const { image } = await k.checked(() => {
        const data = front();
        if (method.kind === 'cg-sense') {
          const op = kernelSenseOperator(k, calibration('maps', () => cal.maps!), method.sampled, dims, nc);
          return kernelCgSense(k, op, data, CG_SENSE).finally(() => op.free());
        }
        // as reconstructParallel: the unfolded image, finished by CG over every acquired line
        k.fft(data, [...dims, nc], axes, { inverse: true });
        const [o1, o2] = method.offset;
        const w = calibration(`sense ${o1} ${o2}`, () => senseUnfoldWeights(cal.maps!, dims, nc, cal.accel, { offset: method.offset }).weights);
        const initial = track(k.voxelMatrix(data, w, N, nc, 1));
        const op = kernelSenseOperator(k, calibration('maps', () => cal.maps!), sampledSamples(mask, n0), dims, nc);
        return kernelCgSense(k, op, measuredLines(), { iterations: SENSE_FINISH_ITERATIONS, tolerance: 1e-5, initial }).finally(() => op.free());
      });
      track(image);
      result = await k.checked(() => k.read(toRecon(image, 1)).then((complex) => ({ complex })));
    } else {
      result = await k.checked((): Promise<Result> => {
        let data = front();
        if (method.kind === 'grappa-kspace') {
          const conv = grappaLineConvolution(cal.kernel!);
          const c = conv.channelsOut;
          data = track(k.lineConvolution(data, [n0, n1, n2, nc], conv, method.roles));
          // still k-space: the grid change is a zero-fill here, then the transform and the FOV crop
          data = track(k.resize(data, [...dims, c], [...grid, c]));
          k.fft(data, [...grid, c], axes, { inverse: true });
          return finish(track(k.resize(data, [...grid, c], [...out, c])), c);
        }
        // the measured lines, ACS included, for the image-domain GRAPPA's data consistency
        const measured = method.kind === 'grappa-image' && offLattice ? measuredLines() : null;
        k.fft(data, [...dims, nc], axes, { inverse: true });
        if (method.kind === 'grappa-image') {
          const W = calibration('grappa', () => cal.weights!);
          const full = track(k.voxelMatrix(data, W, N, nc, nc));
          if (measured) {
            // as reconstructParallel: the estimates of the acquired lines give way to the measured ones
            k.fft(full, [...dims, nc], axes);
            k.weightLines(full, n0, n1 * n2, nc, notAcquired, 0, n0 - 1);
            k.axpby(full, measured, 1, 1);
            k.fft(full, [...dims, nc], axes, { inverse: true });
          }
          return finish(toRecon(full, nc), nc);
        }
        const [o1, o2] = method.offset;
        const w = calibration(`sense ${o1} ${o2}`, () => senseUnfoldWeights(cal.maps!, dims, nc, cal.accel, { offset: method.offset }).weights);
        return k.read(toRecon(track(k.voxelMatrix(data, w, N, nc, 1)), 1)).then((complex) => ({ complex }));
      });
    }
  } finally {
    for (const a of arrays) k.free(a);
    for (const a of cached) cache.release(a);
  }

  const gf = gfactor ? { gfactor } : {};
  if ('rss' in result) return { magnitude: result.rss, ...gf };
  let complex: Float32Array;
  if ('coils' in result) complex = combineWithMaps(result.coils, walshMaps(result.coils, out, result.channels), out, result.channels);
  else complex = result.complex;
  const magnitude = new Float32Array(voxels);
  const phase = recipe.keepPhase ? new Float32Array(voxels) : undefined;
  for (let v = 0; v < voxels; v++) {
    magnitude[v] = Math.hypot(complex[2 * v]!, complex[2 * v + 1]!);
    if (phase) phase[v] = Math.atan2(complex[2 * v + 1]!, complex[2 * v]!);
  }
  return { magnitude, ...(phase ? { phase } : {}), ...gf };
}
