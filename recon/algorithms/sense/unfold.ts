/**
 * Image-domain SENSE unfolding for regular Cartesian undersampling, SENSE
 * g-factor maps and images in SNR units (pure functions, no I/O).
 *
 * Pruessmann KP, Weiger M, Scheidegger MB, Boesiger P. SENSE: sensitivity
 * encoding for fast MRI. Magn Reson Med 1999;42:952–962.
 * Kellman P, McVeigh ER. Image reconstruction in SNR units: a general method
 * for SNR measurement. Magn Reson Med 2005;54:1439–1447.
 *
 * Conventions
 * - Aliased coil images [x, y, z, cha] (interleaved complex): ifftc (centred,
 *   orthonormal, recon/fft) over the phase-encode axes — and the readout — of
 *   the zero-filled k-space [ro, e1, e2, cha] in which exactly the lines
 *   e1 ≡ o1 (mod Ry), e2 ≡ o2 (mod Rz) are sampled (`offset` = [o1, o2];
 *   default: the lines through the k-space centre floor(n/2) are sampled).
 *   Requires ny % Ry = 0 and nz % Rz = 0 (otherwise use cgSense).
 * - Maps [x, y, z, cha] as from espiritMaps (any scaling: the image is ρ with
 *   coil image c = S_c·ρ); voxels whose Σ_c|S_c|² ≤ 1e-12·max are outside the
 *   support and unfold to 0 (fewer unknowns in their alias group).
 * - Noise: assumed white and uncorrelated across channels (prewhiten first).
 *
 * The model. With R = Ry·Rz, zero filling makes each aliased voxel the sum of
 * the R voxels p_j = (x, y + jy·ny/Ry, z + jz·nz/Rz) of its group:
 *     a_c(p_l) = φ_l⁻¹ · (1/R) Σ_j φ_j S_c(p_j) ρ(p_j),
 *     φ_j = exp(2πi·jy·(cy − o1)/Ry) · exp(2πi·jz·(cz − o2)/Rz),  c· = floor(n·/2),
 * (the phases are 1 when the centre lines are sampled). With Ê[c, j] = φ_j·S_c(p_j)
 * and the measured group vector b = Σ_l φ_l·a(p_l) (= R·a(p_0) for strictly
 * regular data; the sum also discards any extra, non-lattice lines such as
 * integrated ACS lines), we solve per group
 *     (ÊᴴÊ + λR·I)·ρ = Êᴴ·b,
 * which is exactly the normal equation (EᴴE + λI)ρ = Eᴴy of CG-SENSE
 * (cg-sense.ts, E = mask·F·S with the orthonormal FFT) restricted to the group:
 * the same λ gives the same image in both.
 *
 * g-factor. With A = ÊᴴÊ + λR·I the estimate's noise covariance is
 * σ²·R·A⁻¹ÊᴴÊA⁻¹ (σ² the k-space noise variance), the fully sampled SENSE
 * (R = 1, λ = 0) one σ²/Σ_c|S_c|². We return
 *     g_j = sqrt([A⁻¹ÊᴴÊA⁻¹]_jj · [ÊᴴÊ]_jj),
 * Pruessmann's sqrt([(ÊᴴÊ)⁻¹]_jj·[ÊᴴÊ]_jj) for λ = 0 (g = 1 at R = 1),
 * so that noise std = σ·√R·g / sqrt(Σ_c|S_c|²) for any λ (for λ > 0, g < 1 is
 * possible: regularisation trades noise for bias).
 *
 * SNR units. After prewhitening as recon/algorithms/noise-prewhitening.ts does
 * (unit noise variance per real component) and with the orthonormal FFT, the
 * image in SNR units (Kellman & McVeigh) is
 *     snr = ρ̂ · sqrt(Σ_c|S_c|²) / (g · √R · σ),  σ = 1,
 * i.e. its real and imaginary noise have unit standard deviation
 * (`snrUnits`); for ESPIRiT maps (Σ|S|² = 1) simply ρ̂ / (g·√R).
 */
import { UhfError } from '../../../shared/errors.ts';
import { combineWithWeights } from '../coil-combine.ts';

export type Dims3 = readonly [number, number, number];
/** Acceleration [Ry, Rz] along e1 (y) and e2 (z). */
export type Accel = readonly [number, number];

export interface SenseUnfoldOptions {
  /** Tikhonov λ in the (EᴴE + λI) sense (as cgSense). Default 0. */
  lambda?: number;
  /** A sampled line index along e1 and e2 (any one, mod R). Default [floor(ny/2), floor(nz/2)]. */
  offset?: readonly [number, number];
}

