// Main's IPC gate: the sender check (our window, top frame, uhf://app) and the
// contract's argument schemas, with a fake worker that records what reaches it.
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { acceptDroppedFile, checkSender, handleInvoke, type SenderInfo } from '../../main/ipc.ts';
import { ApiHost, commonHostHandlers, type HostHandlers } from '../../recon/serve/api-host.ts';
import { FileAccessPolicy } from '../../recon/serve/file-policy.ts';

const OK_URL = 'uhf://app/index.html';
const sender = (url: string, opts: { id?: number; parent?: unknown } = {}): SenderInfo => ({ sender: { id: opts.id ?? 1 }, senderFrame: { url, parent: opts.parent ?? null } });
const trusted = new Set([1]);

function makeHost(root: string) {
  const calls: { method: string; args: unknown; jobId?: string }[] = [];
  const policy = new FileAccessPolicy([root]);
  const unused = () => Promise.reject(new Error('not in this test'));
  const handlers: HostHandlers = {
    ...commonHostHandlers(policy),
    'app.info': async () => ({ version: 't', host: 'electron', platform: 'linux', roots: [root], firstLaunch: false, nativeDialogs: true }),
    'settings.get': unused,
    'settings.update': unused,
    'files.pickOpen': unused,
    'files.pickSave': unused,
  };
  const host = new ApiHost({
    policy,
    handlers,
    worker: { call: async (method, args, jobId) => (calls.push({ method, args, ...(jobId ? { jobId } : {}) }), { ok: true }) },
  });
  return { host, calls, policy };
}

describe('checkSender', () => {
  it('accepts the top frame of an app window on uhf://app', () => {
    expect(checkSender(sender(OK_URL), trusted)).toEqual({ ok: true });
    expect(checkSender(sender('uhf://app/sub/page.html?x=1#y'), trusted)).toEqual({ ok: true });
  });
  it.each([
    ['http://evil.example/', 'foreign origin'],
    ['https://app/', 'foreign origin'],
    ['file:///etc/passwd', 'foreign origin'],
    ['uhf://evil/index.html', 'foreign origin'],
    ['devtools://devtools/bundled/inspector.html', 'foreign origin'],
    ['not a url', 'no valid URL'],
  ])('rejects a frame at %s', (url, reason) => {
    const v = checkSender(sender(url), trusted);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toContain(reason);
  });
  it('rejects sub-frames, unknown web contents and vanished frames', () => {
    expect(checkSender(sender(OK_URL, { parent: {} }), trusted).ok).toBe(false);
    expect(checkSender(sender(OK_URL, { id: 99 }), trusted).ok).toBe(false);
    expect(checkSender({ sender: { id: 1 }, senderFrame: null }, trusted).ok).toBe(false);
  });
});

