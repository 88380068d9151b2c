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
 * complex multiply-adds. Per output line the usable source points of two
 * readout positions are gathered once into a contiguous float64 buffer
 * (k = (tap, channel, readout offset)); every output channel is then a dot
 * product with its contiguous weight row (tap.w), two channels × two readout
 * points per pass, float64 accumulation, no per-sample allocation. The dot
 * products run in the WebAssembly SIMD kernel of apply-wasm.ts where
 * available (`setGrappaApplyBackend`), ~4× faster than the JS loops, which
 * remain the fallback; both agree to rounding. For large channel counts or
 * time series the image-domain path (one multiply per voxel and channel pair,
 * or per channel after coil combination) is much cheaper.
 */
import { UhfError } from '../../../shared/errors.ts';
import type { KspaceDims } from './calibrate.ts';
import { type GrappaKernel, lineTaps } from './kernel.ts';
import { acquiredLineMask, checkLattice, detectLattice } from './sampling.ts';
import { APPLY_POINTS, grappaApplyKernel } from './apply-wasm.ts';

export type GrappaApplyBackend = 'auto' | 'js' | 'wasm';
let backend: GrappaApplyBackend = 'auto';

/**
 * Selects the implementation: 'wasm' (the WebAssembly SIMD kernel of
 * apply-wasm.ts; JS if WebAssembly is unavailable), 'js', or 'auto' (wasm for
 * ≥ 2¹⁶ complex multiply-adds per output line). Results agree to rounding.
 * Returns the previous setting.
 */
export function setGrappaApplyBackend(b: GrappaApplyBackend): GrappaApplyBackend {
  const prev = backend;
  backend = b;
  return prev;
}

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

// gathered source points of two readout positions, float64, grown on demand (single-threaded use)
let gat = new Float64Array(0);

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
  const taps = lineTaps(kernel).filter((t) => !t.identity); // the identity tap's source is the target line itself
  const kro = kernel.kernelSize[0];
  const srcRo = kernel.srcRo;
  const L2 = 2 * nro;
  const K = cin * kro; // sources per tap
  const KT = K * taps.length;
  if (gat.length < 4 * KT) gat = new Float64Array(4 * KT);
  const g = gat;
  // readout shift of source point i, wrapped to [0, nro)
  const dxs = new Int32Array(kro);
  for (let i = 0; i < kro; i++) dxs[i] = ((srcRo[i]! % nro) + nro) % nro;
  const active: GrappaKernel['weights'][] = [];
  const activeS: number[] = [];
  const activeIdx: number[] = [];

  // WebAssembly path: memory = W (ndp·KT·32 bytes) | G (KT·32) | O (ndp·32), float32
  const ndp = cout + (cout & 1);
  const wk = backend === 'js' || (backend === 'auto' && KT * cout * nro < 1 << 16) ? null : grappaApplyKernel();
  const gOff = ndp * KT * 32, oOff = gOff + KT * 32;
  const wasm = wk && wk.ensure(oOff + ndp * 32) ? wk : null;
  let wKey = '';

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
      active.length = 0;
      activeS.length = 0;
      activeIdx.length = 0;
      for (let ti = 0; ti < taps.length; ti++) {
        const tap = taps[ti]!;
        let s1 = (e1 - tap.d1) % n1, s2 = (e2 - tap.d2) % n2;
        if (s1 < 0) s1 += n1;
        if (s2 < 0) s2 += n2;
        const S = s1 + n1 * s2;
        if (!src[S]) continue;
        active.push(tap.w);
        activeS.push(S);
        activeIdx.push(ti);
      }
      const nt = active.length;
      const ob = 2 * nro * L;
      if (wasm) {
        const m = new Float32Array(wasm.memory.buffer);
        const nk = nt * K;
        // weights of the active taps, [d][k] with k = (tap, c, i), as (wr ×4), (−wi, wi, −wi, wi)
        const key = activeIdx.join(',');
        if (key !== wKey) {
          wKey = key;
          for (let d = 0; d < ndp; d++) {
            let p = 8 * d * nk;
            for (let t = 0; t < nt; t++) {
              const w = active[t]!;
              for (let k = 0; k < K; k++) {
                const wr = d < cout ? w[2 * (d * K + k)]! : 0, wi = d < cout ? w[2 * (d * K + k) + 1]! : 0;
                m[p] = wr; m[p + 1] = wr; m[p + 2] = wr; m[p + 3] = wr;
                m[p + 4] = -wi; m[p + 5] = wi; m[p + 6] = -wi; m[p + 7] = wi;
                p += 8;
              }
            }
          }
        }
        const g4 = gOff / 4, o4 = oOff / 4;
        const ros = new Int32Array(APPLY_POINTS);
        for (let ro0 = 0; ro0 < nro; ro0 += APPLY_POINTS) {
          // past the end of the readout: repeat the last point (computed, not written)
          for (let j = 0; j < APPLY_POINTS; j++) ros[j] = ro0 + j < nro ? ro0 + j : nro - 1;
          gatherQuad(m, g4, kspace, activeS, nt, cin, kro, dxs, nro, vol, ros);
          wasm.apply(ndp, nk, gOff, 0, oOff);
          const valid = Math.min(APPLY_POINTS, nro - ro0);
          for (let d = 0; d < cout; d++) {
            const o = ob + 2 * vol * d + 2 * ro0, q = o4 + 8 * d;
            for (let j = 0; j < valid; j++) {
              res[o + 2 * j] = m[q + 2 * j]!;
              res[o + 2 * j + 1] = m[q + 2 * j + 1]!;
            }
          }
        }
        continue;
      }
      // two readout points per pass: the gathered sources g[4k..4k+3] =
      // (re, im) at ro0, (re, im) at ro1, k = (tap, c, i) with i fastest
      for (let ro0 = 0; ro0 < nro; ro0 += 2) {
        const ro1 = ro0 + 1 < nro ? ro0 + 1 : ro0;
        gatherPair(g, 0, kspace, activeS, nt, cin, kro, dxs, nro, vol, ro0, ro1);
        for (let d = 0; d < cout; d += 2) {
          const d1 = d + 1 < cout ? d + 1 : d;
          let p0r = 0, p0i = 0, p1r = 0, p1i = 0, q0r = 0, q0i = 0, q1r = 0, q1i = 0;
          for (let t = 0; t < nt; t++) {
            const w = active[t]!;
            const wb0 = 2 * d * K, wb1 = 2 * d1 * K, gb = 4 * t * K;
            for (let k = 0; k < K; k++) {
              const wr0 = w[wb0 + 2 * k]!, wi0 = w[wb0 + 2 * k + 1]!;
              const wr1 = w[wb1 + 2 * k]!, wi1 = w[wb1 + 2 * k + 1]!;
              const j = gb + 4 * k;
              const ar = g[j]!, ai = g[j + 1]!, br = g[j + 2]!, bi = g[j + 3]!;
              p0r += wr0 * ar - wi0 * ai;
              p0i += wr0 * ai + wi0 * ar;
              p1r += wr0 * br - wi0 * bi;
              p1i += wr0 * bi + wi0 * br;
              q0r += wr1 * ar - wi1 * ai;
              q0i += wr1 * ai + wi1 * ar;
              q1r += wr1 * br - wi1 * bi;
              q1i += wr1 * bi + wi1 * br;
            }
          }
          const o0 = ob + 2 * vol * d, o1 = ob + 2 * vol * d1;
          res[o0 + 2 * ro0] = p0r;
          res[o0 + 2 * ro0 + 1] = p0i;
          res[o0 + 2 * ro1] = p1r;
          res[o0 + 2 * ro1 + 1] = p1i;
          if (d1 !== d) {
            res[o1 + 2 * ro0] = q0r;
            res[o1 + 2 * ro0 + 1] = q0i;
            res[o1 + 2 * ro1] = q1r;
            res[o1 + 2 * ro1 + 1] = q1i;
          }
        }
      }
    }
  }
  return res;
}

