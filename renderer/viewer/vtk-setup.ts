/**
 * vtk.js set-up shared by the views: the rendering profiles, and the OpenGL
 * render window imported explicitly (the profiles alone do not register the
 * WebGL view in this vtk.js version). The WebGL backend is used, not WebGPU.
 */
import '@kitware/vtk.js/Rendering/Profiles/Geometry';
import '@kitware/vtk.js/Rendering/Profiles/Volume';
import vtkOpenGLRenderWindow from '@kitware/vtk.js/Rendering/OpenGL/RenderWindow';
import vtkRenderWindow from '@kitware/vtk.js/Rendering/Core/RenderWindow';
import vtkRenderer from '@kitware/vtk.js/Rendering/Core/Renderer';
import vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';
import vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import type { ColorStops } from './colormaps.ts';

export interface VtkWindow {
  renderWindow: ReturnType<typeof vtkRenderWindow.newInstance>;
  renderer: ReturnType<typeof vtkRenderer.newInstance>;
  glWindow: ReturnType<typeof vtkOpenGLRenderWindow.newInstance>;
  /** Match the canvas to its container (device pixels). */
  resize(): void;
  dispose(): void;
}

export function createVtkWindow(container: HTMLElement, background: [number, number, number] = [0, 0, 0]): VtkWindow {
  const renderWindow = vtkRenderWindow.newInstance();
  const renderer = vtkRenderer.newInstance();
  renderer.setBackground(...background);
  renderWindow.addRenderer(renderer);
  const glWindow = vtkOpenGLRenderWindow.newInstance();
  glWindow.setContainer(container);
  renderWindow.addView(glWindow);
  const resize = () => {
    const r = container.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    glWindow.setSize(Math.max(1, Math.floor(r.width * dpr)), Math.max(1, Math.floor(r.height * dpr)));
  };
  resize();
  return {
    renderWindow,
    renderer,
    glWindow,
    resize,
    dispose: () => {
      glWindow.setContainer(null);
      glWindow.delete();
      renderWindow.delete();
      renderer.delete();
    },
  };
}

export function colorFunction(stops: ColorStops): ReturnType<typeof vtkColorTransferFunction.newInstance> {
  const f = vtkColorTransferFunction.newInstance();
  fillColorFunction(f, stops);
  return f;
}

export function fillColorFunction(f: ReturnType<typeof vtkColorTransferFunction.newInstance>, stops: ColorStops): void {
  f.removeAllPoints();
  for (const [t, [r, g, b]] of stops) f.addRGBPoint(t, r, g, b);
}

export function opacityFunction(points: [number, number][]): ReturnType<typeof vtkPiecewiseFunction.newInstance> {
  const f = vtkPiecewiseFunction.newInstance();
  for (const [x, y] of points) f.addPoint(x, y);
  return f;
}
