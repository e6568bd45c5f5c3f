import { STATUS_CODES } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest, RouteHandlerMethod } from 'fastify';
import {
  AUDIENCE,
  EXPECTED_SUB,
  HTTP_CASES,
  METADATA_CASES,
  REQUIRED_AUTHENTICATION,
  REQUIRED_CLAIM,
  REQUIRED_SCOPE,
  ROUTES,
  baseOptions,
  expectAuthHeaders,
  expectMessage,
  expectMetadataResponse,
} from '../../../test/http-cases.js';
import jwksAuthDefault, {
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  requiredAuthentication,
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthHook, JwksAuthOptions } from '../src/index.js';

let issuer: TestIssuer;
const apps: FastifyInstance[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});
afterAll(() => issuer.close());

const reply: RouteHandlerMethod = async (request) => ({ auth: request.auth });

async function buildApp(
  options: JwksAuthOptions,
  setup: (app: FastifyInstance) => void = () => undefined,
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  apps.push(app);
  await app.register(jwksAuth, options);
  app.get(ROUTES.protected, reply);
  app.get(ROUTES.scoped, { preHandler: requiredScopes(REQUIRED_SCOPE) }, reply);
  app.get(
    ROUTES.claim,
    { preHandler: claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value) },
    reply,
  );
  app.get(ROUTES.stepUp, { preHandler: requiredAuthentication(REQUIRED_AUTHENTICATION) }, reply);
  setup(app);
  return app;
}

interface InjectOptions {
  method?: 'GET' | 'OPTIONS' | 'POST';
  url: string;
  headers?: Record<string, string>;
  payload?: string;
}

/** Fastify's own `app.inject()`, reduced to what the assertions read. */
async function inject(app: FastifyInstance, options: InjectOptions) {
  const res = await app.inject({
    method: options.method ?? 'GET',
    url: options.url,
    headers: options.headers ?? {},
    ...(options.payload === undefined ? {} : { payload: options.payload }),
  });
  return {
    statusCode: res.statusCode,
    headers: res.headers as Record<string, string | undefined>,
    json: () => res.json(),
  };
}

const bearer = async (claims: Record<string, unknown> = {}) => ({
  authorization: `Bearer ${await issuer.sign(claims)}`,
});

describe("HTTP contract, rendered by Fastify's default error handler", () => {
  it.each(HTTP_CASES)('$name → $status', async (c) => {
    const prepared = await c.prepare(issuer);
    try {
      const app = await buildApp({ ...baseOptions(issuer), ...prepared.options });
      const res = await inject(app, {
        method: 'GET',
        url: prepared.request.path,
        headers: prepared.request.headers,
      });
      expectAuthHeaders(c, { status: res.statusCode, headers: res.headers });
      const body = res.json();
      if (c.status === 200) {
        expect(body.auth.payload).toMatchObject({ sub: EXPECTED_SUB, aud: AUDIENCE });
      } else {
        expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
        expect(body).toEqual({
          statusCode: c.status,
          code: c.code,
          error: STATUS_CODES[c.status],
          message: expect.any(String),
        });
        expectMessage(c, body.message);
      }
    } finally {
      await prepared.cleanup?.();
    }
  });
});

