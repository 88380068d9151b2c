/**
 * Main's side of every renderer call, free of Electron so it is unit-tested in
 * Node: the sender must be the main frame of one of our windows showing our
 * own custom-protocol page; then the API host parses the method and arguments
 * against the contract and applies the file access policy. Replies are
 * envelopes, so typed errors survive the IPC boundary.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { BridgeReply } from '../shared/api/bridge.ts';
import { toApiError } from '../recon/serve/errors.ts';
import { fileKindOf, type FileAccessPolicy } from '../recon/serve/file-policy.ts';
import { APP_ORIGIN } from './security.ts';

export interface SenderInfo {
  sender: { id: number };
  senderFrame: { url: string; parent: unknown | null } | null;
}

export type SenderVerdict = { ok: true } | { ok: false; reason: string };

/** Only our windows' top frames, showing uhf://app/…, may call the API. */
export function checkSender(event: SenderInfo, trustedWebContents: ReadonlySet<number>): SenderVerdict {
  if (!trustedWebContents.has(event.sender.id)) return { ok: false, reason: 'not one of the app windows' };
  const frame = event.senderFrame;
  if (!frame) return { ok: false, reason: 'the sending frame is gone' };
  if (frame.parent !== null) return { ok: false, reason: 'a sub-frame may not call the API' };
  let origin: string;
  try {
    const u = new URL(frame.url);
    origin = `${u.protocol}//${u.host}`;
  } catch {
    return { ok: false, reason: 'the sender has no valid URL' };
  }
  if (origin !== APP_ORIGIN) return { ok: false, reason: `foreign origin ${origin}` };
  return { ok: true };
}

export interface Dispatcher {
  dispatch(method: unknown, args: unknown, jobId?: unknown): Promise<unknown>;
}

export async function handleInvoke(
  host: Dispatcher,
  event: SenderInfo,
  trusted: ReadonlySet<number>,
  method: unknown,
  args: unknown,
  jobId: unknown,
  onJob?: (jobId: string, webContentsId: number) => void,
): Promise<BridgeReply> {
  const verdict = checkSender(event, trusted);
  if (!verdict.ok) return { ok: false, error: { code: 'API_FORBIDDEN', message: `call refused: ${verdict.reason}` } };
  try {
    if (typeof jobId === 'string') onJob?.(jobId, event.sender.id);
    return { ok: true, result: await host.dispatch(method, args, jobId === null ? undefined : jobId) };
  } catch (e) {
    return { ok: false, error: toApiError(e) };
  }
}

/** A file dropped on the window: allowed when it is a data file that exists; it is then granted. */
export function acceptDroppedFile(event: SenderInfo, trusted: ReadonlySet<number>, path: unknown, policy: FileAccessPolicy): BridgeReply {
  const verdict = checkSender(event, trusted);
  if (!verdict.ok) return { ok: false, error: { code: 'API_FORBIDDEN', message: `call refused: ${verdict.reason}` } };
  if (typeof path !== 'string' || !path || path.length > 4096 || path.includes('\0') || !isAbsolute(path)) {
    return { ok: false, error: { code: 'API_BAD_REQUEST', message: 'not a file path' } };
  }
  if (fileKindOf(path) === 'other') return { ok: false, error: { code: 'API_FORBIDDEN', message: `the app opens .h5, .nii, .nii.gz, events .tsv and workspace files, not ${path}` } };
  if (!existsSync(path) || !statSync(path).isFile()) return { ok: false, error: { code: 'INGEST_NOT_FOUND', message: `no such file: ${path}` } };
  policy.grant(path);
  return { ok: true, result: { path } };
}
