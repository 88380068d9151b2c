/**
 * Choosing a file: the native dialog in Electron (main grants the chosen path),
 * else a small in-page browser over `files.list`, which only shows the folders
 * `uhf serve` allows (its roots).
 */
import type { ApiClient } from '../../shared/api/client.ts';
import type { FileKind, PickKind } from '../../shared/api/types.ts';
import { $, h } from '../dom.ts';

const KINDS: Record<PickKind, FileKind[]> = {
  raw: ['raw'],
  nifti: ['nifti'],
  events: ['events'],
  workspace: ['workspace'],
  data: ['raw', 'nifti'],
};

export interface PickOptions {
  mode: 'open' | 'save';
  kind: PickKind;
  title: string;
  suggestedName?: string;
  startDir?: string | null;
}

function sizeText(bytes: number): string {
  return bytes > 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : bytes > 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${Math.ceil(bytes / 1e3)} kB`;
}

export async function pickFile(api: ApiClient, native: boolean, o: PickOptions): Promise<string | null> {
  if (native) {
    if (o.mode === 'open') return (await api.call('files.pickOpen', { kind: o.kind }))?.path ?? null;
    const kind = o.kind === 'workspace' ? 'workspace' : 'nifti';
    return (await api.call('files.pickSave', { kind, suggestedName: o.suggestedName ?? '' }))?.path ?? null;
  }
  return inPagePicker(api, o);
}

function inPagePicker(api: ApiClient, o: PickOptions): Promise<string | null> {
  const dialog = $<HTMLDialogElement>('file-dialog');
  const list = $<HTMLUListElement>('fd-list');
  const nameRow = $('fd-name-row');
  const name = $<HTMLInputElement>('fd-name');
  $('fd-title').textContent = o.title;
  nameRow.style.display = o.mode === 'save' ? '' : 'none';
  name.value = o.suggestedName ?? '';
  let dir = '';
  let chosen: string | null = null;
  const show = async (d?: string) => {
    const listing = await api.call('files.list', d ? { dir: d } : {});
    dir = listing.dir;
    $('fd-dir').textContent = listing.dir;
    list.replaceChildren();
    if (listing.parent) {
      const up = h('li', { class: 'dir' }, '..');
      up.addEventListener('click', () => void show(listing.parent!));
      list.append(up);
    }
    for (const e of listing.entries) {
      if (e.kind !== 'dir' && !KINDS[o.kind].includes(e.kind)) continue;
      const li = h('li', { class: e.kind === 'dir' ? 'dir' : 'file', 'data-path': e.path }, h('span', {}, e.name), h('span', { class: 'muted' }, e.kind === 'dir' ? '' : sizeText(e.bytes)));
      li.addEventListener('click', () => {
        if (e.kind === 'dir') return void show(e.path);
        for (const x of list.querySelectorAll('li.selected')) x.classList.remove('selected');
        li.classList.add('selected');
        chosen = e.path;
        if (o.mode === 'save') name.value = e.name;
      });
      li.addEventListener('dblclick', () => {
        if (e.kind === 'dir') return;
        chosen = e.path;
        dialog.close('ok');
      });
      list.append(li);
    }
  };
  return new Promise((resolve, reject) => {
    show(o.startDir ?? undefined).catch(() => show()).then(() => {
      dialog.addEventListener(
        'close',
        () => {
          if (dialog.returnValue !== 'ok') return resolve(null);
          if (o.mode === 'save') return resolve(name.value.trim() ? (name.value.includes('/') ? name.value.trim() : `${dir}/${name.value.trim()}`) : null);
          resolve(chosen);
        },
        { once: true },
      );
      dialog.returnValue = '';
      dialog.showModal();
    }, reject);
  });
}