describe('RFC 9728 metadata document, served by routes the plugin registers', () => {
  it.each(METADATA_CASES)('$name → $status', async (c) => {
    const app = await buildApp({ ...baseOptions(issuer), ...c.options });
    const res = await app.inject({
      method: c.request.method,
      url: c.request.path,
      headers: c.request.headers ?? {},
    });
    expectMetadataResponse(c, issuer, {
      status: res.statusCode,
      headers: res.headers,
      text: res.body,
    });
  });

  it('refuses to register under a prefix, where the document would miss its URL', async () => {
    const app = Fastify({ logger: false });
    apps.push(app);
    const registered = app.register(
      async (api) => {
        await api.register(jwksAuth, {
          issuer: issuer.issuer,
          protectedResource: { resource: `${AUDIENCE}/mcp` },
        });
      },
      { prefix: '/api' },
    );
    await expect(registered).rejects.toThrow(
      /"protectedResource" needs the plugin registered without a prefix \(this scope has "\/api"\)/,
    );
  });

  it('serves a resource whose path has a ":" at that literal path', async () => {
    const app = await buildApp({
      ...baseOptions(issuer),
      audience: undefined,
      protectedResource: { resource: `${AUDIENCE}/v1:mcp` },
    });
    const res = await app.inject({ url: '/.well-known/oauth-protected-resource/v1:mcp' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ resource: `${AUDIENCE}/v1:mcp` });
    const other = await app.inject({ url: '/.well-known/oauth-protected-resource/v1other' });
    expect(other.statusCode).toBe(401);
  });

  it("gives app.jwksAuth.requiredAuthentication the plugin's realm and resource_metadata", async () => {
    const app = Fastify({ logger: false });
    apps.push(app);
    await app.register(jwksAuth, {
      issuer: issuer.issuer,
      realm: 'orders',
      protectedResource: { resource: AUDIENCE },
    });
    app.get(
      '/mfa',
      { preHandler: app.jwksAuth.requiredAuthentication({ acrValues: ['urn:example:mfa'] }) },
      reply,
    );
    const weak = await inject(app, { url: '/mfa', headers: await bearer({ acr: 'pwd' }) });
    expect(weak.statusCode).toBe(401);
    expect(weak.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="urn:example:mfa", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
    );
    const strong = await inject(app, {
      url: '/mfa',
      headers: await bearer({ acr: 'urn:example:mfa' }),
    });
    expect(strong.statusCode).toBe(200);
  });
});