describe('handleInvoke', () => {
  let root: string;
  let raw: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'uhf-ipc-'));
    raw = join(root, 'scan.h5');
    writeFileSync(raw, 'x');
  });

  it('runs a well-formed call and reports the job owner', async () => {
    const { host, calls } = makeHost(root);
    const owners: [string, number][] = [];
    const reply = await handleInvoke(host, sender(OK_URL), trusted, 'recon.run', { path: raw, settings: { combine: 'rss', pi: 'none', backend: 'cpu', coils: null } }, 'job-1', (j, w) => owners.push([j, w]));
    expect(reply).toEqual({ ok: true, result: { ok: true } });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.jobId).toBe('job-1');
    expect(owners).toEqual([['job-1', 1]]);
  });

  it('rejects a foreign-origin call before anything runs', async () => {
    const { host, calls } = makeHost(root);
    const reply = await handleInvoke(host, sender('https://evil.example/'), trusted, 'nifti.open', { path: raw }, null);
    expect(reply).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    expect(calls).toHaveLength(0);
  });

  it.each([
    ['unknown method', 'fs.readFile', { path: '/etc/passwd' }, 'API_UNKNOWN_METHOD'],
    ['prototype key as method', '__proto__', {}, 'API_UNKNOWN_METHOD'],
    ['method not a string', 42, {}, 'API_UNKNOWN_METHOD'],
    ['args not an object', 'nifti.open', 'x', 'API_BAD_REQUEST'],
    ['args missing', 'nifti.open', undefined, 'API_BAD_REQUEST'],
    ['extra key', 'nifti.open', { path: '/x.nii', evil: true }, 'API_BAD_REQUEST'],
    ['wrong type', 'nifti.open', { path: 7 }, 'API_BAD_REQUEST'],
    ['empty path', 'nifti.open', { path: '' }, 'API_BAD_REQUEST'],
    ['bad enum', 'recon.run', { path: '/x.h5', settings: { combine: 'magic', pi: 'none', backend: 'cpu', coils: null } }, 'API_BAD_REQUEST'],
    ['NaN number', 'glm.run', { boldId: 'v1', events: '/e.tsv', contrasts: [], fwhmMm: Number.NaN, pThreshold: 0.001, clusterMinSize: 1, noise: 'ar1', highPassSec: 128, twoSided: false }, 'API_BAD_REQUEST'],
    ['out of range', 'glm.run', { boldId: 'v1', events: '/e.tsv', contrasts: [], fwhmMm: 0, pThreshold: 2, clusterMinSize: 1, noise: 'ar1', highPassSec: 128, twoSided: false }, 'API_BAD_REQUEST'],
    ['malformed volume id', 'volume.data', { volumeId: '../../etc' }, 'API_BAD_REQUEST'],
    ['a class instance', 'volume.data', new Date(), 'API_BAD_REQUEST'],
    ['relative path', 'nifti.open', { path: 'x.nii' }, 'API_FORBIDDEN'],
    ['path outside the roots', 'nifti.open', { path: '/etc/hostname.nii' }, 'API_FORBIDDEN'],
    ['system file', 'recon.run', { path: '/etc/passwd', settings: { combine: 'rss', pi: 'none', backend: 'cpu', coils: null } }, 'API_FORBIDDEN'],
  ])('rejects %s', async (_what, method, args, code) => {
    const { host, calls } = makeHost(root);
    const reply = await handleInvoke(host, sender(OK_URL), trusted, method, args, null);
    expect(reply).toMatchObject({ ok: false, error: { code } });
    expect(calls).toHaveLength(0);
  });

  it('rejects malformed job ids and job ids on non-job methods', async () => {
    const { host } = makeHost(root);
    expect(await handleInvoke(host, sender(OK_URL), trusted, 'demo.prepare', {}, 'bad id!')).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
    expect(await handleInvoke(host, sender(OK_URL), trusted, 'volume.release', { volumeId: 'v1' }, 'job-2')).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
  });

  it('rejects a data file outside the roots until the user picks or drops it', async () => {
    const { host, calls, policy } = makeHost(root);
    const elsewhere = mkdtempSync(join(tmpdir(), 'uhf-ipc-other-'));
    const file = join(elsewhere, 'bold.nii.gz');
    writeFileSync(file, 'x');
    expect(await handleInvoke(host, sender(OK_URL), trusted, 'nifti.open', { path: file }, null)).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    expect(acceptDroppedFile(sender(OK_URL), trusted, file, policy)).toEqual({ ok: true, result: { path: file } });
    expect(await handleInvoke(host, sender(OK_URL), trusted, 'nifti.open', { path: file }, null)).toMatchObject({ ok: true });
    expect(calls).toHaveLength(1);
  });
});

describe('acceptDroppedFile', () => {
  it('accepts data files only, from our window only', () => {
    const root = mkdtempSync(join(tmpdir(), 'uhf-drop-'));
    const { policy } = makeHost(root);
    mkdirSync(join(root, 'dir.nii'));
    const script = join(root, 'run.sh');
    writeFileSync(script, 'x');
    const events = join(root, 'sub-01_events.tsv');
    writeFileSync(events, 'onset\tduration\ttrial_type\n');
    expect(acceptDroppedFile(sender(OK_URL), trusted, events, policy).ok).toBe(true);
    expect(acceptDroppedFile(sender(OK_URL), trusted, script, policy)).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
    expect(acceptDroppedFile(sender(OK_URL), trusted, join(root, 'dir.nii'), policy)).toMatchObject({ ok: false });
    expect(acceptDroppedFile(sender(OK_URL), trusted, 'relative.nii', policy)).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
    expect(acceptDroppedFile(sender(OK_URL), trusted, { path: events }, policy)).toMatchObject({ ok: false, error: { code: 'API_BAD_REQUEST' } });
    expect(acceptDroppedFile(sender('http://evil.example/'), trusted, events, policy)).toMatchObject({ ok: false, error: { code: 'API_FORBIDDEN' } });
  });
});
