/**
 * The host's entry point for every API call (Electron main's IPC handler and
 * the serve WebSocket both call `dispatch`): the method must exist in the
 * contract, its arguments must parse with its schema, a job id must be
 * well-formed and only given to job methods, and every path argument must pass
 * the file access policy. Host methods run here; worker methods go to the
 * recon worker with the checked arguments.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { CONTRACT, isApiMethod, isJobMethod, JOB_ID, workspaceSchema, type ApiArgs, type ApiMethod, type ApiResult } from '../../shared/api/contract.ts';
import type { FileEntry, FileKind, FileListing } from '../../shared/api/types.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { ApiFailure } from './errors.ts';
import { fileKindOf, WORKSPACE_SUFFIX, type Access, type FileAccessPolicy } from './file-policy.ts';

export type HostMethod = { [M in ApiMethod]: (typeof CONTRACT)[M]['runsIn'] extends 'host' ? M : never }[ApiMethod];
export type HostHandlers = { [M in HostMethod]: (args: ApiArgs<M>) => Promise<ApiResult<M>> };

export interface WorkerCaller {
  call(method: string, args: unknown, jobId?: string): Promise<unknown>;
}

/** Path arguments of each method, with the access they need and the kinds they must be. */
const PATH_ARGS: Partial<Record<ApiMethod, { key: string; access: Access; kinds?: FileKind[] }[]>> = {
  'ismrmrd.summary': [{ key: 'path', access: 'read', kinds: ['raw'] }],
  'recon.run': [{ key: 'path', access: 'read', kinds: ['raw'] }],
  'nifti.open': [{ key: 'path', access: 'read', kinds: ['nifti'] }],
  'nifti.save': [{ key: 'path', access: 'write', kinds: ['nifti'] }],
  'glm.run': [{ key: 'events', access: 'read', kinds: ['events'] }],
  'files.list': [{ key: 'dir', access: 'list' }],
  'workspace.save': [{ key: 'path', access: 'write', kinds: ['workspace'] }],
  'workspace.load': [{ key: 'path', access: 'read', kinds: ['workspace'] }],
};

/** Methods whose successful call means the user opened that file (recent files). */
const OPENS: Partial<Record<ApiMethod, string>> = { 'recon.run': 'path', 'nifti.open': 'path', 'workspace.load': 'path' };

export interface ApiHostOptions {
  policy: FileAccessPolicy;
  worker: WorkerCaller;
  handlers: HostHandlers;
  onOpened?: (path: string) => void;
}

export class ApiHost {
  constructor(private readonly o: ApiHostOptions) {}

  /** Validate and run one call from the UI. Everything here is untrusted input. */
  async dispatch(method: unknown, rawArgs: unknown, jobId?: unknown): Promise<unknown> {
    if (!isApiMethod(method)) throw new ApiFailure('API_UNKNOWN_METHOD', `unknown method ${typeof method === 'string' ? `'${method.slice(0, 60)}'` : typeof method}`);
    if (jobId !== undefined && jobId !== null) {
      if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) throw new ApiFailure('API_BAD_REQUEST', 'malformed job id');
      if (!isJobMethod(method)) throw new ApiFailure('API_BAD_REQUEST', `${method} is not a job`);
    }
    const args = CONTRACT[method].args.parse(rawArgs) as Record<string, unknown>;
    for (const p of PATH_ARGS[method] ?? []) {
      const value = args[p.key];
      if (typeof value === 'string') args[p.key] = this.o.policy.check(value, p.access, p.kinds);
    }
    let result: unknown;
    if (CONTRACT[method].runsIn === 'host') {
      const handler = this.o.handlers[method as HostMethod] as (a: unknown) => Promise<unknown>;
      result = await handler(args);
    } else {
      result = await this.o.worker.call(method, args, typeof jobId === 'string' ? jobId : undefined);
    }
    const opened = OPENS[method];
    if (opened && typeof args[opened] === 'string') this.o.onOpened?.(args[opened] as string);
    return result;
  }
}

/** files.list, workspace.save / .load: the same in every host. */
export function commonHostHandlers(policy: FileAccessPolicy): Pick<HostHandlers, 'files.list' | 'workspace.save' | 'workspace.load'> {
  return {
    'files.list': async (args) => {
      const dir = args.dir ?? policy.rootList[0];
      if (!dir) throw new ApiFailure('API_FORBIDDEN', 'no folder may be browsed');
      const real = policy.check(dir, 'list');
      const entries: FileEntry[] = [];
      for (const d of await readdir(real, { withFileTypes: true })) {
        if (d.name.startsWith('.')) continue;
        const path = join(real, d.name);
        if (d.isDirectory()) entries.push({ name: d.name, path, kind: 'dir', bytes: 0 });
        else if (d.isFile() || d.isSymbolicLink()) {
          const kind = fileKindOf(d.name);
          if (kind === 'other') continue;
          const bytes = await stat(path).then((s) => s.size, () => 0);
          entries.push({ name: d.name, path, kind, bytes });
        }
      }
      entries.sort((a, b) => Number(b.kind === 'dir') - Number(a.kind === 'dir') || a.name.localeCompare(b.name));
      let parent: string | null = dirname(real);
      try {
        policy.check(parent, 'list');
      } catch {
        parent = null;
      }
      const listing: FileListing = { dir: real, parent: parent === real ? null : parent, entries: entries.slice(0, 2000) };
      return listing;
    },
    'workspace.save': async (args) => {
      const path = args.path.endsWith(WORKSPACE_SUFFIX) ? args.path : `${args.path}${WORKSPACE_SUFFIX}`;
      await writeFileAtomic(path, new TextEncoder().encode(JSON.stringify(args.workspace, null, 2)));
      return { path };
    },
    'workspace.load': async (args) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await readFile(args.path, 'utf8'));
      } catch (e) {
        throw new ApiFailure('API_BAD_REQUEST', `not a workspace file: ${(e as Error).message}`, { file: args.path });
      }
      const doc = workspaceSchema.parse(raw);
      // Files named by a workspace the user opened may be opened in turn.
      for (const f of doc.files) if (isAbsolute(f.path)) policy.grant(f.path);
      if (doc.events && isAbsolute(doc.events)) policy.grant(doc.events);
      return doc;
    },
  };
}
