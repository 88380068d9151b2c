// The file access policy shared by Electron main and uhf serve: roots, grants,
// symlinks, traversal, file types, and what may be written.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileAccessPolicy, fileKindOf } from '../../recon/serve/file-policy.ts';
import { ApiFailure } from '../../recon/serve/errors.ts';

function codeOf(f: () => unknown): string | null {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof ApiFailure ? e.code : 'OTHER';
  }
}

describe('FileAccessPolicy', () => {
  let base: string;
  let root: string;
  let outside: string;
  let policy: FileAccessPolicy;
  beforeEach(() => {
    base = mkdtempSync(join(tmpdir(), 'uhf-policy-'));
    root = join(base, 'data');
    outside = join(base, 'private');
    mkdirSync(join(root, 'sub'), { recursive: true });
    mkdirSync(outside);
    for (const f of ['scan.h5', 'sub/bold.nii.gz', 'events.tsv', 'notes.txt', 'w.uhf.json']) writeFileSync(join(root, f), 'x');
    writeFileSync(join(outside, 'secret.nii'), 'x');
    writeFileSync(join(outside, 'key.pem'), 'x');
    policy = new FileAccessPolicy([root]);
  });

  it('classifies file names', () => {
    expect(fileKindOf('a.H5')).toBe('raw');
    expect(fileKindOf('a.nii.gz')).toBe('nifti');
    expect(fileKindOf('sub-01_task-x_events.tsv')).toBe('events');
    expect(fileKindOf('x.uhf.json')).toBe('workspace');
    expect(fileKindOf('x.json')).toBe('other');
    expect(fileKindOf('id_rsa')).toBe('other');
  });

  it('reads data files inside the roots, by their real path', () => {
    expect(policy.check(join(root, 'scan.h5'), 'read')).toBe(join(root, 'scan.h5'));
    expect(policy.check(join(root, 'sub', '..', 'sub', 'bold.nii.gz'), 'read', ['nifti'])).toBe(join(root, 'sub', 'bold.nii.gz'));
  });

  it('refuses other types, wrong kinds, relative paths and paths outside the roots', () => {
    expect(codeOf(() => policy.check(join(root, 'notes.txt'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'scan.h5'), 'read', ['nifti']))).toBe('API_BAD_REQUEST');
    expect(codeOf(() => policy.check('scan.h5', 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, '..', 'private', 'secret.nii'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(outside, 'secret.nii'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(`${join(root, 'scan.h5')}\0.nii`, 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'missing.nii'), 'read'))).toBe('INGEST_NOT_FOUND');
    expect(codeOf(() => policy.check(join(outside, 'missing.nii'), 'read'))).toBe('API_FORBIDDEN');
  });

  it('follows symlinks: a link inside the roots to a file outside is refused', () => {
    symlinkSync(join(outside, 'secret.nii'), join(root, 'link.nii'));
    symlinkSync(join(outside, 'key.pem'), join(root, 'key.nii'));
    symlinkSync(outside, join(root, 'escape'));
    expect(codeOf(() => policy.check(join(root, 'link.nii'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'key.nii'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'escape'), 'list'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'escape', 'new.nii.gz'), 'write'))).toBe('API_FORBIDDEN');
  });

  it('grants exactly the file the user chose', () => {
    const file = join(outside, 'secret.nii');
    policy.grant(file);
    expect(policy.check(file, 'read')).toBe(file);
    expect(codeOf(() => policy.check(join(outside, 'key.pem'), 'read'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(outside, 'list'))).toBe('API_FORBIDDEN');
    expect(() => policy.grant('relative.nii')).toThrow();
  });

  it('writes only NIfTI and workspace files, inside the roots or where a Save dialog said', () => {
    expect(policy.check(join(root, 'out.nii.gz'), 'write')).toBe(join(root, 'out.nii.gz'));
    expect(policy.check(join(root, 'w.uhf.json'), 'write')).toBe(join(root, 'w.uhf.json'));
    expect(codeOf(() => policy.check(join(root, 'scan.h5'), 'write'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'events.tsv'), 'write'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(outside, 'out.nii.gz'), 'write'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check(join(root, 'nope', 'out.nii.gz'), 'write'))).toBe('API_FORBIDDEN');
    mkdirSync(join(root, 'dir.nii'));
    expect(codeOf(() => policy.check(join(root, 'dir.nii'), 'write'))).toBe('API_FORBIDDEN');
    policy.grant(join(outside, 'chosen.nii.gz'));
    expect(policy.check(join(outside, 'chosen.nii.gz'), 'write')).toBe(join(outside, 'chosen.nii.gz'));
  });

  it('lists folders inside the roots only', () => {
    expect(policy.check(root, 'list')).toBe(root);
    expect(policy.check(join(root, 'sub'), 'list')).toBe(join(root, 'sub'));
    expect(codeOf(() => policy.check(base, 'list'))).toBe('API_FORBIDDEN');
    expect(codeOf(() => policy.check('/', 'list'))).toBe('API_FORBIDDEN');
  });
});
