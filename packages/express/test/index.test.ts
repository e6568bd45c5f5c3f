import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import express4 from 'express4';
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
  expectMetadataResponse,
} from '../../../test/http-cases.js';
import {
  InvalidTokenError,
  JwksAuthError,
  claimCheck,
  createVerifier,
  isJwksAuthError,
  claimEquals,
  claimIncludes,
  jwksAuth,
  jwksAuthErrorHandler,
  requiredAuthentication,
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthOptions, Verifier } from '../src/index.js';

const SINGLE_QUERY_TOKEN =
  'Bearer realm="api", error="invalid_request", error_description="access_token in the query must be a single non-empty value"';

/**
 * The Express majors the adapter supports, each app-dependent test below runs on
 * both. Express 4 is the `express4` alias (express@4); the adapter is typed
 * against @types/express 5, so its factory is cast here, and types.test.ts
 * compiles the adapter against @types/express 4.
 */
const MAJORS = [
  {
    name: 'Express 5',
    pkg: 'express',
    major: 5,
    framework: express,
    // Express 5 apps no longer have app.del().
    del: 'undefined',
    // The "simple" query parser (node:querystring) keeps `access_token[a]` as a key
    // of its own: there is no query token at all.
    nestedQueryToken: { status: 401, wwwAuthenticate: 'Bearer realm="api"' },
  },
  {
    name: 'Express 4',
    pkg: 'express4',
    major: 4,
    framework: express4 as unknown as typeof express,
    // Express 4 apps still have the removed app.del().
    del: 'function',
    // The default "extended" parser (qs) turns it into an object: not one token.
    nestedQueryToken: { status: 400, wwwAuthenticate: SINGLE_QUERY_TOKEN },
  },
] as const;

let issuer: TestIssuer;
const verifiers: Verifier<Request>[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
  // Express logs every error outside env 'test'; the apps below run in 'production'.
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  for (const verifier of verifiers.splice(0)) verifier.close();
});
afterAll(async () => {
  // finalhandler logs through setImmediate after responding; let the last one run.
  await new Promise((resolve) => setImmediate(resolve));
  jest.restoreAllMocks();
  await issuer.close();
});

const reply: RequestHandler = (req, res) => {
  res.json({ auth: req.auth ?? null });
};

const bearer = async (claims: Record<string, unknown> = {}) =>
  `Bearer ${await issuer.sign(claims)}`;

