/**
 * One orthogonal 2D view in vtk.js: the anatomy plane (already sampled in world
 * space and windowed to [0, 1]), the overlay plane (encoded, see overlay.ts)
 * above it, and the crosshair lines above both, under a parallel camera that
 * looks straight at the plane. Screen ↔ plane pixel conversion is done here
 * from the camera parameters this class sets itself.
 */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkImageMapper from '@kitware/vtk.js/Rendering/Core/ImageMapper';
import vtkImageSlice from '@kitware/vtk.js/Rendering/Core/ImageSlice';
import vtkPolyData from '@kitware/vtk.js/Common/DataModel/PolyData';
import vtkMapper from '@kitware/vtk.js/Rendering/Core/Mapper';
import vtkActor from '@kitware/vtk.js/Rendering/Core/Actor';
import { ANATOMY_COLORMAPS, overlayStops, type AnatomyColormap, type NegativeColormap, type PositiveColormap } from './colormaps.ts';
import type { Orientation, Plane } from './geometry.ts';
import { colorFunction, createVtkWindow, fillColorFunction, opacityFunction, type VtkWindow } from './vtk-setup.ts';

/** Ordering along the view direction (camera at +z): anatomy, overlay, crosshair. */
const Z_OVERLAY = 0.5;
const Z_CROSSHAIR = 1;

type Layer = {
  image: ReturnType<typeof vtkImageData.newInstance>;
  scalars: ReturnType<typeof vtkDataArray.newInstance>;
  mapper: ReturnType<typeof vtkImageMapper.newInstance>;
  actor: ReturnType<typeof vtkImageSlice.newInstance>;
  cols: number;
  rows: number;
};

function makeLayer(z: number): Layer {
  const image = vtkImageData.newInstance();
  const scalars = vtkDataArray.newInstance({ name: 'values', numberOfComponents: 1, values: new Float32Array(1) });
  image.getPointData().setScalars(scalars);
  image.setDimensions(1, 1, 1);
  const mapper = vtkImageMapper.newInstance();
  mapper.setInputData(image);
  mapper.setSlicingMode(2 /* K */);
  mapper.setSlice(0);
  const actor = vtkImageSlice.newInstance();
  actor.setMapper(mapper);
  actor.setPosition(0, 0, z);
  actor.getProperty().setInterpolationTypeToNearest();
  actor.getProperty().setUseLookupTableScalarRange(true);
  return { image, scalars, mapper, actor, cols: 1, rows: 1 };
}

function setLayerData(layer: Layer, plane: Plane, values: Float32Array): void {
  if (layer.cols !== plane.cols || layer.rows !== plane.rows) {
    layer.image.setDimensions(plane.cols, plane.rows, 1);
    layer.cols = plane.cols;
    layer.rows = plane.rows;
  }
  layer.image.setSpacing([plane.step, plane.step, 1]);
  layer.image.setOrigin([0, 0, 0]);
  layer.scalars.setData(values, 1);
  layer.scalars.modified();
  layer.image.modified();
}

export class SliceView {
  readonly window: VtkWindow;
  private readonly anatomy = makeLayer(0);
  private readonly overlay = makeLayer(Z_OVERLAY);
  private readonly anatomyColors = colorFunction(ANATOMY_COLORMAPS.gray);
  private readonly overlayColors = colorFunction(overlayStops('hot', 'cool'));
  private readonly crossPoly = vtkPolyData.newInstance();
  private readonly crossActor = vtkActor.newInstance();
  private plane: Plane | null = null;
  private zoom = 1;

  constructor(readonly container: HTMLElement, readonly orientation: Orientation) {
    this.window = createVtkWindow(container);
    const ap = this.anatomy.actor.getProperty();
    ap.setRGBTransferFunction(0, this.anatomyColors);
    ap.setPiecewiseFunction(0, opacityFunction([[0, 1], [1, 1]]));
    const op = this.overlay.actor.getProperty();
    op.setRGBTransferFunction(0, this.overlayColors);
    // −1 marks "not shown": fully transparent; every encoded value in [0, 1] is opaque.
    op.setPiecewiseFunction(0, opacityFunction([[-1, 0], [-0.01, 0], [0, 1], [1, 1]]));
    op.setOpacity(0.85);
    this.overlay.actor.setVisibility(false);
    const crossMapper = vtkMapper.newInstance();
    crossMapper.setInputData(this.crossPoly);
    this.crossActor.setMapper(crossMapper);
    this.crossActor.getProperty().setColor(0.2, 0.9, 0.3);
    this.crossActor.getProperty().setLineWidth(1);
    const r = this.window.renderer;
    r.addActor(this.anatomy.actor);
    r.addActor(this.overlay.actor);
    r.addActor(this.crossActor);
    r.getActiveCamera().setParallelProjection(true);
  }

