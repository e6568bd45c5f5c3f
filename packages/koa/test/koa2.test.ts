// The shared HTTP contract and the route helpers on Koa 2 (installed as the
// `koa2` alias), with the same expectations as on Koa 3 in index.test.ts.
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import Koa from 'koa2';
import type { Middleware } from 'koa2';
import request from 'supertest';
import {
  AUDIENCE,
  EXPECTED_SUB,
  HTTP_CASES,
  REQUIRED_CLAIM,
  REQUIRED_SCOPE,
  ROUTES,
  baseOptions,
  expectAuthHeaders,
  expectMessage,
} from '../../../test/http-cases.js';
import {
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthOptions, Verifier, VerifyResult } from '../src/index.js';

// The adapter is typed against @types/koa 3; Koa 2 calls its middleware with
// the same (ctx, next) shape, checked at compile time by types2.test.ts.
const asV2 = (middleware: ReturnType<typeof requiredScopes>) => middleware as unknown as Middleware;

let issuer: TestIssuer;
const verifiers: Verifier<never>[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(() => {
  for (const verifier of verifiers.splice(0)) verifier.close();
});
afterAll(() => issuer.close());

const reply: Middleware = (ctx) => {
  ctx.body = { auth: ctx.state.auth ?? null };
};

/** A tiny router: runs `chain` then `reply` for any method on `path`. */
function route(path: string, ...chain: Middleware[]): Middleware {
  const all = [...chain, reply];
  return (ctx, next) => {
    if (ctx.path !== path) return next();
    const run = (i: number): Promise<unknown> =>
      Promise.resolve(all[i]!(ctx, () => (i + 1 < all.length ? run(i + 1) : Promise.resolve())));
    return run(0);
  };
}

function useAuth(app: Koa, options: JwksAuthOptions): void {
  const auth = jwksAuth(options);
  verifiers.push(auth.verifier as Verifier<never>);
  app.use(asV2(auth));
}

function buildApp(options: JwksAuthOptions, ...extra: Middleware[]): Koa {
  const app = new Koa();
  // Koa logs 5xx errors to stderr unless silent.
  app.silent = true;
  useAuth(app, options);
  for (const middleware of extra) app.use(middleware);
  app.use(route(ROUTES.protected));
  app.use(route(ROUTES.scoped, asV2(requiredScopes(REQUIRED_SCOPE))));
  app.use(route(ROUTES.claim, asV2(claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value))));
  return app;
}

const bearer = async (claims: Record<string, unknown> = {}) =>
  `Bearer ${await issuer.sign(claims)}`;

describe('the koa2 alias', () => {
  it('is Koa 2', () => {
    const require = createRequire(import.meta.url);
    expect(require('koa2/package.json').version).toMatch(/^2\./);
    // ctx.back() came with Koa 3.
    expect(typeof (new Koa().context as { back?: unknown }).back).toBe('undefined');
  });
});

describe("HTTP contract on Koa 2, rendered by Koa's ctx.onerror", () => {
  it.each(HTTP_CASES)('$name → $status', async (c) => {
    const prepared = await c.prepare(issuer);
    try {
      const app = buildApp({ ...baseOptions(issuer), ...prepared.options });
      const res = await request(app.callback())
        .get(prepared.request.path)
        .set(prepared.request.headers);
      expectAuthHeaders(c, res);
      if (c.status === 200) {
        expect(res.body.auth.payload).toMatchObject({ sub: EXPECTED_SUB, aud: AUDIENCE });
        expect(res.body.auth.header.alg).toBe('RS256');
      } else {
        expect(res.type).toBe('text/plain');
        // Koa shows the message of exposed (4xx) errors and only the status text of 5xx.
        if (c.status < 500) expectMessage(c, res.text);
        else expect(res.text).toBe(STATUS_CODES[c.status]);
      }
    } finally {
      await prepared.cleanup?.();
    }
  });
});

