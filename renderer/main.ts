/**
 * Renderer entry: connect to the engine (Electron preload or `uhf serve`),
 * build the app, wire the toolbar, drag and drop and the keyboard, and run the
 * built-in demo on first launch.
 */
import { ApiError } from '../shared/api/client.ts';
import type { ApiClient } from '../shared/api/client.ts';
import { App } from './app.ts';
import { $, basename, dirname } from './dom.ts';
import { bindKeyboard, shortcuts } from './keyboard.ts';
import { bindAnalysisPanel, runGlm, setBold } from './panels/analysis-panel.ts';
import { pickFile } from './panels/file-dialog.ts';
import { bindReconPanel, cancelRunning, openRaw, runDemo } from './panels/recon-panel.ts';
import { bridge, connectApi } from './services/api.ts';
import { loadWorkspace, saveWorkspace } from './workspace.ts';

async function openNiftiPath(app: App, path: string): Promise<void> {
  const ref = await app.api.call('nifti.open', { path });
  app.addRef(ref);
  app.rememberDir(dirname(path));
  if (ref.role === 'stat' || ref.role === 'truth' || ref.role === 'tsnr' || ref.role === 'mask') {
    if (!app.baseId) await app.showBase(ref.id);
    else await app.showOverlay(ref.id);
  } else {
    await app.showBase(ref.id);
    if (ref.dims[3] > 1) setBold(app, ref);
  }
  app.status(`opened ${basename(path)} (${ref.dims.join('×')}, ${ref.role}${ref.space === 'MNI' ? ', MNI space' : ''})`);
}

async function openPath(app: App, path: string): Promise<void> {
  const lower = path.toLowerCase();
  if (/\.(h5|hdf5|mrd)$/.test(lower)) await openRaw(app, path);
  else if (/\.nii(\.gz)?$/.test(lower)) await openNiftiPath(app, path);
  else if (lower.endsWith('.tsv')) {
    $<HTMLInputElement>('glm-events').value = path;
    app.eventsPath = path;
    app.status(`events: ${basename(path)} — Run GLM (G) to analyse`);
  } else if (lower.endsWith('.uhf.json')) await loadWorkspace(app, path);
}

function bindToolbar(app: App): { openRaw(): void; openNifti(): void; saveNifti(): void; saveWorkspace(): void; runGlm(): void; cancel(): boolean } {
  const native = app.info.nativeDialogs;
  const actions = {
    openRaw: () => void pickFile(app.api, native, { mode: 'open', kind: 'raw', title: 'Open ISMRMRD raw data', startDir: app.lastDir }).then((p) => (p ? openRaw(app, p) : undefined)).catch((e) => app.fail(e, 'Opening the raw data')),
    openNifti: () => void pickFile(app.api, native, { mode: 'open', kind: 'nifti', title: 'Open a NIfTI volume', startDir: app.lastDir }).then((p) => (p ? openNiftiPath(app, p) : undefined)).catch((e) => app.fail(e, 'Opening the NIfTI file')),
    saveNifti: () => {
      const ref = app.baseId ? app.refs.get(app.baseId) : undefined;
      if (!ref) return app.status('nothing to save yet', 'warn');
      void pickFile(app.api, native, { mode: 'save', kind: 'nifti', title: `Save ${ref.name} as NIfTI`, suggestedName: `${ref.name}.nii.gz`, startDir: app.lastDir })
        .then(async (p) => {
          if (!p) return;
          const out = await app.api.call('nifti.save', { volumeId: ref.id, path: p });
          app.status(`saved ${out.path}`);
        })
        .catch((e) => app.fail(e, 'Saving the NIfTI file'));
    },
    saveWorkspace: () => void saveWorkspace(app),
    runGlm: () => void runGlm(app),
    cancel: () => cancelRunning(),
  };
  $('btn-open-raw').addEventListener('click', actions.openRaw);
  $('btn-open-nifti').addEventListener('click', actions.openNifti);
  $('btn-save-nifti').addEventListener('click', actions.saveNifti);
  $('btn-ws-save').addEventListener('click', actions.saveWorkspace);
  $('btn-ws-load').addEventListener('click', () => void loadWorkspace(app));
  return actions;
}

function bindDragAndDrop(app: App): void {
  const b = bridge();
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    document.body.classList.add('dragging');
  });
  window.addEventListener('dragleave', () => document.body.classList.remove('dragging'));
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    document.body.classList.remove('dragging');
    const files = [...(e.dataTransfer?.files ?? [])];
    if (!files.length) return;
    if (!b) {
      app.status('In the browser, files are opened from the server: use Open… (dropping needs the desktop app)', 'warn');
      return;
    }
    void (async () => {
      for (const f of files) {
        const reply = await b.droppedFile(f);
        if (!reply.ok) throw new ApiError(reply.error);
        await openPath(app, (reply.result as { path: string }).path);
      }
    })().catch((err) => app.fail(err, 'Opening the dropped file'));
  });
}

async function start(): Promise<void> {
  let api: ApiClient;
  try {
    api = await connectApi();
  } catch (e) {
    $('status-text').textContent = e instanceof Error ? e.message : String(e);
    $('status').className = 'error';
    return;
  }
  const [info, settings] = await Promise.all([api.call('app.info', {}), api.call('settings.get', {})]);
  const app = new App(api, info, settings);
  bindReconPanel(app);
  bindAnalysisPanel(app);
  const actions = bindToolbar(app);
  bindKeyboard(app, shortcuts(actions));
  bindDragAndDrop(app);
  bridge()?.onMenu((command) => {
    const map: Record<string, () => void> = {
      'open-raw': actions.openRaw,
      'open-nifti': actions.openNifti,
      'save-nifti': actions.saveNifti,
      'save-workspace': actions.saveWorkspace,
      'open-workspace': () => void loadWorkspace(app),
      demo: () => void runDemo(app),
      'run-glm': actions.runGlm,
      'toggle-orientation': () => app.toggleOrientation(),
      screenshot: () => void app.screenshot(app.hovered),
      help: () => $<HTMLDialogElement>('help-dialog').showModal(),
    };
    if (command.startsWith('open:')) void openPath(app, command.slice(5)).catch((e) => app.fail(e, 'Opening the file'));
    else map[command]?.();
  });
  // Tests and power users: the app object, read-only by convention.
  (window as unknown as { __uhf: unknown }).__uhf = { app, viewer: app.viewer };
  document.body.dataset['ready'] = 'true';
  app.status(`ready — ${info.host === 'serve' ? 'uhf serve' : 'desktop app'} ${info.version}. Run the demo, or open raw data / a NIfTI volume.`);
  const params = new URLSearchParams(location.search);
  if (info.firstLaunch || params.get('demo') === '1') {
    if (info.firstLaunch) void api.call('settings.update', { patch: { firstLaunchDone: true } }).catch(() => undefined);
    void runDemo(app);
  }
}

void start();
