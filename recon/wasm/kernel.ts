/**
 * One exported function of a one-function WebAssembly module, with its own
 * growable memory: how the small SIMD kernels (Gram matrix, ESPIRiT) are built.
 */
import { encodeModule, type Func } from './encoder.ts';
import { wasmApi, type WasmMemory } from './api.ts';

export interface WasmKernel {
  readonly memory: WasmMemory;
  /** Ensures the memory holds at least `bytes`; false if it cannot grow. */
  ensure(bytes: number): boolean;
  /** The exported function. */
  readonly fn: (...args: number[]) => void;
}

/** The kernel, or null where WebAssembly SIMD is unavailable or the module does not validate. */
export function instantiateKernel(func: Func, name: string, initialPages: number): WasmKernel | null {
  const api = wasmApi();
  if (api === undefined) return null;
  try {
    const bytes = encodeModule([func]);
    if (!api.validate(bytes)) return null;
    const memory = new api.Memory({ initial: initialPages });
    const inst = new api.Instance(new api.Module(bytes), { env: { memory } });
    const fn = (inst.exports as Record<string, ((...args: number[]) => void) | undefined>)[name];
    if (!fn) return null;
    return {
      memory,
      ensure(bytes: number): boolean {
        if (bytes > 2 ** 31 - 65536) return false;
        const have = memory.buffer.byteLength;
        if (bytes <= have) return true;
        try {
          memory.grow(Math.ceil((bytes - have) / 65536));
        } catch {
          return false;
        }
        return true;
      },
      fn,
    };
  } catch {
    return null;
  }
}
