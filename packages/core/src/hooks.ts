import { HookFailedError } from './errors.js';
import type { HookName } from './errors.js';
import type { MaybePromise } from './types.js';

/** Default deadline of an async user hook, in ms. */
export const DEFAULT_HOOK_TIMEOUT = 3000;

/**
 * Whether `value` is a thenable (a promise of this realm or another, or any
 * object with a `then` method). A `then` getter that throws counts as a
 * thenable whose settlement fails.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return true;
  }
}

/**
 * Settles a hook's result: a plain value is checked now; a thenable is
 * awaited (with `Promise.resolve`, so foreign promises and custom thenables
 * work) under a deadline of `timeoutMs`. A throw, a rejection, a missed
 * deadline or a value `check` refuses becomes a 503 {@link HookFailedError}.
 * `check` returns the accepted value or throws.
 */
export function settleHook<T>(
  hook: HookName,
  result: unknown,
  timeoutMs: number,
  check: (value: unknown) => T,
  failure: (hook: HookName, error: unknown) => Error = hookFailure,
): MaybePromise<T> {
  if (!isThenable(result)) return check(result);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HookFailedError(hook, `the ${hook} hook did not answer in time`)),
      timeoutMs,
    );
    // The timer must not keep a process alive that is otherwise done.
    (timer as { unref?: () => void }).unref?.();
  });
  const settled = new Promise<unknown>((resolve, reject) => {
    try {
      (result as PromiseLike<unknown>).then(resolve, reject);
    } catch (error) {
      reject(error);
    }
  });
  return Promise.race([settled, deadline]).then(
    (value) => {
      clearTimeout(timer);
      return check(value);
    },
    (error: unknown) => {
      clearTimeout(timer);
      // A missed deadline is always a hook failure; other rejections map as the caller says.
      throw error instanceof HookFailedError ? error : failure(hook, error);
    },
  );
}

/** A hook's failure as a {@link HookFailedError}, keeping the original as `cause`. */
export function hookFailure(hook: HookName, error: unknown): HookFailedError {
  if (error instanceof HookFailedError) return error;
  return new HookFailedError(hook, `the ${hook} hook failed`, { cause: error });
}

/** Calls a hook, turning a synchronous throw into a {@link HookFailedError} as well. */
export function callHook<T>(
  hook: HookName,
  call: () => unknown,
  timeoutMs: number,
  check: (value: unknown) => T,
  failure: (hook: HookName, error: unknown) => Error = hookFailure,
): MaybePromise<T> {
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    throw failure(hook, error);
  }
  return settleHook(hook, result, timeoutMs, check, failure);
}

/** `check` for hooks that must answer a boolean. */
export function booleanResult(hook: HookName): (value: unknown) => boolean {
  return (value) => {
    if (typeof value !== 'boolean') {
      throw new HookFailedError(hook, `the ${hook} hook must return a boolean`);
    }
    return value;
  };
}
