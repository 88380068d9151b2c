/** Minimal TSV reading shared by events.tsv and confounds files (BIDS: tab-separated, header row, "n/a"). */
import { UhfError } from '../../../shared/errors.ts';

export interface TsvTable {
  header: string[];
  /** Data rows with their 1-based line numbers in the file. */
  rows: { line: number; cells: string[] }[];
}

/** Split into header + rows; blank lines are skipped; every row must have the header's width. */
export function parseTsv(text: string, file: string | undefined, options: { whitespace?: boolean } = {}): TsvTable {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n|\r/);
  const split = (s: string) => (options.whitespace ? s.trim().split(/\s+/) : s.split('\t').map((c) => c.trim()));
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '') {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new UhfError('BAD_ARGUMENT', 'empty table', file ? { file } : {});
  const header = split(lines[headerLine]!);
  const rows: TsvTable['rows'] = [];
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    const cells = split(raw);
    if (cells.length !== header.length) {
      throw new UhfError(
        'BAD_ARGUMENT',
        `line ${i + 1} has ${cells.length} columns but the header has ${header.length}` +
          (options.whitespace ? '' : ' (columns must be separated by tabs)'),
        file ? { file } : {},
      );
    }
    rows.push({ line: i + 1, cells });
  }
  return { header, rows };
}

export function isNa(cell: string): boolean {
  return cell === 'n/a' || cell === 'NaN' || cell === 'nan' || cell === '';
}

/** A finite number, or undefined when the cell is not one. */
export function parseNumber(cell: string): number | undefined {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(cell)) return undefined;
  const v = Number(cell);
  return Number.isFinite(v) ? v : undefined;
}
