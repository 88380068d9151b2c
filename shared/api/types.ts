/**
 * The values that travel between the renderer and the engine. Volumes travel as
 * a small `VolumeRef` (metadata, JSON-able) plus their voxels fetched separately
 * as a Float32Array (a transferable buffer, never JSON).
 */
import type { UhfErrorCode } from '../errors.ts';

/** What a volume is, so the UI knows how to show it. */
export type VolumeRole = 'bold' | 'anatomy' | 'stat' | 'tsnr' | 'mask' | 'truth' | 'other';

export interface VolumeStats {
  min: number;
  max: number;
  /** 2nd and 98th percentiles of frame 0 (the initial window). */
  p2: number;
  p98: number;
}

export interface VolumeRef {
  /** Worker-side handle; valid until released or the worker restarts. */
  id: string;
  name: string;
  role: VolumeRole;
  /** [nx, ny, nz, nt]. */
  dims: [number, number, number, number];
  /** 16 numbers, row-major, voxel index → RAS mm. */
  affine: number[];
  trSec: number | null;
  space: 'native' | 'MNI';
  stats: VolumeStats;
  /** The file it was read from or reconstructed from. */
  source: string | null;
}

export interface AppInfo {
  version: string;
  host: 'electron' | 'serve';
  platform: string;
  /** Directories whose files the app may open without a dialog. */
  roots: string[];
  /** True until the first-launch demo has run once (Electron settings; always false in serve). */
  firstLaunch: boolean;
  /** Native file dialogs exist (Electron); otherwise the renderer lists files itself. */
  nativeDialogs: boolean;
}

export type FileKind = 'dir' | 'raw' | 'nifti' | 'events' | 'workspace' | 'other';

export interface FileEntry {
  name: string;
  path: string;
  kind: FileKind;
  bytes: number;
}

export interface FileListing {
  dir: string;
  parent: string | null;
  entries: FileEntry[];
}

export type PickKind = 'raw' | 'nifti' | 'events' | 'workspace' | 'data';

export type CombineMethod = 'rss' | 'walsh' | 'inati';
export type PiMethod = 'auto' | 'none' | 'grappa' | 'sense';
export type BackendChoice = 'auto' | 'cpu' | 'webgpu';

export interface ReconSettings {
  combine: CombineMethod;
  pi: PiMethod;
  backend: BackendChoice;
  /** Virtual coils after compression; null = no compression. */
  coils: number | null;
}

export interface RawSummary {
  file: string;
  fieldStrengthT: number | null;
  receiverChannels: number | null;
  encodedMatrix: [number, number, number];
  reconMatrix: [number, number, number];
  fovMm: [number, number, number];
  slices: number;
  repetitions: number;
  acceleration: [number, number];
  calibrationMode: string | null;
  trajectory: string;
  acquisitions: number;
  noiseAcquisitions: number;
  protocolName: string | null;
  systemModel: string | null;
}

export interface ReconPrefill {
  summary: RawSummary;
  /** Settings suggested from the header, each with the reason. */
  suggested: ReconSettings;
  reasons: string[];
}

export interface ReconOutcome {
  volumes: VolumeRef[];
  backend: string;
  backendReason: string;
  threads: number;
  /** Wall time per stage, ms. */
  timingsMs: Record<string, number>;
  warnings: string[];
}

export interface DemoFiles {
  dir: string;
  raw: string;
  events: string;
  /** Where the simulator placed the activation (ground truth, not a result). */
  activationTruth: string;
  simulated: boolean;
}

export interface GlmSettings {
  boldId: string;
  events: string;
  /** "NAME=EXPR"; empty: one contrast per condition. */
  contrasts: string[];
  fwhmMm: number;
  pThreshold: number;
  clusterMinSize: number;
  noise: 'ar1' | 'ols';
  highPassSec: number;
  twoSided: boolean;
}

export interface GlmEvent {
  onset: number;
  duration: number;
  trialType: string;
}

export interface GlmClusterRow {
  id: number;
  sign: 1 | -1;
  size: number;
  peakZ: number;
  peakMm: [number, number, number];
  label: string | null;
}

export interface GlmContrastOutcome {
  name: string;
  expression: string;
  kind: 't' | 'F';
  /** The z map (a VolumeRef with role 'stat'). */
  z: VolumeRef;
  thresholdZ: number;
  fdrZ: number | null;
  maxZ: number | null;
  clusters: GlmClusterRow[];
}

export interface DesignSummary {
  names: string[];
  kinds: string[];
  conditions: string[];
  nFrames: number;
  nColumns: number;
  /** nFrames × nColumns, row-major. */
  values: Float64Array;
  frameTimes: Float64Array;
}

export interface GlmOutcome {
  contrasts: GlmContrastOutcome[];
  design: DesignSummary;
  events: GlmEvent[];
  tsnr: VolumeRef;
  mask: VolumeRef;
  dof: number;
  warnings: string[];
  timingsSec: Record<string, number>;
}

export interface VolumeData {
  id: string;
  /** [x y z t], x fastest. */
  data: Float32Array;
}

export interface OverlaySettings {
  volumeId: string | null;
  positive: number;
  negative: number;
  showNegative: boolean;
  colormap: 'hot' | 'warm' | 'red';
  negativeColormap: 'cool' | 'blue';
  opacity: number;
  minClusterSize: number;
}

/** A workspace file: what is open and how it is shown, never the voxels. */
export interface WorkspaceDoc {
  format: 'uhf-workspace';
  version: 1;
  files: { path: string; role: VolumeRole }[];
  events: string | null;
  view: {
    crosshairMm: [number, number, number];
    frame: number;
    window: [number, number] | null;
    colormap: string;
    radiological: boolean;
  };
  overlay: { positive: number; negative: number; showNegative: boolean; opacity: number; minClusterSize: number; colormap: string };
  analysis: { contrasts: string[]; fwhmMm: number; pThreshold: number; clusterMinSize: number; noise: 'ar1' | 'ols'; highPassSec: number; twoSided: boolean } | null;
}

export interface Settings {
  firstLaunchDone: boolean;
  recent: string[];
  lastDir: string | null;
  radiological: boolean;
  recon: ReconSettings;
}

// ----------------------------------------------------------------- messages

/** Error codes that only the app layer produces, beside the engine's. */
export type ApiOnlyErrorCode =
  | 'API_BAD_REQUEST'
  | 'API_FORBIDDEN'
  | 'API_UNKNOWN_METHOD'
  | 'WORKER_CRASHED'
  | 'WORKER_OUT_OF_MEMORY'
  | 'NOT_AVAILABLE'
  | 'VOLUME_NOT_FOUND';

export type ApiErrorCode = UhfErrorCode | ApiOnlyErrorCode;

export interface ApiErrorPayload {
  code: ApiErrorCode;
  message: string;
  file?: string;
  /** The failure may go away on the CPU backend (GPU lost, worker crash, OOM). */
  retryOnCpu?: boolean;
}

export interface ProgressEvent {
  type: 'progress';
  jobId: string;
  stage: string;
  /** 0..1 */
  fraction: number;
  /** Seconds left, estimated from the rate so far; null early on. */
  etaSec: number | null;
}

export interface WorkerStateEvent {
  type: 'worker';
  state: 'ready' | 'crashed';
  message: string;
}

export type ApiEvent = ProgressEvent | WorkerStateEvent;

/** Renderer → host. `jobId` names a long call so it can report progress and be cancelled. */
export interface CallEnvelope {
  id: number;
  method: string;
  args: unknown;
  jobId?: string;
}

export type ReplyEnvelope = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: ApiErrorPayload };
