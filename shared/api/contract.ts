/**
 * THE contract between the renderer and the engine: one table of methods, each
 * with the schema of its arguments, where it runs (the host process — Electron
 * main or the serve server — or the recon worker) and whether it is a long job
 * (progress events, cancellable). The Electron preload, the WebSocket client,
 * the Electron IPC handlers and the serve server are all generated from it, and
 * every call's arguments are parsed with its schema in the host before use.
 */
import { arr, bool, nullable, num, obj, oneOf, optional, SchemaError, str, type Infer, type Schema } from './schema.ts';
import type {
  AppInfo,
  DemoFiles,
  FileListing,
  GlmOutcome,
  ReconOutcome,
  ReconPrefill,
  Settings,
  VolumeData,
  VolumeRef,
  WorkspaceDoc,
} from './types.ts';

const path = () => str({ min: 1, max: 4096 });
const id = () => str({ min: 1, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const finite = (min: number, max: number) => num({ min, max });
const int = (min: number, max: number) => num({ min, max, integer: true });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

export const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const ROLES = ['bold', 'anatomy', 'stat', 'tsnr', 'mask', 'truth', 'other'] as const;

export const reconSettingsSchema = obj({
  combine: oneOf(['rss', 'walsh', 'inati'] as const),
  pi: oneOf(['auto', 'none', 'grappa', 'sense'] as const),
  backend: oneOf(['auto', 'cpu', 'webgpu'] as const),
  coils: nullable(int(1, 256)),
});

export const glmSettingsSchema = obj({
  boldId: id(),
  events: path(),
  contrasts: arr(str({ min: 1, max: 400 }), { max: 32 }),
  fwhmMm: finite(0, 30),
  pThreshold: num({ min: 1e-12, max: 0.5 }),
  clusterMinSize: int(1, 100_000),
  noise: oneOf(['ar1', 'ols'] as const),
  highPassSec: finite(0, 10_000),
  twoSided: bool(),
});

const vec3 = () => arr(finite(-1e6, 1e6), { length: 3 }) as unknown as Schema<[number, number, number]>;
const pair = () => arr(finite(-1e12, 1e12), { length: 2 }) as unknown as Schema<[number, number]>;

const versionOne: Schema<1> = {
  kind: '1',
  parse(v, p = '') {
    if (v !== 1) throw new SchemaError(p, `unsupported workspace version ${String(v)}`);
    return 1;
  },
};

export const workspaceSchema = obj({
  format: oneOf(['uhf-workspace'] as const),
  version: versionOne,
  files: arr(obj({ path: path(), role: oneOf(ROLES) }), { max: 64 }),
  events: nullable(path()),
  view: obj({
    crosshairMm: vec3(),
    frame: int(0, 1_000_000),
    window: nullable(pair()),
    colormap: str({ max: 32 }),
    radiological: bool(),
  }),
  overlay: obj({
    positive: finite(0, 1e6),
    negative: finite(0, 1e6),
    showNegative: bool(),
    opacity: finite(0, 1),
    minClusterSize: int(1, 100_000),
    colormap: str({ max: 32 }),
  }),
  analysis: nullable(obj({
    contrasts: arr(str({ min: 1, max: 400 }), { max: 32 }),
    fwhmMm: finite(0, 30),
    pThreshold: num({ min: 1e-12, max: 0.5 }),
    clusterMinSize: int(1, 100_000),
    noise: oneOf(['ar1', 'ols'] as const),
    highPassSec: finite(0, 10_000),
    twoSided: bool(),
  })),
});

// The schema and the WorkspaceDoc type describe the same thing.
const _workspaceTyped: Same<Infer<typeof workspaceSchema>, WorkspaceDoc> = true;
void _workspaceTyped;

export const settingsPatchSchema = obj({
  firstLaunchDone: optional(bool()),
  lastDir: optional(nullable(path())),
  radiological: optional(bool()),
  recon: optional(reconSettingsSchema),
});

interface MethodSpec<A extends Schema<unknown>, R extends 'host' | 'worker' = 'host' | 'worker'> {
  args: A;
  /** 'host': Electron main / the serve server; 'worker': the recon worker process. */
  runsIn: R;
  /** Long-running: takes a jobId, reports progress, can be cancelled. */
  job?: true;
  summary: string;
}

function method<A extends Schema<unknown>, R extends 'host' | 'worker'>(spec: MethodSpec<A, R>): MethodSpec<A, R> {
  return spec;
}

export const CONTRACT = {
  'app.info': method({ args: obj({}), runsIn: 'host', summary: 'version, host kind, file roots' }),
  'settings.get': method({ args: obj({}), runsIn: 'host', summary: 'the saved settings and recent files' }),
  'settings.update': method({ args: obj({ patch: settingsPatchSchema }), runsIn: 'host', summary: 'change some settings' }),
  'files.list': method({ args: obj({ dir: optional(path()) }), runsIn: 'host', summary: 'list a directory inside the allowed roots' }),
  'files.pickOpen': method({ args: obj({ kind: oneOf(['raw', 'nifti', 'events', 'workspace', 'data'] as const) }), runsIn: 'host', summary: 'native open dialog (Electron only)' }),
  'files.pickSave': method({ args: obj({ kind: oneOf(['nifti', 'workspace'] as const), suggestedName: str({ max: 255 }) }), runsIn: 'host', summary: 'native save dialog (Electron only)' }),
  'workspace.save': method({ args: obj({ path: path(), workspace: workspaceSchema }), runsIn: 'host', summary: 'write a workspace file' }),
  'workspace.load': method({ args: obj({ path: path() }), runsIn: 'host', summary: 'read a workspace file' }),

  'demo.prepare': method({ args: obj({ fresh: optional(bool()) }), runsIn: 'worker', job: true, summary: 'simulate the 7 T fMRI demo run (cached)' }),
  'ismrmrd.summary': method({ args: obj({ path: path() }), runsIn: 'worker', summary: 'header summary and suggested recon settings' }),
  'recon.run': method({ args: obj({ path: path(), settings: reconSettingsSchema }), runsIn: 'worker', job: true, summary: 'reconstruct an ISMRMRD file' }),
  'nifti.open': method({ args: obj({ path: path(), role: optional(oneOf(ROLES)) }), runsIn: 'worker', summary: 'read a NIfTI volume' }),
  'nifti.save': method({ args: obj({ volumeId: id(), path: path() }), runsIn: 'worker', summary: 'write a volume as NIfTI' }),
  'volume.data': method({ args: obj({ volumeId: id() }), runsIn: 'worker', summary: "a volume's voxels (transferable Float32Array)" }),
  'volume.release': method({ args: obj({ volumeId: id() }), runsIn: 'worker', summary: 'forget a volume' }),
  'glm.run': method({ args: glmSettingsSchema, runsIn: 'worker', job: true, summary: 'first-level GLM on a 4D volume' }),
  'tsnr.compute': method({ args: obj({ volumeId: id() }), runsIn: 'worker', summary: 'temporal SNR map of a 4D volume' }),
  'atlas.labelAt': method({ args: obj({ mm: vec3() }), runsIn: 'worker', summary: 'atlas label at an MNI coordinate' }),
  'job.cancel': method({ args: obj({ jobId: id() }), runsIn: 'worker', summary: 'cancel a running job' }),
} as const;

export type ApiMethod = keyof typeof CONTRACT;
export type ApiArgs<M extends ApiMethod> = Infer<(typeof CONTRACT)[M]['args']>;

/** What each method resolves to. */
export interface ApiResults {
  'app.info': AppInfo;
  'settings.get': Settings;
  'settings.update': Settings;
  'files.list': FileListing;
  'files.pickOpen': { path: string } | null;
  'files.pickSave': { path: string } | null;
  'workspace.save': { path: string };
  'workspace.load': WorkspaceDoc;
  'demo.prepare': DemoFiles;
  'ismrmrd.summary': ReconPrefill;
  'recon.run': ReconOutcome;
  'nifti.open': VolumeRef;
  'nifti.save': { path: string };
  'volume.data': VolumeData;
  'volume.release': { released: boolean };
  'glm.run': GlmOutcome;
  'tsnr.compute': VolumeRef;
  'atlas.labelAt': { atlas: string | null; label: string | null };
  'job.cancel': { cancelled: boolean };
}

// Every method has a result type and every result type a method.
const _complete: Same<keyof ApiResults, ApiMethod> = true;
void _complete;

export type ApiResult<M extends ApiMethod> = ApiResults[M];

export const API_METHODS = Object.keys(CONTRACT) as ApiMethod[];

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && Object.hasOwn(CONTRACT, name);
}

export function isJobMethod(name: ApiMethod): boolean {
  return (CONTRACT[name] as MethodSpec<Schema<unknown>>).job === true;
}
