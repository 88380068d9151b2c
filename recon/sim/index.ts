/**
 * The raw-data simulator: a deterministic (seeded) multi-coil 2D multislice
 * Cartesian scan of an analytic head phantom, as ISMRMRD acquisitions, with
 * its ground truth.
 *
 *   const scan = simulate(presetParams('7t-fmri', { seed: 3 }));
 *   for (const acq of scan.acquisitions()) writer.append(acq);
 *   scan.header; scan.truth.image; scan.eventsTsv;
 *
 * `acquisitions()` can be called any number of times; every call restarts the
 * stream and yields identical bytes (noise from Rng(seed, 'noise')).
 */
import type { Acquisition, IsmrmrdHeader } from '../../shared/ismrmrd.ts';
import { UhfError } from '../../shared/errors.ts';
import { countAcquisitions, frameKspace, generateAcquisitions, KspaceProvider, type AcquisitionSource } from './acquire.ts';
import { CoilArray, helmetCoilArray } from './coils.ts';
import { eventsTsv as makeEventsTsv, type BlockDesign } from './design.ts';
import { buildIsmrmrdHeader } from './header.ts';
import { receiverNoiseCovariance } from './noise.ts';
import { presetParams, validateParams, type PresetName, type SimParams } from './params.ts';
import { defaultActivationSpheres, HeadPhantom } from './phantom.ts';
import { buildProtocol, frameCoefficients, type Protocol } from './protocol.ts';
import { buildTruth, type SimTruth } from './truth.ts';

export interface SimulatedScan {
  params: SimParams;
  header: IsmrmrdHeader;
  /** A fresh, deterministic stream of every acquisition in file order. */
  acquisitions(): Generator<Acquisition, void, undefined>;
  acquisitionCount: number;
  truth: SimTruth;
  /** BIDS events.tsv text (fMRI runs with a design only). */
  eventsTsv?: string;
  design?: BlockDesign;
  protocol: Protocol;
  /** Noise-free k-space [nx_e, ny, nCoils] (interleaved complex) of slice s at repetition r. */
  sliceKspace(slice: number, repetition?: number): Float32Array;
}

export function simulate(params: SimParams): SimulatedScan {
  validateParams(params);
  const pr = buildProtocol(params);
  const activations = pr.design
    ? (params.activations ?? defaultActivationSpheres(pr.conditionNames))
    : [];
  const phantom = new HeadPhantom({ fieldStrengthT: params.fieldStrengthT, activations, conditions: pr.conditionNames });
  const coilList = helmetCoilArray(params.coils, { systemSeed: params.systemSeed });
  const coils = new CoilArray(coilList, params.fieldStrengthT);
  const noise = receiverNoiseCovariance(coilList, {
    sigma: params.noiseSigma,
    neighbourCorrelation: params.noiseCorrelation,
    levelSpread: params.noiseLevelSpread,
    systemSeed: params.systemSeed,
  });
  const src: AcquisitionSource = { pr, phantom, coils, noise };
  const header = buildIsmrmrdHeader(pr, coilList);
  const truth = buildTruth(pr, phantom, coils, noise);
  let provider: KspaceProvider | null = null;
  const scan: SimulatedScan = {
    params,
    header,
    acquisitions: () => generateAcquisitions(src),
    acquisitionCount: countAcquisitions(pr),
    truth,
    protocol: pr,
    sliceKspace(slice: number, repetition = 0): Float32Array {
      if (!Number.isInteger(slice) || slice < 0 || slice >= pr.nSlices) throw new UhfError('BAD_ARGUMENT', `slice ${slice} out of range`);
      if (!Number.isInteger(repetition) || repetition < 0 || repetition >= pr.nReps) throw new UhfError('BAD_ARGUMENT', `repetition ${repetition} out of range`);
      provider ??= new KspaceProvider(src, false);
      return frameKspace(provider.get(slice), frameCoefficients(pr, repetition));
    },
  };
  if (pr.design) {
    scan.design = pr.design;
    scan.eventsTsv = makeEventsTsv(pr.design);
  }
  return scan;
}

/** simulate(presetParams(name, overrides)). */
export function simulatePreset(name: PresetName | string, overrides: Partial<SimParams> = {}): SimulatedScan {
  return simulate(presetParams(name, overrides));
}

export { PRESETS, PRESET_NAMES, presetParams, isPresetName, validateParams, resolvedAcsLines } from './params.ts';
export type { PresetName, SimParams, BlockSpec, SliceOrder, SimCalibrationMode } from './params.ts';
export type { SimTruth, ComplexVolume } from './truth.ts';
export { TRUTH_DEFINITION } from './truth.ts';
export { compareToTruth, nrmse, type Comparison } from './compare.ts';
export { eventsTsv, blockResponse, canonicalHrf, hrfStepResponse, blockOnsets, alternatingBlockDesign } from './design.ts';
export type { BlockDesign, Condition } from './design.ts';
export { HeadPhantom, TISSUE, TISSUE_INTENSITY, defaultActivationSpheres, corticalRibbonPoint } from './phantom.ts';
export type { ActivationSphere, Ellipsoid } from './phantom.ts';
export { CoilArray, helmetCoilArray, GAMMA_HZ_PER_T, tissueWavelengthMm } from './coils.ts';
export type { LoopCoil } from './coils.ts';
export { receiverNoiseCovariance, choleskyLower, accumulateCovariance, CorrelatedNoise } from './noise.ts';
export type { NoiseCovariance } from './noise.ts';
export { Rng } from './prng.ts';
export type { Protocol, LineSpec, LineKind } from './protocol.ts';
export { larmorHz } from './header.ts';
