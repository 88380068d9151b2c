import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate } from '../../recon/fft/codegen.ts';
import { buildWasmBytes, wasmApi } from '../../recon/fft/wasm-kernels.ts';

describe('FFT code generation', () => {
  it('recon/fft/codelets.ts is up to date with codegen.ts', () => {
    const onDisk = readFileSync(new URL('../../recon/fft/codelets.ts', import.meta.url), 'utf8');
    expect(onDisk === generate(), 'run: npx tsx recon/fft/codegen.ts > recon/fft/codelets.ts').toBe(true);
  });

  it('the WebAssembly kernel module validates', () => {
    const WA = wasmApi();
    expect(WA).toBeDefined();
    expect(WA!.validate(buildWasmBytes())).toBe(true);
  });
});
