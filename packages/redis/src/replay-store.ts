import type { ReplayStore } from '@jwks-auth/core';
import { commandRunner, RedisUnavailableError, text } from './client.js';
import type { RedisClientLike } from './client.js';
import {
  checkObject,
  rejectUnknown,
  resolveOnUnavailable,
  resolvePrefix,
  resolveTimeout,
} from './options.js';
import type { OnUnavailable, RedisOptions } from './options.js';

/** Options of {@link redisReplayStore}. */
export interface RedisReplayStoreOptions extends RedisOptions {
  /**
   * When Redis cannot answer in time: `'deny'` (default) fails the request
   * closed with 503 and `Retry-After`; `'allow'` accepts the proof unchecked,
   * so during an outage a stolen proof can be replayed within its lifetime
   * (`dpop.maxProofAge`). Choose `'allow'` only when availability matters
   * more than replay protection.
   */
  onUnavailable?: OnUnavailable;
}

/**
 * A DPoP replay store (`dpop.replay`) shared by every process using the same
 * Redis: a proof's `jti` is recorded with one atomic `SET key 1 NX EX ttl`,
 * so a proof used on one instance is refused on all the others.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisReplayStore } from '@jwks-auth/redis';
 * const redis = new Redis(process.env.REDIS_URL);
 * app.use(jwksAuth({ issuer, audience, dpop: { replay: redisReplayStore(redis) } }));
 * ```
 */
export function redisReplayStore(
  client: RedisClientLike,
  options?: RedisReplayStoreOptions,
): ReplayStore {
  const o = checkObject(options);
  rejectUnknown(o, ['prefix', 'timeout', 'onUnavailable']);
  const prefix = `${resolvePrefix(o.prefix)}dpop:`;
  const run = commandRunner(client, resolveTimeout(o.timeout));
  const onUnavailable = resolveOnUnavailable(o.onUnavailable);
  return {
    markUsed(key, ttlSeconds) {
      // At least one second: EX 0 is an error, and a proof is never accepted for less.
      const ttl = Number.isFinite(ttlSeconds) ? Math.max(1, Math.ceil(ttlSeconds)) : 1;
      return run(['SET', prefix + key, '1', 'NX', 'EX', String(ttl)]).then(
        (reply) => {
          const answer = text(reply);
          if (answer === 'OK') return true;
          if (answer === null) return false;
          throw new RedisUnavailableError(`Redis answered SET NX with ${answer}`);
        },
        (error: unknown) => {
          if (onUnavailable === 'allow') return true;
          throw error;
        },
      );
    },
  };
}
