/**
 * What the Electron preload exposes to the renderer as `window.uhf`: functions
 * only, never `ipcRenderer`. Every call goes to main, which checks the sender
 * and the arguments before anything runs. Replies come back as envelopes so
 * that typed errors survive the IPC boundary.
 */
import type { ApiErrorPayload, ApiEvent } from './types.ts';

export type BridgeReply = { ok: true; result: unknown } | { ok: false; error: ApiErrorPayload };

export interface UhfBridge {
  readonly kind: 'electron';
  /** The contract's method names (the preload is generated from the contract). */
  readonly methods: readonly string[];
  invoke(method: string, args: unknown, jobId?: string): Promise<BridgeReply>;
  /** Progress and worker events, delivered over a MessagePort. */
  onEvent(listener: (event: ApiEvent) => void): () => void;
  /** The path of a file dropped on the window (Electron's webUtils); main grants it after checking its type. */
  droppedFile(file: unknown): Promise<BridgeReply>;
  /** Menu commands (Open…, Save workspace…, Screenshot…) sent by main. */
  onMenu(listener: (command: string) => void): () => void;
}

export const BRIDGE_CHANNELS = {
  invoke: 'uhf:invoke',
  port: 'uhf:port',
  dropped: 'uhf:dropped',
  menu: 'uhf:menu',
} as const;
