/**
 * DPoP (RFC 9449) through the adapters over real HTTP on 127.0.0.1 (Hono on
 * `@hono/node-server`):
 * `htu` is built from the framework's own view of the request (proxy-aware
 * only when the framework is told to trust a proxy), challenges name the
 * scheme, and server nonces travel in `DPoP-Nonce` on errors and successes.
 */
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { OutgoingHttpHeaders, Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { VerifierOptions, VerifyResult } from '@jwks-auth/core';
import { jwksAuth as expressAuth } from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import { jwksAuth as fastifyAuth } from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import { jwksAuth as honoAuth } from '@jwks-auth/hono';
import type { JwksAuthEnv, JwksAuthOptions as HonoOptions } from '@jwks-auth/hono';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, TestIssuer } from '@jwks-auth/testing';
import express from 'express';
import express4 from 'express4';
import Fastify from 'fastify';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import Koa from 'koa';
import Koa2 from 'koa2';
import { listen, stop } from './harness.js';

/** Each adapter, on each framework major it supports. */
const TARGETS = ['express', 'express4', 'koa', 'koa2', 'fastify', 'hono'] as const;
type Target = (typeof TARGETS)[number];

const AUD = 'https://api.example.test';
const SECRET = 'a-nonce-secret-of-at-least-32-characters!';
const LIFETIME = 300;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function send(base: string, path: string, headers: OutgoingHttpHeaders): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const body = (auth: VerifyResult | null | undefined) => ({
  scheme: auth?.scheme ?? null,
  sub: auth?.payload.sub ?? null,
});

async function start(
  name: Target,
  options: VerifierOptions,
): Promise<{ base: string; close(): Promise<void> }> {
  switch (name) {
    case 'express':
    case 'express4': {
      const app = (name === 'express' ? express : (express4 as unknown as typeof express))();
      const auth = expressAuth(options as ExpressOptions);
      app.use(auth);
      app.get('/orders', (req, res) => res.json(body(req.auth)));
      app.get('/admin', auth.requiredScopes('admin'), (req, res) => res.json(body(req.auth)));
      const { createServer } = await import('node:http');
      const server: Server = createServer(app);
      const base = await listen(server);
      return { base, close: async () => (auth.verifier.close(), await stop(server)) };
    }
    case 'koa':
    case 'koa2': {
      const app = new (name === 'koa' ? Koa : (Koa2 as unknown as typeof Koa))();
      app.silent = true;
      const auth = koaAuth(options as unknown as KoaOptions);
      app.use(auth);
      const admin = auth.requiredScopes('admin');
      app.use((ctx, next) => {
        if (ctx.path === '/orders') ctx.body = body(ctx.state.auth);
        if (ctx.path === '/admin') return admin(ctx, async () => (ctx.body = body(ctx.state.auth)));
        return next();
      });
      const { createServer } = await import('node:http');
      const server = createServer(app.callback());
      const base = await listen(server);
      return { base, close: async () => (auth.verifier.close(), await stop(server)) };
    }
    case 'fastify': {
      const app = Fastify({ logger: false });
      await app.register(fastifyAuth, options as unknown as FastifyOptions);
      app.get('/orders', async (req) => body(req.auth));
      app.get('/admin', { preHandler: app.jwksAuth.requiredScopes('admin') }, async (req) =>
        body(req.auth),
      );
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address() as { port: number };
      return { base: `http://127.0.0.1:${address.port}`, close: () => app.close() };
    }
    case 'hono': {
      const app = new Hono<JwksAuthEnv>();
      const auth = honoAuth(options as unknown as HonoOptions);
      app.use(auth);
      app.get('/orders', (c) => c.json(body(c.var.auth)));
      app.get('/admin', auth.requiredScopes('admin'), (c) => c.json(body(c.var.auth)));
      const server = createAdaptorServer({ fetch: app.fetch }) as Server;
      const base = await listen(server);
      return { base, close: async () => (auth.verifier.close(), await stop(server)) };
    }
  }
}

let issuer: TestIssuer;
let key: DpopKey;
beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
});
afterAll(() => issuer.close());

