/**
 * The typed API client, generated from CONTRACT over any transport: Electron's
 * preload bridge or the `uhf serve` WebSocket. `api.call('recon.run', args,
 * { onProgress, signal })` is typed end to end; long jobs get a job id, their
 * progress events are routed to `onProgress`, and aborting the signal cancels
 * the job in the worker.
 */
import { isJobMethod, type ApiArgs, type ApiMethod, type ApiResult } from './contract.ts';
import type { ApiErrorCode, ApiErrorPayload, ApiEvent, ProgressEvent } from './types.ts';

export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly file: string | undefined;
  readonly retryOnCpu: boolean;

  constructor(payload: ApiErrorPayload) {
    super(payload.message);
    this.name = 'ApiError';
    this.code = payload.code;
    this.file = payload.file;
    this.retryOnCpu = payload.retryOnCpu ?? false;
  }
}

export function isApiErrorPayload(v: unknown): v is ApiErrorPayload {
  return !!v && typeof v === 'object' && typeof (v as ApiErrorPayload).code === 'string' && typeof (v as ApiErrorPayload).message === 'string';
}

/** What a transport provides: one request/response channel and one event stream. */
export interface Transport {
  /** Resolves with the result, rejects with an ApiErrorPayload-shaped value or an Error. */
  request(method: string, args: unknown, jobId?: string): Promise<unknown>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export interface CallOptions {
  onProgress?: (p: ProgressEvent) => void;
  signal?: AbortSignal;
}

export interface ApiClient {
  call<M extends ApiMethod>(method: M, args: ApiArgs<M>, options?: CallOptions): Promise<ApiResult<M>>;
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

let jobCounter = 0;

export function createApiClient(transport: Transport): ApiClient {
  const progress = new Map<string, (p: ProgressEvent) => void>();
  transport.onEvent((e) => {
    if (e.type === 'progress') progress.get(e.jobId)?.(e);
  });
  return {
    onEvent: (l) => transport.onEvent(l),
    async call(method, args, options = {}) {
      const job = isJobMethod(method);
      const jobId = job ? `job-${Date.now().toString(36)}-${(++jobCounter).toString(36)}` : undefined;
      if (options.signal?.aborted) throw new ApiError({ code: 'CANCELLED', message: 'cancelled' });
      const onAbort = () => {
        if (jobId) void transport.request('job.cancel', { jobId }).catch(() => undefined);
      };
      if (jobId && options.onProgress) progress.set(jobId, options.onProgress);
      options.signal?.addEventListener('abort', onAbort);
      try {
        return (await transport.request(method, args, jobId)) as ApiResult<typeof method>;
      } catch (e) {
        if (e instanceof ApiError) throw e;
        if (isApiErrorPayload(e)) throw new ApiError(e);
        throw new ApiError({ code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) });
      } finally {
        options.signal?.removeEventListener('abort', onAbort);
        if (jobId) progress.delete(jobId);
      }
    },
  };
}