/** The page finalhandler renders for an error in production (Express 5, and 4 with finalhandler 1.3). */
function errorPage(status: number): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${STATUS_CODES[status]}</pre>\n</body>\n</html>\n`;
}

describe.each(MAJORS)('on $name', ({ name, pkg, major, framework, del, nestedQueryToken }) => {
  /** A bare app in env 'production': finalhandler prints the stack outside production. */
  function newApp(): Express {
    const app = framework();
    app.set('env', 'production');
    return app;
  }

  function buildApp(
    options: JwksAuthOptions,
    setup: (app: Express) => void = () => undefined,
  ): Express {
    const app = newApp();
    const auth = jwksAuth(options);
    verifiers.push(auth.verifier);
    app.use(auth);
    app.get(ROUTES.protected, reply);
    app.get(ROUTES.scoped, requiredScopes(REQUIRED_SCOPE), reply);
    app.get(ROUTES.claim, claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value), reply);
    app.get(ROUTES.stepUp, requiredAuthentication(REQUIRED_AUTHENTICATION), reply);
    setup(app);
    return app;
  }

  it(`runs ${name}`, () => {
    const require = createRequire(import.meta.url);
    expect(require(`${pkg}/package.json`).version).toMatch(new RegExp(`^${major}\\.`));
    expect(typeof (framework() as unknown as { del?: unknown }).del).toBe(del);
  });

  describe('HTTP contract, rendered by Express finalhandler', () => {
    it.each(HTTP_CASES)('$name → $status', async (c) => {
      const prepared = await c.prepare(issuer);
      try {
        const app = buildApp({ ...baseOptions(issuer), ...prepared.options });
        const res = await request(app).get(prepared.request.path).set(prepared.request.headers);
        expectAuthHeaders(c, res);
        if (c.status === 200) {
          expect(res.body.auth.payload).toMatchObject({ sub: EXPECTED_SUB, aud: AUDIENCE });
          expect(res.body.auth.header.alg).toBe('RS256');
        } else {
          expect(res.type).toBe('text/html');
          expect(res.text).toBe(errorPage(c.status));
        }
      } finally {
        await prepared.cleanup?.();
      }
    });
  });

  describe('RFC 9728 metadata document, served by the middleware', () => {
    it.each(METADATA_CASES)('$name → $status', async (c) => {
      const app = buildApp({ ...baseOptions(issuer), ...c.options });
      const { method, path, headers = {} } = c.request;
      const verb = method.toLowerCase() as 'get' | 'head' | 'options' | 'post' | 'delete';
      const res = await request(app)[verb](path).set(headers);
      expectMetadataResponse(c, issuer, {
        status: res.status,
        headers: res.headers,
        text: res.text ?? '',
      });
    });

    it("gives the middleware's requiredAuthentication its realm and resource_metadata", async () => {
      const auth = jwksAuth({
        issuer: issuer.issuer,
        realm: 'orders',
        protectedResource: { resource: AUDIENCE },
      });
      verifiers.push(auth.verifier);
      const app = newApp();
      app.get('/mfa', auth, auth.requiredAuthentication({ acrValues: ['urn:example:mfa'] }), reply);
      const weak = await request(app)
        .get('/mfa')
        .set('authorization', await bearer({ acr: 'pwd' }));
      expect(weak.status).toBe(401);
      expect(weak.headers['www-authenticate']).toBe(
        'Bearer realm="orders", error="insufficient_user_authentication", error_description="a stronger authentication of the user is required", acr_values="urn:example:mfa", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource"',
      );
      const strong = await request(app)
        .get('/mfa')
        .set('authorization', await bearer({ acr: 'urn:example:mfa' }));
      expect(strong.status).toBe(200);
    });
  });

  describe('HTTP contract, rendered by jwksAuthErrorHandler()', () => {
    it.each(HTTP_CASES.filter((c) => c.status !== 200))('$name → $status JSON', async (c) => {
      const prepared = await c.prepare(issuer);
      try {
        const app = buildApp({ ...baseOptions(issuer), ...prepared.options }, (a) =>
          a.use(jwksAuthErrorHandler()),
        );
        const res = await request(app).get(prepared.request.path).set(prepared.request.headers);
        expectAuthHeaders(c, res);
        expect(res.type).toBe('application/json');
        if (c.error !== undefined) {
          expect(res.body).toEqual({ error: c.error, error_description: c.message });
        } else if (c.status === 401) {
          expect(res.body).toEqual({ error: 'unauthorized', error_description: c.message });
        } else {
          expect(res.body).toEqual({
            error: 'temporarily_unavailable',
            error_description: 'authentication is temporarily unavailable',
          });
        }
      } finally {
        await prepared.cleanup?.();
      }
    });

    it('passes other errors on to the next error handler', async () => {
      const app = buildApp(baseOptions(issuer), (a) => {
        a.get('/boom', () => {
          throw new Error('boom');
        });
        a.use(jwksAuthErrorHandler());
      });
      const res = await request(app)
        .get('/boom')
        .set('authorization', await bearer());
      expect(res.status).toBe(500);
      expect(res.text).toBe(errorPage(500));
    });
  });

  describe('jwksAuth()', () => {
    it('sets req.auth, also when a second request hits the token cache', async () => {
      const seen: Request['auth'][] = [];
      const app = buildApp(baseOptions(issuer), (a) =>
        a.get('/seen', (req, res) => {
          seen.push(req.auth);
          res.sendStatus(204);
        }),
      );
      const authorization = await bearer();
      issuer.resetCounts();
      expect((await request(app).get('/seen').set('authorization', authorization)).status).toBe(
        204,
      );
      expect((await request(app).get('/seen').set('authorization', authorization)).status).toBe(
        204,
      );
      expect(seen).toHaveLength(2);
      expect(seen[0]?.payload.sub).toBe(EXPECTED_SUB);
      // The second answer came from the cache: same result, no second key set fetch.
      expect(seen[1]).toBe(seen[0]);
      expect(issuer.requests.jwks).toBe(1);
    });

    it('makes auth optional with credentialsRequired: false', async () => {
      const app = buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (a) =>
        a.get('/has-auth', (req, res) => {
          res.json({ has: 'auth' in req, auth: req.auth });
        }),
      );
      const none = await request(app).get('/has-auth');
      expect(none.status).toBe(200);
      expect(none.body).toEqual({ has: false });

      const bad = await request(app)
        .get(ROUTES.protected)
        .set('authorization', await bearer({ exp: Math.floor(Date.now() / 1000) - 60 }));
      expect(bad.status).toBe(401);
      expect(bad.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
      );

      const ok = await request(app)
        .get(ROUTES.protected)
        .set('authorization', await bearer());
      expect(ok.status).toBe(200);
      expect(ok.body.auth.payload.sub).toBe(EXPECTED_SUB);

      // A route helper behind optional auth still demands a token.
      const scoped = await request(app).get(ROUTES.scoped);
      expect(scoped.status).toBe(401);
      expect(scoped.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('gives route helpers the realm of the jwksAuth() that ran', async () => {
      const app = buildApp({ ...baseOptions(issuer), realm: 'orders', credentialsRequired: false });
      const none = await request(app).get(ROUTES.scoped);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
      const res = await request(app)
        .get(ROUTES.scoped)
        .set('authorization', await bearer());
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
      );
    });

    it("gives the middleware's own route helpers its realm, also on routers it does not run on", async () => {
      const auth = jwksAuth({ ...baseOptions(issuer), realm: 'orders' });
      verifiers.push(auth.verifier);
      const app = newApp();
      // The helper runs on a route the middleware never saw: the realm comes from `auth`.
      app.get('/bound', auth.requiredScopes(REQUIRED_SCOPE), reply);
      app.get(
        '/guarded',
        auth,
        auth.claimCheck(async () => false, 'never'),
        reply,
      );
      const none = await request(app).get('/bound');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
      const denied = await request(app)
        .get('/guarded')
        .set('authorization', await bearer());
      expect(denied.status).toBe(403);
      expect(denied.headers['www-authenticate']).toBe(
        'Bearer realm="orders", error="insufficient_scope", error_description="never"',
      );
    });

    it('authenticates CORS preflights unless corsPreflight is "pass"', async () => {
      let seen: Request | undefined;
      const preflightTo = (app: Express) =>
        request(app)
          .options(ROUTES.protected)
          .set('origin', 'https://app.example.test')
          .set('access-control-request-method', 'GET');
      const handler = (a: Express) =>
        a.options(ROUTES.protected, (req, res) => {
          seen = req;
          res.sendStatus(204);
        });
      // Any client can add Access-Control-Request-Method: by default it changes nothing.
      const strict = await preflightTo(buildApp(baseOptions(issuer), handler));
      expect(strict.status).toBe(401);
      expect(strict.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(seen).toBeUndefined();

      const app = buildApp({ ...baseOptions(issuer), corsPreflight: 'pass' }, handler);
      const preflight = await preflightTo(app);
      expect(preflight.status).toBe(204);
      expect(preflight.headers['www-authenticate']).toBeUndefined();
      expect(seen?.auth).toBeUndefined();

      // A plain OPTIONS request is not a preflight: it needs a token.
      const plain = await request(app).options(ROUTES.protected);
      expect(plain.status).toBe(401);
    });

    it(`hands the ${name} request to getToken (cookie example)`, async () => {
      const seen: Request[] = [];
      const app = buildApp({
        ...baseOptions(issuer),
        getToken: (req) => {
          seen.push(req);
          const match = /(?:^|;\s*)access_token=([^;]+)/.exec(req.get('cookie') ?? '');
          return match?.[1];
        },
      });
      const token = await issuer.sign();
      const res = await request(app).get(ROUTES.protected).set('cookie', `access_token=${token}`);
      expect(res.status).toBe(200);
      expect(res.body.auth.token).toBe(token);
      expect(seen).toHaveLength(1);
      expect(typeof seen[0]?.get).toBe('function');
      expect(seen[0]?.app).toBeDefined();

      const none = await request(app).get(ROUTES.protected);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
    });

    it('reads a query token from the parsed req.query (allowQueryToken)', async () => {
      const app = buildApp({ ...baseOptions(issuer), allowQueryToken: true });
      const token = await issuer.sign();
      const ok = await request(app).get(`${ROUTES.protected}?access_token=${token}`);
      expect(ok.status).toBe(200);
      expect(ok.body.auth.token).toBe(token);

      // Both query parsers turn a repeated parameter into an array: not one token.
      const twice = await request(app).get(
        `${ROUTES.protected}?access_token=${token}&access_token=${token}`,
      );
      expect(twice.status).toBe(400);
      expect(twice.headers['www-authenticate']).toBe(SINGLE_QUERY_TOKEN);

      const nested = await request(app).get(`${ROUTES.protected}?access_token[a]=${token}`);
      expect(nested.status).toBe(nestedQueryToken.status);
      expect(nested.headers['www-authenticate']).toBe(nestedQueryToken.wwwAuthenticate);
    });

    it('reads a form-body token parsed by express.urlencoded() (allowBodyToken)', async () => {
      const app = newApp();
      app.use(framework.urlencoded({ extended: false }));
      const auth = jwksAuth({ ...baseOptions(issuer), allowBodyToken: true });
      verifiers.push(auth.verifier);
      app.use(auth);
      app.post('/form', reply);
      const token = await issuer.sign();
      const res = await request(app).post('/form').type('form').send({ access_token: token });
      expect(res.status).toBe(200);
      expect(res.body.auth.token).toBe(token);

      // On a GET, body-parser 1 (Express 4) sets req.body to {} and body-parser 2
      // (Express 5) leaves it undefined: either way no body token, no error.
      app.get('/form', reply);
      const none = await request(app).get('/form');
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
    });
  });

  describe('route helpers', () => {
    function helperApp(...guards: RequestHandler[]): Express {
      return buildApp(baseOptions(issuer), (a) => a.get('/guarded', ...guards, reply));
    }
    const call = async (app: Express, claims: Record<string, unknown>) =>
      request(app)
        .get('/guarded')
        .set('authorization', await bearer(claims));

    it('requiredScopes: all, or any with { any: true }; scp and permissions count', async () => {
      const all = helperApp(requiredScopes(['read:messages', 'write:messages']));
      const granted = await call(all, { scope: 'read:messages write:messages' });
      expect(granted.status).toBe(200);
      expect(granted.body.auth.payload.sub).toBe(EXPECTED_SUB);
      const denied = await call(all, { scope: 'read:messages' });
      expect(denied.status).toBe(403);
      expect(denied.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="read:messages write:messages"',
      );
      expect(denied.text).toBe(errorPage(403));
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
      expect(otherOrg.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the org claim check failed"',
      );

      const roles = helperApp(claimIncludes('roles', 'admin', 'ops'));
      expect((await call(roles, { roles: ['ops', 'admin'] })).status).toBe(200);
      expect((await call(roles, { roles: 'admin ops' })).status).toBe(200);
      const missing = await call(roles, { roles: ['ops'] });
      expect(missing.status).toBe(403);
      expect(missing.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the roles claim check failed"',
      );

      const verified = helperApp(
        claimCheck((p) => p.email_verified === true, 'email not verified'),
      );
      expect((await call(verified, { email_verified: true })).status).toBe(200);
      const unverified = await call(verified, { email_verified: false });
      expect(unverified.status).toBe(403);
      expect(unverified.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
      );

      // Express 4 ignores promises returned by handlers: the helper must call next itself.
      const later = helperApp(
        claimCheck(async (p) => p.email_verified === true, 'email not verified'),
      );
      expect((await call(later, { email_verified: true })).status).toBe(200);
      const laterDenied = await call(later, {});
      expect(laterDenied.status).toBe(403);
      expect(laterDenied.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
      );
    });

    it('render as JSON through jwksAuthErrorHandler()', async () => {
      const app = buildApp(baseOptions(issuer), (a) => {
        a.get('/guarded', claimIncludes('roles', 'admin'), reply);
        a.use(jwksAuthErrorHandler());
      });
      const res = await call(app, { roles: ['ops'] });
      expect(res.status).toBe(403);
      expect(res.type).toBe('application/json');
      expect(res.body).toEqual({
        error: 'insufficient_scope',
        error_description: 'the roles claim check failed',
      });
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the roles claim check failed"',
      );
    });

    it('chains several helpers on one route', async () => {
      const app = helperApp(requiredScopes('read:messages'), claimEquals('org', 'acme'));
      expect((await call(app, { org: 'acme' })).status).toBe(200);
      expect((await call(app, { org: 'other' })).status).toBe(403);
      expect((await call(app, { org: 'acme', scope: 'other' })).status).toBe(403);
    });

    it('answer 401 without jwksAuth() in front', async () => {
      const app = newApp();
      app.get('/guarded', requiredScopes('read:messages'), reply);
      const res = await request(app).get('/guarded');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
      expect(res.text).toBe(errorPage(401));
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
    expect(() => jwksAuth({ ...baseOptions(issuer), clockTolerance: -1 })).toThrow(TypeError);
  });

  it('answers a cached token synchronously, with no promise', async () => {
    const auth = jwksAuth(baseOptions(issuer));
    verifiers.push(auth.verifier);
    const token = await issuer.sign();
    const fakeReq = () =>
      ({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } }) as Request;
    const res = {} as Response;

    const first = fakeReq();
    await new Promise<unknown>((resolve) => auth(first, res, resolve as NextFunction));
    expect(first.auth?.payload.sub).toBe(EXPECTED_SUB);

    const second = fakeReq();
    const calls: unknown[][] = [];
    const returned = auth(second, res, ((...args: unknown[]) => calls.push(args)) as NextFunction);
    expect(returned).toBeUndefined();
    expect(calls).toEqual([[]]);
    expect(second.auth).toBe(first.auth);
  });

  it('exposes its verifier for warmup()', async () => {
    const auth = jwksAuth(baseOptions(issuer));
    verifiers.push(auth.verifier);
    issuer.resetCounts();
    await auth.verifier.warmup();
    expect(issuer.requests.jwks).toBe(1);
  });
});

describe('route helpers', () => {
  it('validate their arguments when the route is declared', () => {
    expect(() => requiredScopes('')).toThrow(TypeError);
    expect(() => claimEquals('', 'x')).toThrow(TypeError);
    expect(() => claimIncludes('roles')).toThrow(TypeError);
    expect(() => claimCheck(() => true, '')).toThrow(TypeError);
  });
});

describe('re-exports', () => {
  it('exposes the core errors so users install one package', () => {
    const err = new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired');
    expect(isJwksAuthError(err)).toBe(true);
    expect(err).toBeInstanceOf(JwksAuthError);
    expect(typeof createVerifier).toBe('function');
  });
});
