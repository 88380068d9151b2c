/**
 * GRAPPA kernel geometry and the calibrated-kernel record shared by the
 * calibration, the k-space application and the image-domain weights.
 *
 * Geometry (Gadgetron's grappa2d_kerPattern / grappa3d, fitItself = false):
 * the acquired lines form the lattice (o1 + Ry·m, o2 + Rz·n). For an anchor
 * point (ro, a1, a2) on the lattice, the sources are
 *   ro + srcRo[i],  i < kro,  srcRo = -⌊kro/2⌋ … kro−1−⌊kro/2⌋   (kro=5: −2…2)
 *   a1 + srcE1[j],  j < ke1,  srcE1 = Ry·(j − ⌊(ke1−1)/2⌋)         (ke1=4: −Ry, 0, Ry, 2Ry)
 *   a2 + srcE2[l],  l < ke2,  srcE2 = Rz·(l − ⌊(ke2−1)/2⌋)
 * in every input channel, and the targets are the Ry·Rz − 1 missing points
 * (ro, a1 + t1, a2 + t2), 0 ≤ t1 < Ry, 0 ≤ t2 < Rz, (t1, t2) ≠ (0, 0), in
 * every output channel (the acquired point t = (0, 0) is kept as measured).
 *
 * Weight layout: for target t (index in `targets`), output channel d and
 * source s = ((c·ke2 + l)·ke1 + j)·kro + i (readout fastest, input channel
 * slowest), the complex weight is at weights[2·((t·Cout + d)·S + s)] (+1),
 * S = kro·ke1·ke2·Cin, so that
 *   target_d(ro, a1 + t1, a2 + t2) = Σ_s weights[t][d][s] · source_s.
 *
 * Equivalent convolution (`lineTaps`): with y the zero-filled k-space holding
 * only the lattice lines, GRAPPA is one circular convolution
 *   out_d(k) = Σ_c Σ_Δ K_dc(Δ) · y_c(k − Δ),
 *   K_dc(−srcRo[i], t1 − srcE1[j], t2 − srcE2[l]) = weights[t][d][(c, l, j, i)],
 *   K_dd(0, 0, 0) = 1 (acquired points pass through),
 * because every line offset Δ = t − srcE decomposes uniquely into a target
 * offset t (mod R) and a lattice step. Both application paths use it.
 */
import { UhfError } from '../../../shared/errors.ts';

export type Accel = readonly [number, number];
export type KernelSize = readonly [number, number, number];

/** Gadgetron's GenericReconCartesianGrappaGadget defaults: 5 readout × 4 e1 (2D), × 4 e2 (3D). */
export const DEFAULT_KERNEL_2D: KernelSize = [5, 4, 1];
export const DEFAULT_KERNEL_3D: KernelSize = [5, 4, 4];

/** A calibrated GRAPPA kernel (see the module comment for the layout). */
export interface GrappaKernel {
  /** [Ry, Rz]: acceleration along e1 and e2 (Rz = 1 for 2D). */
  readonly accel: [number, number];
  /** [kro, ke1, ke2]: source points along readout, e1 (acquired lines) and e2 (acquired partitions). */
  readonly kernelSize: [number, number, number];
  /** Source (input) channels Cin. */
  readonly channelsIn: number;
  /** Target (output) channels Cout ≤ Cin: the first Cout input channels. */
  readonly channelsOut: number;
  /** Source readout offsets, length kro. */
  readonly srcRo: Int32Array;
  /** Source e1 offsets (multiples of Ry), length ke1. */
  readonly srcE1: Int32Array;
  /** Source e2 offsets (multiples of Rz), length ke2. */
  readonly srcE2: Int32Array;
  /** Target offsets [t1, t2] pairs (flattened), Ry·Rz − 1 of them, t1 fastest. */
  readonly targets: Int32Array;
  /** Complex float64 weights, [target][cout][source] (see module comment). */
  readonly weights: Float64Array;
  /** Relative Tikhonov weight as given (× trace(AᴴA)/n). */
  readonly lambda: number;
  /** Absolute value added to the diagonal of AᴴA. */
  readonly lambdaAbsolute: number;
  /** Calibration diagnostics. */
  readonly fit: {
    /** Kernel positions (rows of A) used. */
    readonly rows: number;
    /** Unknowns per target channel: kro·ke1·ke2·Cin (columns of A). */
    readonly unknowns: number;
    /** ‖A·X − B‖_F / ‖B‖_F on the calibration data (0 when there are no targets). */
    readonly relativeResidual: number;
  };
}

/** Number of sources kro·ke1·ke2·Cin. */
export function kernelSources(k: GrappaKernel): number {
  return k.kernelSize[0] * k.kernelSize[1] * k.kernelSize[2] * k.channelsIn;
}

