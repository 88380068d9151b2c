/**
 * The app shell: the API client, the open volumes, the viewer, the plots at
 * the crosshair, the status bar and its errors (with "retry on the CPU" when a
 * failure may be the GPU's or the worker's). The panels (recon, analysis,
 * overlay) and the workspace add their flows on top of this.
 */
import type { ApiClient } from '../shared/api/client.ts';
import { ApiError } from '../shared/api/client.ts';
import type { AppInfo, GlmOutcome, Settings, VolumeRef } from '../shared/api/types.ts';
import { $, download, fmt, h } from './dom.ts';
import { olsFit } from './plots/fit.ts';
import { plotDesign, plotHistogram, plotReconTimes, plotTimecourse, resizePlot } from './plots/plots.ts';
import type { AnatomyColormap } from './viewer/colormaps.ts';
import { timeSeries } from './viewer/geometry.ts';
import { loadedVolume, ORIENTATIONS, Viewer, type CursorInfo, type LoadedVolume } from './viewer/viewer.ts';

export type ViewName = 'axial' | 'coronal' | 'sagittal' | 'volume';

export class App {
  readonly viewer: Viewer;
  readonly refs = new Map<string, VolumeRef>();
  private readonly loaded = new Map<string, Promise<LoadedVolume>>();
  baseId: string | null = null;
  overlayId: string | null = null;
  glm: GlmOutcome | null = null;
  eventsPath: string | null = null;
  rawPath: string | null = null;
  reconTimings: Record<string, number> | null = null;
  /** Where the last file came from: the next dialog starts there. */
  lastDir: string | null = null;
  playing: number | null = null;
  hovered: ViewName = 'axial';
  private atlasTimer: number | undefined;
  private atlasLabel = '';

  constructor(readonly api: ApiClient, readonly info: AppInfo, public settings: Settings) {
    this.viewer = new Viewer({ axial: $('view-axial'), coronal: $('view-coronal'), sagittal: $('view-sagittal'), volume: $('view-volume') });
    this.viewer.radiological = settings.radiological;
    this.lastDir = settings.lastDir;
    this.viewer.onCursor((c) => this.onCursor(c));
    this.bindViewerControls();
    this.api.onEvent((e) => {
      if (e.type === 'worker') {
        $('worker-state').textContent = e.state === 'ready' ? 'recon worker ready' : 'recon worker stopped';
        if (e.state === 'crashed') this.status(e.message, 'warn');
      }
    });
    for (const tab of document.querySelectorAll<HTMLButtonElement>('.tabs button')) {
      tab.addEventListener('click', () => this.showTab(tab.dataset['tab'] ?? 'design'));
    }
    window.addEventListener('resize', () => this.resizePlots());
    this.updateOrientationLabels();
  }

  // ------------------------------------------------------------------ status

  status(text: string, kind: 'info' | 'warn' | 'error' = 'info', actions: { label: string; run: () => void }[] = []): void {
    $('status-text').textContent = text;
    $('status').className = kind === 'info' ? '' : kind;
    const box = $('status-actions');
    box.replaceChildren(
      ...actions.map((a) => {
        const b = h('button', {}, a.label);
        b.addEventListener('click', () => {
          box.replaceChildren();
          a.run();
        });
        return b;
      }),
    );
  }

  /** Shows an error in one line; offers Retry (and Retry on CPU when it may help). */
  fail(e: unknown, what: string, retry?: () => void, retryOnCpu?: () => void): void {
    const err = e instanceof ApiError ? e : new ApiError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
    if (err.code === 'CANCELLED') return this.status(`${what}: cancelled`, 'warn');
    const actions: { label: string; run: () => void }[] = [];
    if (retry) actions.push({ label: 'Retry', run: retry });
    if (err.retryOnCpu && retryOnCpu) actions.push({ label: 'Retry on the CPU', run: retryOnCpu });
    this.status(`${what} failed: ${err.message} [${err.code}]`, 'error', actions);
  }

  /** The folder the next dialog starts in, kept in the settings (across reloads and restarts). */
  rememberDir(dir: string): void {
    if (!dir || dir === this.lastDir) return;
    this.lastDir = dir;
    void this.api.call('settings.update', { patch: { lastDir: dir } }).catch(() => undefined);
  }

