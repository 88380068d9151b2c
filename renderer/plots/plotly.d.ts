// The small part of plotly.js the app uses (the dist bundle ships no types).
declare module 'plotly.js-dist-min' {
  export type Datum = number | string | null;
  export interface PlotData {
    type?: 'scatter' | 'bar' | 'heatmap' | 'histogram';
    mode?: string;
    name?: string;
    x?: ArrayLike<Datum>;
    y?: ArrayLike<Datum>;
    z?: ArrayLike<ArrayLike<number>>;
    line?: Record<string, unknown>;
    marker?: Record<string, unknown>;
    colorscale?: string | [number, string][];
    showscale?: boolean;
    hovertemplate?: string;
    orientation?: 'h' | 'v';
    nbinsx?: number;
    xbins?: Record<string, unknown>;
    [key: string]: unknown;
  }
  export type Layout = Record<string, unknown>;
  export type Config = Record<string, unknown>;
  export function newPlot(root: HTMLElement, data: Partial<PlotData>[], layout?: Layout, config?: Config): Promise<HTMLElement>;
  export function react(root: HTMLElement, data: Partial<PlotData>[], layout?: Layout, config?: Config): Promise<HTMLElement>;
  export function purge(root: HTMLElement): void;
  export function relayout(root: HTMLElement, update: Layout): Promise<HTMLElement>;
  export function toImage(root: HTMLElement, opts: { format: 'png'; width?: number; height?: number }): Promise<string>;
  export const Plots: { resize(root: HTMLElement): void };
  const Plotly: {
    newPlot: typeof newPlot;
    react: typeof react;
    purge: typeof purge;
    relayout: typeof relayout;
    toImage: typeof toImage;
    Plots: typeof Plots;
  };
  export default Plotly;
}