  setPlane(plane: Plane): void {
    const resized = !this.plane || this.plane.cols !== plane.cols || this.plane.rows !== plane.rows || this.plane.step !== plane.step;
    this.plane = plane;
    if (resized) this.fitCamera();
  }

  setAnatomy(windowed: Float32Array, colormap: AnatomyColormap): void {
    if (!this.plane) return;
    fillColorFunction(this.anatomyColors, ANATOMY_COLORMAPS[colormap]);
    setLayerData(this.anatomy, this.plane, windowed);
  }

  setOverlay(encoded: Float32Array | null, opts: { opacity: number; positive: PositiveColormap; negative: NegativeColormap }): void {
    if (!this.plane || !encoded) {
      this.overlay.actor.setVisibility(false);
      return;
    }
    fillColorFunction(this.overlayColors, overlayStops(opts.positive, opts.negative));
    this.overlay.actor.getProperty().setOpacity(opts.opacity);
    setLayerData(this.overlay, this.plane, encoded);
    this.overlay.actor.setVisibility(true);
  }

  /** Crosshair at plane pixel (col, row). */
  setCrosshair(col: number, row: number): void {
    if (!this.plane) return;
    const s = this.plane.step;
    const w = this.plane.cols * s;
    const h = this.plane.rows * s;
    const x = col * s;
    const y = row * s;
    const pts = new Float32Array([-s / 2, y, Z_CROSSHAIR, w - s / 2, y, Z_CROSSHAIR, x, -s / 2, Z_CROSSHAIR, x, h - s / 2, Z_CROSSHAIR]);
    this.crossPoly.getPoints().setData(pts, 3);
    this.crossPoly.getLines().setData(new Uint32Array([2, 0, 1, 2, 2, 3]));
    this.crossPoly.modified();
  }

  setZoom(zoom: number): void {
    this.zoom = Math.min(8, Math.max(0.5, zoom));
    this.fitCamera();
  }

  getZoom(): number {
    return this.zoom;
  }

  /** Centre the plane and fit it in the viewport (times the zoom). */
  fitCamera(): void {
    if (!this.plane) return;
    this.window.resize();
    const [wpx, hpx] = this.window.glWindow.getSize();
    const aspect = wpx / Math.max(1, hpx);
    const s = this.plane.step;
    const w = this.plane.cols * s;
    const h = this.plane.rows * s;
    const cx = w / 2 - s / 2;
    const cy = h / 2 - s / 2;
    const cam = this.window.renderer.getActiveCamera();
    cam.setFocalPoint(cx, cy, 0);
    cam.setPosition(cx, cy, 1000);
    cam.setViewUp(0, 1, 0);
    cam.setParallelScale((1.02 * Math.max(h / 2, w / 2 / aspect)) / this.zoom);
    cam.setClippingRange(1, 2000);
  }

  /** Client (CSS px) coordinates → plane pixel (col, row), fractional. */
  clientToPlane(clientX: number, clientY: number): { col: number; row: number } | null {
    if (!this.plane) return null;
    const rect = this.container.getBoundingClientRect();
    const cam = this.window.renderer.getActiveCamera();
    const [fx, fy] = cam.getFocalPoint();
    const mmPerPx = (2 * cam.getParallelScale()) / Math.max(1, rect.height);
    const x = fx + (clientX - rect.left - rect.width / 2) * mmPerPx;
    const y = fy + (rect.height / 2 - (clientY - rect.top)) * mmPerPx;
    return { col: x / this.plane.step, row: y / this.plane.step };
  }

  /** Plane pixel → client (CSS px): where a world point appears (tests and tooltips). */
  planeToClient(col: number, row: number): { x: number; y: number } | null {
    if (!this.plane) return null;
    const rect = this.container.getBoundingClientRect();
    const cam = this.window.renderer.getActiveCamera();
    const [fx, fy] = cam.getFocalPoint();
    const mmPerPx = (2 * cam.getParallelScale()) / Math.max(1, rect.height);
    return { x: rect.left + rect.width / 2 + (col * this.plane.step - fx) / mmPerPx, y: rect.top + rect.height / 2 - (row * this.plane.step - fy) / mmPerPx };
  }

  render(): void {
    this.window.renderWindow.render();
  }

  /** PNG data URL of the current view. */
  async capture(): Promise<string> {
    const shots = this.window.renderWindow.captureImages('image/png');
    const first = shots[0];
    if (!first) throw new Error('nothing to capture');
    return first;
  }
}
