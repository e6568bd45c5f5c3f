import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import Koa from 'koa';
import type { Context, Middleware, Next } from 'koa';
import Koa2 from 'koa2';
import request from 'supertest';
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
import {
  JwksAuthError,
  claimCheck,
  claimEquals,
  claimIncludes,
  isJwksAuthError,
  jwksAuth,
  requiredAuthentication,
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthOptions, Verifier } from '../src/index.js';

/**
 * The Koa majors the adapter supports, each app-dependent test below runs on
 * both. Koa 2 is the `koa2` alias (koa@2); the adapter is typed against
 * @types/koa 3, so its class is cast here, and types.test.ts compiles the
 * adapter against @types/koa 2.
 */
const MAJORS = [
  // ctx.back() came with Koa 3.
  { name: 'Koa 3', pkg: 'koa', major: 3, Framework: Koa, back: 'function' },
  {
    name: 'Koa 2',
    pkg: 'koa2',
    major: 2,
    Framework: Koa2 as unknown as typeof Koa,
    back: 'undefined',
  },
] as const;

let issuer: TestIssuer;
const verifiers: Verifier[] = [];

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
  verifiers.push(auth.verifier);
  app.use(auth);
}

const bearer = async (claims: Record<string, unknown> = {}) =>
  `Bearer ${await issuer.sign(claims)}`;