describe.each(TARGETS)('%s', (name) => {
  let app: { base: string; close(): Promise<void> };
  let nonced: { base: string; close(): Promise<void> };
  const base = { issuer: '', jwksUri: '', audience: AUD };
  beforeAll(async () => {
    base.issuer = issuer.issuer;
    base.jwksUri = issuer.jwksUri;
    app = await start(name, { ...base, dpop: {} });
    nonced = await start(name, {
      ...base,
      dpop: { nonce: { secret: SECRET, lifetime: LIFETIME } },
    });
  });
  afterAll(async () => {
    await app.close();
    await nonced.close();
  });

  const dpopHeaders = async (
    target: string,
    token: string,
    extra: Record<string, unknown> = {},
  ) => ({
    authorization: `DPoP ${token}`,
    dpop: await key.proof({ htm: 'GET', htu: `${target}/orders`, accessToken: token, ...extra }),
  });

  it('accepts a DPoP request whose htu is the URL the client used', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const res = await send(app.base, '/orders?page=1', await dpopHeaders(app.base, token));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ scheme: 'DPoP', sub: 'test-user' });
  });

  it('refuses a replayed proof with a DPoP challenge', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const headers = await dpopHeaders(app.base, token);
    expect((await send(app.base, '/orders', headers)).status).toBe(200);
    const res = await send(app.base, '/orders', headers);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP algs="[^"]+", error="invalid_dpop_proof"/,
    );
  });

  it('does not trust X-Forwarded-Host unless the framework is told to trust the proxy', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const headers = {
      ...(await dpopHeaders('http://evil.example', token)),
      'x-forwarded-host': 'evil.example',
    };
    expect((await send(app.base, '/orders', headers)).status).toBe(401);
  });

  it('refuses two DPoP headers and a bound token sent as Bearer; challenges with both schemes', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const one = await dpopHeaders(app.base, token);
    const two = {
      authorization: one.authorization,
      dpop: [one.dpop, (await dpopHeaders(app.base, token)).dpop],
    };
    const twice = await send(app.base, '/orders', two);
    expect(twice.status).toBe(401);
    expect(twice.headers['www-authenticate']).toMatch(/error="invalid_dpop_proof"/);
    const bearer = await send(app.base, '/orders', { authorization: `Bearer ${token}` });
    expect(bearer.status).toBe(401);
    expect(bearer.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token"/,
    );
    const none = await send(app.base, '/orders', {});
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer realm="api", DPoP algs="[^"]+"$/);
  });

  it('with origin set, htu names the public origin, whatever Host or X-Forwarded-Host say', async () => {
    const pinned = await start(name, { ...base, dpop: { origin: 'https://api.example.com' } });
    try {
      const token = await issuer.sign({}, { boundTo: key });
      const ok = await send(
        pinned.base,
        '/orders',
        await dpopHeaders('https://api.example.com', token),
      );
      expect(ok.status).toBe(200);
      const local = await send(pinned.base, '/orders', await dpopHeaders(pinned.base, token));
      expect(local.status).toBe(401);
    } finally {
      await pinned.close();
    }
  });

  it('a route check refusing a DPoP request names the DPoP scheme', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: await key.proof({ htm: 'GET', htu: `${app.base}/admin`, accessToken: token }),
    };
    const res = await send(app.base, '/admin', headers);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP algs="[^"]+", error="insufficient_scope"/,
    );
  });

  it('asks for a nonce, accepts it, and sends the next one when the presented one is ageing', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const first = await send(nonced.base, '/orders', await dpopHeaders(nonced.base, token));
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toMatch(/^DPoP algs="[^"]+", error="use_dpop_nonce"/);
    const nonce = first.headers['dpop-nonce'] as string;
    expect(nonce).toBeTruthy();
    const second = await send(
      nonced.base,
      '/orders',
      await dpopHeaders(nonced.base, token, { nonce }),
    );
    expect(second.status).toBe(200);
    expect(second.headers['dpop-nonce']).toBeUndefined();
    // A nonce from the previous window is still accepted, and the response carries the current one.
    const window = parseInt(nonce.split('.')[0]!, 36) - 1;
    const mac = createHmac('sha256', SECRET)
      .update(`jwks-auth dpop nonce ${window}`)
      .digest('base64url');
    const ageing = `${window.toString(36)}.${mac}`;
    const third = await send(
      nonced.base,
      '/orders',
      await dpopHeaders(nonced.base, token, { nonce: ageing }),
    );
    expect(third.status).toBe(200);
    expect(third.headers['dpop-nonce']).toBe(nonce);
  });
});
