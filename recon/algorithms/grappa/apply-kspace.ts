/**
 * GRAPPA in k-space: fills the unacquired lines of zero-filled k-space from
 * the regular lattice lines with a calibrated kernel.
 *
 * Every output line is computed as the circular convolution described in
 * kernel.ts (`lineTaps`) of the lattice-only data: for each line offset Δ the
 * source line (e1 − Δ1, e2 − Δ2) (wrapped) contributes when it is a lattice
 * line that was acquired. Inside the matrix this is exactly the textbook
 * per-target-offset GRAPPA (Σ weights[t][d][s]·source_s); at the k-space
 * edges the neighbourhood wraps around (periodic boundary, as the DFT model of
 * a discretely sampled FOV implies, Gadgetron's periodic_boundary_condition),
 * which makes the result identical to the image-domain weights
 * (image-domain.ts) applied to ifftc of the lattice-only data.
 *
 * Lines that were acquired off the lattice (integrated ACS lines, or any
 * extra lines) are not used as sources; with `keepAcquired` (default) they are
 * written back as measured, so the output holds every measured line
 * unchanged and GRAPPA estimates everywhere else.
 *
 * Cost: (missing lines)·(source lines per target ≈ ke1·ke2)·Cout·Cin·kro·nro
 * complex multiply-adds, float64 accumulation per output line (two output
 * channels per pass over a source row), no per-sample allocation. For large channel counts or time series the image-domain path
 * (one multiply per voxel and channel pair, or per channel after coil
 * combination) is much cheaper.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { KspaceDims } from './calibrate.ts';
import { type GrappaKernel, lineTaps } from './kernel.ts';
import { acquiredLineMask, checkLattice, detectLattice } from './sampling.ts';

export interface GrappaSampling {
  /**
   * Acquired lines, mask[e1 + n1·e2] ≠ 0 (length e1·e2). Default: the lines
   * holding any non-zero sample.
   */
  mask?: Uint8Array;
  /**
   * Lattice origin [o1, o2]: the regular lines are o1 + Ry·m, o2 + Rz·k.
   * Default: detected from the mask (the residue class with the most lines).
   */
  latticeOffset?: readonly [number, number];
  /**
   * Write every acquired line (lattice and ACS) back as measured. Default
   * true. With false only the lattice lines are measured; off-lattice acquired
   * lines (ACS) are replaced by GRAPPA estimates — the output then equals the
   * image-domain reconstruction of the lattice-only data.
   */
  keepAcquired?: boolean;
}

// float64 accumulator for one output line, grown on demand (single-threaded use)
let acc = new Float64Array(0);

/**
 * Fills zero-filled k-space [ro, e1, e2, Cin] with the kernel; returns
 * [ro, e1, e2, Cout] (a new array, or `out` when given).
 *
 * @throws UhfError('SHAPE_MISMATCH') when the data do not match the kernel's
 *   channels or dims; 'UNSUPPORTED_DATA' when the acquired lines do not form the
 *   kernel's regular pattern (see `checkLattice`: another acceleration, a
 *   shifted lattice), which would otherwise leave residual aliasing.
 */
