import { InvalidTokenError } from './errors.js';
import { booleanResult, callHook } from './hooks.js';
import type { MaybePromise, VerifyResult } from './types.js';

/**
 * The revocation stage: runs `isRevoked` on every verified result (cache hits
 * too). Its answer is awaited under `hookTimeout`; `true` refuses the token,
 * and a throw, a rejection, a missed deadline or anything but a boolean fails
 * closed with 503 `ERR_HOOK_FAILED`.
 */
export function revocationStage(
  isRevoked: (result: VerifyResult) => unknown,
  hookTimeout: number,
): (result: VerifyResult) => MaybePromise<VerifyResult> {
  const asBoolean = booleanResult('isRevoked');
  const judge = (revoked: boolean, result: VerifyResult): VerifyResult => {
    if (revoked) throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'the token has been revoked');
    return result;
  };
  return (result) => {
    const verdict = callHook('isRevoked', () => isRevoked(result), hookTimeout, asBoolean);
    return verdict instanceof Promise
      ? verdict.then((revoked) => judge(revoked, result))
      : judge(verdict, result);
  };
}
