/**
 * The app's settings and recent files, as one JSON file (Electron: userData;
 * `uhf serve`: kept in memory). A file that is missing, unreadable or
 * malformed gives the defaults — field by field — never a crash at start-up.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { reconSettingsSchema, type ApiArgs } from '../../shared/api/contract.ts';
import type { Settings } from '../../shared/api/types.ts';
import { writeFileAtomic } from '../io/atomic.ts';

export const MAX_RECENT = 10;

export function defaultSettings(): Settings {
  return { firstLaunchDone: false, recent: [], lastDir: null, radiological: true, recon: { combine: 'rss', pi: 'auto', backend: 'auto', coils: null } };
}

/** Keeps every valid field of `raw`, defaults for the rest. */
export function sanitizeSettings(raw: unknown): Settings {
  const s = defaultSettings();
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return s;
  const r = raw as Record<string, unknown>;
  if (typeof r['firstLaunchDone'] === 'boolean') s.firstLaunchDone = r['firstLaunchDone'];
  if (typeof r['radiological'] === 'boolean') s.radiological = r['radiological'];
  if (typeof r['lastDir'] === 'string' && r['lastDir'].length < 4096) s.lastDir = r['lastDir'];
  if (Array.isArray(r['recent'])) s.recent = r['recent'].filter((p): p is string => typeof p === 'string' && p.length > 0 && p.length < 4096 && !p.includes('\0')).slice(0, MAX_RECENT);
  try {
    s.recon = reconSettingsSchema.parse(r['recon']);
  } catch {
    /* keep the default */
  }
  return s;
}

export class SettingsStore {
  private value: Settings;

  /** `file` null: in memory only. */
  constructor(private readonly file: string | null) {
    let raw: unknown;
    if (file) {
      try {
        raw = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        raw = undefined;
      }
    }
    this.value = sanitizeSettings(raw);
  }

  get(): Settings {
    return structuredClone(this.value);
  }

  async update(patch: ApiArgs<'settings.update'>['patch']): Promise<Settings> {
    this.value = { ...this.value, ...patch };
    await this.save();
    return this.get();
  }

  async addRecent(path: string): Promise<void> {
    this.value.recent = [path, ...this.value.recent.filter((p) => p !== path)].slice(0, MAX_RECENT);
    await this.save();
  }

  private async save(): Promise<void> {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    await writeFileAtomic(this.file, new TextEncoder().encode(JSON.stringify(this.value, null, 2)));
  }
}