export function grappaApplyKspace(kspace: Float32Array, dims: KspaceDims, kernel: GrappaKernel, sampling: GrappaSampling = {}, out?: Float32Array): Float32Array {
  const [nro, n1, n2, cin] = dims;
  for (const v of dims) {
    if (!Number.isInteger(v) || v < 1) throw new UhfError('BAD_ARGUMENT', `GRAPPA apply: bad k-space dims [${dims.join(', ')}]`);
  }
  if (cin !== kernel.channelsIn) {
    throw new UhfError('SHAPE_MISMATCH', `GRAPPA apply: the data have ${cin} channels but the kernel was calibrated for ${kernel.channelsIn}`);
  }
  const lines = n1 * n2;
  const vol = nro * lines;
  if (kspace.length !== 2 * vol * cin) {
    throw new UhfError('SHAPE_MISMATCH', `GRAPPA apply: k-space has ${kspace.length / 2} complex values, dims [${dims.join(', ')}] need ${vol * cin}`);
  }
  const cout = kernel.channelsOut;
  const res = out ?? new Float32Array(2 * vol * cout);
  if (res.length !== 2 * vol * cout) throw new UhfError('SHAPE_MISMATCH', `GRAPPA apply: out has ${res.length / 2} complex values, expected ${vol * cout}`);
  if (res.buffer === kspace.buffer) throw new UhfError('BAD_ARGUMENT', 'GRAPPA apply: out must not share memory with the input');
  const [ry, rz] = kernel.accel;
  const mask = sampling.mask ?? acquiredLineMask(kspace, dims);
  if (mask.length !== lines) throw new UhfError('SHAPE_MISMATCH', `GRAPPA apply: mask has ${mask.length} lines, expected ${n1}×${n2}`);
  const [o1, o2] = (sampling.latticeOffset
    ? checkLattice(mask, n1, n2, [ry, rz], sampling.latticeOffset)
    : detectLattice(mask, n1, n2, [ry, rz])).offset;
  const keep = sampling.keepAcquired ?? true;
  // source-usable lines: on the lattice and acquired
  const src = new Uint8Array(lines);
  for (let e2 = 0; e2 < n2; e2++) {
    if ((e2 - o2) % rz !== 0) continue;
    for (let e1 = 0; e1 < n1; e1++) if ((e1 - o1) % ry === 0 && mask[e1 + n1 * e2]) src[e1 + n1 * e2] = 1;
  }
  const taps = lineTaps(kernel);
  const kro = kernel.kernelSize[0];
  const srcRo = kernel.srcRo;
  const L2 = 2 * nro;
  if (acc.length < L2 * (cout + 1)) acc = new Float64Array(L2 * (cout + 1)); // + a spare row for odd Cout
  const a = acc;

  for (let e2 = 0; e2 < n2; e2++) {
    for (let e1 = 0; e1 < n1; e1++) {
      const L = e1 + n1 * e2;
      if (src[L] || (keep && mask[L])) {
        for (let d = 0; d < cout; d++) {
          const o = 2 * (nro * L + vol * d);
          res.set(kspace.subarray(o, o + L2), o);
        }
        continue;
      }
      a.fill(0, 0, L2 * (cout + 1));
      for (const tap of taps) {
        // the identity tap's source is this very line, which is not a source here
        if (tap.identity) continue;
        let s1 = (e1 - tap.d1) % n1, s2 = (e2 - tap.d2) % n2;
        if (s1 < 0) s1 += n1;
        if (s2 < 0) s2 += n2;
        const S = s1 + n1 * s2;
        if (!src[S]) continue;
        const w = tap.w;
        for (let c = 0; c < cin; c++) {
          const yb = 2 * (nro * S + vol * c);
          for (let d = 0; d < cout; d += 2) {
            const pair = d + 1 < cout;
            const ab0 = d * L2, ab1 = pair ? ab0 + L2 : L2 * cout; // spare row when odd
            const wb0 = 2 * (d * cin + c) * kro, wb1 = pair ? wb0 + 2 * cin * kro : wb0;
            for (let i = 0; i < kro; i++) {
              const wr0 = w[wb0 + 2 * i]!, wi0 = w[wb0 + 2 * i + 1]!;
              const wr1 = w[wb1 + 2 * i]!, wi1 = w[wb1 + 2 * i + 1]!;
              let dx = srcRo[i]! % nro;
              if (dx < 0) dx += nro;
              const split = nro - dx;
              let ys = yb + 2 * dx;
              for (let q = 0; q < 2 * split; q += 2) {
                const yr = kspace[ys + q]!, yi = kspace[ys + q + 1]!;
                a[ab0 + q]! += wr0 * yr - wi0 * yi;
                a[ab0 + q + 1]! += wr0 * yi + wi0 * yr;
                a[ab1 + q]! += wr1 * yr - wi1 * yi;
                a[ab1 + q + 1]! += wr1 * yi + wi1 * yr;
              }
              ys = yb - 2 * split;
              for (let q = 2 * split; q < L2; q += 2) {
                const yr = kspace[ys + q]!, yi = kspace[ys + q + 1]!;
                a[ab0 + q]! += wr0 * yr - wi0 * yi;
                a[ab0 + q + 1]! += wr0 * yi + wi0 * yr;
                a[ab1 + q]! += wr1 * yr - wi1 * yi;
                a[ab1 + q + 1]! += wr1 * yi + wi1 * yr;
              }
            }
          }
        }
      }
      for (let d = 0; d < cout; d++) {
        const o = 2 * (nro * L + vol * d);
        const ab = d * L2;
        for (let q = 0; q < L2; q++) res[o + q] = a[ab + q]!;
      }
    }
  }
  return res;
}