describe('jwksAuth() on Koa 2', () => {
  it('sets ctx.state.auth, also when a second request hits the token cache', async () => {
    const seen: unknown[] = [];
    const app = buildApp(baseOptions(issuer), (ctx, next) => {
      if (ctx.path !== '/seen') return next();
      seen.push(ctx.state.auth);
      ctx.status = 204;
    });
    const authorization = await bearer();
    issuer.resetCounts();
    for (let i = 0; i < 2; i += 1) {
      const res = await request(app.callback()).get('/seen').set('authorization', authorization);
      expect(res.status).toBe(204);
    }
    expect(seen).toHaveLength(2);
    expect((seen[0] as VerifyResult).payload.sub).toBe(EXPECTED_SUB);
    // The second answer came from the cache: same result, no second key set fetch.
    expect(seen[1]).toBe(seen[0]);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('makes auth optional with credentialsRequired: false', async () => {
    const app = buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (ctx, next) => {
      if (ctx.path !== '/has-auth') return next();
      ctx.body = { has: 'auth' in ctx.state };
    });
    const none = await request(app.callback()).get('/has-auth');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ has: false });

    const bad = await request(app.callback())
      .get(ROUTES.protected)
      .set('authorization', await bearer({ exp: Math.floor(Date.now() / 1000) - 60 }));
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    );

    const ok = await request(app.callback())
      .get(ROUTES.protected)
      .set('authorization', await bearer());
    expect(ok.status).toBe(200);
    expect(ok.body.auth.payload.sub).toBe(EXPECTED_SUB);

    const scoped = await request(app.callback()).get(ROUTES.scoped);
    expect(scoped.status).toBe(401);
    expect(scoped.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('gives route helpers the realm of the jwksAuth() that ran', async () => {
    const app = buildApp({ ...baseOptions(issuer), realm: 'orders', credentialsRequired: false });
    const none = await request(app.callback()).get(ROUTES.scoped);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
    const res = await request(app.callback())
      .get(ROUTES.scoped)
      .set('authorization', await bearer());
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
  });

  it('hands the Koa 2 ctx to getToken (cookie example)', async () => {
    const seen: unknown[] = [];
    const app = buildApp({
      ...baseOptions(issuer),
      getToken: (ctx) => {
        seen.push(ctx);
        return ctx.cookies.get('access_token');
      },
    });
    const token = await issuer.sign();
    const res = await request(app.callback())
      .get(ROUTES.protected)
      .set('cookie', `access_token=${token}`);
    expect(res.status).toBe(200);
    expect(res.body.auth.token).toBe(token);
    expect(seen).toHaveLength(1);
    expect((seen[0] as { state?: unknown }).state).toBeDefined();
    expect((seen[0] as { request?: unknown }).request).toBeDefined();

    const none = await request(app.callback()).get(ROUTES.protected);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('reads a query token from ctx.request.query (allowQueryToken)', async () => {
    const app = buildApp({ ...baseOptions(issuer), allowQueryToken: true });
    const token = await issuer.sign();
    const ok = await request(app.callback()).get(`${ROUTES.protected}?access_token=${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body.auth.token).toBe(token);

    const twice = await request(app.callback()).get(
      `${ROUTES.protected}?access_token=${token}&access_token=${token}`,
    );
    expect(twice.status).toBe(400);
    expect(twice.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="access_token in the query must be a single non-empty value"',
    );
  });

  it('throws errors an upstream middleware can catch and render', async () => {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (error) {
        if (!isJwksAuthError(error)) throw error;
        ctx.status = error.status;
        ctx.set(error.headers);
        ctx.body = { error: error.error ?? 'unauthorized', code: error.code };
      }
    });
    useAuth(app, baseOptions(issuer));
    app.use(route('/guarded', asV2(claimIncludes('roles', 'admin'))));
    app.use(reply);
    const malformed = await request(app.callback())
      .get('/')
      .set('authorization', 'Bearer not-a-jwt');
    expect(malformed.status).toBe(401);
    expect(malformed.body).toEqual({ error: 'invalid_token', code: 'ERR_TOKEN_MALFORMED' });
    expect(malformed.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token is not a JWT"',
    );

    const denied = await request(app.callback())
      .get('/guarded')
      .set('authorization', await bearer({ roles: ['ops'] }));
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: 'insufficient_scope', code: 'ERR_CLAIM_CHECK_FAILED' });
    expect(denied.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the roles claim check failed"',
    );
  });
});

describe('route helpers on Koa 2', () => {
  function helperApp(...guards: ReturnType<typeof requiredScopes>[]): Koa {
    return buildApp(baseOptions(issuer), route('/guarded', ...guards.map(asV2)));
  }
  const call = async (app: Koa, claims: Record<string, unknown>) =>
    request(app.callback())
      .get('/guarded')
      .set('authorization', await bearer(claims));

  it('requiredScopes: all, or any with { any: true }', async () => {
    const all = helperApp(requiredScopes(['read:messages', 'write:messages']));
    const granted = await call(all, { scope: 'read:messages write:messages' });
    expect(granted.status).toBe(200);
    expect(granted.body.auth.payload.sub).toBe(EXPECTED_SUB);
    const denied = await call(all, { scope: 'read:messages' });
    expect(denied.status).toBe(403);
    expect(denied.text).toBe('the token lacks a required scope');
    expect(denied.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages write:messages"',
    );
    const any = helperApp(requiredScopes('admin write:messages', { any: true }));
    expect((await call(any, { scope: undefined, scp: ['write:messages'] })).status).toBe(200);
    expect((await call(any, { scope: undefined, permissions: ['admin'] })).status).toBe(200);
    expect((await call(any, {})).status).toBe(403);
  });

  it('claimEquals, claimIncludes and claimCheck (sync and async)', async () => {
    const org = helperApp(claimEquals('org', 'acme'));
    expect((await call(org, { org: 'acme' })).status).toBe(200);
    const otherOrg = await call(org, { org: 'other' });
    expect(otherOrg.status).toBe(403);
    expect(otherOrg.text).toBe('the org claim check failed');

    const roles = helperApp(claimIncludes('roles', 'admin'));
    expect((await call(roles, { roles: ['admin'] })).status).toBe(200);
    const missing = await call(roles, { roles: ['ops'] });
    expect(missing.status).toBe(403);
    expect(missing.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the roles claim check failed"',
    );

    const verified = helperApp(claimCheck((p) => p.email_verified === true, 'email not verified'));
    expect((await call(verified, { email_verified: true })).status).toBe(200);
    const unverified = await call(verified, {});
    expect(unverified.status).toBe(403);
    expect(unverified.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
    );

    const later = helperApp(
      claimCheck(async (p) => p.email_verified === true, 'email not verified'),
    );
    expect((await call(later, { email_verified: true })).status).toBe(200);
    const laterDenied = await call(later, {});
    expect(laterDenied.status).toBe(403);
    expect(laterDenied.text).toBe('email not verified');
  });

  it('answer 401 without jwksAuth() in front', async () => {
    const app = new Koa();
    app.use(route('/guarded', asV2(requiredScopes('read:messages'))));
    const res = await request(app.callback()).get('/guarded');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.text).toBe('no bearer token in the request');
  });
});
