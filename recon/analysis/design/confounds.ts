/**
 * Confound regressors (motion parameters, physiological traces...) from a
 * TSV with a header row (fMRIPrep style) or a headerless whitespace table
 * (FSL .par, SPM rp_*.txt). One row per frame.
 */
import { UhfError } from '../../../shared/errors.ts';
import { RESERVED_NAMES } from './events.ts';
import { isNa, parseNumber, parseTsv } from './tsv.ts';

export interface Confounds {
  names: string[];
  columns: Float64Array[];
  warnings: string[];
}

export function parseConfounds(text: string, nFrames: number, file?: string): Confounds {
  const where = file ? { file } : {};
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const tabbed = firstLine.includes('\t');
  const firstCells = tabbed ? firstLine.split('\t').map((c) => c.trim()) : firstLine.trim().split(/\s+/);
  const headerless = firstCells.every((c) => parseNumber(c) !== undefined || isNa(c));
  const body = headerless ? `${firstCells.map((_, i) => `confound_${i + 1}`).join('\t')}\n${text}` : text;
  const table = parseTsv(body, file, { whitespace: !tabbed });
  if (table.header.length === 0 || (table.header.length === 1 && table.header[0] === '')) {
    throw new UhfError('BAD_ARGUMENT', 'confounds table has no columns', where);
  }
  const rows = table.rows;
  if (rows.length !== nFrames) {
    throw new UhfError('SHAPE_MISMATCH', `confounds have ${rows.length} rows but the run has ${nFrames} frames`, where);
  }
  const warnings: string[] = [];
  const names = table.header.map((h, i) => (h === '' ? `confound_${i + 1}` : h));
  for (const n of names) {
    if (RESERVED_NAMES.test(n)) throw new UhfError('BAD_ARGUMENT', `confound column '${n}' clashes with a design column name`, where);
  }
  const columns = names.map((name, j) => {
    const col = new Float64Array(nFrames);
    const missing: number[] = [];
    let sum = 0;
    rows.forEach(({ line, cells }, i) => {
      const cell = cells[j]!;
      const v = parseNumber(cell);
      if (v === undefined) {
        if (!isNa(cell)) throw new UhfError('BAD_ARGUMENT', `line ${line}, column '${name}': '${cell}' is not a number`, where);
        missing.push(i);
      } else {
        col[i] = v;
        sum += v;
      }
    });
    if (missing.length === nFrames) throw new UhfError('BAD_ARGUMENT', `confound column '${name}' has no values`, where);
    if (missing.length) {
      // fMRIPrep leaves derivative columns n/a in the first row: fill with the column mean.
      const mean = sum / (nFrames - missing.length);
      for (const i of missing) col[i] = mean;
      warnings.push(`${file ?? 'confounds'}: column '${name}' has ${missing.length} n/a value(s), replaced by the column mean`);
    }
    return col;
  });
  return { names, columns, warnings };
}
