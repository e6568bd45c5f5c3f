// The shared HTTP contract and the route helpers on Express 4 (installed as the
// `express4` alias), with the same expectations as on Express 5 in index.test.ts.
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import express4 from 'express4';
import type { Express, RequestHandler } from 'express4';
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
  claimCheck,
  claimEquals,
  claimIncludes,
  jwksAuth,
  jwksAuthErrorHandler,
  requiredScopes,
} from '../src/index.js';
import type { JwksAuthOptions, Verifier, VerifyResult } from '../src/index.js';

// The adapter is typed against @types/express 5; Express 4 calls its handlers
// with the same (req, res, next) shape, checked at compile time by types4.test.ts.
type Handler = RequestHandler | ReturnType<typeof requiredScopes>;
const asV4 = (handler: Handler) => handler as RequestHandler;

let issuer: TestIssuer;
const verifiers: Verifier<never>[] = [];

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
  res.json({ auth: (req as { auth?: VerifyResult }).auth ?? null });
};

function buildApp(
  options: JwksAuthOptions,
  setup: (app: Express) => void = () => undefined,
): Express {
  const app = express4();
  // finalhandler prints the stack outside production; production shows what users see.
  app.set('env', 'production');
  const auth = jwksAuth(options);
  verifiers.push(auth.verifier as Verifier<never>);
  app.use(asV4(auth));
  app.get(ROUTES.protected, reply);
  app.get(ROUTES.scoped, asV4(requiredScopes(REQUIRED_SCOPE)), reply);
  app.get(ROUTES.claim, asV4(claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value)), reply);
  setup(app);
  return app;
}

/** The page Express 4's finalhandler (1.3) renders for an error in production: as Express 5's. */
function errorPage(status: number): string {
  return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>${STATUS_CODES[status]}</pre>\n</body>\n</html>\n`;
}

const bearer = async (claims: Record<string, unknown> = {}) =>
  `Bearer ${await issuer.sign(claims)}`;

describe('the express4 alias', () => {
  it('is Express 4', () => {
    const require = createRequire(import.meta.url);
    expect(require('express4/package.json').version).toMatch(/^4\./);
    // Express 4 apps still have the removed app.del(); Express 5 apps do not.
    expect(typeof (express4() as unknown as { del?: unknown }).del).toBe('function');
  });
});

describe('HTTP contract on Express 4, rendered by finalhandler', () => {
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

describe('HTTP contract on Express 4, rendered by jwksAuthErrorHandler()', () => {
  it.each(HTTP_CASES.filter((c) => c.status !== 200))('$name → $status JSON', async (c) => {
    const prepared = await c.prepare(issuer);
    try {
      const app = buildApp({ ...baseOptions(issuer), ...prepared.options }, (a) =>
        a.use(jwksAuthErrorHandler() as unknown as RequestHandler),
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
      a.use(jwksAuthErrorHandler() as unknown as RequestHandler);
    });
    const res = await request(app)
      .get('/boom')
      .set('authorization', await bearer());
    expect(res.status).toBe(500);
    expect(res.text).toBe(errorPage(500));
  });
});

describe('jwksAuth() on Express 4', () => {
  it('sets req.auth, also when a second request hits the token cache', async () => {
    const seen: unknown[] = [];
    const app = buildApp(baseOptions(issuer), (a) =>
      a.get('/seen', (req, res) => {
        seen.push((req as { auth?: VerifyResult }).auth);
        res.sendStatus(204);
      }),
    );
    const authorization = await bearer();
    issuer.resetCounts();
    expect((await request(app).get('/seen').set('authorization', authorization)).status).toBe(204);
    expect((await request(app).get('/seen').set('authorization', authorization)).status).toBe(204);
    expect(seen).toHaveLength(2);
    expect((seen[0] as VerifyResult).payload.sub).toBe(EXPECTED_SUB);
    // The second answer came from the cache: same result, no second key set fetch.
    expect(seen[1]).toBe(seen[0]);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('makes auth optional with credentialsRequired: false', async () => {
    const app = buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (a) =>
      a.get('/has-auth', (req, res) => {
        res.json({ has: 'auth' in req });
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

  it('hands the Express 4 request to getToken (cookie example)', async () => {
    const seen: unknown[] = [];
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
    expect(typeof (seen[0] as { get?: unknown }).get).toBe('function');
    expect((seen[0] as { app?: unknown }).app).toBeDefined();

    const none = await request(app).get(ROUTES.protected);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('reads a query token from the qs-parsed req.query (allowQueryToken)', async () => {
    const app = buildApp({ ...baseOptions(issuer), allowQueryToken: true });
    const token = await issuer.sign();
    const ok = await request(app).get(`${ROUTES.protected}?access_token=${token}`);
    expect(ok.status).toBe(200);
    expect(ok.body.auth.token).toBe(token);

    // Express 4's default "extended" parser (qs) turns these into an array and an
    // object; either way it is not one token.
    for (const query of [
      `access_token=${token}&access_token=${token}`,
      `access_token[a]=${token}`,
    ]) {
      const res = await request(app).get(`${ROUTES.protected}?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_request", error_description="access_token in the query must be a single non-empty value"',
      );
    }
  });

  it('reads a form-body token parsed by express.urlencoded() (allowBodyToken)', async () => {
    const app = express4();
    app.set('env', 'production');
    app.use(express4.urlencoded({ extended: false }));
    const auth = jwksAuth({ ...baseOptions(issuer), allowBodyToken: true });
    verifiers.push(auth.verifier as Verifier<never>);
    app.use(asV4(auth));
    app.post('/form', reply);
    const token = await issuer.sign();
    const res = await request(app).post('/form').type('form').send({ access_token: token });
    expect(res.status).toBe(200);
    expect(res.body.auth.token).toBe(token);

    // body-parser 1 sets req.body to {} on a GET: no body token, no error.
    app.get('/form', reply);
    const none = await request(app).get('/form');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });
});

describe('route helpers on Express 4', () => {
  function helperApp(...guards: Handler[]): Express {
    return buildApp(baseOptions(issuer), (a) => a.get('/guarded', ...guards.map(asV4), reply));
  }
  const call = async (app: Express, claims: Record<string, unknown>) =>
    request(app)
      .get('/guarded')
      .set('authorization', await bearer(claims));

  it('requiredScopes: all, or any with { any: true }', async () => {
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

    const verified = helperApp(claimCheck((p) => p.email_verified === true, 'email not verified'));
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
      a.get('/guarded', asV4(claimIncludes('roles', 'admin')), reply);
      a.use(jwksAuthErrorHandler() as unknown as RequestHandler);
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

  it('chain several helpers on one route', async () => {
    const app = helperApp(requiredScopes('read:messages'), claimEquals('org', 'acme'));
    expect((await call(app, { org: 'acme' })).status).toBe(200);
    expect((await call(app, { org: 'other' })).status).toBe(403);
    expect((await call(app, { org: 'acme', scope: 'other' })).status).toBe(403);
  });

  it('answer 401 without jwksAuth() in front', async () => {
    const app = express4();
    app.set('env', 'production');
    app.get('/guarded', asV4(requiredScopes('read:messages')), reply);
    const res = await request(app).get('/guarded');
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.text).toBe(errorPage(401));
  });
});
