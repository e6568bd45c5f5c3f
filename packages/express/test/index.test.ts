import { STATUS_CODES } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import express from 'express';
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
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
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthOptions, Verifier } from '../src/index.js';

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

function buildApp(
  options: JwksAuthOptions,
  setup: (app: Express) => void = () => undefined,
): Express {
  const app = express();
  // finalhandler prints the stack outside production; production shows what users see.
  app.set('env', 'production');
  const auth = jwksAuth(options);
  verifiers.push(auth.verifier);
  app.use(auth);
  app.get(ROUTES.protected, reply);
  app.get(ROUTES.scoped, requiredScopes(REQUIRED_SCOPE), reply);
  app.get(ROUTES.claim, claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value), reply);
  setup(app);
  return app;
}

/** The page Express's finalhandler renders for an error in production. */
function errorPage(status: number): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${STATUS_CODES[status]}</pre>\n</body>\n</html>\n`;
}

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
    const token = await issuer.sign();
    const res = await request(app).get('/boom').set('authorization', `Bearer ${token}`);
    expect(res.status).toBe(500);
    expect(res.text).toBe(errorPage(500));
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

  it('makes auth optional with credentialsRequired: false', async () => {
    const app = buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (a) =>
      a.get('/has-auth', (req, res) => {
        res.json({ has: 'auth' in req, auth: req.auth });
      }),
    );
    const none = await request(app).get('/has-auth');
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ has: false });

    const expired = await issuer.sign({ exp: Math.floor(Date.now() / 1000) - 60 });
    const bad = await request(app).get(ROUTES.protected).set('authorization', `Bearer ${expired}`);
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    );

    const ok = await request(app)
      .get(ROUTES.protected)
      .set('authorization', `Bearer ${await issuer.sign()}`);
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
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
    const res = await request(app)
      .get(ROUTES.scoped)
      .set('authorization', `Bearer ${await issuer.sign()}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
  });

  it("gives the middleware's own route helpers its realm, also on routers it does not run on", async () => {
    const auth = jwksAuth({ ...baseOptions(issuer), realm: 'orders' });
    verifiers.push(auth.verifier);
    const app = express();
    app.set('env', 'production');
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
      .set('authorization', `Bearer ${await issuer.sign()}`);
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="never"',
    );
  });

  it('authenticates CORS preflights unless corsPreflight is "pass"', async () => {
    let seen: Request | undefined;
    const preflightTo = (app: ReturnType<typeof buildApp>) =>
      request(app)
        .options(ROUTES.protected)
        .set('origin', 'https://app.example.test')
        .set('access-control-request-method', 'GET');
    const handler = (a: ReturnType<typeof express>) =>
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
    const preflight = await request(app)
      .options(ROUTES.protected)
      .set('origin', 'https://app.example.test')
      .set('access-control-request-method', 'GET');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['www-authenticate']).toBeUndefined();
    expect(seen?.auth).toBeUndefined();

    // A plain OPTIONS request is not a preflight: it needs a token.
    const plain = await request(app).options(ROUTES.protected);
    expect(plain.status).toBe(401);
  });

  it('hands the Express request to getToken (cookie example)', async () => {
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
  });

  it('reads a form-body token parsed by express.urlencoded() (allowBodyToken)', async () => {
    const app = express();
    app.use(express.urlencoded({ extended: false }));
    const auth = jwksAuth({ ...baseOptions(issuer), allowBodyToken: true });
    verifiers.push(auth.verifier);
    app.use(auth);
    app.post('/form', reply);
    const token = await issuer.sign();
    const res = await request(app).post('/form').type('form').send({ access_token: token });
    expect(res.status).toBe(200);
    expect(res.body.auth.token).toBe(token);
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
  function helperApp(...guards: RequestHandler[]): Express {
    return buildApp(baseOptions(issuer), (a) => a.get('/guarded', ...guards, reply));
  }
  const call = async (app: Express, claims: Record<string, unknown>) =>
    request(app)
      .get('/guarded')
      .set('authorization', `Bearer ${await issuer.sign(claims)}`);

  it('requiredScopes: all, or any with { any: true }; scp and permissions count', async () => {
    const all = helperApp(requiredScopes(['read:messages', 'write:messages']));
    expect((await call(all, { scope: 'read:messages write:messages' })).status).toBe(200);
    const denied = await call(all, { scope: 'read:messages' });
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toContain('scope="read:messages write:messages"');
    const any = helperApp(requiredScopes('admin write:messages', { any: true }));
    expect((await call(any, { scope: undefined, scp: ['write:messages'] })).status).toBe(200);
    expect((await call(any, { scope: undefined, permissions: ['admin'] })).status).toBe(200);
    expect((await call(any, {})).status).toBe(403);
  });

  it('claimIncludes and claimCheck', async () => {
    const roles = helperApp(claimIncludes('roles', 'admin', 'ops'));
    expect((await call(roles, { roles: ['ops', 'admin'] })).status).toBe(200);
    expect((await call(roles, { roles: 'admin ops' })).status).toBe(200);
    const missing = await call(roles, { roles: ['ops'] });
    expect(missing.status).toBe(403);
    expect(missing.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the roles claim check failed"',
    );

    const verified = helperApp(claimCheck((p) => p.email_verified === true, 'email not verified'));
    expect((await call(verified, { email_verified: true })).status).toBe(200);
    const unverified = await call(verified, { email_verified: false });
    expect(unverified.status).toBe(403);
    expect(unverified.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
    );
  });

  it('chains several helpers on one route', async () => {
    const app = helperApp(requiredScopes('read:messages'), claimEquals('org', 'acme'));
    expect((await call(app, { org: 'acme' })).status).toBe(200);
    expect((await call(app, { org: 'other' })).status).toBe(403);
  });

  it('answer 401 without jwksAuth() in front', async () => {
    const app = express();
    app.set('env', 'production');
    app.get('/guarded', requiredScopes('read:messages'), reply);
    const res = await request(app).get('/guarded');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

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
