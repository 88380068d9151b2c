/**
 * The viewer: three orthogonal slice views in world (RAS mm) space and a 3D
 * volume rendering, one crosshair shared by all, window/level and colour map,
 * the activation overlay resampled through the affines, radiological or
 * neurological display, and the 4D frame. Emits the crosshair and the values
 * under it; knows nothing about the API.
 */
import type { VolumeRef } from '../../shared/api/types.ts';
import type { AnatomyColormap, NegativeColormap, PositiveColormap } from './colormaps.ts';
import {
  apply,
  invertAffine,
  makePlane,
  planeToWorld,
  samplePlane,
  VIEW_AXES,
  voxelSizes,
  worldBounds,
  worldToPlane,
  worldToVoxel,
  type Orientation,
  type Plane,
  type Vec3,
} from './geometry.ts';
import { prepareOverlay, type OverlayThresholds, type PreparedOverlay } from './overlay.ts';
import { SliceView } from './slice-view.ts';
import { VolumeView } from './volume-view.ts';

export interface LoadedVolume {
  ref: VolumeRef;
  data: Float32Array;
  inverse: number[];
}

export function loadedVolume(ref: VolumeRef, data: Float32Array): LoadedVolume {
  return { ref, data, inverse: invertAffine(ref.affine) };
}

export interface OverlayDisplay extends OverlayThresholds {
  opacity: number;
  colormap: PositiveColormap;
  negativeColormap: NegativeColormap;
}

export interface CursorInfo {
  world: Vec3;
  voxel: Vec3 | null;
  value: number | null;
  overlayValue: number | null;
  frame: number;
}

export const ORIENTATIONS: Orientation[] = ['axial', 'coronal', 'sagittal'];

export class Viewer {
  readonly slices: Record<Orientation, SliceView>;
  readonly volume3d: VolumeView;
  base: LoadedVolume | null = null;
  overlay: LoadedVolume | null = null;
  private prepared: PreparedOverlay | null = null;
  overlayDisplay: OverlayDisplay = { positive: 3.1, negative: 3.1, showNegative: false, minClusterSize: 1, opacity: 0.85, colormap: 'hot', negativeColormap: 'cool' };
  crosshair: Vec3 = [0, 0, 0];
  frame = 0;
  window: [number, number] = [0, 1];
  colormap: AnatomyColormap = 'gray';
  radiological = true;
  private planes: Partial<Record<Orientation, Plane>> = {};
  private listeners = new Set<(info: CursorInfo) => void>();
  private volumeDirty = true;
  private pending = false;

  constructor(els: Record<Orientation | 'volume', HTMLElement>) {
    this.slices = {
      axial: new SliceView(els.axial, 'axial'),
      coronal: new SliceView(els.coronal, 'coronal'),
      sagittal: new SliceView(els.sagittal, 'sagittal'),
    };
    this.volume3d = new VolumeView(els.volume);
    for (const o of ORIENTATIONS) this.bindMouse(o);
    new ResizeObserver(() => this.relayout()).observe(els.axial.parentElement ?? els.axial);
  }

  onCursor(listener: (info: CursorInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The display volume (anatomy or 4D BOLD): crosshair to its centre, window to its 2nd–98th percentiles. */
  setBase(vol: LoadedVolume, keepView = false): void {
    this.base = vol;
    const [nx, ny, nz, nt] = vol.ref.dims;
    if (!keepView) {
      this.crosshair = apply(vol.ref.affine, [(nx - 1) / 2, (ny - 1) / 2, (nz - 1) / 2]);
      this.window = [vol.ref.stats.p2, vol.ref.stats.p98 > vol.ref.stats.p2 ? vol.ref.stats.p98 : vol.ref.stats.max];
    }
    this.frame = Math.min(this.frame, nt - 1);
    this.planes = {};
    this.volumeDirty = true;
    this.update();
  }

  setOverlay(vol: LoadedVolume | null, display?: Partial<OverlayDisplay>): void {
    this.overlay = vol;
    if (display) this.overlayDisplay = { ...this.overlayDisplay, ...display };
    this.prepared = vol ? prepareOverlay(vol.data, vol.ref.dims, this.overlayDisplay) : null;
    this.update();
  }

  setOverlayDisplay(display: Partial<OverlayDisplay>): void {
    const before = this.overlayDisplay;
    this.overlayDisplay = { ...before, ...display };
    const d = this.overlayDisplay;
    const rethreshold = d.positive !== before.positive || d.negative !== before.negative || d.showNegative !== before.showNegative || d.minClusterSize !== before.minClusterSize;
    if (rethreshold && this.overlay) this.prepared = prepareOverlay(this.overlay.data, this.overlay.ref.dims, d);
    this.update();
  }

  get overlayCounts(): { positive: number; negative: number } {
    return { positive: this.prepared?.positiveVoxels ?? 0, negative: this.prepared?.negativeVoxels ?? 0 };
  }

  setFrame(frame: number): void {
    if (!this.base) return;
    this.frame = Math.max(0, Math.min(this.base.ref.dims[3] - 1, Math.round(frame)));
    this.volumeDirty = true;
    this.update();
  }

  setWindow(w: [number, number]): void {
    this.window = [Math.min(w[0], w[1] - 1e-6), w[1]];
    this.volumeDirty = true;
    this.update();
  }

  setColormap(c: AnatomyColormap): void {
    this.colormap = c;
    this.volumeDirty = true;
    this.update();
  }

  setRadiological(on: boolean): void {
    this.radiological = on;
    this.planes = {};
    this.update();
  }

  setCrosshair(w: Vec3): void {
    if (!this.base) return;
    const b = worldBounds(this.base.ref.affine, this.base.ref.dims);
    this.crosshair = [0, 1, 2].map((d) => Math.min(b.max[d]!, Math.max(b.min[d]!, w[d]!))) as Vec3;
    this.update();
  }

  /** Move the crosshair along a view's normal by `steps` voxels of the base volume. */
  moveSlice(o: Orientation, steps: number): void {
    if (!this.base) return;
    const n = VIEW_AXES[o].n;
    const w = [...this.crosshair] as Vec3;
    w[n] += steps * Math.min(...voxelSizes(this.base.ref.affine));
    this.setCrosshair(w);
  }

  /** Where a world point is on screen in a view (client px), for tests and the help overlay. */
  worldToClient(o: Orientation, w: Vec3): { x: number; y: number } | null {
    const p = this.planes[o];
    if (!p) return null;
    const { col, row } = worldToPlane(p, w);
    return this.slices[o].planeToClient(col, row);
  }

  cursorInfo(w: Vec3 = this.crosshair): CursorInfo {
    const b = this.base;
    const voxel = b ? worldToVoxel({ dims: b.ref.dims, inverse: b.inverse }, w) : null;
    let value: number | null = null;
    if (b && voxel) {
      const [nx, ny, nz] = b.ref.dims;
      value = b.data[voxel[0] + voxel[1] * nx + voxel[2] * nx * ny + this.frame * nx * ny * nz]!;
    }
    let overlayValue: number | null = null;
    const ov = this.overlay;
    if (ov) {
      const v = worldToVoxel({ dims: ov.ref.dims, inverse: ov.inverse }, w);
      if (v) overlayValue = ov.data[v[0] + v[1] * ov.ref.dims[0] + v[2] * ov.ref.dims[0] * ov.ref.dims[1]]!;
    }
    return { world: w, voxel, value, overlayValue, frame: this.frame };
  }

  /** Coalesce updates into one redraw per animation frame. */
  update(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.redraw();
    });
  }