describe('jwksAuth plugin', () => {
  it('is the default export too, named for fastify-plugin', () => {
    expect(jwksAuthDefault).toBe(jwksAuth);
    const meta = (jwksAuth as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')];
    expect(meta).toMatchObject({ name: '@jwks-auth/fastify', fastify: '5.x' });
  });

  it('validates options at register time', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(app.register(jwksAuth, { issuer: 'not a url', audience: null })).rejects.toThrow(
      new TypeError('"issuer" option must be an absolute URL'),
    );
    const other = Fastify();
    apps.push(other);
    await expect(
      other.register(jwksAuth, { issuer: issuer.issuer } as unknown as JwksAuthOptions),
    ).rejects.toThrow(/"audience" option is required/);
  });

  it('rejects an unknown config.jwksAuth value when the route is declared', async () => {
    const app = await buildApp(baseOptions(issuer));
    expect(() =>
      app.get('/typo', { config: { jwksAuth: 'yes' as unknown as boolean } }, reply),
    ).toThrow("route GET /typo: config.jwksAuth must be true, false or 'optional'");
  });

  it("config: { jwksAuth: false } skips auth; 'optional' lets requests without a token in", async () => {
    const app = await buildApp(baseOptions(issuer), (a) => {
      a.get('/public', { config: { jwksAuth: false } }, reply);
      a.get('/optional', { config: { jwksAuth: 'optional' } }, reply);
      a.get(
        '/optional-scoped',
        {
          config: { jwksAuth: 'optional' },
          preHandler: requiredScopes('read:messages'),
        },
        reply,
      );
    });
    const expired = { authorization: 'Bearer not-a-jwt' };

    const open = await inject(app, { url: '/public', headers: expired });
    expect(open.statusCode).toBe(200);
    expect(open.json()).toEqual({ auth: null });

    const none = await inject(app, { url: '/optional' });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ auth: null });

    const bad = await inject(app, { url: '/optional', headers: expired });
    expect(bad.statusCode).toBe(401);
    expect(bad.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
    );

    const ok = await inject(app, { url: '/optional', headers: await bearer() });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().auth.payload.sub).toBe(EXPECTED_SUB);

    const scoped = await inject(app, { url: '/optional-scoped' });
    expect(scoped.statusCode).toBe(401);
    expect(scoped.headers['www-authenticate']).toBe('Bearer realm="api"');

    // Default routes still require a token.
    expect((await inject(app, { url: ROUTES.protected })).statusCode).toBe(401);
  });

  it('credentialsRequired: false makes every route optional; config: { jwksAuth: true } forces it', async () => {
    const app = await buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (a) =>
      a.get('/strict', { config: { jwksAuth: true } }, reply),
    );
    const none = await inject(app, { url: ROUTES.protected });
    expect(none.statusCode).toBe(200);
    expect(none.json()).toEqual({ auth: null });
    const strict = await inject(app, { url: '/strict' });
    expect(strict.statusCode).toBe(401);
    expect(strict.headers['www-authenticate']).toBe('Bearer realm="api"');
    const ok = await inject(app, { url: '/strict', headers: await bearer() });
    expect(ok.statusCode).toBe(200);
  });

  it('authenticates only the scope it is registered in', async () => {
    const app = Fastify();
    apps.push(app);
    app.get('/public', reply);
    await app.register(async (scope) => {
      await scope.register(jwksAuth, baseOptions(issuer));
      scope.get('/private', reply);
    });
    expect((await inject(app, { url: '/public' })).statusCode).toBe(200);
    expect((await inject(app, { url: '/private' })).statusCode).toBe(401);
    expect((await inject(app, { url: '/private', headers: await bearer() })).statusCode).toBe(200);
  });

  it('gives route helpers the realm of the plugin that ran', async () => {
    const app = await buildApp({ ...baseOptions(issuer), realm: 'orders' });
    const res = await inject(app, { url: ROUTES.scoped, headers: await bearer() });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
  });

  it('exposes its verifier and realm-bound route helpers as app.jwksAuth', async () => {
    const app = await buildApp({ ...baseOptions(issuer), realm: 'orders' }, (a) =>
      a.get('/bound', { preHandler: a.jwksAuth.requiredScopes(REQUIRED_SCOPE) }, reply),
    );
    await app.ready();
    await app.jwksAuth.verifier.warmup();
    expect(issuer.requests.jwks).toBeGreaterThan(0);
    const res = await inject(app, {
      url: '/bound',
      headers: { authorization: `Bearer ${await issuer.sign()}` },
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
  });

  it('authenticates CORS preflights unless corsPreflight is "pass"', async () => {
    const preflightHeaders = {
      origin: 'https://app.example.test',
      'access-control-request-method': 'GET',
    };
    // Any client can add Access-Control-Request-Method: by default it changes nothing.
    const strictApp = await buildApp(baseOptions(issuer), (a) =>
      a.options(ROUTES.protected, reply),
    );
    const strict = await inject(strictApp, {
      method: 'OPTIONS',
      url: ROUTES.protected,
      headers: preflightHeaders,
    });
    expect(strict.statusCode).toBe(401);
    expect(strict.headers['www-authenticate']).toBe('Bearer realm="api"');

    const app = await buildApp({ ...baseOptions(issuer), corsPreflight: 'pass' }, (a) =>
      a.options(ROUTES.protected, reply),
    );
    const preflight = await inject(app, {
      method: 'OPTIONS',
      url: ROUTES.protected,
      headers: { origin: 'https://app.example.test', 'access-control-request-method': 'GET' },
    });
    expect(preflight.statusCode).toBe(200);
    expect(preflight.json()).toEqual({ auth: null });
    const plain = await inject(app, { method: 'OPTIONS', url: ROUTES.protected });
    expect(plain.statusCode).toBe(401);
  });

  it('hands the Fastify request to getToken (cookie example)', async () => {
    const seen: FastifyRequest[] = [];
    const app = await buildApp({
      ...baseOptions(issuer),
      getToken: (request) => {
        seen.push(request);
        return /(?:^|;\s*)access_token=([^;]+)/.exec(request.headers.cookie ?? '')?.[1];
      },
    });
    const token = await issuer.sign();
    const res = await inject(app, {
      url: ROUTES.protected,
      headers: { cookie: `access_token=${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().auth.token).toBe(token);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.routeOptions.url).toBe(ROUTES.protected);
  });

  it('reads a form-body token after body parsing with allowBodyToken', async () => {
    const app = await buildApp({ ...baseOptions(issuer), allowBodyToken: true }, (a) => {
      a.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))),
      );
      a.post('/form', reply);
    });
    const token = await issuer.sign();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await inject(app, {
      method: 'POST',
      url: '/form',
      headers: form,
      payload: `access_token=${token}`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().auth.token).toBe(token);
    const none = await inject(app, { method: 'POST', url: '/form', headers: form, payload: 'a=b' });
    expect(none.statusCode).toBe(401);
  });

  it('answers a cached token without waiting (same result object)', async () => {
    const results: unknown[] = [];
    const app = await buildApp(baseOptions(issuer), (a) =>
      a.get('/capture', async (request) => {
        results.push(request.auth);
        return {};
      }),
    );
    const headers = await bearer();
    await inject(app, { url: '/capture', headers });
    await inject(app, { url: '/capture', headers });
    expect(results).toHaveLength(2);
    expect(results[1]).toBe(results[0]);
  });

  it('lets a custom error handler see the JwksAuthError', async () => {
    const app = await buildApp(baseOptions(issuer), (a) =>
      a.setErrorHandler((error, _request, res) => {
        if (!isJwksAuthError(error)) throw error;
        // A custom handler owns the response: it must copy the headers itself.
        res.code(error.status).headers(error.headers);
        return { error: error.error ?? 'unauthorized', error_description: error.message };
      }),
    );
    const res = await inject(app, { url: ROUTES.protected });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'no bearer token in the request',
    });
  });

  it('registers twice in one scope (decorations are shared)', async () => {
    const app = Fastify();
    apps.push(app);
    await app.register(jwksAuth, baseOptions(issuer));
    await app.register(jwksAuth, { ...baseOptions(issuer), realm: 'second' });
    app.get(ROUTES.protected, reply);
    const res = await inject(app, { url: ROUTES.protected });
    expect(res.statusCode).toBe(401);
  });
});

describe('route helpers', () => {
  async function helperApp(...guards: JwksAuthHook[]): Promise<FastifyInstance> {
    return buildApp(baseOptions(issuer), (a) => a.get('/guarded', { preHandler: guards }, reply));
  }
  const call = async (app: FastifyInstance, claims: Record<string, unknown>) =>
    inject(app, { url: '/guarded', headers: await bearer(claims) });

  it('requiredScopes: all, or any with { any: true }', async () => {
    const all = await helperApp(requiredScopes(['read:messages', 'write:messages']));
    expect((await call(all, { scope: 'read:messages write:messages' })).statusCode).toBe(200);
    const denied = await call(all, { scope: 'read:messages' });
    expect(denied.statusCode).toBe(403);
    expect(denied.json()).toMatchObject({
      code: 'ERR_INSUFFICIENT_SCOPE',
      message: 'the token lacks a required scope',
    });
    const any = await helperApp(requiredScopes('admin write:messages', { any: true }));
    expect((await call(any, { scope: undefined, permissions: ['admin'] })).statusCode).toBe(200);
    expect((await call(any, {})).statusCode).toBe(403);
  });

  it('claimIncludes, claimCheck, and several helpers on one route', async () => {
    const app = await helperApp(
      claimIncludes('roles', 'admin'),
      claimCheck((p) => p.email_verified === true, 'email not verified'),
    );
    expect((await call(app, { roles: ['admin'], email_verified: true })).statusCode).toBe(200);
    expect((await call(app, { roles: ['ops'], email_verified: true })).statusCode).toBe(403);
    const unverified = await call(app, { roles: ['admin'] });
    expect(unverified.statusCode).toBe(403);
    expect(unverified.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
    );
  });

  it('answer 401 on a route that skipped auth', async () => {
    const app = await buildApp(baseOptions(issuer), (a) =>
      a.get(
        '/skipped',
        { config: { jwksAuth: false }, preHandler: requiredScopes('read:messages') },
        reply,
      ),
    );
    const res = await inject(app, { url: '/skipped' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('validate their arguments when the route is declared', () => {
    expect(() => requiredScopes('')).toThrow(TypeError);
    expect(() => claimEquals('', 1)).toThrow(TypeError);
    expect(() => claimIncludes('roles')).toThrow(TypeError);
    expect(() => claimCheck(() => true, '')).toThrow(TypeError);
  });
});
