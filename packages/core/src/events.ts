import type { JwksAuthErrorCode } from './errors.js';

/**
 * What the verifier reports through `onEvent`. Durations in ms.
 *
 * - `jwks_fetch`: a key set was fetched (`keys` is the number of keys).
 * - `jwks_fetch_failed`: a key set or discovery fetch failed; `retryInMs` is the backoff before the next attempt.
 * - `jwks_backoff`: a request needed a fetch but the backoff held it back.
 * - `jwks_stale`: keys older than `cacheMaxAge` were used because refreshing failed.
 * - `discovery`: the issuer's metadata was fetched and `jwksUri` learned.
 * - `token_rejected`: a request failed; `code` says why.
 */
export type JwksAuthEvent =
  | {
      type: 'jwks_fetch';
      issuer: string;
      uri: string;
      keys: number;
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
  | {
      type: 'token_rejected';
      code: JwksAuthErrorCode;
      status: number;
      issuer?: string | undefined;
    };

/** Why a key set fetch happened. */
export type FetchReason = 'initial' | 'refresh' | 'expired' | 'unknown_kid' | 'warmup';

/** Reports `event` to the hook, if any. A throwing observer never changes the outcome. */
export function emitEvent(
  onEvent: ((event: JwksAuthEvent) => void) | undefined,
  event: JwksAuthEvent,
): void {
  if (onEvent === undefined) return;
  try {
    onEvent(event);
  } catch {
    // An observer must never break verification.
  }
}
