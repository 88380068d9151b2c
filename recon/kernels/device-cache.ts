/**
 * Calibration data kept on a backend between images: the GRAPPA weights, SENSE
 * unfolding weights or maps of a slice are uploaded once and serve every
 * image (every frame of a time series) of that slice, within a byte budget.
 *
 * Entries are keyed by an owner object (a PiCalibration) and a string. An entry
 * in use (acquired, not yet released) is never freed, so images in flight at
 * the same time can share it; unused entries are freed, least recently used
 * first, when the budget is exceeded. Budget 0: every array is freed on release.
 */
import type { DeviceArray, KernelSet } from './types.ts';

interface Entry<A> {
  array: A;
  bytes: number;
  refs: number;
}

export class DeviceCache<A extends DeviceArray> {
  private readonly entries = new Map<string, Entry<A>>();
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;
  private bytes = 0;

  constructor(private readonly k: KernelSet<A>, readonly budgetBytes: number) {}

  /** The array for (owner, key), made with `make` when absent; release it when done. */
  acquire(owner: object, key: string, make: () => A): A {
    let id = this.ids.get(owner);
    if (id === undefined) this.ids.set(owner, (id = this.nextId++));
    const name = `${id}:${key}`;
    let e = this.entries.get(name);
    if (e) this.entries.delete(name);
    else {
      const array = make();
      e = { array, bytes: 4 * array.length, refs: 0 };
      this.bytes += e.bytes;
    }
    // Map order is the use order: re-inserted last
    this.entries.set(name, e);
    e.refs++;
    return e.array;
  }

  release(array: A): void {
    for (const e of this.entries.values()) {
      if (e.array === array && e.refs > 0) {
        e.refs--;
        break;
      }
    }
    this.evict();
  }

  /** Frees every entry (call when no image is in flight). */
  clear(): void {
    for (const e of this.entries.values()) this.k.free(e.array);
    this.entries.clear();
    this.bytes = 0;
  }

  private evict(): void {
    for (const [name, e] of this.entries) {
      if (this.bytes <= this.budgetBytes) return;
      if (e.refs > 0) continue;
      this.k.free(e.array);
      this.entries.delete(name);
      this.bytes -= e.bytes;
    }
  }
}
