/**
 * BIDS events.tsv → events, and the checks that tie them to a run: events
 * outside the run are dropped with a warning, a run with no events at all is
 * an error (usually a TR or unit mix-up), never a silently empty regressor.
 */
import { UhfError } from '../../../shared/errors.ts';
import { isNa, parseNumber, parseTsv } from './tsv.ts';

export interface FmriEvent {
  onset: number;
  duration: number;
  trialType: string;
  /** Amplitude of the event's boxcar (BIDS/nilearn "modulation"); 1 when absent. */
  modulation: number;
  /** Line in events.tsv (1-based), for messages. */
  line: number;
}

export interface ParsedEvents {
  events: FmriEvent[];
  warnings: string[];
}

/** Column names the design uses itself; a trial_type may not take them. */
export const RESERVED_NAMES = /^(constant|drift_\d+)$/;

export function parseEventsTsv(text: string, file?: string): ParsedEvents {
  const where = file ? { file } : {};
  const table = parseTsv(text, file);
  const col = (name: string) => table.header.indexOf(name);
  const iOnset = col('onset');
  const iDuration = col('duration');
  if (iOnset < 0 || iDuration < 0) {
    const missing = [iOnset < 0 ? 'onset' : '', iDuration < 0 ? 'duration' : ''].filter(Boolean).join(' and ');
    throw new UhfError('BAD_ARGUMENT', `events table has no ${missing} column (header: ${table.header.join(', ')})`, where);
  }
  const iType = col('trial_type');
  const iMod = col('modulation') >= 0 ? col('modulation') : col('amplitude');
  const warnings: string[] = [];
  if (iType < 0) warnings.push(`${file ?? 'events'}: no trial_type column; all events form one condition 'trial'`);
  const events: FmriEvent[] = [];
  let skippedType = 0;
  let naDuration = 0;
  for (const { line, cells } of table.rows) {
    const onset = parseNumber(cells[iOnset]!);
    if (onset === undefined) throw new UhfError('BAD_ARGUMENT', `line ${line}: onset '${cells[iOnset]}' is not a number`, where);
    let duration = parseNumber(cells[iDuration]!);
    if (duration === undefined) {
      if (!isNa(cells[iDuration]!)) {
        throw new UhfError('BAD_ARGUMENT', `line ${line}: duration '${cells[iDuration]}' is not a number`, where);
      }
      naDuration++;
      duration = 0;
    }
    if (duration < 0) throw new UhfError('BAD_ARGUMENT', `line ${line}: negative duration ${duration}`, where);
    const trialType = iType < 0 ? 'trial' : cells[iType]!;
    if (iType >= 0 && isNa(trialType)) {
      skippedType++;
      continue;
    }
    if (RESERVED_NAMES.test(trialType)) {
      throw new UhfError('BAD_ARGUMENT', `line ${line}: trial_type '${trialType}' clashes with a design column name`, where);
    }
    let modulation = 1;
    if (iMod >= 0 && !isNa(cells[iMod]!)) {
      const m = parseNumber(cells[iMod]!);
      if (m === undefined) throw new UhfError('BAD_ARGUMENT', `line ${line}: modulation '${cells[iMod]}' is not a number`, where);
      modulation = m;
    }
    events.push({ onset, duration, trialType, modulation, line });
  }
  if (skippedType) warnings.push(`${file ?? 'events'}: ${skippedType} row(s) with trial_type n/a ignored`);
  if (naDuration) warnings.push(`${file ?? 'events'}: ${naDuration} row(s) with duration n/a modelled as impulses (duration 0)`);
  if (events.length === 0) throw new UhfError('BAD_ARGUMENT', 'events table has no usable events', where);
  return { events, warnings };
}

export interface RunWindow {
  /** Acquisition start of the first frame (s), normally 0. */
  start: number;
  /** End of the last frame's acquisition (s): nFrames × TR. */
  end: number;
  /** Earliest onset still modelled (its response tail reaches the run); nilearn uses start − 24 s. */
  earliest: number;
}

/**
 * Keep the events that can influence the run. Dropped or truncated events
 * and conditions left without events are reported; no event in the run at
 * all is an error.
 */
export function eventsInRun(events: readonly FmriEvent[], run: RunWindow, file?: string): ParsedEvents {
  const warnings: string[] = [];
  const kept: FmriEvent[] = [];
  const late: FmriEvent[] = [];
  const early: FmriEvent[] = [];
  let overrun = 0;
  for (const e of events) {
    if (e.onset >= run.end) late.push(e);
    else if (e.onset < run.earliest) early.push(e);
    else {
      if (e.onset + e.duration > run.end + 1e-9) overrun++;
      kept.push(e);
    }
  }
  const name = file ?? 'events';
  const fmt = (n: number) => Number(n.toFixed(3)).toString();
  if (kept.length === 0) {
    const last = Math.max(...events.map((e) => e.onset));
    throw new UhfError(
      'BAD_ARGUMENT',
      `no event falls inside the run (${fmt(run.start)}–${fmt(run.end)} s; events from ${fmt(Math.min(...events.map((e) => e.onset)))} to ` +
        `${fmt(last)} s): are onsets in seconds, and is the TR right?`,
      file ? { file } : {},
    );
  }
  if (late.length) {
    warnings.push(
      `${name}: ${late.length} event(s) start after the run ends at ${fmt(run.end)} s (first at line ${late[0]!.line}, onset ${fmt(late[0]!.onset)} s) and are ignored; check the TR`,
    );
  }
  if (early.length) {
    warnings.push(`${name}: ${early.length} event(s) start more than ${fmt(run.start - run.earliest)} s before the run and are ignored`);
  }
  if (overrun) warnings.push(`${name}: ${overrun} event(s) extend past the end of the run and are truncated`);
  const before = new Set(events.map((e) => e.trialType));
  const after = new Set(kept.map((e) => e.trialType));
  for (const c of before) if (!after.has(c)) warnings.push(`${name}: condition '${c}' has no event inside the run and is left out of the design`);
  return { events: kept, warnings };
}

/** Condition names in design order (sorted by code unit, as numpy's unique). */
export function conditionNames(events: readonly FmriEvent[]): string[] {
  return [...new Set(events.map((e) => e.trialType))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
