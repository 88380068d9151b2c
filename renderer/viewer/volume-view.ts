/**
 * The 3D view: a vtk.js volume rendering of the anatomy (one frame), placed in
 * world space through its affine — the only place a volume becomes a
 * vtkImageData with origin, spacing and direction. vtkImageData cannot hold a
 * shear, so a sheared affine is reported and rendered without it.
 */
import vtkImageData from '@kitware/vtk.js/Common/DataModel/ImageData';
import vtkDataArray from '@kitware/vtk.js/Common/Core/DataArray';
import vtkVolume from '@kitware/vtk.js/Rendering/Core/Volume';
import vtkVolumeMapper from '@kitware/vtk.js/Rendering/Core/VolumeMapper';
import vtkRenderWindowInteractor from '@kitware/vtk.js/Rendering/Core/RenderWindowInteractor';
import vtkInteractorStyleTrackballCamera from '@kitware/vtk.js/Interaction/Style/InteractorStyleTrackballCamera';
import { colorFunction, createVtkWindow, fillColorFunction, opacityFunction, type VtkWindow } from './vtk-setup.ts';
import { ANATOMY_COLORMAPS, type AnatomyColormap } from './colormaps.ts';

export interface ImageGeometry {
  origin: [number, number, number];
  spacing: [number, number, number];
  /** Column-major 3×3 (column c = unit direction of voxel axis c). */
  direction: number[];
  /** Largest |cos| between two axes: 0 for an orthogonal grid. */
  shear: number;
}

/** Affine (row-major 4×4) → vtkImageData geometry. */
export function imageGeometry(affine: readonly number[]): ImageGeometry {
  const col = (c: number): [number, number, number] => [affine[c]!, affine[4 + c]!, affine[8 + c]!];
  const cols = [col(0), col(1), col(2)];
  const spacing = cols.map((v) => Math.hypot(...v)) as [number, number, number];
  const unit = cols.map((v, i) => v.map((x) => x / (spacing[i] || 1)) as [number, number, number]);
  const dot = (a: number[], b: number[]) => a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
  const shear = Math.max(Math.abs(dot(unit[0]!, unit[1]!)), Math.abs(dot(unit[0]!, unit[2]!)), Math.abs(dot(unit[1]!, unit[2]!)));
  return { origin: [affine[3]!, affine[7]!, affine[11]!], spacing, direction: unit.flat(), shear };
}

export class VolumeView {
  readonly window: VtkWindow;
  private readonly image = vtkImageData.newInstance();
  private readonly scalars = vtkDataArray.newInstance({ name: 'values', numberOfComponents: 1, values: new Float32Array(1) });
  private readonly mapper = vtkVolumeMapper.newInstance();
  private readonly actor = vtkVolume.newInstance();
  private readonly colors = colorFunction(ANATOMY_COLORMAPS.gray);
  private readonly interactor = vtkRenderWindowInteractor.newInstance();
  private hasData = false;
  warning: string | null = null;

  constructor(readonly container: HTMLElement) {
    this.window = createVtkWindow(container, [0.05, 0.06, 0.08]);
    this.image.getPointData().setScalars(this.scalars);
    this.mapper.setInputData(this.image);
    this.mapper.setSampleDistance(1.5);
    this.actor.setMapper(this.mapper);
    this.actor.getProperty().setRGBTransferFunction(0, this.colors);
    this.actor.getProperty().setInterpolationTypeToLinear();
    // The volume mapper needs an interactor (it asks it whether the view is animating).
    this.interactor.setView(this.window.glWindow);
    this.interactor.initialize();
    this.interactor.bindEvents(container);
    this.interactor.setInteractorStyle(vtkInteractorStyleTrackballCamera.newInstance());
  }

  setVolume(affine: readonly number[], dims: readonly number[], frameData: Float32Array, window: [number, number], colormap: AnatomyColormap): void {
    const g = imageGeometry(affine);
    this.warning = g.shear > 1e-3 ? `the affine has a shear (|cos| ${g.shear.toFixed(3)}); the 3D view shows it without` : null;
    this.image.setDimensions(dims[0]!, dims[1]!, dims[2]!);
    this.image.setOrigin(g.origin);
    this.image.setSpacing(g.spacing);
    const [d0, d1, d2, d3, d4, d5, d6, d7, d8] = g.direction as [number, number, number, number, number, number, number, number, number];
    this.image.setDirection(d0, d1, d2, d3, d4, d5, d6, d7, d8);
    this.scalars.setData(frameData, 1);
    this.scalars.modified();
    this.image.modified();
    this.setWindow(window, colormap);
    if (!this.hasData) {
      this.window.renderer.addVolume(this.actor);
      this.resetCamera();
      this.hasData = true;
    }
  }

  setWindow([lo, hi]: [number, number], colormap: AnatomyColormap): void {
    const span = Math.max(1e-6, hi - lo);
    fillColorFunction(this.colors, ANATOMY_COLORMAPS[colormap].map(([t, c]) => [lo + t * span, c]));
    this.actor.getProperty().setScalarOpacity(0, opacityFunction([[lo + 0.15 * span, 0], [lo + 0.6 * span, 0.08], [hi, 0.25]]));
  }

  resetCamera(): void {
    const r = this.window.renderer;
    const cam = r.getActiveCamera();
    // A view from the front-left-above, head up (RAS: +z superior).
    cam.setPosition(-1, 1.4, 0.6);
    cam.setFocalPoint(0, 0, 0);
    cam.setViewUp(0, 0, 1);
    r.resetCamera();
  }

  render(): void {
    this.window.resize();
    this.window.renderWindow.render();
  }

  async capture(): Promise<string> {
    const first = this.window.renderWindow.captureImages('image/png')[0];
    if (!first) throw new Error('nothing to capture');
    return first;
  }
}