  // ----------------------------------------------------------------- volumes

  addRef(ref: VolumeRef): void {
    this.refs.set(ref.id, ref);
    this.refreshVolumeLists();
  }

  volume(id: string): Promise<LoadedVolume> {
    let p = this.loaded.get(id);
    if (!p) {
      const ref = this.refs.get(id);
      if (!ref) return Promise.reject(new Error(`unknown volume ${id}`));
      p = this.api.call('volume.data', { volumeId: id }).then((d) => loadedVolume(ref, d.data));
      p.catch(() => this.loaded.delete(id));
      this.loaded.set(id, p);
    }
    return p;
  }

  async showBase(id: string, keepView = false): Promise<void> {
    const vol = await this.volume(id);
    this.baseId = id;
    $('welcome').classList.add('hidden');
    this.viewer.setBase(vol, keepView);
    const nt = vol.ref.dims[3];
    const slider = $<HTMLInputElement>('frame');
    slider.max = String(nt - 1);
    slider.value = String(this.viewer.frame);
    slider.disabled = nt < 2;
    $<HTMLButtonElement>('btn-play').disabled = nt < 2;
    this.updateFrameLabel();
    this.updateWindowInputs();
    $<HTMLSelectElement>('sel-base').value = id;
    document.body.dataset['base'] = vol.ref.role;
  }

  async showOverlay(id: string | null): Promise<void> {
    this.overlayId = id;
    $<HTMLSelectElement>('ov-map').value = id ?? '';
    if (!id) {
      this.viewer.setOverlay(null);
      this.describeOverlay(null);
      return;
    }
    const vol = await this.volume(id);
    this.viewer.setOverlay(vol);
    this.describeOverlay(vol.ref);
    this.updateHistogram();
  }

  /** Says what the overlay is — above all when it is not a statistic from the GLM. */
  describeOverlay(ref: VolumeRef | null): void {
    const el = $('ov-kind');
    el.className = 'ov-kind muted';
    if (!ref) {
      el.textContent = '';
      return;
    }
    const fromGlm = this.glm?.contrasts.find((c) => c.z.id === ref.id);
    if (fromGlm) el.textContent = `GLM z map: contrast ${fromGlm.name} = ${fromGlm.expression} (${this.glm!.dof} dof)`;
    else if (ref.role === 'truth') {
      el.textContent = `GROUND TRUTH from the simulator (${ref.name}), not an analysis result`;
      el.className = 'ov-kind truth';
    } else if (ref.role === 'tsnr') el.textContent = `temporal SNR (${ref.name}), not a statistic`;
    else el.textContent = `${ref.role} map: ${ref.name}`;
    document.body.dataset['overlay'] = fromGlm ? 'glm' : ref.role;
    this.updateOverlayCounts();
  }

  updateOverlayCounts(): void {
    const c = this.viewer.overlayCounts;
    $('ov-counts').textContent = this.overlayId ? `${c.positive} voxels above, ${c.negative} below the thresholds` : '';
  }

  refreshVolumeLists(): void {
    const base = $<HTMLSelectElement>('sel-base');
    const ov = $<HTMLSelectElement>('ov-map');
    const refs = [...this.refs.values()];
    base.replaceChildren(...refs.filter((r) => r.role !== 'stat' && r.role !== 'mask').map((r) => h('option', { value: r.id }, `${r.name} (${r.dims.slice(0, r.dims[3] > 1 ? 4 : 3).join('×')})`)));
    ov.replaceChildren(h('option', { value: '' }, 'none'), ...refs.filter((r) => r.role !== 'bold').map((r) => h('option', { value: r.id }, `${r.name} [${r.role}]`)));
    if (this.baseId) base.value = this.baseId;
    ov.value = this.overlayId ?? '';
  }

  // ---------------------------------------------------------- viewer wiring

