/**
 * Error assertions shared by the tests.
 */
import { isUhfError } from '../../shared/errors.ts';

/** The UhfError code that `f` throws, 'not a UhfError' for any other error, undefined when it does not throw. */
export function uhfErrorCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isUhfError(e) ? e.code : 'not a UhfError';
  }
  return undefined;
}
