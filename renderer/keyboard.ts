/**
 * Keyboard shortcuts, in one table (the help dialog and docs/APP.md list the
 * same). Keys act on the view under the mouse; none fire while typing.
 */
import type { App } from './app.ts';
import { $, h } from './dom.ts';

export interface Shortcut {
  keys: string;
  what: string;
  match: (e: KeyboardEvent) => boolean;
  run: (app: App, e: KeyboardEvent) => void;
}

const key = (k: string, mods: { ctrl?: boolean; shift?: boolean } = {}) => (e: KeyboardEvent) =>
  e.key.toLowerCase() === k.toLowerCase() && !!(e.ctrlKey || e.metaKey) === !!mods.ctrl && (mods.shift === undefined || e.shiftKey === mods.shift);

export function shortcuts(actions: { openRaw(): void; openNifti(): void; saveNifti(): void; saveWorkspace(): void; runGlm(): void; cancel(): boolean }): Shortcut[] {
  const view = (app: App) => (app.hovered === 'volume' ? 'axial' : app.hovered);
  return [
    { keys: '↑ / ↓, PgUp / PgDn, mouse wheel', what: 'next / previous slice in the view under the mouse', match: (e) => ['ArrowUp', 'ArrowDown', 'PageUp', 'PageDown'].includes(e.key), run: (app, e) => app.viewer.moveSlice(view(app), e.key === 'ArrowUp' || e.key === 'PageUp' ? 1 : -1) },
    { keys: '← / →', what: 'previous / next frame (4D)', match: (e) => e.key === 'ArrowLeft' || e.key === 'ArrowRight', run: (app, e) => app.stepFrame(e.key === 'ArrowRight' ? 1 : -1) },
    { keys: 'Space', what: 'play / pause the frames', match: (e) => e.key === ' ', run: (app) => app.togglePlay() },
    { keys: 'Click / drag', what: 'move the crosshair (all views follow)', match: () => false, run: () => undefined },
    { keys: 'Ctrl + wheel', what: 'zoom the view under the mouse', match: () => false, run: () => undefined },
    { keys: 'C', what: 'crosshair to the centre of the volume', match: key('c'), run: (app) => app.viewer.base && app.viewer.setBase(app.viewer.base, false) },
    { keys: 'R', what: 'radiological ↔ neurological display', match: key('r'), run: (app) => app.toggleOrientation() },
    { keys: 'O', what: 'overlay on / off', match: key('o', { ctrl: false }), run: (app) => {
      const sel = $<HTMLSelectElement>('ov-map');
      const last = sel.dataset['last'] ?? '';
      if (app.overlayId) {
        sel.dataset['last'] = app.overlayId;
        void app.showOverlay(null);
      } else if (last) void app.showOverlay(last);
    } },
    { keys: 'A', what: 'automatic window (2nd–98th percentile)', match: key('a'), run: (app) => app.autoWindow() },
    { keys: 'S', what: 'PNG screenshot of the view under the mouse', match: key('s', { ctrl: false }), run: (app) => void app.screenshot(app.hovered) },
    { keys: 'G', what: 'run the GLM', match: key('g'), run: () => actions.runGlm() },
    { keys: 'Esc', what: 'cancel the running reconstruction', match: (e) => e.key === 'Escape', run: (app) => actions.cancel() && app.status('cancelling …', 'warn') },
    { keys: 'Ctrl+O', what: 'open raw data (.h5)', match: key('o', { ctrl: true, shift: false }), run: () => actions.openRaw() },
    { keys: 'Ctrl+Shift+O', what: 'open a NIfTI volume', match: key('o', { ctrl: true, shift: true }), run: () => actions.openNifti() },
    { keys: 'Ctrl+S', what: 'save the workspace', match: key('s', { ctrl: true, shift: false }), run: () => actions.saveWorkspace() },
    { keys: 'Ctrl+Shift+S', what: 'save the displayed volume as NIfTI', match: key('s', { ctrl: true, shift: true }), run: () => actions.saveNifti() },
    { keys: '?', what: 'this list', match: (e) => e.key === '?', run: () => $<HTMLDialogElement>('help-dialog').showModal() },
  ];
}

export function bindKeyboard(app: App, list: Shortcut[]): void {
  $('help-table').replaceChildren(...list.map((s) => h('tr', {}, h('td', {}, s.keys), h('td', {}, s.what))));
  $('btn-help').addEventListener('click', () => $<HTMLDialogElement>('help-dialog').showModal());
  window.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement | null;
    if (t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable)) return;
    if (document.querySelector('dialog[open]')) return;
    const s = list.find((x) => x.match(e));
    if (!s) return;
    e.preventDefault();
    s.run(app, e);
  });
}
