/**
 * The DPoP replay store on a real redis-server, through both clients: one
 * atomic SET NX EX per proof, refused the second time on any instance,
 * bounded when Redis is away (503 with Retry-After, or accepted with
 * onUnavailable: 'allow'), working again when Redis returns.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { clientKind, redisReplayStore } from '@jwks-auth/redis';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, TestIssuer } from '@jwks-auth/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { createApi, dpopHeaders, eventually, ORIGIN } from './api.js';
import { CLIENTS, connect, startRedis } from './redis-server.js';
import type { RedisServer, TestClient } from './redis-server.js';

let server: RedisServer;
let issuer: TestIssuer;
let key: DpopKey;
/** A plain client to look at what the stores wrote. */
let inspect: Redis;

beforeAll(async () => {
  server = await startRedis();
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
  inspect = new Redis(server.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 });
  inspect.on('error', () => undefined);
  await inspect.connect();
});
afterAll(async () => {
  inspect.disconnect();
  await issuer.close();
  await server.close();
});

const apiOptions = (replay: unknown) => ({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  dpop: { origin: ORIGIN, replay: replay as never },
});

it('refuses what is not a client, and bad option values, when the store is made', async () => {
  const { client, close } = await connect('ioredis', server);
  try {
    expect(() => redisReplayStore({} as never)).toThrow(TypeError);
    expect(() => redisReplayStore(null as never)).toThrow(TypeError);
    expect(() => redisReplayStore(client, { timeout: 0 })).toThrow(/"timeout"/);
    expect(() => redisReplayStore(client, { timeout: 1.5 })).toThrow(/"timeout"/);
    expect(() => redisReplayStore(client, { timeout: 120_000 })).toThrow(/"timeout"/);
    expect(() => redisReplayStore(client, { prefix: 3 as never })).toThrow(/"prefix"/);
    expect(() => redisReplayStore(client, { prefix: 'a b' })).toThrow(/"prefix"/);
    expect(() => redisReplayStore(client, { onUnavailable: 'maybe' as never })).toThrow(
      /"onUnavailable"/,
    );
    expect(() => redisReplayStore(client, { ttl: 3 } as never)).toThrow(/"ttl"/);
    expect(() => redisReplayStore(client, 'x' as never)).toThrow(TypeError);
  } finally {
    await close();
  }
});

describe.each(CLIENTS)('with %s', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('is recognised from the client object', () => {
    expect(clientKind(conn.client)).toBe(name);
  });

  it('accepts a key once, then refuses it; another key is new', async () => {
    const store = redisReplayStore(conn.client, { prefix: `${name}-a:` });
    await expect(store.markUsed('thumb.jti-1', 30)).resolves.toBe(true);
    await expect(store.markUsed('thumb.jti-1', 30)).resolves.toBe(false);
    await expect(store.markUsed('thumb.jti-2', 30)).resolves.toBe(true);
    expect(await inspect.get(`${name}-a:dpop:thumb.jti-1`)).toBe('1');
  });

  it('keeps a key for its ttl (rounded up, at least one second), then forgets it', async () => {
    const store = redisReplayStore(conn.client, { prefix: `${name}-ttl:` });
    await store.markUsed('long', 301.2);
    await store.markUsed('short', 0.2);
    expect(await inspect.ttl(`${name}-ttl:dpop:long`)).toBeGreaterThan(300);
    expect(await inspect.ttl(`${name}-ttl:dpop:long`)).toBeLessThanOrEqual(302);
    expect(await inspect.pttl(`${name}-ttl:dpop:short`)).toBeLessThanOrEqual(1000);
    await new Promise((r) => setTimeout(r, 1100));
    await expect(store.markUsed('short', 1)).resolves.toBe(true);
  });

  it('one proof, two API instances sharing the store: the second refuses it with a DPoP challenge', async () => {
    const one = createApi(apiOptions(redisReplayStore(conn.client)));
    const two = createApi(apiOptions(redisReplayStore(conn.client)));
    try {
      const headers = await dpopHeaders(issuer, key);
      expect((await request(one.app).get('/orders').set(headers)).status).toBe(200);
      const replayed = await request(two.app).get('/orders').set(headers);
      expect(replayed.status).toBe(401);
      expect(replayed.headers['www-authenticate']).toMatch(/^DPoP .*error="invalid_dpop_proof"/);
      expect(two.reached).toBe(0);
      const fresh = await request(two.app)
        .get('/orders')
        .set(await dpopHeaders(issuer, key));
      expect(fresh.status).toBe(200);
    } finally {
      one.close();
      two.close();
    }
  });
});

// Last: these stop the server.
describe.each(CLIENTS)('with %s, when Redis goes away', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('fails closed within the timeout (503, Retry-After), accepts with onUnavailable allow, and recovers without a restart', async () => {
    const closed = createApi(apiOptions(redisReplayStore(conn.client, { timeout: 300 })));
    const open = createApi(
      apiOptions(redisReplayStore(conn.client, { timeout: 300, onUnavailable: 'allow' })),
    );
    try {
      expect(
        (
          await request(closed.app)
            .get('/orders')
            .set(await dpopHeaders(issuer, key))
        ).status,
      ).toBe(200);
      await server.kill();
      const started = Date.now();
      const down = await request(closed.app)
        .get('/orders')
        .set(await dpopHeaders(issuer, key));
      const took = Date.now() - started;
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toMatch(/^\d+$/);
      expect(down.headers['www-authenticate']).toBeUndefined();
      expect(closed.reached).toBe(1);
      // The client's own retries (ioredis' offline queue, node-redis' reconnects) do not hold it.
      expect(took).toBeLessThan(2000);

      const allowed = await request(open.app)
        .get('/orders')
        .set(await dpopHeaders(issuer, key));
      expect(allowed.status).toBe(200);

      await server.start();
      await eventually(async () => {
        const headers = await dpopHeaders(issuer, key);
        expect((await request(closed.app).get('/orders').set(headers)).status).toBe(200);
        // Replay protection is back too.
        expect((await request(closed.app).get('/orders').set(headers)).status).toBe(401);
      });
    } finally {
      closed.close();
      open.close();
      await server.start();
    }
  });
});
