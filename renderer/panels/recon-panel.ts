/**
 * Raw data → reconstruction: open an ISMRMRD file, show its header summary,
 * prefill the settings from it (with the reasons), run the recon in the worker
 * with a progress bar (stage, ETA) and Cancel, and show the result. The demo
 * runs the same steps on the simulator's 7 T fMRI run, then the GLM.
 */
import type { ReconOutcome, ReconSettings } from '../../shared/api/types.ts';
import type { App } from '../app.ts';
import { $, basename, dirname, formatEta, h } from '../dom.ts';
import { runGlm, setBold } from './analysis-panel.ts';

let running: AbortController | null = null;

function setBusy(busy: boolean): void {
  $<HTMLButtonElement>('recon-run').disabled = busy || !currentRaw;
  $<HTMLButtonElement>('recon-cancel').disabled = !busy;
  $<HTMLButtonElement>('btn-demo').disabled = busy;
  $<HTMLButtonElement>('welcome-demo').disabled = busy;
}

let currentRaw: string | null = null;

export function cancelRunning(): boolean {
  if (!running) return false;
  running.abort();
  return true;
}

export function readReconSettings(): ReconSettings {
  const coils = $<HTMLInputElement>('recon-coils').value.trim();
  return {
    combine: $<HTMLSelectElement>('recon-combine').value as ReconSettings['combine'],
    pi: $<HTMLSelectElement>('recon-pi').value as ReconSettings['pi'],
    backend: $<HTMLSelectElement>('recon-backend').value as ReconSettings['backend'],
    coils: coils ? Math.max(1, Math.round(Number(coils))) : null,
  };
}

function writeReconSettings(s: ReconSettings): void {
  $<HTMLSelectElement>('recon-combine').value = s.combine;
  $<HTMLSelectElement>('recon-pi').value = s.pi;
  $<HTMLSelectElement>('recon-backend').value = s.backend;
  $<HTMLInputElement>('recon-coils').value = s.coils === null ? '' : String(s.coils);
}

function progressUi(prefix: 'recon' | 'glm') {
  const bar = $<HTMLProgressElement>(`${prefix}-progress`);
  const stage = $(`${prefix}-stage`);
  return {
    start(text: string) {
      bar.value = 0;
      stage.textContent = text;
    },
    update(p: { stage: string; fraction: number; etaSec: number | null }) {
      bar.value = p.fraction;
      stage.textContent = `${p.stage} — ${Math.round(100 * p.fraction)}%${p.etaSec !== null ? ` · ${formatEta(p.etaSec)}` : ''}`;
    },
    done(text: string) {
      bar.value = 1;
      stage.textContent = text;
    },
  };
}

export { progressUi };

/** Open a raw-data file: summary and suggested settings. */
export async function openRaw(app: App, path: string): Promise<void> {
  app.status(`reading the header of ${basename(path)} …`);
  const prefill = await app.api.call('ismrmrd.summary', { path });
  currentRaw = path;
  app.rawPath = path;
  app.rememberDir(dirname(path));
  const s = prefill.summary;
  $('recon-file').textContent = basename(path);
  $('recon-file').title = path;
  const rows: [string, string][] = [
    ['scanner', `${s.systemModel ?? '–'}${s.fieldStrengthT ? ` · ${s.fieldStrengthT} T` : ''}`],
    ['protocol', s.protocolName ?? '–'],
    ['channels', String(s.receiverChannels ?? '–')],
    ['matrix', `${s.reconMatrix.join('×')} (encoded ${s.encodedMatrix.join('×')})`],
    ['FOV', `${s.fovMm.map((x) => x.toFixed(0)).join('×')} mm`],
    ['slices × reps', `${s.slices} × ${s.repetitions}`],
    ['acceleration', `${s.acceleration.join('×')}${s.calibrationMode ? ` (${s.calibrationMode})` : ''}`],
    ['readouts', `${s.acquisitions} (${s.noiseAcquisitions} noise)`],
  ];
  $('recon-summary').replaceChildren(...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  writeReconSettings(prefill.suggested);
  $('recon-reasons').replaceChildren(...prefill.reasons.map((r) => h('li', {}, r)));
  setBusy(false);
  app.status(`${basename(path)}: ${s.slices} slices, ${s.repetitions} repetitions, ${s.receiverChannels ?? '?'} channels — ready to reconstruct`);
}

/** Reconstruct the open raw file; resolves with the outcome, or null when it failed or was cancelled. */
export async function runRecon(app: App, override?: Partial<ReconSettings>): Promise<ReconOutcome | null> {
  if (!currentRaw) return null;
  const path = currentRaw;
  const settings = { ...readReconSettings(), ...override };
  if (override) writeReconSettings(settings);
  const ui = progressUi('recon');
  running = new AbortController();
  setBusy(true);
  document.body.dataset['recon'] = 'running';
  ui.start('starting the recon worker …');
  app.status(`reconstructing ${basename(path)} (${settings.combine}, backend ${settings.backend}) …`);
  try {
    const out = await app.api.call('recon.run', { path, settings }, { signal: running.signal, onProgress: (p) => ui.update(p) });
    ui.done(`done in ${((out.timingsMs['total'] ?? 0) / 1000).toFixed(1)} s on ${out.threads} thread(s), ${out.backend} (${out.backendReason})`);
    for (const v of out.volumes) app.addRef(v);
    app.reconTimings = out.timingsMs;
    app.showReconTimes();
    app.showTab('recon');
    const first = out.volumes[0];
    if (first) {
      await app.showBase(first.id);
      if (first.dims[3] > 1) setBold(app, first);
    }
    document.body.dataset['recon'] = 'done';
    app.status(`reconstructed ${out.volumes.map((v) => `${v.name} (${v.dims.join('×')})`).join(', ')}${out.warnings.length ? ` — ${out.warnings.length} warning(s): ${out.warnings[0]}` : ''}`, out.warnings.length ? 'warn' : 'info');
    return out;
  } catch (e) {
    document.body.dataset['recon'] = 'failed';
    ui.done('');
    app.fail(e, 'Reconstruction', () => void runRecon(app, override), () => void runRecon(app, { ...override, backend: 'cpu' }));
    return null;
  } finally {
    running = null;
    setBusy(false);
  }
}

/** The first-launch demo: simulate (cached) → open → reconstruct → GLM → activation map. */
export async function runDemo(app: App): Promise<void> {
  const ui = progressUi('recon');
  setBusy(true);
  document.body.dataset['demo'] = 'running';
  ui.start('preparing the demo data …');
  app.status('demo: simulating a 7 T fMRI run (first time only) …');
  try {
    const files = await app.api.call('demo.prepare', {}, { onProgress: (p) => ui.update(p) });
    app.eventsPath = files.events;
    $<HTMLInputElement>('glm-events').value = files.events;
    await openRaw(app, files.raw);
    const out = await runRecon(app);
    if (!out) return;
    await runGlm(app);
    document.body.dataset['demo'] = 'done';
  } catch (e) {
    document.body.dataset['demo'] = 'failed';
    app.fail(e, 'The demo', () => void runDemo(app));
  } finally {
    setBusy(false);
  }
}

export function bindReconPanel(app: App): void {
  $('recon-run').addEventListener('click', () => void runRecon(app));
  $('recon-cancel').addEventListener('click', () => cancelRunning());
  $('btn-demo').addEventListener('click', () => void runDemo(app));
  $('welcome-demo').addEventListener('click', () => void runDemo(app));
  setBusy(false);
}
