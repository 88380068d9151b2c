/**
 * GRAPPA calibration (Griswold et al., MRM 47:1202, 2002) on fully sampled
 * autocalibration (ACS) data: for every kernel position that fits inside the
 * ACS block (every point is an anchor there, not only lattice points), one row
 * of the source matrix A (kro·ke1·ke2·Cin source samples) and of the target
 * matrix B ((Ry·Rz − 1)·Cout target samples). All targets share the sources,
 * so one regularised normal-equation system is solved for all of them:
 *
 *   (AᴴA + λ·(trace(AᴴA)/n)·I) · X = AᴴB,   n = columns of A,
 *
 * by a float64 Cholesky factorisation — the Tikhonov form of Gadgetron's
 * SolveLinearSystem_Tikhonov (λ relative to the mean eigenvalue of AᴴA, i.e.
 * trace/n; Gadgetron's default grappa_reg_lamda is 0.0005, ours too).
 * AᴴA, AᴴB and BᴴB come from the Gram matrix of the augmented matrix
 * [A | B] (calibration-gram.ts); A itself is never formed. Every column of A
 * is a shifted copy of one channel's ACS data, so over the whole ACS block the
 * source–source part is built from lag sums shared by many entries
 * (lagged-gram.ts, WebAssembly); with `overDetermineRatio` or without
 * WebAssembly it is accumulated from gathered blocks of rows. The
 * factorisation and the solve run in WebAssembly SIMD too (linalg/cholesky*).
 * Memory ≈ 16·(n + m)² bytes for the Gram matrix plus a few times
 * 16·(kro·ke1·ke2·Cin)²/2 bytes of lag sums (2D, 5×4 kernel, 32 coils, R = 3:
 * n = 640, m = 64 → 8 MB + 4 MB).
 *
 * Cost (2D, 32 coils, 5×4 kernel, R = 3, 24 ACS lines × 192 readout, ~2800
 * rows): ~2.3e8 complex multiply-adds for the Gram matrix (half of them the
 * rows·n·m of AᴴB, which shares nothing), n³/6 ≈ 4e7 for the factorisation,
 * n²·m ≈ 3e7 for the solve: ~0.15 s. 3D kernels with many coils grow fast
 * (5×4×4×32 = 2560 unknowns): compress coils first, or cap the rows with
 * `overDetermineRatio` (Gadgetron's grappa_calib_over_determine_ratio).
 */
import { UhfError } from '../../../shared/errors.ts';
import { choleskyLower } from '../../linalg/cholesky.ts';
import { solveCholesky } from '../../linalg/cholesky-solve.ts';
import {
  type Accel, type GrappaKernel, type KernelSize,
  DEFAULT_KERNEL_2D, DEFAULT_KERNEL_3D, checkAccel, checkKernelSize,
  latticeOffsets, readoutOffsets, spanLines, targetOffsets,
} from './kernel.ts';
import { type FitGeometry, grappaGram } from './calibration-gram.ts';

// re-exported for the GRAPPA index (its home is recon/linalg now)
export { solveCholesky };

export type KspaceDims = readonly [number, number, number, number];

export interface GrappaCalibrationOptions {
  /** [Ry, Rz] (Rz = 1 for 2D). */
  accel: Accel;
  /**
   * [kro, ke1, ke2] source points (readout, acquired e1 lines, acquired e2
   * partitions). Default [5, 4, 1] when Rz = 1 and the ACS has one partition,
   * else [5, 4, 4] (Gadgetron's defaults, grappa_kSize_RO/E1/E2).
   */
  kernel?: KernelSize;
  /**
   * Tikhonov weight relative to trace(AᴴA)/n (the mean eigenvalue of AᴴA,
   * ≈ 10–20 % off λ_max-relative for typical spectra). Default 0.0005
   * (Gadgetron's grappa_reg_lamda). Larger values trade residual aliasing for
   * lower noise amplification (g-factor).
   */
  lambda?: number;
  /** Target channels: the first `outChannels` input channels (default all). */
  outChannels?: number;
  /**
   * If > 0, use at most ⌈ratio·n⌉ kernel positions (evenly strided over the
   * ACS), n the number of unknowns — Gadgetron's over-determination ratio for
   * large 3D calibrations. Default 0: all positions.
   */
  overDetermineRatio?: number;
}

function describe(accel: [number, number], kernel: [number, number, number]): string {
  return `kernel ${kernel[0]}×${kernel[1]}×${kernel[2]} at R = ${accel[0]}×${accel[1]}`;
}

