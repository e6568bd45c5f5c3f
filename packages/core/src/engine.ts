import type { JwksAuthError } from './errors.js';
import { InvalidTokenError } from './errors.js';
import type { IssuerState } from './issuers.js';
import { MAX_CANDIDATES } from './key-index.js';
import type { KeyRecord } from './keys.js';
import type { Algorithm } from './options.js';
import type { CompactParts } from './token.js';
import type { JWTPayload, MaybePromise, ProtectedHeaderParameters } from './types.js';

/** What a signature engine hands back: the verified claims and header, and the key that verified them. */
export interface Verified {
  payload: JWTPayload;
  header: ProtectedHeaderParameters;
  key: KeyRecord;
  /** The key's place among the candidates (0: it was tried first). */
  position: number;
}

/**
 * A signature engine: checks a parsed token against its candidate keys (at
 * most {@link MAX_CANDIDATES}), then the claims, and throws a `JwksAuthError`
 * when none verifies it.
 */
export type Engine = (
  token: string,
  parts: CompactParts,
  alg: Algorithm,
  issuer: IssuerState,
  candidates: readonly KeyRecord[],
) => MaybePromise<Verified>;

export const noUsableKey = (cause?: unknown): InvalidTokenError =>
  new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no usable key matches the token', { cause });

export const badSignature = (): InvalidTokenError =>
  new InvalidTokenError('ERR_SIGNATURE_INVALID', 'the token signature is invalid');

/**
 * The error once every key tried has failed: when more keys fit than were
 * tried and the last failure was a signature mismatch, the token may be
 * valid for a key never tried, which has its own code.
 */
export function exhausted(lastError: unknown, candidates: number): unknown {
  if (
    candidates > MAX_CANDIDATES &&
    (lastError as JwksAuthError | undefined)?.code === 'ERR_SIGNATURE_INVALID'
  ) {
    return new InvalidTokenError(
      'ERR_TOO_MANY_KEYS',
      `the token matches more than ${MAX_CANDIDATES} keys and none of those tried verified it; sign with a kid`,
      { cause: lastError },
    );
  }
  return lastError;
}
