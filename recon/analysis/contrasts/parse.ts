/**
 * Contrasts from expressions over design column names, e.g.
 *   "faces - houses", "0.5*faces + 0.5*houses", "2 faces - (houses + cars)"
 * (t contrasts), and "F(faces, houses)" or "faces; houses" (F contrasts, one
 * row per expression). Names are identifiers ([A-Za-z_][A-Za-z0-9_.]*) or
 * any text in backticks (`face-famous`). Expressions must be linear with no
 * constant term.
 */
import { UhfError } from '../../../shared/errors.ts';

export type ContrastKind = 't' | 'F';

export interface ContrastDef {
  name: string;
  expression: string;
  kind: ContrastKind;
  /** q × p row-major weights over the design columns. */
  weights: Float64Array;
  q: number;
}

type Token = { type: 'num'; value: number } | { type: 'name'; value: string } | { type: 'op'; value: string };

function tokenize(expr: string, context: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if ('+-*/()'.includes(c)) {
      tokens.push({ type: 'op', value: c });
      i++;
      continue;
    }
    if (c === '`') {
      const end = expr.indexOf('`', i + 1);
      if (end < 0) throw new UhfError('BAD_ARGUMENT', `unclosed \` in ${context}`);
      tokens.push({ type: 'name', value: expr.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(expr.slice(i));
    if (num) {
      tokens.push({ type: 'num', value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(expr.slice(i));
    if (id) {
      tokens.push({ type: 'name', value: id[0] });
      i += id[0].length;
      continue;
    }
    throw new UhfError('BAD_ARGUMENT', `unexpected '${c}' in ${context} (quote names with other characters in backticks)`);
  }
  return tokens;
}

/** A linear form: constant + Σ coef·column. */
interface Linear {
  constant: number;
  coefs: Map<string, number>;
}

const isConst = (l: Linear) => [...l.coefs.values()].every((v) => v === 0);

function scale(l: Linear, k: number): Linear {
  return { constant: l.constant * k, coefs: new Map([...l.coefs].map(([n, v]) => [n, v * k])) };
}

function add(a: Linear, b: Linear, sign: number): Linear {
  const coefs = new Map(a.coefs);
  for (const [n, v] of b.coefs) coefs.set(n, (coefs.get(n) ?? 0) + sign * v);
  return { constant: a.constant + sign * b.constant, coefs };
}

function parseLinear(expr: string, context: string): Linear {
  const tokens = tokenize(expr, context);
  let pos = 0;
  const peek = () => tokens[pos];
  const fail = (msg: string): never => {
    throw new UhfError('BAD_ARGUMENT', `${msg} in ${context}`);
  };
  const sum = (): Linear => {
    let left = product();
    for (let t = peek(); t?.type === 'op' && (t.value === '+' || t.value === '-'); t = peek()) {
      pos++;
      left = add(left, product(), t.value === '+' ? 1 : -1);
    }
    return left;
  };
  const product = (): Linear => {
    let left = unary();
    for (;;) {
      const t = peek();
      const explicit = t?.type === 'op' && (t.value === '*' || t.value === '/');
      // Implicit multiplication: "2 faces", "0.5(a + b)".
      const implicit = t !== undefined && (t.type === 'name' || t.type === 'num' || (t.type === 'op' && t.value === '('));
      if (!explicit && !implicit) return left;
      if (explicit) pos++;
      const right = unary();
      if (explicit && t.value === '/') {
        if (!isConst(right)) fail('division by a column');
        if (right.constant === 0) fail('division by zero');
        left = scale(left, 1 / right.constant);
      } else if (isConst(left)) left = scale(right, left.constant);
      else if (isConst(right)) left = scale(left, right.constant);
      else fail('product of two columns (contrasts are linear)');
    }
  };
  const unary = (): Linear => {
    const t = peek();
    if (t === undefined) return fail('unexpected end');
    pos++;
    if (t.type === 'op' && (t.value === '-' || t.value === '+')) return scale(unary(), t.value === '-' ? -1 : 1);
    if (t.type === 'num') return { constant: t.value, coefs: new Map() };
    if (t.type === 'name') return { constant: 0, coefs: new Map([[t.value, 1]]) };
    if (t.type === 'op' && t.value === '(') {
      const inner = sum();
      const close = peek();
      if (close?.type !== 'op' || close.value !== ')') fail("missing ')'");
      pos++;
      return inner;
    }
    return fail(`unexpected '${t.value}'`);
  };
  if (tokens.length === 0) fail('empty expression');
  const result = sum();
  if (pos < tokens.length) {
    const t = tokens[pos]!;
    fail(`unexpected '${String(t.value)}'`);
  }
  return result;
}

/** Split "NAME=EXPR" (NAME must be a safe file-name stem); a bare EXPR is named after itself. */
export function splitContrastSpec(spec: string): { name: string; expression: string } {
  const eq = spec.indexOf('=');
  if (eq < 0) return { name: safeName(spec), expression: spec.trim() };
  const name = spec.slice(0, eq).trim();
  const expression = spec.slice(eq + 1).trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(name)) {
    throw new UhfError('BAD_ARGUMENT', `contrast name '${name}' must start with a letter or digit and use only letters, digits, _ . + -`);
  }
  if (!expression) throw new UhfError('BAD_ARGUMENT', `contrast '${name}' has an empty expression`);
  return { name, expression };
}

/** A file-name-safe contrast name derived from free text. */
export function safeName(text: string): string {
  const s = text
    .trim()
    .replace(/\s*-\s*/g, '_minus_')
    .replace(/\s*\+\s*/g, '_plus_')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/^[_.-]+|[_.-]+$/g, '');
  return s || 'contrast';
}

/**
 * Weights of an expression over `columns`. Unknown names are an error that
 * lists the conditions (and other columns) that exist.
 */
export function compileContrast(name: string, expression: string, columns: readonly string[], conditions: readonly string[] = []): ContrastDef {
  const context = `contrast '${name}'`;
  let rows: string[];
  let kind: ContrastKind = 't';
  const fcall = /^F\s*\((.*)\)\s*$/s.exec(expression);
  if (fcall) {
    rows = fcall[1]!.split(',');
    kind = 'F';
  } else if (expression.includes(';')) {
    rows = expression.split(';');
    kind = 'F';
  } else rows = [expression];
  rows = rows.map((r) => r.trim());
  if (rows.some((r) => r === '')) throw new UhfError('BAD_ARGUMENT', `empty row in ${context}`);
  const p = columns.length;
  const weights = new Float64Array(rows.length * p);
  rows.forEach((row, r) => {
    const lin = parseLinear(row, context);
    if (lin.constant !== 0) throw new UhfError('BAD_ARGUMENT', `${context} has a constant term (${lin.constant}); contrasts weigh columns only`);
    for (const [col, w] of lin.coefs) {
      const j = columns.indexOf(col);
      if (j < 0) {
        const known = conditions.length ? `conditions: ${conditions.join(', ')}` : `columns: ${columns.join(', ')}`;
        throw new UhfError('BAD_ARGUMENT', `unknown condition '${col}' in ${context} (${known})`);
      }
      weights[r * p + j] = weights[r * p + j]! + w;
    }
    let any = false;
    for (let j = 0; j < p; j++) if (weights[r * p + j] !== 0) any = true;
    if (!any) throw new UhfError('BAD_ARGUMENT', `${context}: '${row}' weighs no column (all weights cancel)`);
  });
  return { name, expression, kind, weights, q: rows.length };
}
