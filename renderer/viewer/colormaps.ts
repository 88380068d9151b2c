/**
 * Colour maps as control points over [0, 1] (r, g, b in 0..1). The anatomy is
 * windowed to [0, 1] before display; the overlay is encoded in [0, 1] with the
 * negative range below 0.5 and the positive range above (see overlay.ts).
 */
export type Rgb = [number, number, number];
export type ColorStops = [number, Rgb][];

export const ANATOMY_COLORMAPS = {
  gray: [[0, [0, 0, 0]], [1, [1, 1, 1]]],
  inverted: [[0, [1, 1, 1]], [1, [0, 0, 0]]],
  bone: [[0, [0, 0, 0]], [0.375, [0.32, 0.32, 0.45]], [0.75, [0.65, 0.78, 0.78]], [1, [1, 1, 1]]],
  viridis: [[0, [0.267, 0.005, 0.329]], [0.25, [0.229, 0.322, 0.546]], [0.5, [0.128, 0.567, 0.551]], [0.75, [0.369, 0.789, 0.383]], [1, [0.993, 0.906, 0.144]]],
} satisfies Record<string, ColorStops>;
export type AnatomyColormap = keyof typeof ANATOMY_COLORMAPS;

/** Positive maps, from the threshold (t = 0) to the top (t = 1). */
export const POSITIVE_COLORMAPS = {
  hot: [[0, [0.85, 0, 0]], [0.5, [1, 0.45, 0]], [1, [1, 1, 0]]],
  warm: [[0, [0.9, 0.3, 0.1]], [1, [1, 0.85, 0.3]]],
  red: [[0, [0.6, 0, 0]], [1, [1, 0, 0]]],
} satisfies Record<string, ColorStops>;
export type PositiveColormap = keyof typeof POSITIVE_COLORMAPS;

/** Negative maps, from the threshold (t = 0) to the most negative (t = 1). */
export const NEGATIVE_COLORMAPS = {
  cool: [[0, [0, 0.25, 0.9]], [0.5, [0, 0.6, 1]], [1, [0.4, 1, 1]]],
  blue: [[0, [0, 0, 0.6]], [1, [0.2, 0.4, 1]]],
} satisfies Record<string, ColorStops>;
export type NegativeColormap = keyof typeof NEGATIVE_COLORMAPS;

export function colorAt(stops: ColorStops, t: number): Rgb {
  const x = Math.min(1, Math.max(0, t));
  for (let i = 1; i < stops.length; i++) {
    const [t1, c1] = stops[i]!;
    const [t0, c0] = stops[i - 1]!;
    if (x <= t1) {
      const f = t1 > t0 ? (x - t0) / (t1 - t0) : 0;
      return [c0[0] + f * (c1[0] - c0[0]), c0[1] + f * (c1[1] - c0[1]), c0[2] + f * (c1[2] - c0[2])];
    }
  }
  return stops[stops.length - 1]![1];
}

/** Stops of the overlay's combined map over [0, 1]: negative (strong at 0) below 0.5, positive above. */
export function overlayStops(pos: PositiveColormap, neg: NegativeColormap): ColorStops {
  const out: ColorStops = [];
  const n = NEGATIVE_COLORMAPS[neg];
  for (let i = n.length - 1; i >= 0; i--) out.push([0.499 * (1 - n[i]![0]), n[i]![1]]);
  for (const [t, c] of POSITIVE_COLORMAPS[pos]) out.push([0.501 + 0.499 * t, c]);
  return out;
}

/** A CSS linear-gradient of a map, for legends. */
export function cssGradient(stops: ColorStops): string {
  const c = (rgb: Rgb) => `rgb(${rgb.map((x) => Math.round(255 * x)).join(',')})`;
  return `linear-gradient(to right, ${stops.map(([t, rgb]) => `${c(rgb)} ${(100 * t).toFixed(1)}%`).join(', ')})`;
}
