/**
 * A tiny runtime schema library for the API contract: every argument that
 * crosses a process boundary is parsed by one of these before it is used, and
 * the TypeScript type of the parsed value is inferred from the same schema, so
 * the check and the type cannot drift apart. No Node, no DOM.
 */

export class SchemaError extends Error {
  constructor(readonly path: string, message: string) {
    super(`${path || 'arguments'}: ${message}`);
    this.name = 'SchemaError';
  }
}

export interface Schema<T> {
  /** Returns a fresh, validated value (unknown keys are rejected, never copied). */
  parse(value: unknown, path?: string): T;
  readonly kind: string;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

const describe = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export function str(opts: { max?: number; min?: number; pattern?: RegExp } = {}): Schema<string> {
  const max = opts.max ?? 4096;
  return {
    kind: 'string',
    parse(v, path = '') {
      if (typeof v !== 'string') throw new SchemaError(path, `expected a string, got ${describe(v)}`);
      if (v.length > max) throw new SchemaError(path, `string longer than ${max} characters`);
      if (opts.min !== undefined && v.length < opts.min) throw new SchemaError(path, `string shorter than ${opts.min} characters`);
      if (v.includes('\0')) throw new SchemaError(path, 'string contains a NUL character');
      if (opts.pattern && !opts.pattern.test(v)) throw new SchemaError(path, `'${v.slice(0, 40)}' is not of the expected form`);
      return v;
    },
  };
}

export function num(opts: { min?: number; max?: number; integer?: boolean } = {}): Schema<number> {
  return {
    kind: 'number',
    parse(v, path = '') {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new SchemaError(path, `expected a finite number, got ${describe(v)}`);
      if (opts.integer && !Number.isInteger(v)) throw new SchemaError(path, `expected an integer, got ${v}`);
      if (opts.min !== undefined && v < opts.min) throw new SchemaError(path, `${v} is below the minimum ${opts.min}`);
      if (opts.max !== undefined && v > opts.max) throw new SchemaError(path, `${v} is above the maximum ${opts.max}`);
      return v;
    },
  };
}

export function bool(): Schema<boolean> {
  return {
    kind: 'boolean',
    parse(v, path = '') {
      if (typeof v !== 'boolean') throw new SchemaError(path, `expected a boolean, got ${describe(v)}`);
      return v;
    },
  };
}

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return {
    kind: `enum(${values.join('|')})`,
    parse(v, path = '') {
      if (typeof v !== 'string' || !values.includes(v)) throw new SchemaError(path, `expected one of ${values.join(', ')}, got ${typeof v === 'string' ? `'${v.slice(0, 40)}'` : describe(v)}`);
      return v as T[number];
    },
  };
}

export function arr<T>(item: Schema<T>, opts: { max?: number; min?: number; length?: number } = {}): Schema<T[]> {
  const max = opts.max ?? 1024;
  return {
    kind: `array<${item.kind}>`,
    parse(v, path = '') {
      if (!Array.isArray(v)) throw new SchemaError(path, `expected an array, got ${describe(v)}`);
      if (opts.length !== undefined && v.length !== opts.length) throw new SchemaError(path, `expected ${opts.length} items, got ${v.length}`);
      if (v.length > max) throw new SchemaError(path, `more than ${max} items`);
      if (opts.min !== undefined && v.length < opts.min) throw new SchemaError(path, `fewer than ${opts.min} items`);
      return v.map((x, i) => item.parse(x, `${path}[${i}]`));
    },
  };
}

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    kind: `${inner.kind}|null`,
    parse(v, path = '') {
      return v === null ? null : inner.parse(v, path);
    },
  };
}

/** Marks an object key as optional (it may be absent or undefined). */
export interface Optional<T> extends Schema<T | undefined> {
  readonly optional: true;
}

export function optional<T>(inner: Schema<T>): Optional<T> {
  return {
    kind: `${inner.kind}?`,
    optional: true,
    parse(v, path = '') {
      return v === undefined ? undefined : inner.parse(v, path);
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends Optional<unknown> ? K : never }[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

export function obj<S extends Shape>(shape: S): Schema<ObjectOf<S>> {
  return {
    kind: 'object',
    parse(v, path = '') {
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SchemaError(path, `expected an object, got ${describe(v)}`);
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) throw new SchemaError(path, 'expected a plain object');
      const input = v as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (!Object.hasOwn(shape, key)) throw new SchemaError(path ? `${path}.${key}` : key, 'unexpected key');
      }
      const out: Record<string, unknown> = {};
      for (const [key, schema] of Object.entries(shape)) {
        const parsed = schema.parse(input[key], path ? `${path}.${key}` : key);
        if (parsed !== undefined) out[key] = parsed;
      }
      return out as ObjectOf<S>;
    },
  };
}
