/**
 * Redis (or Valkey) backed shared state for a fleet of jwks-auth processes:
 * a DPoP replay store, a shared key set store and a revocation list. Takes
 * the application's own `ioredis` or node-redis (`redis`) client.
 *
 * @packageDocumentation
 */
export { redisReplayStore } from './replay-store.js';
export type { RedisReplayStoreOptions } from './replay-store.js';
export { redisKeySetStore } from './key-set-store.js';
export type { RedisKeySetStoreOptions } from './key-set-store.js';
export { redisRevocationList, REVOCATION_LEEWAY, MAX_JTI_LENGTH } from './revocation-list.js';
export type { RedisRevocationList, RedisRevocationListOptions } from './revocation-list.js';
export { RedisUnavailableError, clientKind } from './client.js';
export type { IoRedisLike, NodeRedisLike, RedisClientLike } from './client.js';
export { DEFAULT_PREFIX, DEFAULT_TIMEOUT, MAX_TIMEOUT } from './options.js';
export type { OnUnavailable, RedisOptions } from './options.js';
