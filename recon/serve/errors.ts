/**
 * Errors of the app layer (bad request, forbidden, worker crashed …) and the one
 * place every error becomes an `ApiErrorPayload` to cross a process boundary.
 */
import { SchemaError } from '../../shared/api/schema.ts';
import type { ApiErrorCode, ApiErrorPayload } from '../../shared/api/types.ts';
import { UhfError } from '../../shared/errors.ts';

export class ApiFailure extends Error {
  constructor(readonly code: ApiErrorCode, message: string, readonly extra: { file?: string; retryOnCpu?: boolean } = {}) {
    super(message);
    this.name = 'ApiFailure';
  }
}

/** Failures that may not happen on the CPU backend. */
const GPU_LIKE: ReadonlySet<ApiErrorCode> = new Set<ApiErrorCode>(['GPU_DEVICE_LOST', 'BACKEND_UNAVAILABLE', 'WORKER_CRASHED', 'WORKER_OUT_OF_MEMORY']);

export function toApiError(err: unknown): ApiErrorPayload {
  if (err instanceof ApiFailure) {
    return { code: err.code, message: err.message, ...(err.extra.file ? { file: err.extra.file } : {}), ...(err.extra.retryOnCpu ?? GPU_LIKE.has(err.code) ? { retryOnCpu: true } : {}) };
  }
  if (err instanceof SchemaError) return { code: 'API_BAD_REQUEST', message: err.message };
  if (err instanceof UhfError) {
    return { code: err.code, message: err.message, ...(err.file ? { file: err.file } : {}), ...(GPU_LIKE.has(err.code) ? { retryOnCpu: true } : {}) };
  }
  if (err instanceof RangeError && /allocation|memory/i.test(err.message)) {
    return { code: 'WORKER_OUT_OF_MEMORY', message: `out of memory: ${err.message}`, retryOnCpu: true };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
