import type { JwksAuthErrorCode } from './errors.js';
import { isThenable } from './hooks.js';

/**
 * What the verifier reports through `onEvent`. Durations in ms.
 *
 * - `jwks_fetch`: a key set was fetched (`keys` is the number of keys).
 * - `jwks_fetch_failed`: a key set or discovery fetch failed; `retryInMs` is the backoff before the next attempt.
 * - `jwks_backoff`: a request needed a fetch but the backoff held it back.
 * - `jwks_stale`: keys older than `cacheMaxAge` were used because refreshing failed.
 * - `discovery`: the issuer's metadata was fetched and `jwksUri` learned.
 * - `discovery_failed`: discovery ran again and failed; the last known `jwksUri` stays in use.
 * - `token_rejected`: a request failed; `code` says why, `issuer` names the issuer whose key set judged the token (when one was selected).
 */
export type JwksAuthEvent =
  | {
      type: 'jwks_fetch';
      issuer: string;
      uri: string;
      keys: number;
      /** Members of the key set that were refused (weak, malformed, private, duplicates not counted). */
      refused: number;
      durationMs: number;
      reason: FetchReason;
    }
  | {
      type: 'jwks_fetch_failed';
      issuer: string;
      uri: string;
      error: Error;
      failures: number;
      retryInMs: number;
    }
  | { type: 'jwks_backoff'; issuer: string; uri: string; retryInMs: number }
  | { type: 'jwks_stale'; issuer: string; uri: string; ageMs: number }
  | { type: 'discovery'; issuer: string; uri: string; jwksUri: string; durationMs: number }
  | { type: 'discovery_failed'; issuer: string; error: Error; jwksUri: string }
  | {
      type: 'token_rejected';
      code: JwksAuthErrorCode;
      status: number;
      issuer?: string | undefined;
    };

/** Why a key set fetch happened. */
export type FetchReason =
  'initial' | 'refresh' | 'expired' | 'unknown_kid' | 'no_matching_key' | 'warmup';

/**
 * Reports `event` to the hook, if any. An observer never changes the
 * outcome: a throw is swallowed, and so is the rejection of an async
 * observer (it would otherwise crash the process as an unhandled rejection).
 */
export function emitEvent(
  onEvent: ((event: JwksAuthEvent) => unknown) | undefined,
  event: JwksAuthEvent,
): void {
  if (onEvent === undefined) return;
  try {
    const result = onEvent(event);
    if (isThenable(result)) Promise.resolve(result).catch(ignore);
  } catch {
    // An observer must never break verification.
  }
}

function ignore(): void {}
