/**
 * Analysis: the GLM on the displayed 4D volume (events file, contrasts,
 * smoothing, thresholds) in the worker — the engine's own `uhf glm` code — and
 * the tSNR map; then the overlay controls (thresholds, colours, opacity,
 * minimum cluster size) that re-threshold the map in the renderer.
 */
import type { GlmOutcome, GlmSettings, VolumeRef } from '../../shared/api/types.ts';
import type { App } from '../app.ts';
import { $, basename, h, num } from '../dom.ts';
import { cssGradient, overlayStops, type NegativeColormap, type PositiveColormap } from '../viewer/colormaps.ts';
import { pickFile } from './file-dialog.ts';
import { progressUi } from './recon-panel.ts';

let boldId: string | null = null;

export function setBold(app: App, ref: VolumeRef): void {
  boldId = ref.id;
  $('glm-bold').textContent = `4D volume: ${ref.name} (${ref.dims.join('×')}${ref.trSec ? `, TR ${ref.trSec.toFixed(2)} s` : ''})`;
  $<HTMLButtonElement>('glm-run').disabled = false;
  $<HTMLButtonElement>('glm-tsnr').disabled = false;
  void app;
}

export function readGlmSettings(): Omit<GlmSettings, 'boldId' | 'events'> {
  return {
    contrasts: $<HTMLTextAreaElement>('glm-contrasts').value.split('\n').map((s) => s.trim()).filter(Boolean),
    fwhmMm: num('glm-fwhm', 0),
    pThreshold: num('glm-p', 0.001),
    clusterMinSize: Math.max(1, Math.round(num('glm-cluster', 1))),
    noise: $<HTMLSelectElement>('glm-noise').value === 'ols' ? 'ols' : 'ar1',
    highPassSec: num('glm-highpass', 128),
    twoSided: $<HTMLInputElement>('glm-twosided').checked,
  };
}

export function writeGlmSettings(s: Omit<GlmSettings, 'boldId' | 'events'>): void {
  $<HTMLTextAreaElement>('glm-contrasts').value = s.contrasts.join('\n');
  $<HTMLInputElement>('glm-fwhm').value = String(s.fwhmMm);
  $<HTMLInputElement>('glm-p').value = String(s.pThreshold);
  $<HTMLInputElement>('glm-cluster').value = String(s.clusterMinSize);
  $<HTMLSelectElement>('glm-noise').value = s.noise;
  $<HTMLInputElement>('glm-highpass').value = String(s.highPassSec);
  $<HTMLInputElement>('glm-twosided').checked = s.twoSided;
}

function resultsTable(out: GlmOutcome): HTMLElement {
  const box = h('div');
  for (const c of out.contrasts) {
    box.append(h('div', {}, `${c.name} [${c.kind}: ${c.expression}] — z ≥ ${c.thresholdZ.toFixed(2)}, max z ${c.maxZ?.toFixed(2) ?? '–'}, ${c.clusters.length} cluster(s)`));
    const table = h('table', {}, h('tr', {}, h('th', {}, 'voxels'), h('th', {}, 'peak z'), h('th', {}, 'peak (mm)')));
    for (const k of c.clusters.slice(0, 6)) {
      const row = h('tr', { class: 'cluster-row' }, h('td', {}, String(k.size)), h('td', {}, k.peakZ.toFixed(2)), h('td', {}, `${k.peakMm.map((x) => x.toFixed(0)).join(', ')}${k.label ? ` ${k.label}` : ''}`));
      row.title = 'Click to move the crosshair to the peak';
      row.style.cursor = 'pointer';
      row.dataset['peak'] = k.peakMm.join(',');
      table.append(row);
    }
    box.append(table);
  }
  if (out.warnings.length) box.append(h('div', { class: 'muted' }, `warnings: ${out.warnings.join('; ')}`));
  return box;
}

