/**
 * One block of voxels through the whole voxelwise model: OLS fit, optional
 * AR(1) refit, contrasts, t/F → z. Pure and transferable, so the same code
 * runs inline or in a worker thread.
 */
import type { ContrastDef } from '../contrasts/parse.ts';
import { ar1BiasCorrector, ar1Coefficients, gatherWhitened, quantizeAr1, WhitenedModels } from './ar1.ts';
import { prepareContrast, prepareModel, type LinearModel, type PreparedContrast } from './model.ts';
import { centreBlock, projectBlock, residualsBlock, type BlockFit } from './ols.ts';
import { makeFTails, makeTToZ, zFromLogTails } from '../inference/stats.ts';

export type NoiseModel = 'ols' | 'ar1';

/** Everything a worker needs to fit blocks; structured-clone friendly. */
export interface GlmSetup {
  /** nFrames × nColumns design, row-major. */
  design: Float64Array;
  n: number;
  p: number;
  noise: NoiseModel;
  /** AR(1) quantisation steps per unit (nipy: 100). */
  arSteps: number;
  /** Correct the residual autocorrelation's bias before whitening (fmristat); false = exactly nipy/nilearn. */
  arBiasCorrection: boolean;
  contrasts: ContrastDef[];
}

export interface ChunkOutput {
  m: number;
  /** Temporal mean of the data (for percent signal change). */
  mean: Float32Array;
  /** Residual variance σ² = RSS / dof (of the whitened fit under AR(1)). */
  sigma2: Float32Array;
  /** Quantised AR(1) coefficient (AR(1) only, else length 0). */
  rho: Float32Array;
  /** Per contrast: t or F. */
  stat: Float32Array[];
  z: Float32Array[];
  /** Per t contrast: c·β (F contrasts: length 0). */
  effect: Float32Array[];
  /** Per t contrast: the effect's variance (F contrasts: length 0). */
  variance: Float32Array[];
}

const TINY = 1e-50;

interface ModelEntry {
  model: LinearModel;
  contrasts: PreparedContrast[];
}

export class ChunkProcessor {
  private readonly ols: ModelEntry;
  private readonly whitened: WhitenedModels | undefined;
  private readonly entries = new Map<LinearModel, ModelEntry>();
  /** Per contrast: statistic → z. */
  private readonly toZ: ((x: number) => number)[];
  private readonly correct: ((a: number) => number) | undefined;
  private readonly effects: Float64Array;

  constructor(readonly setup: GlmSetup) {
    const { design, n, p, contrasts } = setup;
    const model = prepareModel(design, n, p);
    this.ols = { model, contrasts: contrasts.map((c) => prepareContrast(model, c)) };
    this.entries.set(model, this.ols);
    if (setup.noise === 'ar1') this.whitened = new WhitenedModels(design, n, p, setup.arSteps, model);
    if (setup.noise === 'ar1' && setup.arBiasCorrection) this.correct = ar1BiasCorrector(model);
    this.effects = new Float64Array(Math.max(1, ...contrasts.map((c) => c.q)));
    this.toZ = this.ols.contrasts.map((c) => {
      if (c.kind === 't') return makeTToZ(model.dof);
      const tails = makeFTails(c.fRank, model.dof);
      return (f: number) => zFromLogTails(tails(f));
    });
  }

  get dof(): number {
    return this.ols.model.dof;
  }

  /** Numerator degrees of freedom of each contrast (1 for t). */
  fRanks(): number[] {
    return this.ols.contrasts.map((c) => c.fRank);
  }

  private entry(model: LinearModel): ModelEntry {
    let e = this.entries.get(model);
    if (!e) {
      e = { model, contrasts: this.setup.contrasts.map((c) => prepareContrast(model, c)) };
      this.entries.set(model, e);
    }
    return e;
  }

