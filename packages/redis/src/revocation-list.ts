import type { VerifyResult } from '@jwks-auth/core';
import { commandRunner, text } from './client.js';
import type { RedisClientLike } from './client.js';
import {
  checkObject,
  fail,
  rejectUnknown,
  resolveOnUnavailable,
  resolvePrefix,
  resolveTimeout,
} from './options.js';
import type { OnUnavailable, RedisOptions } from './options.js';

/** Options of {@link redisRevocationList}. */
export interface RedisRevocationListOptions extends RedisOptions {
  /** Name of the list, so several lists can share one Redis: entries live at `<prefix><key>:<jti>`. Default `'revoked'`. */
  key?: string;
  /**
   * When Redis cannot answer in time: `'deny'` (default) fails the request
   * closed with 503 and `Retry-After`; `'allow'` treats the token as not
   * revoked, so during an outage a revoked token is accepted until its `exp`.
   */
  onUnavailable?: OnUnavailable;
}

/** An `isRevoked` function backed by Redis, with the means to list a token. */
export interface RedisRevocationList {
  /** The `isRevoked` option: true when the token's `jti` is listed. Tokens without a `jti` are never listed. */
  (result: VerifyResult): Promise<boolean>;
  /**
   * Lists `jti` until `untilEpochSeconds` (the token's `exp`) plus
   * {@link REVOCATION_LEEWAY}, after which Redis drops the entry. Rejects when Redis cannot answer: a revocation is
   * never silently lost.
   */
  revoke(jti: string, untilEpochSeconds: number): Promise<void>;
}

/**
 * Seconds an entry outlives the `until` it was given: a verifier accepts a
 * token up to `clockTolerance` past its `exp`, so the entry must outlast it.
 */
export const REVOCATION_LEEWAY = 300;

/** Longest `jti` listed or looked up. */
export const MAX_JTI_LENGTH = 256;

/**
 * A revocation list shared by every process using the same Redis: one key
 * per revoked `jti`, set with `EXAT` to the token's `exp`, so a lookup is
 * one `EXISTS` and an entry disappears exactly when the token would expire
 * anyway (no sweeping, and keys spread over a Cluster's slots).
 *
 * @example
 * ```ts
 * const revocations = redisRevocationList(redis);
 * app.use(jwksAuth({ issuer, audience, requiredClaims: ['jti'], isRevoked: revocations }));
 * await revocations.revoke(token.jti, token.exp); // refused everywhere from now on
 * ```
 */
export function redisRevocationList(
  client: RedisClientLike,
  options?: RedisRevocationListOptions,
): RedisRevocationList {
  const o = checkObject(options);
  rejectUnknown(o, ['key', 'prefix', 'timeout', 'onUnavailable']);
  const name = o.key ?? 'revoked';
  if (typeof name !== 'string' || name.length === 0 || name.length > 200 || /[\s\0]/.test(name)) {
    fail('key', 'must be a non-empty string of at most 200 characters without whitespace');
  }
  const base = `${resolvePrefix(o.prefix)}${name}:`;
  const run = commandRunner(client, resolveTimeout(o.timeout));
  const onUnavailable = resolveOnUnavailable(o.onUnavailable);

  const isRevoked = ((result: VerifyResult): Promise<boolean> => {
    const jti = result.payload.jti;
    // A list by jti cannot name a token without one; require `jti` (requiredClaims or strict) to leave none out.
    if (typeof jti !== 'string' || jti.length === 0) return Promise.resolve(false);
    // An over-long jti cannot have been listed (revoke refuses it): no round trip.
    if (jti.length > MAX_JTI_LENGTH) return Promise.resolve(false);
    return run(['EXISTS', base + jti]).then(
      (reply) => {
        if (typeof reply !== 'number')
          throw new TypeError(`Redis answered EXISTS with ${text(reply)}`);
        return reply > 0;
      },
      (error: unknown) => {
        if (onUnavailable === 'allow') return false;
        throw error;
      },
    );
  }) as RedisRevocationList;

  isRevoked.revoke = async (jti, untilEpochSeconds) => {
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
      throw new TypeError(`jti must be a non-empty string of at most ${MAX_JTI_LENGTH} characters`);
    }
    if (typeof untilEpochSeconds !== 'number' || !Number.isFinite(untilEpochSeconds)) {
      throw new TypeError('untilEpochSeconds must be a number of seconds since the epoch');
    }
    const until = Math.ceil(untilEpochSeconds) + REVOCATION_LEEWAY;
    // A token this far past its exp is refused anyway; EXAT in the past would be an error.
    if (until <= Math.floor(Date.now() / 1000)) return;
    await run(['SET', base + jti, '1', 'EXAT', String(until)]);
  };
  return isRevoked;
}