export async function runGlm(app: App): Promise<GlmOutcome | null> {
  const events = $<HTMLInputElement>('glm-events').value.trim() || app.eventsPath;
  if (!boldId) {
    app.status('open or reconstruct a 4D volume first', 'warn');
    return null;
  }
  if (!events) {
    app.status('choose the events file (BIDS events.tsv) first', 'warn');
    return null;
  }
  const settings: GlmSettings = { boldId, events, ...readGlmSettings() };
  const ui = progressUi('glm');
  ui.start('starting …');
  $<HTMLButtonElement>('glm-run').disabled = true;
  document.body.dataset['glm'] = 'running';
  app.status('fitting the GLM …');
  try {
    const out = await app.api.call('glm.run', settings, { onProgress: (p) => ui.update(p) });
    app.eventsPath = events;
    app.glm = out;
    for (const c of out.contrasts) app.addRef(c.z);
    app.addRef(out.tsnr);
    const first = out.contrasts[0];
    ui.done(`done: ${out.contrasts.length} contrast(s), ${out.design.nColumns} regressors, ${out.dof} dof (${Object.values(out.timingsSec).reduce((a, b) => a + b, 0).toFixed(1)} s)`);
    $('glm-results').replaceChildren(resultsTable(out));
    for (const row of document.querySelectorAll<HTMLElement>('#glm-results .cluster-row')) {
      row.addEventListener('click', () => app.viewer.setCrosshair(row.dataset['peak']!.split(',').map(Number) as [number, number, number]));
    }
    if (first) {
      $<HTMLInputElement>('ov-pos').value = first.thresholdZ.toFixed(2);
      $<HTMLInputElement>('ov-neg').value = first.thresholdZ.toFixed(2);
      $<HTMLInputElement>('ov-cluster').value = String(settings.clusterMinSize);
      $<HTMLInputElement>('ov-showneg').checked = settings.twoSided;
      app.viewer.overlayDisplay = { ...app.viewer.overlayDisplay, ...readOverlayControls() };
      await app.showOverlay(first.z.id);
    }
    app.showDesign();
    app.showTab('design');
    app.updateTimecourse();
    document.body.dataset['glm'] = 'done';
    const top = first?.clusters[0];
    app.status(first ? `GLM: ${first.name} has ${first.clusters.length} cluster(s) at z ≥ ${first.thresholdZ.toFixed(2)}${top ? `; peak z ${top.peakZ.toFixed(1)} at (${top.peakMm.map((x) => x.toFixed(0)).join(', ')}) mm` : ''}` : 'GLM done');
    return out;
  } catch (e) {
    document.body.dataset['glm'] = 'failed';
    ui.done('');
    app.fail(e, 'The GLM', () => void runGlm(app));
    return null;
  } finally {
    $<HTMLButtonElement>('glm-run').disabled = !boldId;
  }
}

async function runTsnr(app: App): Promise<void> {
  if (!boldId) return;
  try {
    const ref = await app.api.call('tsnr.compute', { volumeId: boldId });
    app.addRef(ref);
    $<HTMLInputElement>('ov-pos').value = '0';
    app.viewer.overlayDisplay = { ...app.viewer.overlayDisplay, ...readOverlayControls() };
    await app.showOverlay(ref.id);
    app.status(`tSNR map of ${ref.name} (98th percentile ${ref.stats.p98.toFixed(0)}), shown as the overlay — not a statistic`);
  } catch (e) {
    app.fail(e, 'tSNR');
  }
}

export function readOverlayControls() {
  return {
    positive: num('ov-pos', 3.1),
    negative: num('ov-neg', 3.1),
    showNegative: $<HTMLInputElement>('ov-showneg').checked,
    minClusterSize: Math.max(1, Math.round(num('ov-cluster', 1))),
    opacity: num('ov-opacity', 0.85),
    colormap: $<HTMLSelectElement>('ov-cmap').value as PositiveColormap,
    negativeColormap: $<HTMLSelectElement>('ov-ncmap').value as NegativeColormap,
  };
}

export function writeOverlayControls(o: ReturnType<typeof readOverlayControls>): void {
  $<HTMLInputElement>('ov-pos').value = String(o.positive);
  $<HTMLInputElement>('ov-neg').value = String(o.negative);
  $<HTMLInputElement>('ov-showneg').checked = o.showNegative;
  $<HTMLInputElement>('ov-cluster').value = String(o.minClusterSize);
  $<HTMLInputElement>('ov-opacity').value = String(o.opacity);
  $<HTMLSelectElement>('ov-cmap').value = o.colormap;
  $<HTMLSelectElement>('ov-ncmap').value = o.negativeColormap;
}

function updateLegend(): void {
  const o = readOverlayControls();
  $('ov-legend').style.background = cssGradient(overlayStops(o.colormap, o.negativeColormap));
}

export function bindAnalysisPanel(app: App): void {
  $('glm-run').addEventListener('click', () => void runGlm(app));
  $('glm-tsnr').addEventListener('click', () => void runTsnr(app));
  $('glm-events-browse').addEventListener('click', () => {
    void pickFile(app.api, app.info.nativeDialogs, { mode: 'open', kind: 'events', title: 'Events file (BIDS events.tsv)', startDir: app.lastDir }).then((p) => {
      if (p) {
        $<HTMLInputElement>('glm-events').value = p;
        app.eventsPath = p;
        app.status(`events: ${basename(p)}`);
      }
    }, (e) => app.fail(e, 'Choosing the events file'));
  });
  $<HTMLSelectElement>('ov-map').addEventListener('change', (e) => void app.showOverlay((e.target as HTMLSelectElement).value || null));
  const apply = () => {
    app.viewer.setOverlayDisplay(readOverlayControls());
    app.updateOverlayCounts();
    app.updateHistogram();
    updateLegend();
  };
  for (const id of ['ov-pos', 'ov-neg', 'ov-showneg', 'ov-cluster', 'ov-cmap', 'ov-ncmap']) $(id).addEventListener('change', apply);
  $('ov-opacity').addEventListener('input', apply);
  updateLegend();
}