  private bindViewerControls(): void {
    $<HTMLSelectElement>('sel-base').addEventListener('change', (e) => void this.showBase((e.target as HTMLSelectElement).value).catch((x) => this.fail(x, 'Showing the volume')));
    $<HTMLSelectElement>('sel-colormap').addEventListener('change', (e) => this.viewer.setColormap((e.target as HTMLSelectElement).value as AnatomyColormap));
    const win = () => this.viewer.setWindow([Number($<HTMLInputElement>('win-lo').value), Number($<HTMLInputElement>('win-hi').value)]);
    $('win-lo').addEventListener('change', win);
    $('win-hi').addEventListener('change', win);
    $('btn-win-auto').addEventListener('click', () => this.autoWindow());
    $('btn-orient').addEventListener('click', () => this.toggleOrientation());
    $<HTMLInputElement>('frame').addEventListener('input', (e) => {
      this.viewer.setFrame(Number((e.target as HTMLInputElement).value));
      this.updateFrameLabel();
    });
    $('btn-play').addEventListener('click', () => this.togglePlay());
    for (const b of document.querySelectorAll<HTMLButtonElement>('button.shot')) {
      b.addEventListener('click', () => void this.screenshot((b.dataset['shot'] ?? 'axial') as ViewName));
    }
    for (const v of document.querySelectorAll<HTMLElement>('.view')) {
      v.addEventListener('pointerenter', () => (this.hovered = (v.dataset['view'] ?? 'axial') as ViewName));
    }
  }

  autoWindow(): void {
    const b = this.viewer.base;
    if (!b) return;
    this.viewer.setWindow([b.ref.stats.p2, b.ref.stats.p98]);
    this.updateWindowInputs();
  }

  updateWindowInputs(): void {
    const [lo, hi] = this.viewer.window;
    $<HTMLInputElement>('win-lo').value = String(Number(lo.toPrecision(4)));
    $<HTMLInputElement>('win-hi').value = String(Number(hi.toPrecision(4)));
  }

  toggleOrientation(): void {
    this.viewer.setRadiological(!this.viewer.radiological);
    this.updateOrientationLabels();
    void this.api.call('settings.update', { patch: { radiological: this.viewer.radiological } }).catch(() => undefined);
  }

  updateOrientationLabels(): void {
    const radio = this.viewer.radiological;
    $('btn-orient').textContent = radio ? 'Radiological' : 'Neurological';
    for (const o of ['axial', 'coronal'] as const) {
      const v = document.querySelector(`.view[data-view="${o}"]`)!;
      v.querySelector('.side.left')!.textContent = radio ? 'R' : 'L';
      v.querySelector('.side.right')!.textContent = radio ? 'L' : 'R';
    }
    document.body.dataset['orientation'] = radio ? 'radiological' : 'neurological';
  }

  togglePlay(): void {
    const b = this.viewer.base;
    if (this.playing !== null) {
      clearInterval(this.playing);
      this.playing = null;
      $('btn-play').textContent = '▶';
      return;
    }
    if (!b || b.ref.dims[3] < 2) return;
    $('btn-play').textContent = '⏸';
    const ms = Math.max(80, Math.min(500, (b.ref.trSec ?? 1) * 100));
    this.playing = window.setInterval(() => this.stepFrame(1, true), ms);
  }

  stepFrame(delta: number, wrap = false): void {
    const b = this.viewer.base;
    if (!b) return;
    const nt = b.ref.dims[3];
    let f = this.viewer.frame + delta;
    f = wrap ? (f + nt) % nt : Math.max(0, Math.min(nt - 1, f));
    this.viewer.setFrame(f);
    $<HTMLInputElement>('frame').value = String(f);
    this.updateFrameLabel();
  }

  updateFrameLabel(): void {
    const b = this.viewer.base;
    if (!b) return;
    const nt = b.ref.dims[3];
    const tr = b.ref.trSec;
    $('frame-label').textContent = nt > 1 ? `frame ${this.viewer.frame + 1}/${nt}${tr ? ` · t = ${(this.viewer.frame * tr).toFixed(1)} s` : ''}` : '3D volume';
  }

