/**
 * The shared key set store (`jwks.store`) on a real redis-server, through
 * both clients and against the real local issuer, whose request counters
 * prove what reached the identity provider.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import { redisKeySetStore } from '@jwks-auth/redis';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { Redis } from 'ioredis';
import { AUD, eventually } from './api.js';
import { CLIENTS, connect, startRedis } from './redis-server.js';
import type { RedisServer, TestClient } from './redis-server.js';

let server: RedisServer;
let issuer: TestIssuer;
let inspect: Redis;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  server = await startRedis();
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  inspect = new Redis(server.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 });
  inspect.on('error', () => undefined);
  await inspect.connect();
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  inspect.disconnect();
  await issuer.close();
  await server.close();
});
beforeEach(async () => {
  await inspect.flushall();
  issuer.resetCounts();
});

/** A verifier of the issuer (discovered, not configured), sharing key sets through `store`. */
function verifier(store: unknown, jwks: VerifierOptions['jwks'] = {}): Verifier {
  const v = createVerifier({
    issuer: issuer.issuer,
    audience: AUD,
    cache: false,
    jwks: { ...jwks, ...(store === undefined ? {} : { store: store as never }) },
  });
  verifiers.push(v);
  return v;
}

it('refuses a jwks.store that is not a store when the verifier is made', () => {
  expect(() => verifier({})).toThrow(/"jwks\.store"/);
  expect(() => verifier({ get() {}, set() {}, lock() {} })).toThrow(/"jwks\.store"/);
  expect(() => verifier('redis://x')).toThrow(TypeError);
});

describe.each(CLIENTS)('with %s', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('a process starting after another verifies its first token without contacting the identity provider', async () => {
    const first = verifier(redisKeySetStore(conn.client));
    await first.verify(await issuer.sign());
    expect(issuer.requests).toMatchObject({ jwks: 1, discovery: 1 });
    await eventually(async () =>
      expect(await inspect.exists(`jwks-auth:jwks:${issuer.issuer}`)).toBe(1),
    );
    const second = verifier(redisKeySetStore(conn.client));
    await expect(second.verify(await issuer.sign())).resolves.toMatchObject({
      payload: { sub: 'test-user' },
    });
    expect(issuer.requests).toMatchObject({ jwks: 1, discovery: 1 });
  });

  it('cold processes starting together: one fetch, the others wait for what it stores', async () => {
    await issuer.fail({ type: 'slow', delayMs: 300 }, { only: 'jwks' });
    try {
      const fleet = [1, 2, 3, 4].map(() => verifier(redisKeySetStore(conn.client)));
      const token = await issuer.sign();
      await Promise.all(fleet.map((v) => v.verify(token)));
      expect(issuer.requests.jwks).toBe(1);
    } finally {
      await issuer.heal();
    }
  });

  it('a key rotation across warm processes: one fetch in all (four without the store)', async () => {
    const shared = [1, 2, 3, 4].map(() =>
      verifier(redisKeySetStore(conn.client), { cooldownDuration: 100 }),
    );
    const alone = [1, 2, 3, 4].map(() => verifier(undefined, { cooldownDuration: 100 }));
    const before = await issuer.sign();
    for (const v of [...shared, ...alone]) await v.verify(before);
    await new Promise((r) => setTimeout(r, 150));
    await issuer.rotate('ES256');
    await issuer.fail({ type: 'slow', delayMs: 200 }, { only: 'jwks' });
    try {
      const rotated = await issuer.sign();
      issuer.resetCounts();
      await Promise.all(shared.map((v) => v.verify(rotated)));
      expect(issuer.requests.jwks).toBe(1);
      issuer.resetCounts();
      await Promise.all(alone.map((v) => v.verify(rotated)));
      expect(issuer.requests.jwks).toBe(4);
    } finally {
      await issuer.heal();
    }
  });

  it('ignores a stored set that is garbage, from another URL, or lists no usable key, and fetches', async () => {
    const key = `jwks-auth:jwks:${issuer.issuer}`;
    const good = {
      jwks: JSON.stringify(issuer.jwks()),
      uri: issuer.jwksUri,
      fetchedAt: Date.now(),
    };
    const bad = [
      'not json',
      JSON.stringify({ ...good, uri: 'http://127.0.0.1:1/jwks' }),
      JSON.stringify({ ...good, jwks: '{"keys":[{"kty":"oct","k":"AAAA"}]}' }),
      JSON.stringify({ ...good, fetchedAt: Date.now() + 3_600_000 }),
      JSON.stringify({ ...good, jwks: 42 }),
    ];
    for (const value of bad) {
      await inspect.set(key, value);
      issuer.resetCounts();
      const v = createVerifier({
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        audience: AUD,
        jwks: { store: redisKeySetStore(conn.client) },
      });
      verifiers.push(v);
      await v.verify(await issuer.sign());
      expect(issuer.requests.jwks).toBe(1);
      // What it fetched replaces the bad value (written after the request, not during it).
      await eventually(async () => expect(await inspect.get(key)).not.toBe(value));
    }
  });
});

describe.each(CLIENTS)('with %s, when Redis goes away', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('key sets are fetched from the identity provider as without a store, and the store is used again when Redis returns', async () => {
    const warm = verifier(redisKeySetStore(conn.client, { timeout: 200 }), {
      cooldownDuration: 100,
    });
    await warm.verify(await issuer.sign());
    await server.kill();
    try {
      issuer.resetCounts();
      const started = Date.now();
      const cold = verifier(redisKeySetStore(conn.client, { timeout: 200 }));
      await expect(cold.verify(await issuer.sign())).resolves.toBeDefined();
      expect(Date.now() - started).toBeLessThan(1500);
      expect(issuer.requests.jwks).toBe(1);
      // A rotation while Redis is away: each process fetches for itself.
      await issuer.rotate('ES256');
      const rotated = await issuer.sign();
      await new Promise((r) => setTimeout(r, 150));
      await expect(warm.verify(rotated)).resolves.toBeDefined();
    } finally {
      await server.start();
    }
    await eventually(async () => {
      const probe = verifier(redisKeySetStore(conn.client, { timeout: 200 }));
      await probe.verify(await issuer.sign());
      issuer.resetCounts();
      const next = verifier(redisKeySetStore(conn.client, { timeout: 200 }));
      await next.verify(await issuer.sign());
      expect(issuer.requests.jwks).toBe(0);
    });
  });
});
