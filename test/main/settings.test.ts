// Settings and recent files: malformed files give defaults field by field, and
// what is saved reads back.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSettings, MAX_RECENT, sanitizeSettings, SettingsStore } from '../../recon/serve/settings.ts';

describe('settings', () => {
  it('gives the defaults for anything that is not a settings object', () => {
    for (const raw of [undefined, null, 3, 'x', [], [1, 2]]) expect(sanitizeSettings(raw)).toEqual(defaultSettings());
  });

  it('keeps valid fields and drops invalid ones', () => {
    const s = sanitizeSettings({
      firstLaunchDone: true,
      radiological: 'yes',
      lastDir: 42,
      recent: ['/a.h5', 7, '', 'b\0c', '/b.nii'],
      recon: { combine: 'walsh', pi: 'none', backend: 'cpu', coils: 8 },
      evil: { __proto__: { polluted: true } },
    });
    expect(s).toEqual({ ...defaultSettings(), firstLaunchDone: true, recent: ['/a.h5', '/b.nii'], recon: { combine: 'walsh', pi: 'none', backend: 'cpu', coils: 8 } });
    expect(sanitizeSettings({ recon: { combine: 'x' } }).recon).toEqual(defaultSettings().recon);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('survives a corrupt file and persists updates and recent files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'uhf-settings-'));
    const file = join(dir, 'settings.json');
    writeFileSync(file, '{ not json');
    const store = new SettingsStore(file);
    expect(store.get()).toEqual(defaultSettings());
    await store.update({ firstLaunchDone: true, radiological: false });
    for (let i = 0; i < MAX_RECENT + 3; i++) await store.addRecent(`/data/run-${i}.h5`);
    await store.addRecent('/data/run-5.h5');
    const again = new SettingsStore(file).get();
    expect(again.firstLaunchDone).toBe(true);
    expect(again.radiological).toBe(false);
    expect(again.recent).toHaveLength(MAX_RECENT);
    expect(again.recent[0]).toBe('/data/run-5.h5');
    expect(new Set(again.recent).size).toBe(MAX_RECENT);
    expect(JSON.parse(readFileSync(file, 'utf8')).recent[0]).toBe('/data/run-5.h5');
  });

  it('returns copies, not its own state', () => {
    const store = new SettingsStore(null);
    store.get().recent.push('/x');
    expect(store.get().recent).toEqual([]);
  });
});
