/** HRF, drift, events, confounds and contrasts: the pieces of the design. */
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultContrastSpecs } from '../../recon/analysis/analyse.ts';
import { compileContrast, splitContrastSpec } from '../../recon/analysis/contrasts/parse.ts';
import { parseConfounds } from '../../recon/analysis/design/confounds.ts';
import { cosineDrift, cosineDriftCount } from '../../recon/analysis/design/drift.ts';
import { eventsInRun, parseEventsTsv } from '../../recon/analysis/design/events.ts';
import { spmHrf, spmTimeDerivative } from '../../recon/analysis/design/hrf.ts';
import { buildDesign, designColumn, formatDesignTsv } from '../../recon/analysis/design/matrix.ts';
import { designSvg } from '../../recon/analysis/design/svg.ts';
import { isUhfError } from '../../shared/errors.ts';
import { runPythonJson } from '../helpers/python.ts';
import { maxAbsDiff } from './helpers.ts';

function expectError(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isUhfError(e), String(e)).toBe(true);
    expect((e as Error).message).toMatch(pattern);
    return;
  }
  throw new Error(`expected an error matching ${pattern}`);
}

describe('SPM canonical HRF', () => {
  let ref: { hrf: number[]; deriv: number[]; peak: number };
  beforeAll(async () => {
    // spm_hrf(dt) with p = [6 16 1 1 6 0 32], written out with scipy's gamma density.
    ref = await runPythonJson(String.raw`
import numpy as np
from scipy.stats import gamma
dt = INPUT
def h(onset):
    t = np.arange(0, int(np.ceil(32 / dt)) + 1) * dt - onset
    v = gamma.pdf(t, 6) - gamma.pdf(t, 16) / 6
    return v / v.sum()
emit({'hrf': h(0), 'deriv': h(0) - h(1), 'peak': float(np.argmax(h(0)) * dt)})
`, 2 / 16);
  });

  it('equals spm_hrf with default parameters, and its derivative', () => {
    const h = spmHrf(2 / 16);
    expect(h.length).toBe(ref.hrf.length);
    expect(maxAbsDiff(h, ref.hrf)).toBeLessThan(1e-14);
    expect(maxAbsDiff(spmTimeDerivative(2 / 16), ref.deriv)).toBeLessThan(1e-14);
    expect(h.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(ref.peak).toBeCloseTo(5, 0); // peak ~5 s, undershoot after
  });
});

describe('cosine drift', () => {
  it('keeps every period ≥ the cut-off, as spm_dctmtx', () => {
    // SPM: fix(2·300·2/128 + 1) = 10 columns with the constant → 9 cosines.
    expect(cosineDriftCount(300, 2, 128)).toBe(9);
    expect(cosineDriftCount(300, 2, 128, 'nipy')).toBe(8);
    expect(cosineDriftCount(300, 2, Infinity)).toBe(0);
    const { columns, names } = cosineDrift(100, 1.5, 100);
    expect(names).toEqual(['drift_1', 'drift_2', 'drift_3']);
    // Orthonormal columns.
    for (const a of columns) for (const b of columns) {
      const dot = a.reduce((s, x, i) => s + x * b[i]!, 0);
      expect(dot).toBeCloseTo(a === b ? 1 : 0, 12);
    }
  });
});

describe('events.tsv', () => {
  it('parses onset, duration, trial_type, modulation and n/a', () => {
    const { events, warnings } = parseEventsTsv('onset\tduration\ttrial_type\tmodulation\n1.5\t3\tfaces\t2\n4\tn/a\thouses\tn/a\n9\t1\tn/a\t1\n');
    expect(events).toEqual([
      { onset: 1.5, duration: 3, trialType: 'faces', modulation: 2, line: 2 },
      { onset: 4, duration: 0, trialType: 'houses', modulation: 1, line: 3 },
    ]);
    expect(warnings.join('\n')).toMatch(/trial_type n\/a ignored/);
    expect(warnings.join('\n')).toMatch(/duration n\/a/);
  });

  it('rejects malformed tables with the line', () => {
    expectError(() => parseEventsTsv('onset\ttrial_type\n1\ta\n'), /no duration column/);
    expectError(() => parseEventsTsv('onset\tduration\ttrial_type\n1\tx\ta\n'), /line 2: duration 'x'/);
    expectError(() => parseEventsTsv('onset\tduration\ttrial_type\n1\t-2\ta\n'), /negative duration/);
    expectError(() => parseEventsTsv('onset\tduration\ttrial_type\n1 2 a\n'), /line 2 has 1 columns/);
    expectError(() => parseEventsTsv('onset\tduration\ttrial_type\n1\t2\tconstant\n'), /clashes/);
  });

  it('drops events outside the run with a warning and refuses a run without any', () => {
    const { events } = parseEventsTsv('onset\tduration\ttrial_type\n10\t5\ta\n95\t10\ta\n150\t5\tb\n-40\t5\ta\n');
    const r = eventsInRun(events, { start: 0, end: 100, earliest: -24 });
    expect(r.events.map((e) => e.onset)).toEqual([10, 95]);
    const w = r.warnings.join('\n');
    expect(w).toMatch(/1 event\(s\) start after the run ends at 100 s.*check the TR/);
    expect(w).toMatch(/more than 24 s before the run/);
    expect(w).toMatch(/extend past the end of the run/);
    expect(w).toMatch(/condition 'b' has no event inside the run/);
    expectError(() => eventsInRun(events.slice(2, 3), { start: 0, end: 100, earliest: -24 }), /no event falls inside the run.*TR/);
  });
});

describe('confounds', () => {
  it('reads fMRIPrep TSVs (n/a → column mean) and headerless .par files', () => {
    const c = parseConfounds('trans_x\trot_z_derivative1\n0.1\tn/a\n0.2\t0.5\n0.3\t1.5\n', 3);
    expect(c.names).toEqual(['trans_x', 'rot_z_derivative1']);
    expect(Array.from(c.columns[1]!)).toEqual([1, 0.5, 1.5]);
    expect(c.warnings.join()).toMatch(/1 n\/a value/);
    const par = parseConfounds('  0.1  0.2 -0.3\n 0.0 1e-3 2\n', 2);
    expect(par.names).toEqual(['confound_1', 'confound_2', 'confound_3']);
    expect(Array.from(par.columns[2]!)).toEqual([-0.3, 2]);
    expectError(() => parseConfounds('a\n1\n2\n', 3), /2 rows but the run has 3 frames/);
    expectError(() => parseConfounds('a\tb\n1\tx\n', 1), /'x' is not a number/);
  });
});

describe('design matrix', () => {
  const events = parseEventsTsv('onset\tduration\ttrial_type\n10\t20\tfaces\n50\t20\thouses\n90\t20\tfaces\n').events;

  it('has conditions (sorted), confounds, drifts and a constant, with block plateaus ≈ 1', () => {
    const confounds = parseConfounds('motion\n' + Array.from({ length: 60 }, (_, i) => String(Math.sin(i))).join('\n'), 60);
    const d = buildDesign({ nFrames: 60, tr: 2, events, hrf: 'spm+derivative', highPassSec: 100, confounds });
    expect(d.names).toEqual(['faces', 'faces_derivative', 'houses', 'houses_derivative', 'motion', 'drift_1', 'drift_2', 'constant']);
    expect(d.rank).toBe(8);
    const faces = designColumn(d, 0);
    // 20 s block from 10 s: frames 15..20 (30–40 s) sit on the plateau.
    expect(Math.max(...faces.subarray(14, 21))).toBeGreaterThan(0.95);
    expect(faces[3]).toBeLessThan(1e-3); // before the first onset
    // The derivative is orthogonal to its condition.
    const der = designColumn(d, 1);
    expect(Math.abs(faces.reduce((s, x, i) => s + x * der[i]!, 0))).toBeLessThan(1e-12);
    expect(formatDesignTsv(d).split('\n')[0]).toBe(d.names.join('\t'));
    const svg = designSvg(d);
    expect(svg).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('>faces_derivative</text>');
  });

  it('shifts regressors with the slice-time reference', () => {
    const a = designColumn(buildDesign({ nFrames: 60, tr: 2, events, sliceTimeRef: 0 }), 0);
    const b = designColumn(buildDesign({ nFrames: 60, tr: 2, events, sliceTimeRef: 0.5 }), 0);
    // Rising edge: a frame sampled 1 s later sees more response.
    expect(b[7]!).toBeGreaterThan(a[7]!);
  });
});

describe('contrast expressions', () => {
  const cols = ['faces', 'houses', 'face-famous', 'motion', 'constant'];
  const w = (expr: string) => Array.from(compileContrast('c', expr, cols, ['faces', 'houses', 'face-famous']).weights);

  it('compile linear expressions over column names', () => {
    expect(w('faces - houses')).toEqual([1, -1, 0, 0, 0]);
    expect(w('0.5*faces + 0.5*houses')).toEqual([0.5, 0.5, 0, 0, 0]);
    expect(w('2 faces - (houses + `face-famous`)/2')).toEqual([2, -0.5, -0.5, 0, 0]);
    expect(w('-faces')).toEqual([-1, 0, 0, 0, 0]);
    const f = compileContrast('any', 'F(faces, houses)', cols);
    expect(f.kind).toBe('F');
    expect(f.q).toBe(2);
    expect(Array.from(f.weights)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(compileContrast('any', 'faces; houses', cols).q).toBe(2);
    expect(splitContrastSpec('diff=faces - houses')).toEqual({ name: 'diff', expression: 'faces - houses' });
    expect(splitContrastSpec('faces - houses').name).toBe('faces_minus_houses');
  });

  it('reject unknown conditions, non-linear terms and constants', () => {
    expectError(() => w('faces - cars'), /unknown condition 'cars' in contrast 'c' \(conditions: faces, houses, face-famous\)/);
    expectError(() => w('faces * houses'), /product of two columns/);
    expectError(() => w('faces + 1'), /constant term/);
    expectError(() => w('faces - faces'), /weighs no column/);
    expectError(() => w('faces -'), /unexpected end/);
    expectError(() => splitContrastSpec('a/b=faces'), /contrast name/);
  });
});

describe('default contrasts', () => {
  it('one per condition, named after it (file-name safe), quoted when needed', () => {
    expect(defaultContrastSpecs(['faces', 'face-famous', 'two words', '_x'])).toEqual([
      'faces=faces',
      'face-famous=`face-famous`',
      'two_words=`two words`',
      'c_x=_x',
    ]);
  });
});
