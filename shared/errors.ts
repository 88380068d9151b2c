/**
 * Typed errors with stable codes. They cross process boundaries as plain
 * objects (see `toErrorPayload`), and the CLI turns them into one line + exit 1.
 */
export type UhfErrorCode =
  | 'INGEST_NOT_FOUND'
  | 'INGEST_EMPTY'
  | 'INGEST_NOT_HDF5'
  | 'INGEST_TRUNCATED'
  | 'INGEST_MISSING_DATASET'
  | 'INGEST_BAD_XML'
  | 'INGEST_BAD_HEADER'
  | 'INGEST_DATA_LENGTH'
  | 'INGEST_ABSURD_SIZE'
  | 'INGEST_UNSUPPORTED'
  | 'NIFTI_INVALID'
  | 'NIFTI_UNSUPPORTED'
  | 'OUTPUT_EXISTS_AS_INPUT'
  | 'OUTPUT_WRITE_FAILED'
  | 'SHAPE_MISMATCH'
  | 'BAD_ARGUMENT'
  | 'UNSUPPORTED_DATA'
  | 'BACKEND_UNAVAILABLE'
  | 'GPU_DEVICE_LOST'
  | 'CANCELLED'
  | 'INTERNAL';

export class UhfError extends Error {
  readonly code: UhfErrorCode;
  /** The file the problem is about, when there is one. */
  readonly file: string | undefined;

  constructor(code: UhfErrorCode, message: string, options: { file?: string; cause?: unknown } = {}) {
    super(options.file ? `${options.file}: ${message}` : message, { cause: options.cause });
    this.name = 'UhfError';
    this.code = code;
    this.file = options.file;
  }
}

export interface ErrorPayload {
  code: UhfErrorCode;
  message: string;
  file?: string;
}

export function toErrorPayload(err: unknown): ErrorPayload {
  if (err instanceof UhfError) {
    return err.file ? { code: err.code, message: err.message, file: err.file } : { code: err.code, message: err.message };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}

export function isUhfError(err: unknown, code?: UhfErrorCode): err is UhfError {
  return err instanceof UhfError && (code === undefined || err.code === code);
}