  async screenshot(view: ViewName): Promise<void> {
    this.viewer.redraw();
    const url = view === 'volume' ? await this.viewer.volume3d.capture() : await this.viewer.slices[view].capture();
    const name = `${this.viewer.base?.ref.name ?? 'uhf'}_${view}${view !== 'volume' ? `_${this.viewer.crosshair.map((x) => x.toFixed(0)).join('_')}` : ''}.png`;
    download(url, name);
    this.status(`saved the ${view} view as ${name}`);
  }

  // ---------------------------------------------------------------- cursor

  private onCursor(c: CursorInfo): void {
    const b = this.viewer.base;
    const parts = [`${c.world.map((x) => x.toFixed(1)).join(', ')} mm (RAS)`];
    parts.push(c.voxel ? `voxel [${c.voxel.join(', ')}]` : 'outside');
    if (c.value !== null) parts.push(`value ${fmt(c.value, 2)}`);
    if (this.overlayId && c.overlayValue !== null) parts.push(`${this.refs.get(this.overlayId)?.role === 'stat' ? 'z' : 'overlay'} ${fmt(c.overlayValue, 2)}`);
    if (b?.ref.space === 'MNI') {
      parts.push(this.atlasLabel || 'atlas …');
      clearTimeout(this.atlasTimer);
      this.atlasTimer = window.setTimeout(() => {
        void this.api.call('atlas.labelAt', { mm: c.world }).then((r) => {
          this.atlasLabel = r.label ? `${r.atlas}: ${r.label}` : '';
          $('readout').textContent = [...parts.slice(0, -1), this.atlasLabel].filter(Boolean).join('  ·  ');
        }, () => undefined);
      }, 120);
    }
    $('readout').textContent = parts.join('  ·  ');
    $('readout').dataset['voxel'] = c.voxel ? c.voxel.join(',') : '';
    this.updateTimecourse(c);
  }

  private tcTimer: number | undefined;

  updateTimecourse(c: CursorInfo = this.viewer.cursorInfo()): void {
    clearTimeout(this.tcTimer);
    this.tcTimer = window.setTimeout(() => {
      const b = this.viewer.base;
      const el = $('plot-timecourse');
      if (!b || b.ref.dims[3] < 2 || !c.voxel) return;
      const values = timeSeries({ dims: b.ref.dims, data: b.data }, c.voxel);
      const tr = b.ref.trSec ?? 1;
      const times = Array.from(values, (_, t) => t * tr);
      const d = this.glm?.design;
      const fit = d && d.nFrames === values.length ? olsFit(d.values, d.nFrames, d.nColumns, values) : null;
      void plotTimecourse(el, { times, values, fit, events: this.glm?.events ?? [], title: `time course at voxel [${c.voxel.join(', ')}]${fit ? ' with the GLM fit' : ''}`, frame: this.viewer.frame }).then(() => {
        el.dataset['points'] = String(values.length);
        el.dataset['voxel'] = c.voxel!.join(',');
      });
    }, 30);
  }

  updateHistogram(): void {
    const id = this.overlayId;
    const ref = id ? this.refs.get(id) : undefined;
    if (!id || !ref) return;
    void this.volume(id).then((v) => {
      const d = this.viewer.overlayDisplay;
      return plotHistogram($('plot-histogram'), v.data, { positive: d.positive, negative: d.showNegative ? d.negative : null }, `histogram of ${ref.name}`);
    });
  }

  showDesign(): void {
    if (this.glm) void plotDesign($('plot-design'), this.glm.design);
  }

  showReconTimes(): void {
    if (this.reconTimings) void plotReconTimes($('plot-recon'), this.reconTimings);
  }

  showTab(tab: string): void {
    for (const b of document.querySelectorAll<HTMLButtonElement>('.tabs button')) b.classList.toggle('active', b.dataset['tab'] === tab);
    for (const p of document.querySelectorAll<HTMLElement>('.tab-plot')) p.classList.toggle('active', p.id === `plot-${tab}`);
    this.resizePlots();
  }

  resizePlots(): void {
    for (const id of ['plot-timecourse', 'plot-design', 'plot-histogram', 'plot-recon']) resizePlot($(id));
  }

  /** The views a user can pick with keys 1–4 or screenshot. */
  static readonly VIEWS: ViewName[] = [...ORIENTATIONS, 'volume'];
}