export interface SenseUnfoldResult {
  /** Unfolded image [x, y, z], complex interleaved. */
  image: Float32Array;
  /** g-factor map [x, y, z] (real; 0 outside the map support). */
  gfactor: Float32Array;
}

export interface SenseWeights {
  /**
   * Unfolding weights [x, y, z, cha] complex: for strictly regular aliased
   * input, ρ̂(p) = Σ_c w_c(p)·a_c(p) (same voxel p: `applySenseWeights`).
   */
  weights: Float32Array;
  /** g-factor map [x, y, z]. */
  gfactor: Float32Array;
}

/** Relative Σ|S|² floor below which a voxel is outside the map support. */
export const SENSE_SUPPORT_EPS = 1e-12;

interface Geometry {
  nx: number; ny: number; nz: number; n: number; c: number;
  ry: number; rz: number; R: number; my: number; mz: number;
  /** φ_j (complex) for j = jy + Ry·jz. */
  phr: Float64Array; phi: Float64Array;
}

function geometry(dims: Dims3, channels: number, accel: Accel, offset: readonly [number, number] | undefined, who: string): Geometry {
  if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new UhfError('BAD_ARGUMENT', `${who}: bad dims [${dims.join(',')}]`);
  if (!Number.isInteger(channels) || channels < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad channel count ${channels}`);
  const [ry, rz] = accel;
  if (!Number.isInteger(ry) || !Number.isInteger(rz) || ry < 1 || rz < 1) throw new UhfError('BAD_ARGUMENT', `${who}: bad acceleration [${accel.join(',')}]`);
  const [nx, ny, nz] = dims;
  if (ny % ry !== 0 || nz % rz !== 0) {
    throw new UhfError('BAD_ARGUMENT', `${who}: the image size [${ny}, ${nz}] along e1/e2 is not a multiple of R = [${ry}, ${rz}] (use cgSense for such patterns)`);
  }
  const cy = Math.floor(ny / 2), cz = Math.floor(nz / 2);
  const o1 = offset?.[0] ?? cy, o2 = offset?.[1] ?? cz;
  if (!Number.isInteger(o1) || !Number.isInteger(o2)) throw new UhfError('BAD_ARGUMENT', `${who}: bad offset [${String(offset)}]`);
  const R = ry * rz;
  const phr = new Float64Array(R), phi = new Float64Array(R);
  for (let jz = 0; jz < rz; jz++) {
    for (let jy = 0; jy < ry; jy++) {
      const ang = 2 * Math.PI * ((jy * (((cy - o1) % ry) + ry)) / ry + (jz * (((cz - o2) % rz) + rz)) / rz);
      phr[jy + ry * jz] = Math.cos(ang);
      phi[jy + ry * jz] = Math.sin(ang);
    }
  }
  return { nx, ny, nz, n: nx * ny * nz, c: channels, ry, rz, R, my: ny / ry, mz: nz / rz, phr, phi };
}

function checkData(name: string, data: Float32Array, g: Geometry, who: string): void {
  if (data.length !== 2 * g.n * g.c) throw new UhfError('SHAPE_MISMATCH', `${who}: ${name} has ${data.length / 2} complex values, [${g.nx},${g.ny},${g.nz}] × ${g.c} channels need ${g.n * g.c}`);
}

/**
 * In-place inverse of the Hermitian positive definite m×m matrix `a` (row-major
 * interleaved, Float64) by Gauss–Jordan elimination with partial pivoting.
 * Returns false if a pivot vanishes.
 */
function invertSmall(a: Float64Array, m: number, work: Float64Array): boolean {
  // work: m×2m augmented [a | I]
  const w = 2 * m;
  work.fill(0, 0, 2 * m * w);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      work[2 * (i * w + j)] = a[2 * (i * m + j)]!;
      work[2 * (i * w + j) + 1] = a[2 * (i * m + j) + 1]!;
    }
    work[2 * (i * w + m + i)] = 1;
  }
  for (let col = 0; col < m; col++) {
    let piv = col, best = -1;
    for (let r = col; r < m; r++) {
      const v = Math.hypot(work[2 * (r * w + col)]!, work[2 * (r * w + col) + 1]!);
      if (v > best) { best = v; piv = r; }
    }
    if (!(best > 0)) return false;
    if (piv !== col) {
      for (let j = 0; j < w; j++) {
        const s = 2 * (col * w + j), t = 2 * (piv * w + j);
        const xr = work[s]!, xi = work[s + 1]!;
        work[s] = work[t]!; work[s + 1] = work[t + 1]!;
        work[t] = xr; work[t + 1] = xi;
      }
    }
    const pr = work[2 * (col * w + col)]!, pi = work[2 * (col * w + col) + 1]!;
    const d = pr * pr + pi * pi;
    const ir = pr / d, ii = -pi / d;
    for (let j = 0; j < w; j++) {
      const s = 2 * (col * w + j);
      const xr = work[s]!, xi = work[s + 1]!;
      work[s] = xr * ir - xi * ii;
      work[s + 1] = xr * ii + xi * ir;
    }
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const fr = work[2 * (r * w + col)]!, fi = work[2 * (r * w + col) + 1]!;
      if (fr === 0 && fi === 0) continue;
      for (let j = 0; j < w; j++) {
        const s = 2 * (col * w + j), t = 2 * (r * w + j);
        const xr = work[s]!, xi = work[s + 1]!;
        work[t] = work[t]! - (fr * xr - fi * xi);
        work[t + 1] = work[t + 1]! - (fr * xi + fi * xr);
      }
    }
  }
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      a[2 * (i * m + j)] = work[2 * (i * w + m + j)]!;
      a[2 * (i * m + j) + 1] = work[2 * (i * w + m + j) + 1]!;
    }
  }
  return true;
}

/**
 * Visits every alias group: calls `group(vox, active, U, g)` where vox[j] are
 * the voxel indices of the group, active[j] whether p_j is inside the support,
 * U (R×c, row-major interleaved) the unfolding matrix A⁻¹Êᴴ (rows of
 * inactive voxels are 0) and g[j] the g-factors.
 */
function forEachGroup(
  maps: Float32Array, g: Geometry, lambda: number,
  group: (vox: Int32Array, U: Float64Array, gf: Float64Array) => void,
): void {
  const { nx, ny, n, c, ry, R, my, mz } = g;
  // support floor
  let maxS = 0;
  const s2 = new Float64Array(n);
  for (let ch = 0; ch < c; ch++) {
    const o = 2 * n * ch;
    for (let p = 0; p < n; p++) {
      const re = maps[o + 2 * p]!, im = maps[o + 2 * p + 1]!;
      s2[p] = s2[p]! + re * re + im * im;
    }
  }
  for (let p = 0; p < n; p++) if (s2[p]! > maxS) maxS = s2[p]!;
  const floor = SENSE_SUPPORT_EPS * maxS;
  const vox = new Int32Array(R);
  const act = new Int32Array(R); // indices of active members
  const E = new Float64Array(2 * c * R); // Ê restricted to active columns, c × m
  const A = new Float64Array(2 * R * R);
  const Ainv = A;
  const work = new Float64Array(2 * R * 2 * R);
  const EhE = new Float64Array(2 * R * R);
  const U = new Float64Array(2 * R * c);
  const gf = new Float64Array(R);
  const tmp = new Float64Array(2 * R * R);
  const lamR = lambda * R;
  for (let z0 = 0; z0 < mz; z0++) {
    for (let y0 = 0; y0 < my; y0++) {
      for (let x = 0; x < nx; x++) {
        let m = 0;
        for (let j = 0; j < R; j++) {
          const jy = j % ry, jz = (j - jy) / ry;
          const p = x + nx * ((y0 + jy * my) + ny * (z0 + jz * mz));
          vox[j] = p;
          if (s2[p]! > floor && s2[p]! > 0) act[m++] = j;
        }
        U.fill(0);
        gf.fill(0);
        if (m > 0) {
          // Ê (c × m): φ_j·S_c(p_j)
          for (let ch = 0; ch < c; ch++) {
            for (let k = 0; k < m; k++) {
              const j = act[k]!;
              const o = 2 * (vox[j]! + n * ch);
              const sr = maps[o]!, si = maps[o + 1]!, fr = g.phr[j]!, fi = g.phi[j]!;
              E[2 * (ch * m + k)] = sr * fr - si * fi;
              E[2 * (ch * m + k) + 1] = sr * fi + si * fr;
            }
          }
          // ÊᴴÊ (m × m)
          for (let a = 0; a < m; a++) {
            for (let b = a; b < m; b++) {
              let re = 0, im = 0;
              for (let ch = 0; ch < c; ch++) {
                const ar = E[2 * (ch * m + a)]!, ai = E[2 * (ch * m + a) + 1]!, br = E[2 * (ch * m + b)]!, bi = E[2 * (ch * m + b) + 1]!;
                re += ar * br + ai * bi;
                im += ar * bi - ai * br;
              }
              EhE[2 * (a * m + b)] = re; EhE[2 * (a * m + b) + 1] = im;
              EhE[2 * (b * m + a)] = re; EhE[2 * (b * m + a) + 1] = -im;
            }
          }
          for (let i = 0; i < 2 * m * m; i++) A[i] = EhE[i]!;
          for (let a = 0; a < m; a++) A[2 * (a * m + a)] = A[2 * (a * m + a)]! + lamR;
          if (!invertSmall(A, m, work)) {
            throw new UhfError('UNSUPPORTED_DATA', `senseUnfold: singular unfolding system at x=${x}, y=${y0}, z=${z0} (R=${R} exceeds what the coils can separate there; use lambda > 0)`);
          }
          // U = A⁻¹Êᴴ (rows of active members)
          for (let k = 0; k < m; k++) {
            const j = act[k]!;
            for (let ch = 0; ch < c; ch++) {
              let re = 0, im = 0;
              for (let l = 0; l < m; l++) {
                const ar = Ainv[2 * (k * m + l)]!, ai = Ainv[2 * (k * m + l) + 1]!;
                const er = E[2 * (ch * m + l)]!, ei = -E[2 * (ch * m + l) + 1]!;
                re += ar * er - ai * ei;
                im += ar * ei + ai * er;
              }
              U[2 * (j * c + ch)] = re; U[2 * (j * c + ch) + 1] = im;
            }
          }
          // g_j² = [A⁻¹ÊᴴÊA⁻¹]_jj·[ÊᴴÊ]_jj (= [A⁻¹]_jj·[ÊᴴÊ]_jj for λ = 0)
          if (lamR === 0) {
            for (let k = 0; k < m; k++) gf[act[k]!] = Math.sqrt(Math.max(0, Ainv[2 * (k * m + k)]! * EhE[2 * (k * m + k)]!));
          } else {
            // tmp = A⁻¹·ÊᴴÊ; diag of tmp·A⁻¹
            for (let a = 0; a < m; a++) {
              for (let b = 0; b < m; b++) {
                let re = 0, im = 0;
                for (let l = 0; l < m; l++) {
                  const ar = Ainv[2 * (a * m + l)]!, ai = Ainv[2 * (a * m + l) + 1]!, br = EhE[2 * (l * m + b)]!, bi = EhE[2 * (l * m + b) + 1]!;
                  re += ar * br - ai * bi;
                  im += ar * bi + ai * br;
                }
                tmp[2 * (a * m + b)] = re; tmp[2 * (a * m + b) + 1] = im;
              }
            }
            for (let k = 0; k < m; k++) {
              let re = 0;
              for (let l = 0; l < m; l++) {
                re += tmp[2 * (k * m + l)]! * Ainv[2 * (l * m + k)]! - tmp[2 * (k * m + l) + 1]! * Ainv[2 * (l * m + k) + 1]!;
              }
              gf[act[k]!] = Math.sqrt(Math.max(0, re * EhE[2 * (k * m + k)]!));
            }
          }
        }
        group(vox, U, gf);
      }
    }
  }
}

/**
 * SENSE unfolding of regularly undersampled aliased coil images. Returns the
 * image ρ̂ [x, y, z] (complex) and the g-factor map. See the file comment.
 */
export function senseUnfold(
  aliased: Float32Array, maps: Float32Array, dims: Dims3, channels: number, accel: Accel, opts: SenseUnfoldOptions = {},
): SenseUnfoldResult {
  const who = 'senseUnfold';
  const g = geometry(dims, channels, accel, opts.offset, who);
  checkData('aliased images', aliased, g, who);
  checkData('maps', maps, g, who);
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new UhfError('BAD_ARGUMENT', `${who}: lambda must be ≥ 0, got ${lambda}`);
  const { n, c, R } = g;
  const image = new Float32Array(2 * n);
  const gfactor = new Float32Array(n);
  const b = new Float64Array(2 * c);
  forEachGroup(maps, g, lambda, (vox, U, gf) => {
    // b_c = Σ_l φ_l·a_c(p_l)
    for (let ch = 0; ch < c; ch++) {
      let re = 0, im = 0;
      for (let l = 0; l < R; l++) {
        const o = 2 * (vox[l]! + n * ch);
        const ar = aliased[o]!, ai = aliased[o + 1]!, fr = g.phr[l]!, fi = g.phi[l]!;
        re += fr * ar - fi * ai;
        im += fr * ai + fi * ar;
      }
      b[2 * ch] = re; b[2 * ch + 1] = im;
    }
    for (let j = 0; j < R; j++) {
      let re = 0, im = 0;
      for (let ch = 0; ch < c; ch++) {
        const ur = U[2 * (j * c + ch)]!, ui = U[2 * (j * c + ch) + 1]!, br = b[2 * ch]!, bi = b[2 * ch + 1]!;
        re += ur * br - ui * bi;
        im += ur * bi + ui * br;
      }
      const p = vox[j]!;
      image[2 * p] = re;
      image[2 * p + 1] = im;
      gfactor[p] = gf[j]!;
    }
  });
  return { image, gfactor };
}

/**
 * Per-voxel unfolding weights (for a time series: compute once, then
 * `applySenseWeights` per frame, a plain Σ_c w_c·a_c). Valid for strictly
 * regular aliased input (no extra lines); `senseUnfold` is the robust form.
 */
export function senseUnfoldWeights(maps: Float32Array, dims: Dims3, channels: number, accel: Accel, opts: SenseUnfoldOptions = {}): SenseWeights {
  const who = 'senseUnfoldWeights';
  const g = geometry(dims, channels, accel, opts.offset, who);
  checkData('maps', maps, g, who);
  const lambda = opts.lambda ?? 0;
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new UhfError('BAD_ARGUMENT', `${who}: lambda must be ≥ 0, got ${lambda}`);
  const { n, c, R } = g;
  const weights = new Float32Array(2 * n * c);
  const gfactor = new Float32Array(n);
  forEachGroup(maps, g, lambda, (vox, U, gf) => {
    for (let j = 0; j < R; j++) {
      const p = vox[j]!;
      // w_c(p_j) = R·φ_j·U[j, c]  (b = R·φ_j·a(p_j) for strictly regular data)
      const fr = R * g.phr[j]!, fi = R * g.phi[j]!;
      for (let ch = 0; ch < c; ch++) {
        const ur = U[2 * (j * c + ch)]!, ui = U[2 * (j * c + ch) + 1]!;
        weights[2 * (p + n * ch)] = ur * fr - ui * fi;
        weights[2 * (p + n * ch) + 1] = ur * fi + ui * fr;
      }
      gfactor[p] = gf[j]!;
    }
  });
  return { weights, gfactor };
}

/** ρ̂(p) = Σ_c w_c(p)·a_c(p): unfold one frame with weights from senseUnfoldWeights. */
export function applySenseWeights(aliased: Float32Array, weights: Float32Array, dims: Dims3, channels: number, out?: Float32Array): Float32Array {
  return combineWithWeights(aliased, weights, dims, channels, out);
}

/**
 * The image in SNR units (Kellman & McVeigh 2005): snr = ρ̂·sqrt(Σ_c|S_c|²)
 * / (g·√R·σ), where σ is the k-space noise standard deviation per real
 * component (1 after noise-prewhitening.ts). The noise of the result has unit
 * standard deviation in its real and imaginary parts. Voxels with g = 0 (outside
 * the support) are 0. Complex output [x, y, z].
 */
export function snrUnits(image: Float32Array, gfactor: Float32Array, maps: Float32Array, dims: Dims3, channels: number, accel: Accel, sigma = 1): Float32Array {
  const g = geometry(dims, channels, accel, undefined, 'snrUnits');
  checkData('maps', maps, g, 'snrUnits');
  const { n, c, R } = g;
  if (image.length !== 2 * n || gfactor.length !== n) throw new UhfError('SHAPE_MISMATCH', `snrUnits: image/gfactor do not match [${dims.join(',')}]`);
  if (!(sigma > 0)) throw new UhfError('BAD_ARGUMENT', `snrUnits: sigma must be > 0, got ${sigma}`);
  const out = new Float32Array(2 * n);
  for (let p = 0; p < n; p++) {
    let s2 = 0;
    for (let ch = 0; ch < c; ch++) {
      const re = maps[2 * (p + n * ch)]!, im = maps[2 * (p + n * ch) + 1]!;
      s2 += re * re + im * im;
    }
    const gg = gfactor[p]!;
    if (!(gg > 0)) continue;
    const f = Math.sqrt(s2) / (gg * Math.sqrt(R) * sigma);
    out[2 * p] = image[2 * p]! * f;
    out[2 * p + 1] = image[2 * p + 1]! * f;
  }
  return out;
}