describe.each(MAJORS)('on $name', ({ name, pkg, major, Framework, back }) => {
  function buildApp(options: JwksAuthOptions, ...extra: Middleware[]): Koa {
    const app = new Framework();
    // Koa logs 5xx errors to stderr unless silent.
    app.silent = true;
    useAuth(app, options);
    for (const middleware of extra) app.use(middleware);
    app.use(route(ROUTES.protected));
    app.use(route(ROUTES.scoped, requiredScopes(REQUIRED_SCOPE)));
    app.use(route(ROUTES.claim, claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value)));
    app.use(route(ROUTES.stepUp, requiredAuthentication(REQUIRED_AUTHENTICATION)));
    return app;
  }

  it(`runs ${name}`, () => {
    const require = createRequire(import.meta.url);
    expect(require(`${pkg}/package.json`).version).toMatch(new RegExp(`^${major}\\.`));
    expect(typeof (new Framework().context as { back?: unknown }).back).toBe(back);
  });

  describe('RFC 9728 metadata document, served by the middleware', () => {
    it.each(METADATA_CASES)('$name → $status', async (c) => {
      const app = buildApp({ ...baseOptions(issuer), ...c.options });
      const { method, path, headers = {} } = c.request;
      const verb = method.toLowerCase() as 'get' | 'head' | 'options' | 'post' | 'delete';
      const res = await request(app.callback())[verb](path).set(headers);
      expectMetadataResponse(c, issuer, {
        status: res.status,
        headers: res.headers,
        text: res.text ?? '',
      });
    });

    it("gives the middleware's requiredAuthentication its realm and resource_metadata", async () => {
      const app = new Framework();
      app.silent = true;
      const auth = jwksAuth({
        issuer: issuer.issuer,
        realm: 'orders',
        protectedResource: { resource: AUDIENCE },
      });
      verifiers.push(auth.verifier);
      app.use(auth);
      app.use(route('/mfa', auth.requiredAuthentication({ acrValues: ['urn:example:mfa'] })));
      const weak = await request(app.callback())
        .get('/mfa')
        .set('authorization', await bearer({ acr: 'pwd' }));
      expect(weak.status).toBe(401);
      expect(weak.headers['www-authenticate']).toBe(
        'Bearer realm="orders", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="urn:example:mfa", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
      );
      const strong = await request(app.callback())
        .get('/mfa')
        .set('authorization', await bearer({ acr: 'urn:example:mfa' }));
      expect(strong.status).toBe(200);
    });
  });

  describe("HTTP contract, rendered by Koa's ctx.onerror", () => {
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

  describe('jwksAuth()', () => {
    it('sets ctx.state.auth, also when a second request hits the token cache', async () => {
      const seen: Context['state']['auth'][] = [];
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
      expect(seen[0]?.payload.sub).toBe(EXPECTED_SUB);
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

    it("gives the middleware's own route helpers its realm", async () => {
      const auth = jwksAuth({ ...baseOptions(issuer), realm: 'orders' });
      verifiers.push(auth.verifier);
      const app = new Framework();
      app.silent = true;
      const scoped = auth.requiredScopes(REQUIRED_SCOPE);
      // No jwksAuth before it: the helper still names its middleware's realm.
      app.use((ctx, next) => scoped(ctx, next));
      const none = await request(app.callback()).get('/');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
    });

    it('authenticates CORS preflights unless corsPreflight is "pass"', async () => {
      const handler = (ctx: Context, next: Next) => {
        if (ctx.method !== 'OPTIONS') return next();
        ctx.body = { auth: ctx.state.auth ?? null };
      };
      const preflightTo = (app: Koa) =>
        request(app.callback())
          .options(ROUTES.protected)
          .set('origin', 'https://app.example.test')
          .set('access-control-request-method', 'GET');
      // Any client can add Access-Control-Request-Method: by default it changes nothing.
      const strict = await preflightTo(buildApp(baseOptions(issuer), handler));
      expect(strict.status).toBe(401);
      expect(strict.headers['www-authenticate']).toBe('Bearer realm="api"');

      const app = buildApp({ ...baseOptions(issuer), corsPreflight: 'pass' }, handler);
      const preflight = await preflightTo(app);
      expect(preflight.status).toBe(200);
      expect(preflight.body).toEqual({ auth: null });

      const plain = await request(app.callback()).options(ROUTES.protected);
      expect(plain.status).toBe(401);
    });

    it(`hands the ${name} ctx to getToken (cookie example)`, async () => {
      const seen: Context[] = [];
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
      expect(seen[0]?.state).toBeDefined();
      expect(seen[0]?.request).toBeDefined();

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
      const app = new Framework();
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
      app.use(route('/guarded', claimIncludes('roles', 'admin')));
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

  describe('route helpers', () => {
    function helperApp(...guards: Middleware[]): Koa {
      return buildApp(baseOptions(issuer), route('/guarded', ...guards));
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

      const verified = helperApp(
        claimCheck((p) => p.email_verified === true, 'email not verified'),
      );
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
      const app = new Framework();
      app.use(route('/guarded', requiredScopes('read:messages')));
      const res = await request(app.callback()).get('/guarded');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.text).toBe('no bearer token in the request');
    });
  });
});

describe('jwksAuth()', () => {
  it('validates options when the app is built', () => {
    expect(() => jwksAuth({ issuer: 'not a url', audience: null })).toThrow(
      new TypeError('"issuer" option must be an absolute URL'),
    );
    expect(() => jwksAuth({ issuer: issuer.issuer } as unknown as JwksAuthOptions)).toThrow(
      /"audience" option is required/,
    );
  });

  it('returns next() itself for a cached token, with no extra promise', async () => {
    const auth = jwksAuth(baseOptions(issuer));
    verifiers.push(auth.verifier);
    const headers = { authorization: await bearer() };
    const fakeCtx = () => ({ method: 'GET', headers, request: { headers }, state: {} }) as Context;
    const sentinel = Promise.resolve('next');
    const next: Next = () => sentinel;

    const first = fakeCtx();
    await auth(first, next);
    expect(first.state.auth?.payload.sub).toBe(EXPECTED_SUB);

    const second = fakeCtx();
    expect(auth(second, next)).toBe(sentinel);
    expect(second.state.auth).toBe(first.state.auth);
  });
});

describe('route helpers', () => {
  it('validate their arguments when the route is declared', () => {
    expect(() => requiredScopes([])).toThrow(TypeError);
    expect(() => claimEquals('', 1)).toThrow(TypeError);
    expect(() => claimIncludes('roles')).toThrow(TypeError);
    expect(() => claimCheck(() => true, '')).toThrow(TypeError);
  });
});

describe('re-exports', () => {
  it('exposes the core errors so users install one package', () => {
    expect(isJwksAuthError(new JwksAuthError('ERR_NO_TOKEN', 401, undefined, 'x'))).toBe(true);
  });
});
