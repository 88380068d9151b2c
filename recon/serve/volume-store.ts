/**
 * The worker's volumes, by handle. The renderer holds only `VolumeRef`s
 * (metadata) and fetches voxels on demand; the store keeps the data here, where
 * the engine can use it again (GLM on a reconstruction, NIfTI save).
 */
import type { VolumeRef, VolumeRole, VolumeStats } from '../../shared/api/types.ts';
import type { Volume } from '../../shared/volume.ts';
import { ApiFailure } from './errors.ts';

export interface StoredVolume {
  ref: VolumeRef;
  volume: Volume;
}

/** min, max and the 2nd/98th percentiles of the finite, non-zero voxels of frame 0. */
export function volumeStats(volume: Volume): VolumeStats {
  const [nx, ny, nz] = volume.dims;
  const n = nx * ny * nz;
  const data = volume.data;
  let min = Infinity;
  let max = -Infinity;
  const stride = Math.max(1, Math.floor(n / 200_000));
  const sample: number[] = [];
  for (let v = 0; v < n; v++) {
    const x = data[v]!;
    if (!Number.isFinite(x)) continue;
    if (x < min) min = x;
    if (x > max) max = x;
    if (x !== 0 && v % stride === 0) sample.push(x);
  }
  if (!Number.isFinite(min)) return { min: 0, max: 0, p2: 0, p98: 0 };
  sample.sort((a, b) => a - b);
  const at = (q: number) => (sample.length ? sample[Math.min(sample.length - 1, Math.floor(q * sample.length))]! : 0);
  return { min, max, p2: at(0.02), p98: at(0.98) };
}

export class VolumeStore {
  private readonly byId = new Map<string, StoredVolume>();
  private next = 1;

  add(volume: Volume, meta: { name: string; role: VolumeRole; source: string | null; space?: 'native' | 'MNI' }): VolumeRef {
    const id = `v${this.next++}`;
    const ref: VolumeRef = {
      id,
      name: meta.name,
      role: meta.role,
      dims: [...volume.dims],
      affine: [...volume.affine],
      trSec: volume.trSec ?? null,
      space: meta.space ?? 'native',
      stats: volumeStats(volume),
      source: meta.source,
    };
    this.byId.set(id, { ref, volume });
    return ref;
  }

  get(id: string): StoredVolume {
    const v = this.byId.get(id);
    if (!v) throw new ApiFailure('VOLUME_NOT_FOUND', `no volume '${id}' (it was released, or the worker restarted)`);
    return v;
  }

  release(id: string): boolean {
    return this.byId.delete(id);
  }

  get size(): number {
    return this.byId.size;
  }
}
