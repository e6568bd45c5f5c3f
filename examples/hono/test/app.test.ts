import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAdaptorServer } from '@hono/node-server';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { MESSAGES, createApp } from '../src/app.js';

const audience = 'https://api.example.test';

let issuer: TestIssuer;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  issuer = await createTestIssuer();
  app = createApp({ issuer: issuer.issuer, audience });
});

afterAll(() => issuer.close());

const get = (path: string, token?: string) =>
  app.request(path, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

describe('Hono example', () => {
  it('serves GET /public without a token', async () => {
    const res = await get('/public');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'Public: no token needed' });
  });

  it('answers GET /api/me without a token with 401 and a Bearer challenge', async () => {
    const res = await get('/api/me');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await res.json()).toMatchObject({ error: 'unauthorized' });
  });

  it("answers GET /api/me with the token's claims", async () => {
    const token = await issuer.sign({ aud: audience, sub: 'alice' });
    const res = await get('/api/me', token);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { claims: unknown }).claims).toMatchObject({
      sub: 'alice',
      aud: audience,
      iss: issuer.issuer,
    });
  });

  it('answers GET /api/messages with 403 insufficient_scope without read:messages', async () => {
    const token = await issuer.sign({ aud: audience, scope: 'profile' });
    const res = await get('/api/messages', token);
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(res.headers.get('www-authenticate')).toContain('scope="read:messages"');
    expect(await res.json()).toMatchObject({ error: 'insufficient_scope' });
  });

  it('answers GET /api/messages with the messages given read:messages', async () => {
    const token = await issuer.sign({ aud: audience, scope: 'profile read:messages' });
    const res = await get('/api/messages', token);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ messages: MESSAGES });
  });

  it('runs on Node through @hono/node-server, as main.ts serves it', async () => {
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const token = await issuer.sign({ aud: audience, scope: 'read:messages' });
      const ok = await fetch(`${base}/api/messages`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ messages: MESSAGES });
      const none = await fetch(`${base}/api/messages`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
