/** Small DOM helpers: typed look-ups that fail loudly when the page and the code disagree. */
export function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) el.setAttribute(k, v);
  el.append(...children);
  return el;
}

export function num(id: string, fallback: number): number {
  const v = Number($<HTMLInputElement>(id).value);
  return $<HTMLInputElement>(id).value.trim() !== '' && Number.isFinite(v) ? v : fallback;
}

export function fmt(x: number | null | undefined, digits = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

export function formatEta(sec: number | null): string {
  if (sec === null) return '';
  if (sec < 1) return 'almost done';
  if (sec < 90) return `about ${Math.ceil(sec)} s left`;
  return `about ${Math.round(sec / 60)} min left`;
}

export function basename(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

export function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : path;
}

/** Save a data URL (or blob) as a download: works in a browser and, through will-download, in Electron. */
export function download(url: string, name: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
}
