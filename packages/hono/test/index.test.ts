/**
 * The Hono adapter through Hono's own entry points: `app.request()` (the Fetch
 * API `Request` path, as on Bun, Deno and workerd) and a real
 * `@hono/node-server` on 127.0.0.1 (the Node request path). The shared HTTP
 * table and the RFC 9728 metadata table run through both, with the
 * expectations of the Express, Koa and Fastify suites. DPoP over HTTP:
 * test/security/dpop-adapters.test.ts; types: test/types/variables.ts.
 */
import type { Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createAdaptorServer, serve } from '@hono/node-server';
import { certificateThumbprint, createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
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
import type { HttpCase, SharedOptions } from '../../../test/http-cases.js';
import { makeCertificates } from '../../../test/certificates.js';
import {
  InvalidTokenError,
  JwksAuthError,
  claimCheck,
  claimEquals,
  claimIncludes,
  createVerifier,
  isJwksAuthError,
  jwksAuth,
  requiredAuthentication,
  requiredScopes,
} from '../src/index.js';
import type {
  JwksAuthEnv,
  JwksAuthHandler,
  JwksAuthHonoOptions,
  JwksAuthOptions,
  Verifier,
} from '../src/index.js';

type App = Hono<JwksAuthEnv>;

interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  json(): Promise<unknown> | unknown;
}

/** The two ways every app-level test reaches the app: Hono's `app.request()`, and a real `@hono/node-server`. */
interface Transport {
  name: string;
  send(app: App, path: string, init?: RequestInit): Promise<Reply>;
}

let issuer: TestIssuer;
const verifiers: Verifier<Context>[] = [];
const servers: Server[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterEach(async () => {
  for (const verifier of verifiers.splice(0)) verifier.close();
  await Promise.all(servers.splice(0).map(stop));
});
afterAll(() => issuer.close());

async function toReply(res: Response): Promise<Reply> {
  const text = await res.text();
  return {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    text,
    json: () => JSON.parse(text) as unknown,
  };
}

function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Serves `app` with `@hono/node-server` on 127.0.0.1, port 0 (closed after each test). */
async function listen(app: { fetch: Hono['fetch'] }): Promise<{ base: string; port: number }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({ base: `http://127.0.0.1:${info.port}`, port: info.port });
    }) as Server;
    servers.push(server);
  });
}

/** Sends raw header lines (Node keeps only the first of several Authorization headers in `headers`). */
async function rawGet(port: number, path: string, lines: readonly string[]): Promise<Reply> {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...lines, 'Connection: close', '', ''].join('\r\n'),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const [head = '', ...rest] = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n');
  const [statusLine = '', ...headerLines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const text = rest.join('\r\n\r\n');
  return { status: Number(statusLine.split(' ')[1]), headers, text, json: () => JSON.parse(text) };
}

const TRANSPORTS: readonly Transport[] = [
  {
    name: 'app.request()',
    send: async (app, path, init) => toReply(await app.request(path, init)),
  },
  {
    name: '@hono/node-server',
    send: async (app, path, init) => {
      const { base } = await listen(app);
      return toReply(await fetch(`${base}${path}`, init));
    },
  },
];

const reply = (c: Context<JwksAuthEnv>) => c.json({ auth: c.var.auth ?? null });

const bearer = async (claims: Record<string, unknown> = {}) =>
  `Bearer ${await issuer.sign(claims)}`;

/** The shared table's options are typed for Node-style requests (`mtls.getCertificate`); these tests set none. */
type Options = JwksAuthOptions | SharedOptions;

function newAuth(options: Options, adapter?: JwksAuthHonoOptions) {
  const auth = jwksAuth(options as JwksAuthOptions, adapter);
  verifiers.push(auth.verifier);
  return auth;
}

function buildApp(
  options: Options,
  setup: (app: App) => void = () => undefined,
  adapter?: JwksAuthHonoOptions,
): App {
  const app: App = new Hono<JwksAuthEnv>();
  app.use(newAuth(options, adapter));
  app.get(ROUTES.protected, reply);
  app.get(ROUTES.scoped, requiredScopes(REQUIRED_SCOPE), reply);
  app.get(ROUTES.claim, claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value), reply);
  app.get(ROUTES.stepUp, requiredAuthentication(REQUIRED_AUTHENTICATION), reply);
  setup(app);
  return app;
}

