/**
 * GRAPPA in k-space as a KernelSet line convolution: the kernel's `lineTaps`
 * (recon/algorithms/grappa/kernel.ts) as plain data, the role of every line
 * as grappaApplyKspace assigns it, and the argument checks both backends share.
 */
import { UhfError } from '../../shared/errors.ts';
import { lineTaps, type GrappaKernel } from '../algorithms/grappa/index.ts';
import { LINE_ESTIMATED, LINE_KEPT, LINE_SOURCE, type LineConvolution } from './types.ts';

/** Checks a LineConvolution against the data; returns [kro, taps]. */
export function checkLineConvolution(length: number, dims: readonly number[], conv: LineConvolution, roles: Uint8Array): [number, number] {
  const [nro, n1, n2, cin] = dims as [number, number, number, number];
  if (dims.length !== 4 || dims.some((v) => !Number.isInteger(v) || v < 1)) throw new UhfError('BAD_ARGUMENT', `lineConvolution: bad k-space dims [${dims.join(', ')}]`);
  if (cin !== conv.channelsIn) throw new UhfError('SHAPE_MISMATCH', `lineConvolution: the data have ${cin} channels but the kernel was calibrated for ${conv.channelsIn}`);
  const cout = conv.channelsOut;
  if (!Number.isInteger(cout) || cout < 1 || cout > cin) throw new UhfError('BAD_ARGUMENT', `lineConvolution: ${cout} output channels for ${cin} input channels`);
  if (length !== 2 * nro * n1 * n2 * cin) throw new UhfError('SHAPE_MISMATCH', `lineConvolution: ${length / 2} complex values for [${dims.join(', ')}]`);
  if (roles.length !== n1 * n2) throw new UhfError('SHAPE_MISMATCH', `lineConvolution: ${roles.length} line roles for ${n1}×${n2} lines`);
  const kro = conv.srcRo.length;
  const taps = conv.taps.length / 2;
  if (kro < 1 || !Number.isInteger(taps) || conv.weights.length !== 2 * taps * cout * cin * kro) {
    throw new UhfError('SHAPE_MISMATCH', `lineConvolution: ${conv.weights.length / 2} weights for ${taps} taps × ${cout} × ${cin} × ${kro}`);
  }
  return [kro, taps];
}

// one conversion per kernel, so that a backend's copy of the weights serves a whole time series
const cache = new WeakMap<GrappaKernel, LineConvolution>();

/** The convolution of a calibrated GRAPPA kernel, without its pass-through (identity) tap. */
export function grappaLineConvolution(kernel: GrappaKernel): LineConvolution {
  let conv = cache.get(kernel);
  if (conv) return conv;
  const taps = lineTaps(kernel).filter((t) => !t.identity);
  const per = 2 * kernel.channelsOut * kernel.channelsIn * kernel.kernelSize[0];
  const weights = new Float64Array(per * taps.length);
  taps.forEach((t, i) => weights.set(t.w, per * i));
  conv = {
    srcRo: kernel.srcRo,
    channelsIn: kernel.channelsIn,
    channelsOut: kernel.channelsOut,
    taps: Int32Array.from(taps.flatMap((t) => [t.d1, t.d2])),
    weights,
  };
  cache.set(kernel, conv);
  return conv;
}

/**
 * Line roles as grappaApplyKspace (keepAcquired) assigns them: acquired lattice
 * lines are sources, other acquired lines are kept as measured, the rest are
 * estimated. `offset`: the lattice origin (detectLattice).
 */
export function grappaLineRoles(mask: Uint8Array, n1: number, n2: number, accel: readonly [number, number], offset: readonly [number, number]): Uint8Array {
  const [ry, rz] = accel;
  const [o1, o2] = offset;
  const roles = new Uint8Array(n1 * n2);
  for (let e2 = 0; e2 < n2; e2++) {
    for (let e1 = 0; e1 < n1; e1++) {
      const L = e1 + n1 * e2;
      if (!mask[L]) roles[L] = LINE_ESTIMATED;
      else roles[L] = (e1 - o1) % ry === 0 && (e2 - o2) % rz === 0 ? LINE_SOURCE : LINE_KEPT;
    }
  }
  return roles;
}
