/**
 * Which files the UI may make the engine read or write. A path is allowed when
 * its real path (symlinks resolved) lies inside one of the roots, or when the
 * user picked it in a native dialog or dropped it on the window (a grant).
 * Only data file types are ever read or written; everything else is refused,
 * whatever a compromised renderer asks for.
 */
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FileKind } from '../../shared/api/types.ts';
import { ApiFailure } from './errors.ts';

export const WORKSPACE_SUFFIX = '.uhf.json';

/** File kinds by name; `null` for names the app never opens. */
export function fileKindOf(name: string): Exclude<FileKind, 'dir'> {
  const n = name.toLowerCase();
  if (/\.(h5|hdf5|mrd)$/.test(n)) return 'raw';
  if (/\.nii(\.gz)?$/.test(n)) return 'nifti';
  if (n.endsWith('events.tsv') || n.endsWith('.tsv')) return 'events';
  if (n.endsWith(WORKSPACE_SUFFIX)) return 'workspace';
  return 'other';
}

export type Access = 'read' | 'write' | 'list';

const WRITABLE: ReadonlySet<string> = new Set(['nifti', 'workspace']);

function isInside(child: string, parent: string): boolean {
  if (child === parent) return true;
  const rel = relative(parent, child);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

function real(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

export class FileAccessPolicy {
  private readonly roots: string[] = [];
  private readonly granted = new Set<string>();

  constructor(roots: readonly string[] = []) {
    for (const r of roots) this.addRoot(r);
  }

  addRoot(dir: string): void {
    const r = real(resolve(dir));
    if (r && !this.roots.includes(r)) this.roots.push(r);
  }

  get rootList(): readonly string[] {
    return this.roots;
  }

  /** A file the user chose (dialog, drop, recent list): allowed from now on, for that path only. */
  grant(path: string): void {
    if (!isAbsolute(path)) throw new ApiFailure('API_FORBIDDEN', `not an absolute path: ${path}`);
    this.granted.add(resolve(path));
    const r = real(path);
    if (r) this.granted.add(r);
  }

  private insideRoots(path: string): boolean {
    return this.roots.some((root) => isInside(path, root));
  }

  /**
   * Checks one access and returns the absolute path to use. Throws API_FORBIDDEN
   * (never touching the file) when the policy says no.
   */
  check(path: string, access: Access, kinds?: readonly FileKind[]): string {
    if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) throw new ApiFailure('API_FORBIDDEN', 'not a path');
    if (!isAbsolute(path)) throw new ApiFailure('API_FORBIDDEN', `not an absolute path: ${path}`);
    const abs = resolve(path);
    if (access === 'list') {
      const r = real(abs);
      if (!r || !this.insideRoots(r)) throw new ApiFailure('API_FORBIDDEN', `outside the folders the app may browse: ${path}`);
      return r;
    }
    const kind = fileKindOf(basename(abs));
    if (kind === 'other') throw new ApiFailure('API_FORBIDDEN', `not a file type the app opens (.h5, .nii, .nii.gz, .tsv, ${WORKSPACE_SUFFIX}): ${path}`);
    if (kinds && !kinds.includes(kind)) throw new ApiFailure('API_BAD_REQUEST', `expected a ${kinds.join(' or ')} file: ${path}`);
    if (access === 'write') {
      if (!WRITABLE.has(kind)) throw new ApiFailure('API_FORBIDDEN', `the app only writes NIfTI and workspace files: ${path}`);
      const parent = real(dirname(abs));
      if (!parent) throw new ApiFailure('API_FORBIDDEN', `the folder does not exist: ${dirname(abs)}`);
      const target = join(parent, basename(abs));
      const existing = real(target);
      if (existing && !statSync(existing).isFile()) throw new ApiFailure('API_FORBIDDEN', `not a regular file: ${path}`);
      if (this.granted.has(abs) || this.granted.has(target) || this.insideRoots(existing ?? target)) return target;
      throw new ApiFailure('API_FORBIDDEN', `outside the folders the app may write (choose the file in a Save dialog): ${path}`);
    }
    const r = real(abs);
    if (!r) {
      // Say "not found" only where the user may look; elsewhere do not reveal what exists.
      if (this.granted.has(abs) || this.insideRoots(abs)) throw new ApiFailure('INGEST_NOT_FOUND', `no such file: ${path}`, { file: path });
      throw new ApiFailure('API_FORBIDDEN', `outside the folders the app may open: ${path}`);
    }
    if (!statSync(r).isFile()) throw new ApiFailure('API_FORBIDDEN', `not a regular file: ${path}`);
    if (fileKindOf(basename(r)) === 'other') throw new ApiFailure('API_FORBIDDEN', `links to a file type the app does not open: ${path}`);
    if (this.granted.has(abs) || this.granted.has(r) || this.insideRoots(r)) return r;
    throw new ApiFailure('API_FORBIDDEN', `outside the folders the app may open (use Open… or drop the file on the window): ${path}`);
  }
}
