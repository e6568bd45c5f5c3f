import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FastifyInstance } from 'fastify';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { MESSAGES, buildApp } from '../src/app.js';

const audience = 'https://api.example.test';

let issuer: TestIssuer;
let app: FastifyInstance;

beforeAll(async () => {
  issuer = await createTestIssuer();
  app = await buildApp({ issuer: issuer.issuer, audience });
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await issuer.close();
});

const get = (url: string, token?: string) =>
  app.inject({
    method: 'GET',
    url,
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

describe('Fastify example', () => {
  it('serves GET /public without a token', async () => {
    const res = await get('/public');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ message: 'Public: no token needed' });
  });

  it('answers GET /api/me without a token with 401 and a Bearer challenge', async () => {
    const res = await get('/api/me');
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it("answers GET /api/me with the token's claims", async () => {
    const res = await get('/api/me', await issuer.sign({ aud: audience, sub: 'alice' }));
    expect(res.statusCode).toBe(200);
    expect(res.json().claims).toMatchObject({ sub: 'alice', aud: audience, iss: issuer.issuer });
  });

  it('answers GET /api/messages with 403 insufficient_scope without read:messages', async () => {
    const res = await get('/api/messages', await issuer.sign({ aud: audience, scope: 'profile' }));
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="read:messages"');
  });

  it('answers GET /api/messages with the messages given read:messages', async () => {
    const token = await issuer.sign({ aud: audience, scope: 'profile read:messages' });
    const res = await get('/api/messages', token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ messages: MESSAGES });
  });
});
