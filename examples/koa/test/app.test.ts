import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { MESSAGES, createApp } from '../src/app.js';

const audience = 'https://api.example.test';

let issuer: TestIssuer;
let handler: RequestListener;

beforeAll(async () => {
  issuer = await createTestIssuer();
  handler = createApp({ issuer: issuer.issuer, audience }).callback();
});

afterAll(() => issuer.close());

describe('Koa example', () => {
  it('serves GET /public without a token', async () => {
    const res = await request(handler).get('/public');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Public: no token needed' });
  });

  it('answers GET /api/me without a token with 401 and a Bearer challenge', async () => {
    const res = await request(handler).get('/api/me');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it("answers GET /api/me with the token's claims", async () => {
    const token = await issuer.sign({ aud: audience, sub: 'alice' });
    const res = await request(handler).get('/api/me').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body.claims).toMatchObject({ sub: 'alice', aud: audience, iss: issuer.issuer });
  });

  it('answers GET /api/messages with 403 insufficient_scope without read:messages', async () => {
    const token = await issuer.sign({ aud: audience, scope: 'profile' });
    const res = await request(handler).get('/api/messages').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="read:messages"');
  });

  it('answers GET /api/messages with the messages given read:messages', async () => {
    const token = await issuer.sign({ aud: audience, scope: 'profile read:messages' });
    const res = await request(handler).get('/api/messages').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ messages: MESSAGES });
  });
});