  /** y: n × m time-major block (the volume's float32 values). */
  process(y: Float32Array | Float64Array, m: number): ChunkOutput {
    const ols = this.ols;
    const { n } = ols.model;
    const nc = ols.contrasts.length;
    const centred = ols.model.ones !== undefined;
    const { yc, mean } = centreBlock(y, n, m);
    const data = centred ? yc : new Float64Array(y);
    const out: ChunkOutput = {
      m,
      mean: Float32Array.from(mean),
      sigma2: new Float32Array(m),
      rho: new Float32Array(this.whitened ? m : 0),
      stat: Array.from({ length: nc }, () => new Float32Array(m)),
      z: Array.from({ length: nc }, () => new Float32Array(m)),
      effect: ols.contrasts.map((c) => new Float32Array(c.kind === 't' ? m : 0)),
      variance: ols.contrasts.map((c) => new Float32Array(c.kind === 't' ? m : 0)),
    };
    const first = projectBlock(ols.model, data, m);
    if (!this.whitened) {
      this.emit(ols, first, m, undefined, false, mean, centred, out);
      return out;
    }
    const raw = ar1Coefficients(residualsBlock(ols.model, data, first.qy, m), n, m);
    const groups = new Map<number, number[]>();
    for (let v = 0; v < m; v++) {
      const k = quantizeAr1(this.correct ? this.correct(raw[v]!) : raw[v]!, this.whitened.steps);
      out.rho[v] = (k * 1) / this.whitened.steps;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(v);
    }
    for (const [k, cols] of groups) {
      if (k === 0) {
        // ρ = 0: the OLS fit is the whitened fit (its columns are the block's voxels).
        this.emit(ols, first, m, cols, true, mean, centred, out);
        continue;
      }
      const entry = this.entry(this.whitened.get(k));
      const fit = projectBlock(entry.model, gatherWhitened(data, n, m, cols, (k * 1) / this.whitened.steps), cols.length);
      this.emit(entry, fit, cols.length, cols, false, mean, centred, out);
    }
    return out;
  }

  /**
   * Contrasts, t/F and z for voxels of one fit (`stride` columns): voxel
   * cols[j] of the block (or j when cols is undefined) is the fit's column j,
   * or column cols[j] when `byVoxel`.
   */
  private emit(
    entry: ModelEntry,
    fit: BlockFit,
    stride: number,
    cols: readonly number[] | undefined,
    byVoxel: boolean,
    mean: Float64Array,
    centred: boolean,
    out: ChunkOutput,
  ): void {
    const { dof, rank } = entry.model;
    const { qy, rss } = fit;
    const e = this.effects;
    const count = cols ? cols.length : stride;
    for (let j = 0; j < count; j++) {
      const v = cols ? cols[j]! : j;
      const f = byVoxel ? v : j;
      const s2 = rss[f]! / dof;
      out.sigma2[v] = s2;
      for (let ci = 0; ci < entry.contrasts.length; ci++) {
        const c = entry.contrasts[ci]!;
        for (let r = 0; r < c.q; r++) {
          let acc = centred ? mean[v]! * c.meanEffect[r]! : 0;
          for (let kk = 0; kk < rank; kk++) acc += c.onQ[r * rank + kk]! * qy[kk * stride + f]!;
          e[r] = acc;
        }
        let value: number;
        if (c.kind === 't') {
          const varEffect = s2 * c.varianceFactor;
          value = e[0]! / Math.sqrt(Math.max(varEffect, TINY));
          out.effect[ci]![v] = e[0]!;
          out.variance[ci]![v] = varEffect;
        } else {
          let quad = 0;
          for (let a = 0; a < c.q; a++) for (let b = 0; b < c.q; b++) quad += e[a]! * c.fInverse[a * c.q + b]! * e[b]!;
          value = quad / (c.fRank * Math.max(s2, TINY));
        }
        out.stat[ci]![v] = value;
        out.z[ci]![v] = this.toZ[ci]!(value);
      }
    }
  }
}