/**
 * Calibrates a GRAPPA kernel from fully sampled ACS data.
 *
 * @param acs      complex ACS k-space, [ro, e1, e2, cha] (ro fastest,
 *                 channel slowest), fully sampled, on the same k-space grid
 *                 spacing as the data it will be applied to (same FOV).
 * @param acsDims  [ro, e1, e2, cha] of `acs`.
 * @throws UhfError('UNSUPPORTED_DATA') when there are no ACS data, when the
 *   ACS block is smaller than the kernel span or too small to determine the
 *   kernel (the message says how many lines are needed), when Ry·Rz exceeds
 *   the channel count, or when the ACS data are all zero;
 *   'SHAPE_MISMATCH' / 'BAD_ARGUMENT' for inconsistent arguments.
 */
export function grappaCalibrate(acs: Float32Array, acsDims: KspaceDims, opts: GrappaCalibrationOptions): GrappaKernel {
  const who = 'GRAPPA calibration';
  const [ry, rz] = checkAccel(opts.accel, who);
  const [nro, n1, n2, cin] = acsDims;
  for (const v of acsDims) {
    if (!Number.isInteger(v) || v < 0) throw new UhfError('BAD_ARGUMENT', `${who}: bad ACS dims [${acsDims.join(', ')}]`);
  }
  if (cin < 1) throw new UhfError('BAD_ARGUMENT', `${who}: the ACS data have no channels`);
  if (acs.length !== 2 * nro * n1 * n2 * cin) {
    throw new UhfError('SHAPE_MISMATCH', `${who}: ACS array has ${acs.length / 2} complex values, dims [${acsDims.join(', ')}] need ${nro * n1 * n2 * cin}`);
  }
  const cout = opts.outChannels ?? cin;
  if (!Number.isInteger(cout) || cout < 1 || cout > cin) {
    throw new UhfError('BAD_ARGUMENT', `${who}: outChannels must be 1…${cin}, got ${cout}`);
  }
  const lambda = opts.lambda ?? 0.0005;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new UhfError('BAD_ARGUMENT', `${who}: lambda must be ≥ 0, got ${lambda}`);
  const is3d = rz > 1 || n2 > 1;
  const kernel = checkKernelSize(opts.kernel ?? (is3d ? DEFAULT_KERNEL_3D : DEFAULT_KERNEL_2D), who);
  const [kro, ke1, ke2Raw] = kernel;
  // a 3D default on single-partition ACS data with Rz = 1 degenerates to 2D
  const ke2 = rz === 1 && n2 === 1 ? 1 : ke2Raw;
  const ksize: [number, number, number] = [kro, ke1, ke2];
  const R = ry * rz;

  if (R > cin) {
    throw new UhfError('UNSUPPORTED_DATA',
      `${who}: acceleration R = ${ry}×${rz} = ${R} exceeds the ${cin} receive channels; parallel imaging cannot unfold more aliased copies than there are coils (use R ≤ ${cin} or more channels)`);
  }

  const srcRo = readoutOffsets(kro);
  const srcE1 = latticeOffsets(ke1, ry);
  const srcE2 = latticeOffsets(ke2, rz);
  const targets = targetOffsets(ry, rz);
  const T = targets.length / 2;
  const n = kro * ke1 * ke2 * cin;
  const m = T * cout;

  if (T === 0) {
    return {
      accel: [ry, rz], kernelSize: ksize, channelsIn: cin, channelsOut: cout, srcRo, srcE1, srcE2, targets,
      weights: new Float64Array(0), lambda, lambdaAbsolute: 0, fit: { rows: 0, unknowns: n, relativeResidual: 0 },
    };
  }

  const sp1 = spanLines(srcE1, ry);
  const sp2 = spanLines(srcE2, rz);
  const roLo = -srcRo[0]!;
  const need = `${sp1.lines} ACS lines in e1${rz > 1 || ke2 > 1 ? ` × ${sp2.lines} in e2` : ''} and ≥ ${kro} readout points`;
  if (acs.length === 0 || n1 === 0 || nro === 0 || n2 === 0) {
    throw new UhfError('UNSUPPORTED_DATA',
      `${who}: no calibration (ACS) data — the data are accelerated R = ${ry}×${rz} but no fully sampled autocalibration lines were given; the ${describe([ry, rz], ksize)} needs at least ${need} (more for a well-determined fit); acquire ACS lines or a separate reference scan`);
  }
  if (n1 < sp1.lines || n2 < sp2.lines || nro < kro) {
    const what = n1 < sp1.lines ? `${n1} ACS lines in e1 (phase), the kernel spans ${sp1.lines}`
      : n2 < sp2.lines ? `${n2} ACS partitions in e2, the kernel spans ${sp2.lines}`
        : `${nro} ACS readout points, the kernel spans ${kro}`;
    throw new UhfError('UNSUPPORTED_DATA',
      `${who}: too few ACS lines for the ${describe([ry, rz], ksize)}: ${what}; need at least ${need} (or a smaller kernel)`);
  }
  // fit positions: anchor (r, a1, a2) with every source and target inside the ACS
  const pr = nro - kro + 1;
  const p1 = n1 - sp1.lines + 1;
  const p2 = n2 - sp2.lines + 1;
  const allRows = pr * p1 * p2;
  if (allRows < n) {
    // lines in e1 needed for rows ≥ n at the given readout / e2 extent
    const need1 = sp1.lines - 1 + Math.ceil(n / (pr * p2));
    throw new UhfError('UNSUPPORTED_DATA',
      `${who}: too few ACS lines for the ${describe([ry, rz], ksize)} with ${cin} channels: the ACS block [${nro}×${n1}×${n2}] gives ${allRows} kernel fits for ${n} unknowns per target; need at least ${need1} ACS lines in e1 (have ${n1}), or a smaller kernel / fewer channels`);
  }
  const ratio = opts.overDetermineRatio ?? 0;
  if (!(ratio >= 0)) throw new UhfError('BAD_ARGUMENT', `${who}: overDetermineRatio must be ≥ 0, got ${ratio}`);
  const rows = ratio > 0 ? Math.min(allRows, Math.max(n, Math.ceil(ratio * n))) : allRows;

  const geo: FitGeometry = {
    dims: [nro, n1, n2, cin], cout, srcRo, srcE1, srcE2, targets,
    start: [roLo, -sp1.lo, -sp2.lo], count: [pr, p1, p2],
  };
  const G = grappaGram(acs, geo, rows);
  const N = n + m;

  // AᴴA (n×n) regularised, AᴴB (n×m)
  let trace = 0;
  for (let i = 0; i < n; i++) trace += G[2 * (i * N + i)]!;
  if (!(trace > 0) || trace === Infinity) {
    throw new UhfError('UNSUPPORTED_DATA', `${who}: the ACS data are all zero (${Number.isFinite(trace) ? 'no signal' : 'non-finite values'}): no calibration possible`);
  }
  const lambdaAbs = (lambda * trace) / n;
  const M = new Float64Array(2 * n * n);
  for (let i = 0; i < n; i++) {
    M.set(G.subarray(2 * i * N, 2 * i * N + 2 * n), 2 * i * n);
    M[2 * (i * n + i)]! += lambdaAbs;
  }
  const X = new Float64Array(2 * n * m);
  for (let i = 0; i < n; i++) X.set(G.subarray(2 * (i * N + n), 2 * (i * N + n) + 2 * m), 2 * i * m);
  const L = choleskyLower(M, n, { what: 'GRAPPA calibration matrix AᴴA + λI', relativeTolerance: 1e-14 });
  solveCholesky(L, n, X, m);

  // residual without forming AᴴA·X (O(n²m)): the normal equations give
  // AᴴA·X = AᴴB − λX, so tr(XᴴAᴴAX) = Re tr(XᴴAᴴB) − λ‖X‖²_F and
  // ‖AX − B‖² = BᴴB − 2·Re tr(XᴴAᴴB) + tr(XᴴAᴴAX) = BᴴB − Re tr(XᴴAᴴB) − λ‖X‖²_F
  let bb = 0;
  for (let k = 0; k < m; k++) bb += G[2 * ((n + k) * N + n + k)]!;
  let cross = 0, xx = 0;
  for (let i = 0; i < n; i++) {
    const gi = 2 * (i * N + n), xi0 = 2 * i * m;
    for (let k = 0; k < 2 * m; k++) {
      const x = X[xi0 + k]!;
      cross += x * G[gi + k]!;
      xx += x * x;
    }
  }
  const res = Math.max(0, bb - cross - lambdaAbs * xx);

  // weights [t][d][s] = X[s][t·cout + d]
  const weights = new Float64Array(2 * m * n);
  for (let k = 0; k < m; k++) {
    for (let s = 0; s < n; s++) {
      weights[2 * (k * n + s)] = X[2 * (s * m + k)]!;
      weights[2 * (k * n + s) + 1] = X[2 * (s * m + k) + 1]!;
    }
  }
  return {
    accel: [ry, rz], kernelSize: ksize, channelsIn: cin, channelsOut: cout, srcRo, srcE1, srcE2, targets,
    weights, lambda, lambdaAbsolute: lambdaAbs,
    fit: { rows, unknowns: n, relativeResidual: bb > 0 ? Math.sqrt(res / bb) : 0 },
  };
}
