/**
 * fMRI block design: conditions with onsets/durations, the canonical
 * double-gamma HRF (SPM: peak gamma shape 6, undershoot shape 16, scale 1 s,
 * ratio 1/6), the expected BOLD response, drift, and BIDS events.tsv text.
 *
 * The HRF is normalised to unit integral, so a sustained block's response
 * plateaus at 1: the simulated magnitude in a condition's activation mask is
 * |phantom|·(1 + drift(t) + (psc/100)·response(t)). The response is computed
 * exactly (closed-form gamma CDFs), no sampling grid.
 */
import { UhfError } from '../../shared/errors.ts';

export interface Condition {
  /** BIDS trial_type. */
  name: string;
  /** Block onsets, seconds from the start of the first imaging repetition. */
  onsetsS: number[];
  /** Block duration, seconds. */
  durationS: number;
  /** Peak (plateau) percent signal change in the activation mask, e.g. 4. */
  percentSignalChange: number;
}

export interface BlockDesign {
  conditions: Condition[];
}

/** Regularised lower incomplete gamma P(a, t) for integer shape a ≥ 1. */
function gammaCdfInt(a: number, t: number): number {
  if (t <= 0) return 0;
  let term = 1;
  let sum = 1;
  for (let k = 1; k < a; k++) {
    term *= t / k;
    sum += term;
  }
  return 1 - Math.exp(-t) * sum;
}

function gammaPdfInt(a: number, t: number): number {
  if (t <= 0) return 0;
  let f = 1;
  for (let k = 2; k < a; k++) f *= k;
  return (Math.pow(t, a - 1) * Math.exp(-t)) / f;
}

const HRF_PEAK = 6;
const HRF_UNDER = 16;
const HRF_RATIO = 1 / 6;
const HRF_NORM = 1 - HRF_RATIO;

/** Canonical double-gamma HRF at t seconds, unit integral. */
export function canonicalHrf(t: number): number {
  return (gammaPdfInt(HRF_PEAK, t) - HRF_RATIO * gammaPdfInt(HRF_UNDER, t)) / HRF_NORM;
}

/** ∫₀ᵗ canonicalHrf: the step response (→ 1). */
export function hrfStepResponse(t: number): number {
  return (gammaCdfInt(HRF_PEAK, t) - HRF_RATIO * gammaCdfInt(HRF_UNDER, t)) / HRF_NORM;
}

/** Boxcar(onsets, duration) ⊛ HRF at time t: the expected response, plateau 1. */
export function blockResponse(t: number, onsetsS: readonly number[], durationS: number): number {
  let r = 0;
  for (const on of onsetsS) r += hrfStepResponse(t - on) - hrfStepResponse(t - on - durationS);
  return r;
}

/** Onsets of alternating off/on blocks: first onset at `firstOnsetS`, period on+off, all blocks starting before `runDurationS`. */
export function blockOnsets(opts: { runDurationS: number; onS: number; offS: number; firstOnsetS?: number }): number[] {
  const first = opts.firstOnsetS ?? opts.offS;
  if (!(opts.onS > 0) || !(opts.offS >= 0)) throw new UhfError('BAD_ARGUMENT', 'block design needs on > 0 and off ≥ 0');
  const out: number[] = [];
  for (let t = first; t < opts.runDurationS - 1e-9; t += opts.onS + opts.offS) out.push(t);
  return out;
}

/** A standard block design: `names.length` conditions alternating with rest (rest, A, rest, B, rest, A …). */
export function alternatingBlockDesign(opts: {
  runDurationS: number;
  onS: number;
  offS: number;
  names: readonly string[];
  percentSignalChange: number | readonly number[];
  firstOnsetS?: number;
}): BlockDesign {
  if (opts.names.length === 0) throw new UhfError('BAD_ARGUMENT', 'block design needs at least one condition');
  const onsets = blockOnsets(opts);
  const conditions: Condition[] = opts.names.map((name, i) => ({
    name,
    onsetsS: onsets.filter((_, b) => b % opts.names.length === i),
    durationS: opts.onS,
    percentSignalChange: typeof opts.percentSignalChange === 'number' ? opts.percentSignalChange : (opts.percentSignalChange[i] ?? 0),
  }));
  return { conditions };
}

function fmtSeconds(x: number): string {
  const r = Math.round(x * 1000) / 1000;
  return Number.isInteger(r) ? r.toFixed(1) : String(r);
}

/** BIDS events.tsv: header `onset\tduration\ttrial_type`, one row per block, sorted by onset. */
export function eventsTsv(design: BlockDesign): string {
  const rows: { onset: number; duration: number; name: string }[] = [];
  for (const c of design.conditions) for (const on of c.onsetsS) rows.push({ onset: on, duration: c.durationS, name: c.name });
  rows.sort((a, b) => a.onset - b.onset || a.name.localeCompare(b.name));
  return ['onset\tduration\ttrial_type', ...rows.map((r) => `${fmtSeconds(r.onset)}\t${fmtSeconds(r.duration)}\t${r.name}`)].join('\n') + '\n';
}

/** Linear signal drift: fraction (not percent) at time t for a run of length T. */
export function linearDrift(t: number, runDurationS: number, driftPercent: number): number {
  return runDurationS > 0 ? (driftPercent / 100) * (t / runDurationS) : 0;
}
