/**
 * Run Debian's system Python (which has nibabel/numpy, unlike a pyenv
 * `python3` that may come first on PATH) and get JSON back.
 *
 * The script sees `INPUT` (the JSON value passed in, via stdin) and calls
 * `emit(value)` once; numpy arrays/scalars become lists/numbers and
 * non-finite floats travel as the strings "NaN", "Infinity", "-Infinity",
 * which `runPythonJson` turns back into numbers.
 */
import { spawn, spawnSync } from 'node:child_process';

export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Set UHF_SKIP_NIBABEL=1 to skip nibabel comparisons on machines without it (never implicit). */
export const SKIP_NIBABEL = process.env.UHF_SKIP_NIBABEL === '1';

const PRELUDE = String.raw`
import json, math, sys
INPUT = json.loads(sys.stdin.read() or 'null')
def _clean(v):
    if hasattr(v, 'tolist'):
        v = v.tolist()
    if isinstance(v, float):
        if math.isnan(v): return 'NaN'
        if math.isinf(v): return 'Infinity' if v > 0 else '-Infinity'
        return v
    if isinstance(v, bytes):
        return v.decode('utf-8', 'replace')
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v
def emit(value):
    sys.stdout.write('\n' + json.dumps(_clean(value), allow_nan=False) + '\n')
`;

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };

export function parsePythonJson<T>(text: string): T {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'string' && value in NON_FINITE ? NON_FINITE[value] : value,
  ) as T;
}

/** Run `script` (after the prelude) and return what it emitted. Rejects with stderr on failure. */
export function runPythonJson<T = unknown>(script: string, input?: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, ['-c', `${PRELUDE}\n${script}`], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? 60_000,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code !== 0) {
        reject(new Error(`${SYSTEM_PYTHON} exited with ${code ?? signal}:\n${stderr}`));
        return;
      }
      const last = stdout.trimEnd().split('\n').pop() ?? '';
      try {
        resolve(parsePythonJson<T>(last));
      } catch (e) {
        reject(new Error(`no JSON from python (${(e as Error).message}); stdout:\n${stdout}\nstderr:\n${stderr}`));
      }
    });
    child.stdin.end(JSON.stringify(input ?? null));
  });
}

/** Whether the system Python can import all of `modules` (synchronous, for skip decisions). */
export function pythonHasModules(modules: readonly string[]): boolean {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { timeout: 30_000 });
  return r.status === 0;
}
