/**
 * Save and restore a workspace: the files that are open (by path, never the
 * voxels), the view (crosshair, frame, window, colours, orientation), the
 * overlay thresholds and the analysis settings. Restoring re-opens the files
 * through the worker; volumes that only existed in memory (a fresh recon) are
 * saved as NIfTI first, when the user agrees.
 */
import type { VolumeRole, WorkspaceDoc } from '../shared/api/types.ts';
import type { App } from './app.ts';
import { $, basename, dirname } from './dom.ts';
import { readGlmSettings, readOverlayControls, writeGlmSettings, writeOverlayControls } from './panels/analysis-panel.ts';
import { pickFile } from './panels/file-dialog.ts';
import type { AnatomyColormap } from './viewer/colormaps.ts';

export function collectWorkspace(app: App): WorkspaceDoc {
  const files: { path: string; role: VolumeRole }[] = [];
  for (const id of [app.baseId, app.overlayId]) {
    const ref = id ? app.refs.get(id) : undefined;
    if (ref?.source && /\.nii(\.gz)?$/i.test(ref.source)) files.push({ path: ref.source, role: ref.role });
  }
  const v = app.viewer;
  const o = readOverlayControls();
  return {
    format: 'uhf-workspace',
    version: 1,
    files,
    events: app.eventsPath,
    view: { crosshairMm: [...v.crosshair], frame: v.frame, window: [...v.window], colormap: v.colormap, radiological: v.radiological },
    overlay: { positive: o.positive, negative: o.negative, showNegative: o.showNegative, opacity: o.opacity, minClusterSize: o.minClusterSize, colormap: o.colormap },
    analysis: app.glm ? readGlmSettings() : null,
  };
}

/** Volumes without a NIfTI file behind them are written next to their source before saving. */
async function persistInMemoryVolumes(app: App, dir: string): Promise<void> {
  for (const id of [app.baseId, app.overlayId]) {
    const ref = id ? app.refs.get(id) : undefined;
    if (!ref || (ref.source && /\.nii(\.gz)?$/i.test(ref.source))) continue;
    const path = `${dir}/${ref.name}.nii.gz`;
    const saved = await app.api.call('nifti.save', { volumeId: ref.id, path });
    ref.source = saved.path;
  }
}

export async function saveWorkspace(app: App): Promise<void> {
  const path = await pickFile(app.api, app.info.nativeDialogs, { mode: 'save', kind: 'workspace', title: 'Save workspace', suggestedName: 'workspace.uhf.json', startDir: app.lastDir });
  if (!path) return;
  try {
    await persistInMemoryVolumes(app, dirname(path));
    const saved = await app.api.call('workspace.save', { path, workspace: collectWorkspace(app) });
    app.rememberDir(dirname(saved.path));
    app.status(`workspace saved: ${saved.path}`);
  } catch (e) {
    app.fail(e, 'Saving the workspace');
  }
}

export async function applyWorkspace(app: App, doc: WorkspaceDoc): Promise<void> {
  const opened: Partial<Record<VolumeRole, string>> = {};
  for (const f of doc.files) {
    const ref = await app.api.call('nifti.open', { path: f.path, role: f.role });
    app.addRef(ref);
    opened[f.role] ??= ref.id;
  }
  const baseId = opened.bold ?? opened.anatomy ?? opened.other;
  const overlayId = opened.stat ?? opened.tsnr ?? opened.truth ?? null;
  if (doc.events) {
    app.eventsPath = doc.events;
    $<HTMLInputElement>('glm-events').value = doc.events;
  }
  if (doc.analysis) writeGlmSettings(doc.analysis);
  writeOverlayControls({ ...readOverlayControls(), ...doc.overlay, colormap: (['hot', 'warm', 'red'].includes(doc.overlay.colormap) ? doc.overlay.colormap : 'hot') as 'hot' });
  app.viewer.overlayDisplay = { ...app.viewer.overlayDisplay, ...readOverlayControls() };
  if (baseId) {
    await app.showBase(baseId);
    const v = app.viewer;
    if (v.radiological !== doc.view.radiological) app.toggleOrientation();
    v.setColormap((['gray', 'inverted', 'bone', 'viridis'].includes(doc.view.colormap) ? doc.view.colormap : 'gray') as AnatomyColormap);
    $<HTMLSelectElement>('sel-colormap').value = v.colormap;
    if (doc.view.window) v.setWindow(doc.view.window);
    app.updateWindowInputs();
    v.setFrame(doc.view.frame);
    $<HTMLInputElement>('frame').value = String(v.frame);
    app.updateFrameLabel();
    v.setCrosshair(doc.view.crosshairMm);
  }
  await app.showOverlay(overlayId);
}

export async function loadWorkspace(app: App, given?: string): Promise<void> {
  const path = given ?? (await pickFile(app.api, app.info.nativeDialogs, { mode: 'open', kind: 'workspace', title: 'Open workspace', startDir: app.lastDir }));
  if (!path) return;
  try {
    const doc = await app.api.call('workspace.load', { path });
    await applyWorkspace(app, doc);
    app.status(`workspace ${basename(path)} restored (${doc.files.length} file(s))`);
  } catch (e) {
    app.fail(e, 'Opening the workspace');
  }
}