/** The RFC 6750 JSON body of a failing case. */
function expectedBody(c: HttpCase): unknown {
  if (c.error !== undefined) return { error: c.error, error_description: c.message };
  if (c.status === 401) return { error: 'unauthorized', error_description: c.message };
  return {
    error: 'temporarily_unavailable',
    error_description: 'authentication is temporarily unavailable',
  };
}

describe.each(TRANSPORTS)('through $name', ({ send }) => {
  describe('HTTP contract, rendered as RFC 6750 JSON', () => {
    it.each(HTTP_CASES)('$name → $status', async (c) => {
      const prepared = await c.prepare(issuer);
      try {
        const app = buildApp({ ...baseOptions(issuer), ...prepared.options });
        const res = await send(app, prepared.request.path, { headers: prepared.request.headers });
        expectAuthHeaders(c, res);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        const body = (await res.json()) as { auth: { payload: unknown; header: { alg: string } } };
        if (c.status === 200) {
          expect(body.auth.payload).toMatchObject({ sub: EXPECTED_SUB, aud: AUDIENCE });
          expect(body.auth.header.alg).toBe('RS256');
        } else {
          expect(body).toEqual(expectedBody(c));
        }
      } finally {
        await prepared.cleanup?.();
      }
    });
  });

  describe('RFC 9728 metadata, served by jwksAuth() without authentication', () => {
    it.each(METADATA_CASES)('$name → $status', async (c) => {
      const app = buildApp({ ...baseOptions(issuer), ...c.options });
      const res = await send(app, c.request.path, {
        method: c.request.method,
        headers: c.request.headers ?? {},
      });
      expectMetadataResponse(c, issuer, res);
    });
  });

  describe('HTTP contract, thrown to app.onError ({ errors: "throw" })', () => {
    it.each(HTTP_CASES.filter((c) => c.status !== 200))('$name → $status', async (c) => {
      const prepared = await c.prepare(issuer);
      try {
        const seen: unknown[] = [];
        const app = buildApp(
          { ...baseOptions(issuer), ...prepared.options },
          (a) =>
            a.onError((err, ctx) => {
              seen.push(err);
              return err instanceof HTTPException ? err.getResponse() : ctx.text('oops', 500);
            }),
          { errors: 'throw' },
        );
        const res = await send(app, prepared.request.path, { headers: prepared.request.headers });
        expectAuthHeaders(c, res);
        expect(await res.json()).toEqual(expectedBody(c));
        expect(seen).toHaveLength(1);
        const [err] = seen as HTTPException[];
        expect(err).toBeInstanceOf(HTTPException);
        expect(err?.status).toBe(c.status);
        expect(isJwksAuthError(err?.cause)).toBe(true);
        expect((err?.cause as JwksAuthError).code).toBe(c.code);
      } finally {
        await prepared.cleanup?.();
      }
    });
  });

  it('sets c.var.auth and c.get("auth"), the same result on a cache hit, one key set fetch', async () => {
    const seen: unknown[] = [];
    const app = buildApp(baseOptions(issuer), (a) =>
      a.get('/seen', (c) => {
        expect(c.get('auth')).toBe(c.var.auth);
        seen.push(c.var.auth);
        return c.body(null, 204);
      }),
    );
    const authorization = await bearer();
    issuer.resetCounts();
    expect((await send(app, '/seen', { headers: { authorization } })).status).toBe(204);
    expect((await send(app, '/seen', { headers: { authorization } })).status).toBe(204);
    expect(seen).toHaveLength(2);
    expect((seen[0] as { payload: { sub: string } }).payload.sub).toBe(EXPECTED_SUB);
    expect(seen[1]).toBe(seen[0]);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('makes auth optional with credentialsRequired: false; helpers still demand a token', async () => {
    const app = buildApp({ ...baseOptions(issuer), credentialsRequired: false }, (a) =>
      a.get('/has-auth', (c) => c.json({ auth: c.var.auth ?? 'none' })),
    );
    const none = await send(app, '/has-auth');
    expect(none.status).toBe(200);
    expect(await none.json()).toEqual({ auth: 'none' });
    const bad = await send(app, ROUTES.protected, {
      headers: { authorization: await bearer({ exp: Math.floor(Date.now() / 1000) - 60 }) },
    });
    expect(bad.status).toBe(401);
    expect(bad.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    );
    const scoped = await send(app, ROUTES.scoped);
    expect(scoped.status).toBe(401);
    expect(scoped.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('gives standalone route helpers the realm of the jwksAuth() that ran', async () => {
    const app = buildApp({ ...baseOptions(issuer), realm: 'orders', credentialsRequired: false });
    const none = await send(app, ROUTES.scoped);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
    const res = await send(app, ROUTES.scoped, { headers: { authorization: await bearer() } });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
  });

  it("gives the middleware's own helpers its realm, also on routes it does not run on", async () => {
    const auth = newAuth({ ...baseOptions(issuer), realm: 'orders' });
    const app: App = new Hono<JwksAuthEnv>();
    app.get('/bound', auth.requiredScopes(REQUIRED_SCOPE), reply);
    app.get(
      '/guarded',
      auth,
      auth.claimCheck(async () => false, 'never'),
      reply,
    );
    const none = await send(app, '/bound');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="orders"');
    const denied = await send(app, '/guarded', { headers: { authorization: await bearer() } });
    expect(denied.status).toBe(403);
    expect(denied.headers['www-authenticate']).toBe(
      'Bearer realm="orders", error="insufficient_scope", error_description="never"',
    );
    expect(await denied.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'never',
    });
  });

  it('hands Hono’s Context to getToken (cookie example)', async () => {
    const seen: Context[] = [];
    const app = buildApp({
      ...baseOptions(issuer),
      getToken: (c) => {
        seen.push(c);
        return /(?:^|;\s*)access_token=([^;]+)/.exec(c.req.header('cookie') ?? '')?.[1];
      },
    });
    const token = await issuer.sign();
    const res = await send(app, ROUTES.protected, { headers: { cookie: `access_token=${token}` } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { auth: { token: string } }).auth.token).toBe(token);
    expect(seen).toHaveLength(1);
    expect(typeof seen[0]?.json).toBe('function');
    expect(seen[0]?.req.path).toBe(ROUTES.protected);
    const none = await send(app, ROUTES.protected);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('refuses a getToken that throws or answers several values, without a 500', async () => {
    const app = buildApp({
      ...baseOptions(issuer),
      getToken: (c) => {
        if (c.req.header('x-mode') === 'throw') throw new Error('bad cookie');
        return c.req.header('x-mode') === 'many' ? (['a', 'b'] as unknown as string) : undefined;
      },
    });
    for (const mode of ['throw', 'many']) {
      const res = await send(app, ROUTES.protected, { headers: { 'x-mode': mode } });
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toMatch(
        /^Bearer realm="api", error="invalid_request"/,
      );
    }
  });

  it('reads a query token (allowQueryToken); a repeated one is a 400', async () => {
    const app = buildApp({ ...baseOptions(issuer), allowQueryToken: true });
    const token = await issuer.sign();
    const ok = await send(app, `${ROUTES.protected}?access_token=${token}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { auth: { token: string } }).auth.token).toBe(token);
    const twice = await send(
      app,
      `${ROUTES.protected}?access_token=${token}&access_token=${token}`,
    );
    expect(twice.status).toBe(400);
    expect(twice.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_request", error_description="access_token in the query must be a single non-empty value"',
    );
  });

  it('reads a form-body token (allowBodyToken) and leaves the body to the handler', async () => {
    const app = buildApp({ ...baseOptions(issuer), allowBodyToken: true }, (a) =>
      a.post('/form', async (c) => {
        const body = await c.req.parseBody();
        return c.json({ sub: c.var.auth?.payload.sub, note: body.note });
      }),
    );
    const token = await issuer.sign();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const res = await send(app, '/form', {
      method: 'POST',
      headers: form,
      body: `access_token=${token}&note=hi`,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ sub: EXPECTED_SUB, note: 'hi' });
    const twice = await send(app, '/form', {
      method: 'POST',
      headers: form,
      body: `access_token=${token}&access_token=${token}`,
    });
    expect(twice.status).toBe(400);
    // A JSON body is never read for a token.
    const json = await send(app, '/form', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ access_token: token }),
    });
    expect(json.status).toBe(401);
    expect(json.headers['www-authenticate']).toBe('Bearer realm="api"');
  });

  it('authenticates CORS preflights unless corsPreflight is "pass"', async () => {
    const preflight = {
      origin: 'https://app.example.test',
      'access-control-request-method': 'GET',
    };
    const handler = (a: App) => a.options(ROUTES.protected, (c) => c.body(null, 204));
    const strict = await send(buildApp(baseOptions(issuer), handler), ROUTES.protected, {
      method: 'OPTIONS',
      headers: preflight,
    });
    expect(strict.status).toBe(401);
    expect(strict.headers['www-authenticate']).toBe('Bearer realm="api"');
    const app = buildApp({ ...baseOptions(issuer), corsPreflight: 'pass' }, handler);
    const passed = await send(app, ROUTES.protected, { method: 'OPTIONS', headers: preflight });
    expect(passed.status).toBe(204);
    expect(passed.headers['www-authenticate']).toBeUndefined();
    expect((await send(app, ROUTES.protected, { method: 'OPTIONS' })).status).toBe(401);
  });

  it('keeps headers set by earlier middleware (CORS) on its error responses', async () => {
    const app: App = new Hono<JwksAuthEnv>();
    app.use(cors({ origin: 'https://app.example.test' }));
    app.use(newAuth(baseOptions(issuer)));
    app.get(ROUTES.protected, reply);
    const res = await send(app, ROUTES.protected, {
      headers: { origin: 'https://app.example.test' },
    });
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.test');
  });

  it('leaves other errors to app.onError', async () => {
    const app = buildApp(baseOptions(issuer), (a) => {
      a.get('/boom', (): Response => {
        throw new Error('boom');
      });
      a.onError((err, c) => c.text(`handled ${err.message}`, 500));
    });
    const res = await send(app, '/boom', { headers: { authorization: await bearer() } });
    expect(res.status).toBe(500);
    expect(res.text).toBe('handled boom');
  });

  it('renders thrown errors unchanged through Hono’s default onError', async () => {
    const app = buildApp(baseOptions(issuer), undefined, { errors: 'throw' });
    const res = await send(app, ROUTES.scoped, { headers: { authorization: await bearer() } });
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
    );
    expect(await res.json()).toEqual({
      error: 'insufficient_scope',
      error_description: 'the token lacks a required scope',
    });
  });
});

describe('on @hono/node-server', () => {
  it('refuses two Authorization header lines with a 400 (read from the Node request)', async () => {
    const app = buildApp(baseOptions(issuer));
    const { port } = await listen(app);
    const [a, b] = [await issuer.sign(), await issuer.sign()];
    for (const lines of [
      [`Authorization: Bearer ${a}`, `Authorization: Bearer ${b}`],
      [`Authorization: Bearer ${a}`, `authorization: Bearer ${a}`],
    ]) {
      const res = await rawGet(port, ROUTES.protected, lines);
      expect(res.status).toBe(400);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"',
      );
    }
    // A cached token is no way around it either.
    expect((await rawGet(port, ROUTES.protected, [`Authorization: Bearer ${a}`])).status).toBe(200);
    const again = await rawGet(port, ROUTES.protected, [
      `Authorization: Bearer ${a}`,
      `Authorization: Bearer ${a}`,
    ]);
    expect(again.status).toBe(400);
  });

  it('reads a rewritten Request handed to another app as the Web request it is, not the Node one', async () => {
    const inner = buildApp(baseOptions(issuer));
    const token = await issuer.sign();
    const outer = new Hono();
    outer.all('*', (c) => {
      const headers = new Headers(c.req.raw.headers);
      if (c.req.header('x-swap') !== undefined) headers.set('authorization', `Bearer ${token}`);
      else headers.delete('authorization');
      return inner.fetch(new Request(c.req.raw.url, { headers }), c.env);
    });
    const { base } = await listen(outer);
    const swapped = await fetch(`${base}${ROUTES.protected}`, { headers: { 'x-swap': '1' } });
    expect(swapped.status).toBe(200);
    const stripped = await fetch(`${base}${ROUTES.protected}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(stripped.status).toBe(401);
    expect(stripped.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });
});

describe('on @hono/node-server over HTTPS', () => {
  let pem: ReturnType<typeof makeCertificates<'server' | 'client' | 'thief'>>;
  beforeAll(() => {
    pem = makeCertificates(['server', 'client', 'thief'] as const);
  });
  afterAll(() => pem?.remove());

  function get(port: number, token: string, identity?: 'client' | 'thief'): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = httpsRequest(
        `https://127.0.0.1:${port}${ROUTES.protected}`,
        {
          headers: { authorization: `Bearer ${token}` },
          ca: pem.server.cert,
          ...(identity === undefined ? {} : pem[identity]),
          agent: false,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode!,
              headers: res.headers as Record<string, string>,
              text,
              json: () => JSON.parse(text),
            }),
          );
        },
      );
      req.on('error', reject);
      req.end();
    });
  }

  it('passes a certificate-bound token only with its TLS client certificate (read from the Node socket)', async () => {
    const app = buildApp(baseOptions(issuer));
    const server = createAdaptorServer({
      fetch: app.fetch,
      createServer: createHttpsServer,
      serverOptions: { ...pem.server, requestCert: true, rejectUnauthorized: false },
    }) as unknown as Server;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const token = await issuer.sign({
      cnf: { 'x5t#S256': certificateThumbprint(pem.client.cert) },
    });
    const ok = await get(port, token, 'client');
    expect(ok.status).toBe(200);
    const bound = (await ok.json()) as { auth: { confirmation: Record<string, string> } };
    expect(bound.auth.confirmation['x5t#S256']).toBe(certificateThumbprint(pem.client.cert));
    for (const identity of ['thief', undefined] as const) {
      const res = await get(port, token, identity);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
    }
  });
});

describe('through app.request() (the Web Request path)', () => {
  it('refuses two Authorization values joined by the Headers class with a 400', async () => {
    const app = buildApp(baseOptions(issuer));
    const headers = new Headers();
    headers.append('authorization', await bearer());
    headers.append('authorization', await bearer());
    const res = await app.request(ROUTES.protected, { headers });
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"',
    );
  });

  it('hands the key set refresh a request started to executionCtx.waitUntil', async () => {
    const app = buildApp({ ...baseOptions(issuer), jwks: { cacheMaxAge: 1000 } });
    const handed: Promise<unknown>[] = [];
    const executionCtx = {
      waitUntil: (promise: Promise<unknown>) => void handed.push(promise),
      passThroughOnException: () => undefined,
      props: {},
    };
    const call = async () =>
      app.fetch(
        new Request(`http://localhost${ROUTES.protected}`, {
          headers: { authorization: await bearer() },
        }),
        undefined,
        executionCtx,
      );
    issuer.resetCounts();
    expect((await call()).status).toBe(200);
    await Promise.all(handed);
    const before = handed.length;
    expect(issuer.requests.jwks).toBe(1);
    // Past 80% of cacheMaxAge, a new token (a cache miss) consults the keys and starts the refresh.
    await new Promise((resolve) => setTimeout(resolve, 900));
    expect((await call()).status).toBe(200);
    expect(handed.length).toBe(before + 1);
    await Promise.all(handed);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('works without an execution context (Node, Bun, Deno)', async () => {
    const app = buildApp({ ...baseOptions(issuer), jwks: { cacheMaxAge: 1000 } });
    const res = await app.request(ROUTES.protected, { headers: { authorization: await bearer() } });
    expect(res.status).toBe(200);
  });
});

describe('protectedResource', () => {
  it('serves the metadata where the app routes its path, the middleware being mounted elsewhere', async () => {
    const auth = newAuth({
      issuer: issuer.issuer,
      protectedResource: { resource: `${AUDIENCE}/mcp` },
    } as JwksAuthOptions);
    const app: App = new Hono<JwksAuthEnv>();
    app.all(auth.verifier.options.protectedResource!.metadataPath, auth);
    app.use('/mcp/*', auth);
    app.post('/mcp/tools', reply);
    const metadata = await app.request('/.well-known/oauth-protected-resource/mcp');
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resource: string }).resource).toBe(`${AUDIENCE}/mcp`);
    const none = await app.request('/mcp/tools', { method: 'POST' });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", resource_metadata="${AUDIENCE}/.well-known/oauth-protected-resource/mcp"`,
    );
    const token = await issuer.sign({ aud: `${AUDIENCE}/mcp` });
    const ok = await app.request('/mcp/tools', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe('route helpers', () => {
  function helperApp(...guards: JwksAuthHandler[]): App {
    return buildApp(baseOptions(issuer), (a) =>
      a.use('/guarded', ...guards).get('/guarded', reply),
    );
  }
  const call = async (app: App, claims: Record<string, unknown>) =>
    toReply(await app.request('/guarded', { headers: { authorization: await bearer(claims) } }));

  it('requiredScopes: all, or any with { any: true }; scp and permissions count', async () => {
    const all = helperApp(requiredScopes(['read:messages', 'write:messages']));
    expect((await call(all, { scope: 'read:messages write:messages' })).status).toBe(200);
    const denied = await call(all, { scope: 'read:messages' });
    expect(denied.status).toBe(403);
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
    const other = await call(org, { org: 'other' });
    expect(other.status).toBe(403);
    expect(other.headers['www-authenticate']).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="the org claim check failed"',
    );
    const roles = helperApp(claimIncludes('roles', 'admin', 'ops'));
    expect((await call(roles, { roles: ['ops', 'admin'] })).status).toBe(200);
    expect((await call(roles, { roles: 'admin ops' })).status).toBe(200);
    expect((await call(roles, { roles: ['ops'] })).status).toBe(403);
    for (const check of [
      claimCheck((p) => p.email_verified === true, 'email not verified'),
      claimCheck(async (p) => p.email_verified === true, 'email not verified'),
    ]) {
      const app = helperApp(check);
      expect((await call(app, { email_verified: true })).status).toBe(200);
      const res = await call(app, { email_verified: false });
      expect(res.status).toBe(403);
      expect(res.headers['www-authenticate']).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="email not verified"',
      );
      expect(await res.json()).toEqual({
        error: 'insufficient_scope',
        error_description: 'email not verified',
      });
    }
  });

  it('refuse a claimCheck answering a non-boolean or throwing, without a 500', async () => {
    for (const check of [
      claimCheck(() => 'yes' as unknown as boolean, 'x'),
      claimCheck(() => {
        throw new Error('bug');
      }, 'x'),
      claimCheck(async () => Promise.reject(new Error('bug')), 'x'),
    ]) {
      const res = await call(helperApp(check), {});
      expect(res.status).not.toBe(200);
      expect(res.status).not.toBe(500);
      expect(res.headers['www-authenticate'] ?? res.headers['retry-after']).toBeDefined();
    }
  });

  it('chains several helpers on one route', async () => {
    const app = helperApp(requiredScopes('read:messages'), claimEquals('org', 'acme'));
    expect((await call(app, { org: 'acme' })).status).toBe(200);
    expect((await call(app, { org: 'other' })).status).toBe(403);
    expect((await call(app, { org: 'acme', scope: 'other' })).status).toBe(403);
  });

  it('answer 401 without jwksAuth() in front', async () => {
    const app = new Hono();
    app.get('/guarded', requiredScopes('read:messages'), (c) => c.text('never'));
    const res = await app.request('/guarded');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await res.json()).toEqual({
      error: 'unauthorized',
      error_description: 'no bearer token in the request',
    });
  });

  it('validate their arguments when the route is declared', () => {
    expect(() => requiredScopes('')).toThrow(TypeError);
    expect(() => claimEquals('', 'x')).toThrow(TypeError);
    expect(() => claimIncludes('roles')).toThrow(TypeError);
    expect(() => claimCheck(() => true, '')).toThrow(TypeError);
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
    expect(() =>
      jwksAuth(baseOptions(issuer) as unknown as JwksAuthOptions, { errors: 'log' as 'throw' }),
    ).toThrow(new TypeError(`"errors" option must be 'respond' or 'throw'`));
    expect(() =>
      jwksAuth(
        baseOptions(issuer) as unknown as JwksAuthOptions,
        { onError: true } as unknown as JwksAuthHonoOptions,
      ),
    ).toThrow(TypeError);
    expect(() =>
      jwksAuth(
        baseOptions(issuer) as unknown as JwksAuthOptions,
        null as unknown as JwksAuthHonoOptions,
      ),
    ).toThrow(TypeError);
  });

  it('fetches nothing before the first request (module scope on Workers)', async () => {
    issuer.resetCounts();
    newAuth(baseOptions(issuer));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(issuer.requests).toMatchObject({ jwks: 0 });
  });

  it('exposes its verifier for warmup()', async () => {
    const auth = newAuth(baseOptions(issuer));
    issuer.resetCounts();
    await auth.verifier.warmup();
    expect(issuer.requests.jwks).toBe(1);
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
