/** What a reconstruction may be asked to do; every field has a default. */
import type { CombineMethod, PartialFourierMethod } from './reconstruct-image.ts';

export type PiMethod = 'auto' | 'none' | 'grappa' | 'sense';
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

export interface ReconOptions {
  combine?: CombineMethod;
  partialFourier?: PartialFourierMethod;
  /** 'auto': prewhiten when the file has noise readouts. */
  prewhiten?: 'auto' | 'off';
  /** Compress to this many virtual coils (SVD), before reconstruction. */
  coils?: number;
  /** Also produce a phase image (needs map-based combination). */
  phase?: boolean;
  pi?: PiMethod;
  /** Also produce g-factor maps (parallel imaging only), one per slice. */
  gfactor?: boolean;
  backend?: BackendChoice;
  /** Worker threads for image reconstruction; default: all cores. 0 = in the calling thread. */
  workers?: number;
  /** Rows per read. */
  blockSize?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface Progress {
  stage: string;
  /** 0..1 over the whole job. */
  fraction: number;
}

type Defaulted = 'combine' | 'partialFourier' | 'prewhiten' | 'phase' | 'pi' | 'backend' | 'blockSize';
export type ResolvedOptions = ReconOptions & Required<Pick<ReconOptions, Defaulted>>;

export const DEFAULTS: Required<Pick<ReconOptions, Defaulted>> = {
  combine: 'rss',
  partialFourier: 'pocs',
  prewhiten: 'auto',
  phase: false,
  pi: 'auto',
  backend: 'auto',
  blockSize: 256,
};