export function checkAccel(accel: Accel, who: string): [number, number] {
  const [ry, rz] = accel;
  if (!Number.isInteger(ry) || ry < 1 || !Number.isInteger(rz) || rz < 1) {
    throw new UhfError('BAD_ARGUMENT', `${who}: acceleration must be positive integers [Ry, Rz], got [${accel.join(', ')}]`);
  }
  return [ry, rz];
}

export function checkKernelSize(size: KernelSize, who: string): [number, number, number] {
  for (const v of size) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `${who}: kernel size must be positive integers [kro, ke1, ke2], got [${size.join(', ')}]`);
  }
  return [size[0], size[1], size[2]];
}

/** Readout source offsets −⌊k/2⌋ … k−1−⌊k/2⌋. */
export function readoutOffsets(k: number): Int32Array {
  const o = new Int32Array(k);
  const lo = Math.floor(k / 2);
  for (let i = 0; i < k; i++) o[i] = i - lo;
  return o;
}

/** Phase-encode source offsets R·(j − ⌊(k−1)/2⌋), j < k (Gadgetron's kE1 pattern). */
export function latticeOffsets(k: number, r: number): Int32Array {
  const o = new Int32Array(k);
  const lo = Math.floor((k - 1) / 2);
  for (let j = 0; j < k; j++) o[j] = r * (j - lo);
  return o;
}

/** Target offsets (t1, t2) ≠ (0, 0), t1 fastest. */
export function targetOffsets(ry: number, rz: number): Int32Array {
  const t = new Int32Array(2 * (ry * rz - 1));
  let n = 0;
  for (let t2 = 0; t2 < rz; t2++) {
    for (let t1 = 0; t1 < ry; t1++) {
      if (t1 === 0 && t2 === 0) continue;
      t[n++] = t1;
      t[n++] = t2;
    }
  }
  return t;
}

/**
 * Lines a kernel spans along one phase axis: from min(srcE[0], 0) to
 * max(srcE[last], R − 1) (the targets lie between the lattice lines).
 */
export function spanLines(src: Int32Array, r: number): { lo: number; hi: number; lines: number } {
  const lo = Math.min(src[0]!, 0);
  const hi = Math.max(src[src.length - 1]!, r - 1);
  return { lo, hi, lines: hi - lo + 1 };
}

/**
 * One line offset of the equivalent convolution: source line = output line
 * − [d1, d2]; out_d(ro) += Σ_c Σ_i w[(d·Cin + c)·kro + i] · y_c(ro + srcRo[i]).
 */
export interface LineTap {
  readonly d1: number;
  readonly d2: number;
  /** Complex float64 [cout][cin][kro]; many entries are 0 for the identity tap. */
  readonly w: Float64Array;
  /** True for the (0, 0) pass-through tap (identity at readout offset 0). */
  readonly identity: boolean;
}

const tapCache = new WeakMap<GrappaKernel, LineTap[]>();

/** The convolution taps of a kernel (cached per kernel object). */
export function lineTaps(k: GrappaKernel): LineTap[] {
  const cached = tapCache.get(k);
  if (cached) return cached;
  const [kro, ke1, ke2] = k.kernelSize;
  const cin = k.channelsIn, cout = k.channelsOut;
  const S = kro * ke1 * ke2 * cin;
  const taps: LineTap[] = [];
  // identity tap: acquired points are kept
  const id = new Float64Array(2 * cout * cin * kro);
  const i0 = Math.floor(kro / 2); // srcRo[i0] = 0
  for (let d = 0; d < cout; d++) id[2 * ((d * cin + d) * kro + i0)] = 1;
  taps.push({ d1: 0, d2: 0, w: id, identity: true });
  const T = k.targets.length / 2;
  for (let t = 0; t < T; t++) {
    const t1 = k.targets[2 * t]!, t2 = k.targets[2 * t + 1]!;
    for (let l = 0; l < ke2; l++) {
      for (let j = 0; j < ke1; j++) {
        const w = new Float64Array(2 * cout * cin * kro);
        let any = false;
        for (let d = 0; d < cout; d++) {
          const wb = (t * cout + d) * S;
          for (let c = 0; c < cin; c++) {
            for (let i = 0; i < kro; i++) {
              const s = ((c * ke2 + l) * ke1 + j) * kro + i;
              const re = k.weights[2 * (wb + s)]!, im = k.weights[2 * (wb + s) + 1]!;
              const o = 2 * ((d * cin + c) * kro + i);
              w[o] = re;
              w[o + 1] = im;
              if (re !== 0 || im !== 0) any = true;
            }
          }
        }
        if (any) taps.push({ d1: t1 - k.srcE1[j]!, d2: t2 - k.srcE2[l]!, w, identity: false });
      }
    }
  }
  tapCache.set(k, taps);
  return taps;
}
