/**
 * The revocation list on a real redis-server, through both clients: a jti
 * listed through one verifier is refused by another, the entry expires with
 * the token (plus the leeway), and an unreachable Redis fails closed (503,
 * Retry-After) unless onUnavailable is 'allow'.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import { redisRevocationList, REVOCATION_LEEWAY } from '@jwks-auth/redis';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import { AUD, createApi, eventually } from './api.js';
import { CLIENTS, connect, startRedis } from './redis-server.js';
import type { RedisServer, TestClient } from './redis-server.js';

let server: RedisServer;
let issuer: TestIssuer;
let inspect: Redis;

beforeAll(async () => {
  server = await startRedis();
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  inspect = new Redis(server.port, '127.0.0.1', { lazyConnect: true, retryStrategy: () => 100 });
  inspect.on('error', () => undefined);
  await inspect.connect();
});
afterAll(async () => {
  inspect.disconnect();
  await issuer.close();
  await server.close();
});

const now = () => Math.floor(Date.now() / 1000);
const options = (isRevoked: unknown) => ({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  isRevoked: isRevoked as never,
});
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe.each(CLIENTS)('with %s', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('refuses bad options and bad revoke arguments', async () => {
    expect(() => redisRevocationList(conn.client, { key: '' })).toThrow(/"key"/);
    expect(() => redisRevocationList(conn.client, { key: 'a b' })).toThrow(/"key"/);
    expect(() => redisRevocationList(conn.client, { timeout: -1 })).toThrow(/"timeout"/);
    expect(() => redisRevocationList(conn.client, { other: 1 } as never)).toThrow(/"other"/);
    const list = redisRevocationList(conn.client);
    await expect(list.revoke('', now() + 60)).rejects.toThrow(TypeError);
    await expect(list.revoke('x'.repeat(257), now() + 60)).rejects.toThrow(TypeError);
    await expect(list.revoke('a', Number.NaN)).rejects.toThrow(TypeError);
  });

  it('a token revoked through one verifier is refused by another, and the entry expires after exp plus the leeway', async () => {
    const list = redisRevocationList(conn.client, { key: `${name}-list` });
    const other = redisRevocationList(conn.client, { key: `${name}-list` });
    const one = createApi(options(list));
    const two = createApi(options(other));
    try {
      const exp = now() + 120;
      const token = await issuer.sign({ jti: `${name}-t1`, exp });
      const kept = await issuer.sign({ jti: `${name}-t2`, exp });
      expect((await request(two.app).get('/orders').set(bearer(token))).status).toBe(200);
      await list.revoke(`${name}-t1`, exp);
      const refused = await request(two.app).get('/orders').set(bearer(token));
      expect(refused.status).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect((await request(one.app).get('/orders').set(bearer(token))).status).toBe(401);
      expect((await request(two.app).get('/orders').set(bearer(kept))).status).toBe(200);
      const ttl = await inspect.ttl(`jwks-auth:${name}-list:${name}-t1`);
      expect(ttl).toBeGreaterThan(120 + REVOCATION_LEEWAY - 5);
      expect(ttl).toBeLessThanOrEqual(120 + REVOCATION_LEEWAY);
    } finally {
      one.close();
      two.close();
    }
  });

  it('an entry disappears at its until; an until long past lists nothing', async () => {
    const list = redisRevocationList(conn.client, { key: `${name}-short` });
    const verifier = createVerifier({ ...options(list), audience: AUD, cache: false });
    try {
      await list.revoke('gone', now() - REVOCATION_LEEWAY + 1);
      const token = await issuer.sign({ jti: 'gone' });
      await expect(verifier.verify(token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
      await list.revoke('old', now() - REVOCATION_LEEWAY - 10);
      expect(await inspect.exists(`jwks-auth:${name}-short:old`)).toBe(0);
      await eventually(async () => {
        await expect(verifier.verify(token)).resolves.toMatchObject({ payload: { jti: 'gone' } });
      }, 4000);
    } finally {
      verifier.close();
    }
  });

  it('lets a token without jti through: it cannot be listed', async () => {
    const list = redisRevocationList(conn.client);
    const token = await issuer.sign({ jti: undefined });
    const verifier = createVerifier({ ...options(list), audience: AUD });
    try {
      await expect(verifier.verify(token)).resolves.toBeDefined();
    } finally {
      verifier.close();
    }
  });
});

describe.each(CLIENTS)('with %s, when Redis goes away', (name) => {
  let conn: TestClient;
  beforeAll(async () => {
    conn = await connect(name, server);
  });
  afterAll(() => conn.close());

  it('fails closed (503, Retry-After) or passes with allow; revoke rejects; all recover without a restart', async () => {
    const list = redisRevocationList(conn.client, { timeout: 300 });
    const closed = createApi(options(list));
    const open = createApi(
      options(redisRevocationList(conn.client, { timeout: 300, onUnavailable: 'allow' })),
    );
    try {
      const token = await issuer.sign({ jti: `${name}-down` });
      await server.kill();
      const started = Date.now();
      const down = await request(closed.app).get('/orders').set(bearer(token));
      expect(down.status).toBe(503);
      expect(down.headers['retry-after']).toMatch(/^\d+$/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(closed.reached).toBe(0);
      expect((await request(open.app).get('/orders').set(bearer(token))).status).toBe(200);
      await expect(list.revoke(`${name}-down`, now() + 60)).rejects.toThrow(/Redis/);
      await server.start();
      await eventually(async () => {
        await list.revoke(`${name}-down`, now() + 60);
        expect((await request(closed.app).get('/orders').set(bearer(token))).status).toBe(401);
      });
    } finally {
      closed.close();
      open.close();
      await server.start();
    }
  });
});