/**
 * The source points of readout points ro0 and ro1 of one missing line, into
 * dst[at + 4k .. at + 4k + 3] = (re, im) at ro0, (re, im) at ro1, for
 * k = (tap, channel, readout offset) with the offset fastest; the readout wraps.
 */
function gatherPair(
  dst: Float64Array, at: number, kspace: Float32Array, activeS: ArrayLike<number>, nt: number, cin: number,
  kro: number, dxs: ArrayLike<number>, nro: number, vol: number, ro0: number, ro1: number,
): void {
  let k4 = at;
  for (let t = 0; t < nt; t++) {
    const S = activeS[t]!;
    for (let c = 0; c < cin; c++) {
      const yb = 2 * (nro * S + vol * c);
      for (let i = 0; i < kro; i++) {
        const dx = dxs[i]!;
        let r0 = ro0 + dx, r1 = ro1 + dx;
        if (r0 >= nro) r0 -= nro;
        if (r1 >= nro) r1 -= nro;
        dst[k4] = kspace[yb + 2 * r0]!;
        dst[k4 + 1] = kspace[yb + 2 * r0 + 1]!;
        dst[k4 + 2] = kspace[yb + 2 * r1]!;
        dst[k4 + 3] = kspace[yb + 2 * r1 + 1]!;
        k4 += 4;
      }
    }
  }
}

/**
 * The source points of the readout points `ros` (APPLY_POINTS of them) of one
 * missing line, float32, into dst[at + 8k …] = (re, im) per point, for
 * k = (tap, channel, readout offset) with the offset fastest; the readout wraps.
 */
function gatherQuad(
  dst: Float32Array, at: number, kspace: Float32Array, activeS: ArrayLike<number>, nt: number, cin: number,
  kro: number, dxs: ArrayLike<number>, nro: number, vol: number, ros: Int32Array,
): void {
  let k8 = at;
  const r0 = ros[0]!, r1 = ros[1]!, r2 = ros[2]!, r3 = ros[3]!;
  for (let t = 0; t < nt; t++) {
    const S = activeS[t]!;
    for (let c = 0; c < cin; c++) {
      const yb = 2 * (nro * S + vol * c);
      for (let i = 0; i < kro; i++) {
        const dx = dxs[i]!;
        let a = r0 + dx, b = r1 + dx, e = r2 + dx, h = r3 + dx;
        if (a >= nro) a -= nro;
        if (b >= nro) b -= nro;
        if (e >= nro) e -= nro;
        if (h >= nro) h -= nro;
        dst[k8] = kspace[yb + 2 * a]!;
        dst[k8 + 1] = kspace[yb + 2 * a + 1]!;
        dst[k8 + 2] = kspace[yb + 2 * b]!;
        dst[k8 + 3] = kspace[yb + 2 * b + 1]!;
        dst[k8 + 4] = kspace[yb + 2 * e]!;
        dst[k8 + 5] = kspace[yb + 2 * e + 1]!;
        dst[k8 + 6] = kspace[yb + 2 * h]!;
        dst[k8 + 7] = kspace[yb + 2 * h + 1]!;
        k8 += 8;
      }
    }
  }
}