  /** Redraw now (tests and screenshots call this to be sure the views are current). */
  redraw(): void {
    const b = this.base;
    if (!b) return;
    const bounds = worldBounds(b.ref.affine, b.ref.dims);
    const step = Math.min(...voxelSizes(b.ref.affine)) / 2;
    const [lo, hi] = this.window;
    const scale = 1 / Math.max(1e-12, hi - lo);
    const d = this.overlayDisplay;
    for (const o of ORIENTATIONS) {
      const plane = makePlane(o, bounds, this.crosshair, step, this.radiological);
      this.planes[o] = plane;
      const view = this.slices[o];
      view.setPlane(plane);
      const values = samplePlane({ dims: b.ref.dims, data: b.data, inverse: b.inverse }, this.frame, plane, 'linear');
      for (let i = 0; i < values.length; i++) {
        const x = values[i]!;
        values[i] = Number.isNaN(x) ? 0 : Math.min(1, Math.max(0, (x - lo) * scale));
      }
      view.setAnatomy(values, this.colormap);
      if (this.overlay && this.prepared) {
        const enc = samplePlane({ dims: this.overlay.ref.dims, data: this.prepared.encoded, inverse: this.overlay.inverse }, 0, plane, 'nearest');
        for (let i = 0; i < enc.length; i++) if (Number.isNaN(enc[i]!)) enc[i] = -1;
        view.setOverlay(enc, { opacity: d.opacity, positive: d.colormap, negative: d.negativeColormap });
      } else {
        view.setOverlay(null, { opacity: d.opacity, positive: d.colormap, negative: d.negativeColormap });
      }
      const c = worldToPlane(plane, this.crosshair);
      view.setCrosshair(c.col, c.row);
      view.render();
    }
    if (this.volumeDirty) {
      const [nx, ny, nz] = b.ref.dims;
      const n = nx * ny * nz;
      this.volume3d.setVolume(b.ref.affine, b.ref.dims, b.data.subarray(this.frame * n, (this.frame + 1) * n), this.window, this.colormap);
      this.volumeDirty = false;
    }
    this.volume3d.render();
    const info = this.cursorInfo();
    for (const l of this.listeners) l(info);
  }

  relayout(): void {
    for (const o of ORIENTATIONS) this.slices[o].fitCamera();
    this.volume3d.window.resize();
    this.redraw();
  }

  private bindMouse(o: Orientation): void {
    const view = this.slices[o];
    const el = view.container;
    const pick = (e: MouseEvent) => {
      const p = this.planes[o];
      const pc = view.clientToPlane(e.clientX, e.clientY);
      if (!p || !pc) return;
      const w = planeToWorld(p, pc.col, pc.row);
      w[VIEW_AXES[o].n] = this.crosshair[VIEW_AXES[o].n];
      this.setCrosshair(w);
    };
    el.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      el.setPointerCapture(e.pointerId);
      pick(e);
    });
    el.addEventListener('pointermove', (e) => {
      if (el.hasPointerCapture(e.pointerId)) pick(e);
    });
    el.addEventListener('pointerup', (e) => el.releasePointerCapture(e.pointerId));
    el.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.metaKey) {
          view.setZoom(view.getZoom() * (e.deltaY < 0 ? 1.15 : 1 / 1.15));
          view.render();
        } else {
          this.moveSlice(o, e.deltaY < 0 ? 1 : -1);
        }
      },
      { passive: false },
    );
  }
}
