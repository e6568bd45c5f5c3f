import { randomUUID } from 'node:crypto';
import type { KeySetStore, StoredKeySet } from '@jwks-auth/core';
import { commandRunner, text } from './client.js';
import type { RedisClientLike } from './client.js';
import { checkObject, rejectUnknown, resolvePrefix, resolveTimeout } from './options.js';
import type { RedisOptions } from './options.js';

/** Options of {@link redisKeySetStore}. */
export type RedisKeySetStoreOptions = RedisOptions;

/** Releases a lock only if it is still ours: it may have expired and been taken by another process. */
const UNLOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/**
 * A key set store (`jwks.store`) shared by every process using the same
 * Redis: each issuer's key set at `<prefix>jwks:<issuer>` (JSON, expiring
 * with `cacheMaxAge`), and a refresh lock at `<prefix>jwks-lock:<issuer>`
 * (`SET NX PX`, released only by its holder). Failures reject: the verifier
 * then fetches from the identity provider as it would without a store.
 *
 * @example
 * ```ts
 * const verifier = createVerifier({ issuer, audience, jwks: { store: redisKeySetStore(redis) } });
 * ```
 */
export function redisKeySetStore(
  client: RedisClientLike,
  options?: RedisKeySetStoreOptions,
): KeySetStore {
  const o = checkObject(options);
  rejectUnknown(o, ['prefix', 'timeout']);
  const prefix = resolvePrefix(o.prefix);
  const run = commandRunner(client, resolveTimeout(o.timeout));
  const setKey = (issuer: string) => `${prefix}jwks:${issuer}`;
  const lockKey = (issuer: string) => `${prefix}jwks-lock:${issuer}`;
  const ms = (value: number) => String(Math.max(1, Math.ceil(value)));
  return {
    async get(issuer) {
      const stored = text(await run(['GET', setKey(issuer)]));
      // The verifier checks every member and judges every key as if fetched.
      return stored === null ? null : (JSON.parse(stored) as StoredKeySet);
    },
    async set(issuer, keySet, ttlMs) {
      await run(['SET', setKey(issuer), JSON.stringify(keySet), 'PX', ms(ttlMs)]);
    },
    async lock(issuer, ttlMs) {
      const token = randomUUID();
      const reply = text(await run(['SET', lockKey(issuer), token, 'NX', 'PX', ms(ttlMs)]));
      return reply === 'OK' ? token : null;
    },
    async unlock(issuer, token) {
      await run(['EVAL', UNLOCK, '1', lockKey(issuer), token]);
    },
  };
}
