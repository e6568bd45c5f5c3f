/**
 * Regression tests for the findings of the outside security review: one
 * describe per finding (plus the checks the fix added next to them), each
 * asserting behaviour that breaks if the fix is removed, through every entry
 * point it applies to: the core verifier (`authenticate`, `verify`, `handle`)
 * and the Express, Koa and Fastify adapters on real apps (Express and Koa
 * behind a real HTTP server on 127.0.0.1:0 driven by supertest, Fastify
 * through `inject`). Keys come from the real local issuer of
 * `@jwks-auth/testing` or its bare key set server; nothing is mocked.
 */
import {
  constants,
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as cryptoSign,
  verify as cryptoVerify,
} from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import vm from 'node:vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  HookFailedError,
  InsufficientScopeError,
  claimCheck as coreClaimCheck,
  createVerifier,
  isJwksAuthError,
  requiredScopes as coreRequiredScopes,
} from '@jwks-auth/core';
import type { JwksAuthEvent, RequestLike, VerifierOptions, VerifyResult } from '@jwks-auth/core';
import {
  claimCheck as expressClaimCheck,
  jwksAuth as expressAuth,
  requiredScopes as expressScopes,
} from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import {
  claimCheck as fastifyClaimCheck,
  jwksAuth as fastifyAuth,
  requiredScopes as fastifyScopes,
} from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import {
  claimCheck as koaClaimCheck,
  jwksAuth as koaAuth,
  requiredScopes as koaScopes,
} from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import { DEFAULT_CLAIMS, createKeySetServer, createTestIssuer } from '@jwks-auth/testing';
import type { KeySetServer, TestIssuer, TestKey } from '@jwks-auth/testing';
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import Fastify from 'fastify';
import { listen, stop } from './harness.js';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import Koa from 'koa';
import type { Middleware } from 'koa';
import request from 'supertest';
import { sleep } from './harness.js';

/** Audience of the issuer's tokens, expected by every verifier here. */
const AUDIENCE = DEFAULT_CLAIMS.aud;

const b64url = (input: string | Uint8Array): string => Buffer.from(input).toString('base64url');

/** `b64url(header).b64url(payload)`. */
const signingInput = (header: object, payload: object): string =>
  `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;

/** A compact JWS with the given signature (bytes, or a segment used as is). */
function forge(header: object, payload: object, signature: Uint8Array | string): string {
  return `${signingInput(header, payload)}.${typeof signature === 'string' ? signature : b64url(signature)}`;
}

/** An RS256 JWS over exactly this header and payload. */
function signRs256(privateKey: KeyObject, header: object, payload: object): string {
  const input = signingInput(header, payload);
  return `${input}.${b64url(cryptoSign('sha256', Buffer.from(input), privateKey))}`;
}

// ---------------------------------------------------------------------------
// Entry points: the core verifier's three methods and the three adapters,
// behind one interface so every finding runs through each of them.
// ---------------------------------------------------------------------------

type Entry = 'core.authenticate' | 'core.verify' | 'core.handle' | 'express' | 'koa' | 'fastify';
type AdapterEntry = 'express' | 'koa' | 'fastify';
const ADAPTERS: readonly AdapterEntry[] = ['express', 'koa', 'fastify'];
/** Entry points that take a whole request (method, headers, body). */
const REQUEST_ENTRIES: readonly Entry[] = ['core.authenticate', 'core.handle', ...ADAPTERS];
/** Entry points that judge a bearer token: the request ones and `verify(token)`. */
const TOKEN_ENTRIES: readonly Entry[] = [
  'core.authenticate',
  'core.verify',
  'core.handle',
  ...ADAPTERS,
];

interface Call {
  method?: 'GET' | 'HEAD' | 'POST' | 'OPTIONS';
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}

interface Outcome {
  status: number;
  /** `code` of the JwksAuthError behind a failure (as thrown, or as the framework received it). */
  code: string | undefined;
  /** The error behind a failure. */
  error: unknown;
  /** Response headers (core: the error's headers), lower-case names. */
  headers: Record<string, string>;
  /** Whether the route handler ran (core: whether the call resolved). */
  handled: boolean;
  /** What the handler saw as auth (core: the resolved value). */
  auth: unknown;
  /** Whether the request carried `access_token` in a parsed body when jwks-auth ran. */
  bodyToken: boolean;
}

interface Target {
  readonly entry: Entry;
  /** Events reported through `onEvent` (unless the options bring their own observer). */
  readonly events: JwksAuthEvent[];
  send(call: Call): Promise<Outcome>;
  close(): Promise<void>;
}

interface TargetSetup {
  /** Parse `application/x-www-form-urlencoded` bodies before jwks-auth runs. */
  form?: boolean;
}

/** What the app saw while answering one request. */
interface Seen {
  handled: boolean;
  auth: unknown;
  error: unknown;
  bodyToken: boolean;
}
const fresh = (): Seen => ({ handled: false, auth: undefined, error: undefined, bodyToken: false });

/** A thenable that is not a promise: it settles through its own `then`. */
function thenable<T>(value: unknown): PromiseLike<T> {
  return {
    then(resolve: (v: unknown) => unknown) {
      resolve(value);
    },
  } as unknown as PromiseLike<T>;
}

const CLAIM_DESCRIPTION = 'the account must be in good standing';
/** `claimCheck` predicates mounted on `/claim/<name>` in every adapter app. */
const CLAIM_PREDICATES: Record<string, () => boolean | PromiseLike<boolean>> = {
  'async-true': async () => true,
  'thenable-true': () => thenable(true),
  'async-yes': async () => 'yes' as unknown as boolean,
  'async-false': async () => false,
  'async-reject': async () => {
    throw new Error('account service down');
  },
};

function lowerCase(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function hasBodyToken(body: unknown): boolean {
  if (typeof body === 'string') return new URLSearchParams(body).has('access_token');
  if (typeof body === 'object' && body !== null) {
    return typeof (body as Record<string, unknown>).access_token === 'string';
  }
  return false;
}

interface HttpReply {
  status: number;
  headers: Record<string, unknown>;
}

/**
 * Sends `call` over real HTTP: supertest, except for a HEAD with a body,
 * which superagent drops; node:http sends it as given.
 */
async function sendHttp(base: string, call: Call): Promise<HttpReply> {
  const path = call.path ?? '/';
  const method = call.method ?? 'GET';
  if (method === 'HEAD' && call.body !== undefined) {
    const body = call.body;
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${base}${path}`,
        {
          method,
          headers: { ...call.headers, 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers as IncomingHttpHeaders,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }
  const agent = request(base);
  let req =
    method === 'GET'
      ? agent.get(path)
      : method === 'HEAD'
        ? agent.head(path)
        : method === 'POST'
          ? agent.post(path)
          : agent.options(path);
  for (const [name, value] of Object.entries(call.headers ?? {})) req = req.set(name, value);
  if (call.body !== undefined) req = req.send(call.body);
  const res = await req;
  return { status: res.status, headers: res.headers as Record<string, unknown> };
}

async function overHttp(base: string, call: Call, seen: Seen): Promise<Outcome> {
  Object.assign(seen, fresh());
  const res = await sendHttp(base, call);
  return {
    status: res.status,
    code: isJwksAuthError(seen.error) ? seen.error.code : undefined,
    error: seen.error,
    headers: lowerCase(res.headers),
    handled: seen.handled,
    auth: seen.auth,
    bodyToken: seen.bodyToken,
  };
}

function coreTarget(entry: Entry, options: VerifierOptions, events: JwksAuthEvent[]): Target {
  const verifier = createVerifier(options);
  return {
    entry,
    events,
    async send(call) {
      const req: RequestLike = {
        method: call.method ?? 'GET',
        url: call.path ?? '/',
        headers: { ...call.headers },
      };
      if (call.body !== undefined) req.body = call.body;
      const bodyToken = hasBodyToken(req.body);
      try {
        let result: VerifyResult | undefined;
        if (entry === 'core.verify') {
          const header = req.headers.authorization;
          result = await verifier.verify(
            typeof header === 'string' ? header.replace(/^Bearer /, '') : '',
          );
        } else if (entry === 'core.handle') {
          // handle() answers synchronously when it can: a value, a promise, or a throw.
          const outcome = verifier.handle(req);
          result = outcome instanceof Promise ? await outcome : outcome;
        } else {
          result = await verifier.authenticate(req);
        }
        return {
          status: 200,
          code: undefined,
          error: undefined,
          headers: {},
          handled: true,
          auth: result,
          bodyToken,
        };
      } catch (error) {
        if (!isJwksAuthError(error)) throw error;
        return {
          status: error.status,
          code: error.code,
          error,
          headers: lowerCase(error.headers),
          handled: false,
          auth: undefined,
          bodyToken,
        };
      }
    },
    async close() {
      verifier.close();
    },
  };
}

async function expressTarget(
  options: VerifierOptions,
  events: JwksAuthEvent[],
  setup: TargetSetup,
): Promise<Target> {
  const seen = fresh();
  const app = express();
  // finalhandler logs every error unless env is 'test'.
  app.set('env', 'test');
  if (setup.form === true) app.use(express.urlencoded({ extended: false }));
  app.use((req, _res, next) => {
    seen.bodyToken = hasBodyToken(req.body);
    next();
  });
  const auth = expressAuth(options as unknown as ExpressOptions);
  app.use(auth);
  const handler = (req: Request, res: Response) => {
    seen.handled = true;
    seen.auth = req.auth;
    res.json({ sub: req.auth?.payload.sub ?? null });
  };
  // Handlers mounted for every method, as `app.use(path)` and `app.all()` do.
  app.use('/api/export', handler);
  app.all('/api/all', handler);
  for (const [name, predicate] of Object.entries(CLAIM_PREDICATES)) {
    app.get(`/claim/${name}`, expressClaimCheck(predicate, CLAIM_DESCRIPTION), handler);
  }
  app.all('/', handler);
  app.use((error: unknown, _req: Request, _res: Response, next: NextFunction) => {
    seen.error = error;
    next(error);
  });
  const server = createServer(app);
  const base = await listen(server);
  return {
    entry: 'express',
    events,
    send: (call) => overHttp(base, call, seen),
    async close() {
      auth.verifier.close();
      await stop(server);
    },
  };
}

/** A form body parser in a few lines (no dependency): sets `ctx.request.body`. */
const koaFormBody: Middleware = async (ctx, next) => {
  if (ctx.is('application/x-www-form-urlencoded')) {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.req) chunks.push(chunk as Buffer);
    (ctx.request as { body?: unknown }).body = Object.fromEntries(
      new URLSearchParams(Buffer.concat(chunks).toString('latin1')),
    );
  }
  return next();
};

async function koaTarget(
  options: VerifierOptions,
  events: JwksAuthEvent[],
  setup: TargetSetup,
): Promise<Target> {
  const seen = fresh();
  const app = new Koa();
  app.silent = true;
  app.on('error', (error: unknown) => {
    seen.error = error;
  });
  if (setup.form === true) app.use(koaFormBody);
  app.use((ctx, next) => {
    seen.bodyToken = hasBodyToken((ctx.request as { body?: unknown }).body);
    return next();
  });
  const auth = koaAuth(options as unknown as KoaOptions);
  app.use(auth);
  const guards = new Map(
    Object.entries(CLAIM_PREDICATES).map(([name, predicate]) => [
      `/claim/${name}`,
      koaClaimCheck(predicate, CLAIM_DESCRIPTION),
    ]),
  );
  // The app's own middleware after jwksAuth, for every path and method.
  app.use(async (ctx) => {
    const respond = async () => {
      seen.handled = true;
      seen.auth = ctx.state.auth;
      ctx.body = { sub: ctx.state.auth?.payload.sub ?? null };
    };
    const guard = guards.get(ctx.path);
    if (guard !== undefined) return guard(ctx, respond);
    return respond();
  });
  const server = createServer(app.callback());
  const base = await listen(server);
  return {
    entry: 'koa',
    events,
    send: (call) => overHttp(base, call, seen),
    async close() {
      auth.verifier.close();
      await stop(server);
    },
  };
}

function addFormParser(app: FastifyInstance): void {
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );
}

async function fastifyTarget(
  options: VerifierOptions,
  events: JwksAuthEvent[],
  setup: TargetSetup,
): Promise<Target> {
  const seen = fresh();
  const app = Fastify({ logger: false });
  if (setup.form === true) addFormParser(app);
  app.addHook('onError', (_req, _reply, error, done) => {
    seen.error = error;
    done();
  });
  app.addHook('preValidation', (req, _reply, done) => {
    seen.bodyToken = hasBodyToken(req.body);
    done();
  });
  await app.register(fastifyAuth, options as unknown as FastifyOptions);
  const handler = async (req: FastifyRequest) => {
    seen.handled = true;
    seen.auth = req.auth;
    return { sub: req.auth?.payload.sub ?? null };
  };
  app.all('/api/export', handler);
  app.all('/api/all', handler);
  app.all('/', handler);
  for (const [name, predicate] of Object.entries(CLAIM_PREDICATES)) {
    app.get(
      `/claim/${name}`,
      { preHandler: fastifyClaimCheck(predicate, CLAIM_DESCRIPTION) },
      handler,
    );
  }
  await app.ready();
  return {
    entry: 'fastify',
    events,
    async send(call) {
      Object.assign(seen, fresh());
      const res = await app.inject({
        method: call.method ?? 'GET',
        url: call.path ?? '/',
        headers: call.headers ?? {},
        ...(call.body === undefined ? {} : { payload: call.body }),
      });
      return {
        status: res.statusCode,
        code: isJwksAuthError(seen.error) ? seen.error.code : undefined,
        error: seen.error,
        headers: lowerCase(res.headers as Record<string, unknown>),
        handled: seen.handled,
        auth: seen.auth,
        bodyToken: seen.bodyToken,
      };
    },
    async close() {
      await app.close();
    },
  };
}

/** Builds an entry point; unless `options.onEvent` is set, events land in `target.events`. */
async function makeTarget(
  entry: Entry,
  options: VerifierOptions,
  setup: TargetSetup = {},
): Promise<Target> {
  const events: JwksAuthEvent[] = [];
  const observed: VerifierOptions = {
    ...options,
    onEvent:
      options.onEvent ??
      ((event) => {
        events.push(event);
      }),
  };
  switch (entry) {
    case 'core.authenticate':
    case 'core.verify':
    case 'core.handle':
      return coreTarget(entry, observed, events);
    case 'express':
      return expressTarget(observed, events, setup);
    case 'koa':
      return koaTarget(observed, events, setup);
    case 'fastify':
      return fastifyTarget(observed, events, setup);
  }
}

// Closed after each test / after each describe that shares its targets.
const perTest: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(perTest.splice(0).map(async (thing) => thing.close()));
});

async function target(entry: Entry, options: VerifierOptions, setup: TargetSetup = {}) {
  const made = await makeTarget(entry, options, setup);
  perTest.push(made);
  return made;
}

/** Targets for every entry, in parallel, closed by the caller. */
async function targetsFor(
  entries: readonly Entry[],
  options: VerifierOptions,
  setup: TargetSetup = {},
): Promise<Map<Entry, Target>> {
  const made = await Promise.all(entries.map((entry) => makeTarget(entry, options, setup)));
  return new Map(made.map((t) => [t.entry, t]));
}

async function closeAll(targets: Map<Entry, Target>): Promise<void> {
  await Promise.all([...targets.values()].map((t) => t.close()));
}

// ---------------------------------------------------------------------------
// Shared fixtures and expectations
// ---------------------------------------------------------------------------

let issuer: TestIssuer;
beforeAll(async () => {
  // ES256: cheaper to generate and sign with than RSA, and nothing here needs RSA from it.
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
});
afterAll(() => issuer.close());

const options = (i: TestIssuer): VerifierOptions => ({
  issuer: i.issuer,
  audience: AUDIENCE,
  jwksUri: i.jwksUri,
});

const bearer = (token: string, call: Call = {}): Call => ({
  ...call,
  headers: { ...call.headers, authorization: `Bearer ${token}` },
});

function fetches(
  t: Target,
  reason?: string,
): Array<Extract<JwksAuthEvent, { type: 'jwks_fetch' }>> {
  return t.events.filter(
    (e): e is Extract<JwksAuthEvent, { type: 'jwks_fetch' }> =>
      e.type === 'jwks_fetch' && (reason === undefined || e.reason === reason),
  );
}

function expectAccepted(o: Outcome, sub = 'test-user'): void {
  expect({ status: o.status, code: o.code, handled: o.handled }).toEqual({
    status: 200,
    code: undefined,
    handled: true,
  });
  expect((o.auth as VerifyResult).payload.sub).toBe(sub);
}

/** 401 without an `error` attribute: the request counts as carrying no token. */
function expectNoToken(o: Outcome): void {
  expect({
    status: o.status,
    code: o.code,
    challenge: o.headers['www-authenticate'],
    handled: o.handled,
  }).toEqual({
    status: 401,
    code: 'ERR_NO_TOKEN',
    challenge: 'Bearer realm="api"',
    handled: false,
  });
}

function expectInvalidToken(o: Outcome, code: string, description?: string): void {
  expect({ status: o.status, code: o.code, handled: o.handled }).toEqual({
    status: 401,
    code,
    handled: false,
  });
  expect(o.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/);
  if (description !== undefined) {
    expect(o.headers['www-authenticate']).toBe(
      `Bearer realm="api", error="invalid_token", error_description="${description}"`,
    );
  }
}

function expectInvalidRequest(o: Outcome): void {
  expect({ status: o.status, code: o.code, handled: o.handled }).toEqual({
    status: 400,
    code: 'ERR_INVALID_REQUEST',
    handled: false,
  });
  expect(o.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_request"/);
}

function expectHookFailed(o: Outcome, hook: 'getToken' | 'isRevoked'): void {
  expect({
    status: o.status,
    code: o.code,
    retryAfter: o.headers['retry-after'],
    challenge: o.headers['www-authenticate'],
    handled: o.handled,
  }).toEqual({
    status: 503,
    code: 'ERR_HOOK_FAILED',
    retryAfter: '1',
    challenge: undefined,
    handled: false,
  });
  expect(o.error).toBeInstanceOf(HookFailedError);
  expect((o.error as HookFailedError).hook).toBe(hook);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

function expectTypeError(error: unknown, message: string): void {
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toBe(message);
}

/** `options` must be refused with this TypeError by the core and by every adapter. */
async function expectRefusedEverywhere(opts: unknown, message: string): Promise<void> {
  expectTypeError(
    thrown(() => createVerifier(opts as VerifierOptions)),
    message,
  );
  expectTypeError(
    thrown(() => expressAuth(opts as ExpressOptions)),
    message,
  );
  expectTypeError(
    thrown(() => koaAuth(opts as KoaOptions)),
    message,
  );
  const app = Fastify({ logger: false });
  perTest.push(app);
  const error = await app.register(fastifyAuth, opts as FastifyOptions).then(
    () => undefined,
    (e: unknown) => e,
  );
  expectTypeError(error, message);
}

const now = (): number => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------
// Finding 1
// ---------------------------------------------------------------------------

// Finding 1 (CORS preflight bypass): an OPTIONS request with
// Access-Control-Request-Method skipped authentication, so any handler that
// answers OPTIONS (Express app.use(path)/app.all, Koa middleware after
// jwksAuth, Fastify app.all) ran without a token.
describe('finding 1: CORS preflights are authenticated unless corsPreflight is "pass"', () => {
  const PREFLIGHT = {
    origin: 'https://app.example.test',
    'access-control-request-method': 'POST',
  };
  const preflight = (path: string): Call => ({ method: 'OPTIONS', path, headers: PREFLIGHT });

  it.each(REQUEST_ENTRIES)(
    '%s: a preflight without a token gets 401 Bearer realm="api" and reaches no handler',
    async (entry) => {
      const t = await target(entry, options(issuer));
      for (const path of ['/api/export', '/api/all', '/']) {
        expectNoToken(await t.send(preflight(path)));
      }
      // With a token, a preflight is just another authenticated request.
      expectAccepted(await t.send(bearer(await issuer.sign(), preflight('/api/export'))));
    },
  );

  it.each(REQUEST_ENTRIES)(
    '%s: corsPreflight "pass" lets a preflight through without auth; a plain OPTIONS still needs a token',
    async (entry) => {
      const t = await target(entry, { ...options(issuer), corsPreflight: 'pass' });
      const passed = await t.send(preflight('/api/export'));
      expect({ status: passed.status, handled: passed.handled }).toEqual({
        status: 200,
        handled: true,
      });
      // No auth at all: undefined for req.auth / ctx.state.auth / the core, null on Fastify.
      expect(passed.auth).toBe(entry === 'fastify' ? null : undefined);
      expect(passed.headers['www-authenticate']).toBeUndefined();
      expectNoToken(await t.send({ method: 'OPTIONS', path: '/api/export' }));
      // Only OPTIONS can be a preflight: the header on another method changes nothing.
      expectNoToken(await t.send({ method: 'GET', path: '/api/export', headers: PREFLIGHT }));
    },
  );

  it.each([['skip'], ['PASS'], [true], [null], [1]])(
    'corsPreflight %p is a TypeError at construction in the core and every adapter',
    async (value) => {
      await expectRefusedEverywhere(
        { ...options(issuer), corsPreflight: value },
        '"corsPreflight" option must be "authenticate" or "pass"',
      );
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 2
// ---------------------------------------------------------------------------

// Finding 2 (Fastify route setting): a config.jwksAuth value other than
// undefined/true/false/'optional' on a route declared before the plugin made
// the route optional (any request got through, token or not).
describe('finding 2: an unknown Fastify config.jwksAuth never lets a request through', () => {
  const SETTINGS: unknown[] = ['required', 'true', 1, null];
  const message = (url: string, setting: unknown) =>
    `route GET ${url}: config.jwksAuth must be true, false or 'optional', got ${JSON.stringify(setting)}`;
  const reply = async () => ({ ok: true });

  it.each(SETTINGS.map((s) => [s]))(
    'config.jwksAuth %p on a route declared after the plugin fails at declaration',
    async (setting) => {
      const app = Fastify({ logger: false });
      perTest.push(app);
      await app.register(fastifyAuth, options(issuer) as FastifyOptions);
      const declared = thrown(() =>
        app.get('/late', { config: { jwksAuth: setting as boolean } }, reply),
      );
      expectTypeError(declared, message('/late', setting));

      // Declared in a child plugin: the app refuses to start.
      const nested = Fastify({ logger: false });
      perTest.push(nested);
      await nested.register(fastifyAuth, options(issuer) as FastifyOptions);
      nested.register(async (scope) => {
        scope.get('/nested', { config: { jwksAuth: setting as boolean } }, reply);
      });
      await expect(nested.ready()).rejects.toThrow(message('/nested', setting));
    },
  );

  it.each(SETTINGS.map((s) => [s]))(
    'config.jwksAuth %p on a route declared before the plugin answers 500 naming it, even with a valid token; the handler never runs',
    async (setting) => {
      const app = Fastify({ logger: false });
      perTest.push(app);
      let hits = 0;
      app.get('/early', { config: { jwksAuth: setting as boolean } }, async () => {
        hits += 1;
        return { ok: true };
      });
      app.get('/early-optional', { config: { jwksAuth: 'optional' } }, async (req) => ({
        auth: req.auth,
      }));
      // Not awaited: the routes above are declared before the plugin loads.
      void app.register(fastifyAuth, options(issuer) as FastifyOptions);
      await app.ready();

      for (const headers of [{}, { authorization: `Bearer ${await issuer.sign()}` }]) {
        const res = await app.inject({ method: 'GET', url: '/early', headers });
        expect(res.statusCode).toBe(500);
        expect(res.json().message).toBe(message('/early', setting));
      }
      expect(hits).toBe(0);

      // The plugin does guard routes declared before it: a valid setting works there.
      const optional = await app.inject({ method: 'GET', url: '/early-optional' });
      expect([optional.statusCode, optional.json()]).toEqual([200, { auth: null }]);
      const bad = await app.inject({
        method: 'GET',
        url: '/early-optional',
        headers: { authorization: 'Bearer not-a-jwt' },
      });
      expect(bad.statusCode).toBe(401);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 3
// ---------------------------------------------------------------------------

/** The process Node runs: Jest hands tests a copy whose listeners never fire. */
const realProcess = vm.runInThisContext('process') as typeof process;

/** Runs `run` and returns every unhandled rejection the process reported meanwhile. */
async function unhandledRejectionsDuring(run: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => {
    seen.push(reason);
  };
  realProcess.on('unhandledRejection', listener);
  try {
    await run();
    // Node reports unhandled rejections once the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
    await sleep(20);
  } finally {
    realProcess.off('unhandledRejection', listener);
  }
  return seen;
}

const OBSERVERS: Array<{ name: string; observer: () => unknown }> = [
  {
    name: 'an async onEvent that rejects',
    observer: async () => {
      throw new Error('metrics backend down');
    },
  },
  {
    name: 'an onEvent returning a thenable whose then throws',
    observer: () => ({
      then() {
        throw new Error('metrics backend down');
      },
    }),
  },
  {
    name: 'an onEvent returning an object whose then getter throws',
    observer: () => ({
      get then(): never {
        throw new Error('metrics backend down');
      },
    }),
  },
];

// Finding 3 (async onEvent): the result of onEvent was ignored, so an async
// observer that rejected raised an unhandled rejection (a process crash under
// Node's default --unhandled-rejections=throw).
describe.each(OBSERVERS)('finding 3: $name', ({ observer }) => {
  it.each(TOKEN_ENTRIES)(
    '%s: outcomes are unchanged and no unhandled rejection happens',
    async (entry) => {
      let calls = 0;
      const t = await target(entry, {
        ...options(issuer),
        onEvent: () => {
          calls += 1;
          return observer();
        },
      });
      const token = await issuer.sign();
      const outcomes: Outcome[] = [];
      const unhandled = await unhandledRejectionsDuring(async () => {
        outcomes.push(await t.send(bearer('not-a-jwt')));
        outcomes.push(await t.send(bearer(token)));
        outcomes.push(await t.send(bearer(token)));
        if (entry !== 'core.verify') outcomes.push(await t.send(bearer('a b')));
      });
      expectInvalidToken(outcomes[0]!, 'ERR_TOKEN_MALFORMED', 'the token is not a JWT');
      expectAccepted(outcomes[1]!);
      expectAccepted(outcomes[2]!);
      if (entry !== 'core.verify') expectInvalidRequest(outcomes[3]!);
      // token_rejected and jwks_fetch at least: the observer did run and fail.
      expect(calls).toBeGreaterThanOrEqual(2);
      expect(unhandled).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 4
// ---------------------------------------------------------------------------

type HookExpectation = 'revoked' | 'hook_failed' | 'accepted';

const REVOCATION_CASES: Array<{ name: string; answer: () => unknown; expected: HookExpectation }> =
  [
    { name: 'true', answer: () => true, expected: 'revoked' },
    {
      name: 'a thenable of true',
      answer: () => thenable(true),
      expected: 'revoked',
    },
    {
      name: "another realm's promise of true",
      answer: () => vm.runInNewContext('Promise.resolve(true)'),
      expected: 'revoked',
    },
    { name: '1', answer: () => 1, expected: 'hook_failed' },
    { name: '"true"', answer: () => 'true', expected: 'hook_failed' },
    { name: 'undefined', answer: () => undefined, expected: 'hook_failed' },
    {
      name: 'a thenable of 1',
      answer: () => thenable(1),
      expected: 'hook_failed',
    },
    {
      name: "another realm's promise of 1",
      answer: () => vm.runInNewContext('Promise.resolve(1)'),
      expected: 'hook_failed',
    },
    {
      name: 'a rejection',
      answer: async () => {
        throw new Error('revocation list down');
      },
      expected: 'hook_failed',
    },
    {
      name: 'a throw',
      answer: () => {
        throw new Error('revocation list down');
      },
      expected: 'hook_failed',
    },
    {
      name: 'a thenable whose then throws',
      answer: () => ({
        then() {
          throw new Error('revocation list down');
        },
      }),
      expected: 'hook_failed',
    },
    {
      name: 'a promise that never settles (hookTimeout)',
      answer: () => new Promise(() => undefined),
      expected: 'hook_failed',
    },
    { name: 'false', answer: () => false, expected: 'accepted' },
    {
      name: 'a thenable of false',
      answer: () => thenable(false),
      expected: 'accepted',
    },
    {
      name: "another realm's promise of false",
      answer: () => vm.runInNewContext('Promise.resolve(false)'),
      expected: 'accepted',
    },
  ];

// Finding 4 (hook results): isRevoked's result was trusted by shape (only a
// native promise was awaited, only `=== true` revoked), so a thenable or a
// foreign promise of true, or any non-boolean, let a revoked token through;
// getToken's result was not checked either.
describe('finding 4: isRevoked must answer a boolean (awaited), else the request fails closed', () => {
  let targets: Map<Entry, Target>;
  beforeAll(async () => {
    const byName = new Map(REVOCATION_CASES.map((c) => [c.name, c.answer]));
    targets = await targetsFor(TOKEN_ENTRIES, {
      ...options(issuer),
      // The never-settling case waits for this deadline.
      hookTimeout: 20,
      isRevoked: (result) => byName.get(result.payload.revocation_case as string)!() as boolean,
    });
  });
  afterAll(() => closeAll(targets));

  const rows = TOKEN_ENTRIES.flatMap((entry) => REVOCATION_CASES.map((c) => ({ entry, ...c })));
  it.each(rows)(
    '$entry: isRevoked answering $name → $expected',
    async ({ entry, name, expected }) => {
      const t = targets.get(entry)!;
      const token = await issuer.sign({ revocation_case: name });
      // A full verification, then a cache hit: the hook decides both times.
      for (let i = 0; i < 2; i += 1) {
        const o = await t.send(bearer(token));
        if (expected === 'revoked') {
          expectInvalidToken(o, 'ERR_TOKEN_REVOKED', 'the token has been revoked');
        } else if (expected === 'hook_failed') {
          expectHookFailed(o, 'isRevoked');
        } else {
          expectAccepted(o);
        }
      }
    },
  );
});

type TokenExpectation = 'accepted' | 'hook_failed' | 'invalid_request' | 'no_token';

const GET_TOKEN_CASES: Array<{
  name: string;
  answer: (token: string) => unknown;
  expected: TokenExpectation;
}> = [
  {
    name: 'a thenable of the token',
    answer: (token) => thenable(token),
    expected: 'accepted',
  },
  { name: 'a promise of the token', answer: async (token) => token, expected: 'accepted' },
  {
    name: "another realm's promise of the token",
    answer: (token) => vm.runInNewContext('Promise.resolve(token)', { token }),
    expected: 'accepted',
  },
  { name: 'a number', answer: () => 42, expected: 'hook_failed' },
  { name: 'a boolean', answer: () => true, expected: 'hook_failed' },
  {
    name: 'a thenable of a number',
    answer: () => thenable(42),
    expected: 'hook_failed',
  },
  { name: 'an array', answer: (token) => [token, token], expected: 'invalid_request' },
  { name: 'an object', answer: (token) => ({ token }), expected: 'invalid_request' },
  {
    name: 'a throw',
    answer: () => {
      throw new Error('cookie jar unreadable');
    },
    expected: 'invalid_request',
  },
  {
    name: 'a promise that never settles (hookTimeout)',
    answer: () => new Promise(() => undefined),
    expected: 'hook_failed',
  },
  { name: 'undefined', answer: () => undefined, expected: 'no_token' },
];

// Finding 4, getToken side: a thenable (or another realm's promise) was not
// awaited and a number or boolean was not refused as the hook's own mistake.
describe('finding 4: getToken results are awaited and type-checked', () => {
  let targets: Map<Entry, Target>;
  beforeAll(async () => {
    const byName = new Map(GET_TOKEN_CASES.map((c) => [c.name, c.answer]));
    targets = await targetsFor(REQUEST_ENTRIES, {
      ...options(issuer),
      // The never-settling case waits for this deadline.
      hookTimeout: 20,
      // Every entry point hands getToken an object with the request headers.
      getToken: (original: unknown) => {
        const headers = (original as { headers: Record<string, string> }).headers;
        if (headers['x-case'] === 'a rejection') {
          return Promise.reject(new Error('session store down'));
        }
        return byName.get(headers['x-case']!)!(headers['x-token']!) as string;
      },
    });
  });
  afterAll(() => closeAll(targets));

  const call = (name: string, token: string): Call => ({
    headers: { 'x-case': name, 'x-token': token },
  });
  const rows = REQUEST_ENTRIES.flatMap((entry) => GET_TOKEN_CASES.map((c) => ({ entry, ...c })));

  it.each(rows)(
    '$entry: getToken answering $name → $expected',
    async ({ entry, name, expected }) => {
      const o = await targets.get(entry)!.send(call(name, await issuer.sign()));
      if (expected === 'accepted') expectAccepted(o);
      else if (expected === 'hook_failed') expectHookFailed(o, 'getToken');
      else if (expected === 'invalid_request') expectInvalidRequest(o);
      else expectNoToken(o);
    },
  );

  it.each(REQUEST_ENTRIES)('%s: a rejecting getToken is never accepted', async (entry) => {
    const o = await targets.get(entry)!.send(call('a rejection', await issuer.sign()));
    expect(o.handled).toBe(false);
    expect(isJwksAuthError(o.error)).toBe(true);
    expect([400, 503]).toContain(o.status);
  });
});

// ---------------------------------------------------------------------------
// Finding 5
// ---------------------------------------------------------------------------

// Finding 5 (duplicate key): a key listed twice in the JWKS survived its
// removal: tokens it had verified stayed cached and accepted.
describe('finding 5: a key listed twice is retired when the issuer removes it', () => {
  let dup: TestIssuer;
  let targets: Map<Entry, Target>;
  let token: string;
  const before = new Map<Entry, Outcome[]>();

  beforeAll(async () => {
    dup = await createTestIssuer({ algorithms: ['ES256'] });
    const [k1] = dup.keys as [TestKey];
    const k2 = await dup.addKey('ES256');
    dup.setJwksKeys({ keys: [k1.publicJwk, k1.publicJwk, k2.publicJwk] });
    targets = await targetsFor(TOKEN_ENTRIES, {
      ...options(dup),
      jwks: { cooldownDuration: 100 },
    });
    token = await dup.sign();
    for (const [entry, t] of targets) {
      // Verified, then answered from the cache.
      before.set(entry, [await t.send(bearer(token)), await t.send(bearer(token))]);
    }
    // The issuer removes the key, and the cooldown passes.
    dup.setJwksKeys({ keys: [k2.publicJwk] });
    await sleep(150);
  });
  afterAll(async () => {
    await closeAll(targets);
    await dup.close();
  });

  it.each(TOKEN_ENTRIES)(
    '%s: after a refresh, the cached token and fresh ones from the removed key get 401',
    async (entry) => {
      const t = targets.get(entry)!;
      for (const o of before.get(entry)!) expectAccepted(o);

      // An unknown kid after the cooldown makes the verifier refetch.
      const probe = await dup.sign({}, { header: { kid: 'not-published' } });
      expectInvalidToken(await t.send(bearer(probe)), 'ERR_KEY_NOT_FOUND');
      expect(fetches(t, 'unknown_kid')).toHaveLength(1);

      expectInvalidToken(await t.send(bearer(token)), 'ERR_KEY_NOT_FOUND');
      expectInvalidToken(await t.send(bearer(await dup.sign())), 'ERR_KEY_NOT_FOUND');
      // The duplicate was one key; the refresh left the other one alone.
      expect(fetches(t).map((e) => [e.reason, e.keys, e.refused])).toEqual([
        ['initial', 2, 0],
        ['unknown_kid', 1, 0],
      ]);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 6
// ---------------------------------------------------------------------------

/** DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

/** EMSA-PKCS1-v1_5 of SHA-256(input), `k` bytes: 00 01 FF..FF 00 DigestInfo hash. */
function emsaPkcs1Sha256(input: string, k: number): Buffer {
  const t = Buffer.concat([SHA256_DIGEST_INFO, createHash('sha256').update(input).digest()]);
  return Buffer.concat([
    Buffer.from([0x00, 0x01]),
    Buffer.alloc(k - t.length - 3, 0xff),
    Buffer.from([0x00]),
    t,
  ]);
}

/** A random odd 2048-bit modulus with top byte 0xff, larger than any encoded message. */
function hostileModulus(): Buffer {
  const n = randomBytes(256);
  n[0] = 0xff;
  n[255] = n[255]! | 1;
  return n;
}

const HOSTILE_ISSUER = 'http://127.0.0.1/hostile-issuer';

function hostileClaims(): Record<string, unknown> {
  return { iss: HOSTILE_ISSUER, aud: AUDIENCE, sub: 'attacker', iat: now(), exp: now() + 300 };
}

/** A token "signed" for an e=1 key without any private key: the signature is the encoded message. */
function forgedForExponentOne(kid: string | undefined): { token: string; input: string } {
  const header = { alg: 'RS256', typ: 'at+jwt', ...(kid === undefined ? {} : { kid }) };
  const payload = hostileClaims();
  const input = signingInput(header, payload);
  return { token: forge(header, payload, emsaPkcs1Sha256(input, 256)), input };
}

const genuine = generateKeyPairSync('rsa', { modulusLength: 2048 });
const genuineJwk = genuine.publicKey.export({ format: 'jwk' }) as JsonWebKey;

interface HostileTarget {
  label: string;
  entry: Entry;
  engine: 'node' | 'jose';
}
const HOSTILE_TARGETS: HostileTarget[] = [
  ...TOKEN_ENTRIES.map((entry) => ({
    label: `${entry} (node engine)`,
    entry,
    engine: 'node' as const,
  })),
  { label: 'core.authenticate (jose engine)', entry: 'core.authenticate', engine: 'jose' },
  { label: 'core.verify (jose engine)', entry: 'core.verify', engine: 'jose' },
];

async function hostileTargets(server: KeySetServer): Promise<Map<string, Target>> {
  const made = await Promise.all(
    HOSTILE_TARGETS.map(async (h) => {
      const t = await makeTarget(h.entry, {
        issuer: HOSTILE_ISSUER,
        audience: AUDIENCE,
        jwksUri: server.url,
        engine: h.engine,
      });
      return [h.label, t] as const;
    }),
  );
  return new Map(made);
}

// Finding 6 (RSA exponent 1): an RSA key with e = 1 was used, and with it a
// "signature" made without any private key (the encoded message itself)
// verified; even and oversized exponents were not refused either.
describe('finding 6: RSA keys with exponent 1, an even exponent or one over 8 bytes are refused', () => {
  const n = hostileModulus();
  const exponentOne = { kty: 'RSA', kid: 'e-one', alg: 'RS256', use: 'sig', n: b64url(n), e: 'AQ' };
  let server: KeySetServer;
  let targets: Map<string, Target>;

  beforeAll(async () => {
    server = await createKeySetServer({
      keys: [
        exponentOne,
        { kty: 'RSA', kid: 'e-even', alg: 'RS256', use: 'sig', n: b64url(n), e: 'Ag' },
        {
          kty: 'RSA',
          kid: 'e-nine-bytes',
          alg: 'RS256',
          use: 'sig',
          n: genuineJwk.n,
          e: b64url(Buffer.from('010000000000000001', 'hex')),
        },
        { ...genuineJwk, kid: 'genuine', alg: 'RS256', use: 'sig' },
      ],
    });
    targets = await hostileTargets(server);
  });
  afterAll(async () => {
    await Promise.all([...targets.values()].map((t) => t.close()));
    await server.close();
  });

  it('the forged token really verifies under the e=1 key with plain node:crypto (control)', () => {
    const { token, input } = forgedForExponentOne('e-one');
    const key = createPublicKey({ key: exponentOne as JsonWebKey, format: 'jwk' });
    const signature = Buffer.from(token.split('.')[2]!, 'base64url');
    expect(
      cryptoVerify(
        'sha256',
        Buffer.from(input),
        { key, padding: constants.RSA_PKCS1_PADDING },
        signature,
      ),
    ).toBe(true);
  });

  it.each(HOSTILE_TARGETS)(
    '$label: refuses the forged token and the bad keys',
    async ({ label }) => {
      const t = targets.get(label)!;
      const control = signRs256(
        genuine.privateKey,
        { alg: 'RS256', typ: 'at+jwt', kid: 'genuine' },
        hostileClaims(),
      );
      expectAccepted(await t.send(bearer(control)), 'attacker');

      expectInvalidToken(
        await t.send(bearer(forgedForExponentOne('e-one').token)),
        'ERR_KEY_NOT_FOUND',
      );
      // Without a kid, the forged signature is tried against the genuine key only.
      expectInvalidToken(
        await t.send(bearer(forgedForExponentOne(undefined).token)),
        'ERR_SIGNATURE_INVALID',
      );
      for (const kid of ['e-even', 'e-nine-bytes']) {
        const token = signRs256(
          genuine.privateKey,
          { alg: 'RS256', typ: 'at+jwt', kid },
          hostileClaims(),
        );
        expectInvalidToken(await t.send(bearer(token)), 'ERR_KEY_NOT_FOUND');
      }
      // Three keys refused when the set was parsed; only the genuine one is usable.
      expect(fetches(t).map((e) => [e.keys, e.refused])).toEqual([[1, 3]]);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 7
// ---------------------------------------------------------------------------

// Finding 7 (cache hits and key-set age): a cached verdict was served however
// old the key set behind it, so with the issuer unreachable past
// cacheMaxAge + maxStaleAge, a cached token still got 200.
describe('finding 7: cached verdicts do not outlive a key set past cacheMaxAge + maxStaleAge', () => {
  let down: TestIssuer;
  let targets: Map<Entry, Target>;
  let token: string;
  const before = new Map<Entry, Outcome[]>();

  beforeAll(async () => {
    down = await createTestIssuer({ algorithms: ['ES256'] });
    targets = await targetsFor(TOKEN_ENTRIES, {
      ...options(down),
      jwks: { cacheMaxAge: 1000, maxStaleAge: 0, backoffInitial: 10_000, backoffMax: 10_000 },
    });
    token = await down.sign();
    for (const [entry, t] of targets) {
      before.set(entry, [await t.send(bearer(token)), await t.send(bearer(token))]);
    }
    await down.fail({ type: 'refuse' });
    await sleep(1100);
  });
  afterAll(async () => {
    await closeAll(targets);
    await down.close();
  });

  it.each(TOKEN_ENTRIES)(
    '%s: the cached token gets 503 once the key set is unusable',
    async (entry) => {
      const t = targets.get(entry)!;
      for (const o of before.get(entry)!) expectAccepted(o);
      const o = await t.send(bearer(token));
      expect({
        status: o.status,
        code: o.code,
        handled: o.handled,
        retryAfter: Number(o.headers['retry-after']) >= 1,
      }).toEqual({ status: 503, code: 'ERR_JWKS_UNAVAILABLE', handled: false, retryAfter: true });
      expect(t.events.some((e) => e.type === 'jwks_fetch_failed')).toBe(true);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 8
// ---------------------------------------------------------------------------

// Finding 8 (hostile modulus): an `n` of '=' characters then 'A' was kept as
// a key and re-examined for every kid-less token, making each one expensive.
// Timings are not asserted: the key must be refused when the set is parsed.
describe('finding 8: an RSA n of "=" padding is refused at parse time', () => {
  const TOKENS = 50;
  let server: KeySetServer;
  let targets: Map<Entry, Target>;
  let forged: string[];

  beforeAll(async () => {
    server = await createKeySetServer({
      keys: [
        { kty: 'RSA', alg: 'RS256', use: 'sig', n: `${'='.repeat(2047)}A`, e: 'AQAB' },
        { kty: 'RSA', alg: 'RS256', use: 'sig', n: `${'='.repeat(16383)}A`, e: 'AQAB' },
        { ...genuineJwk, alg: 'RS256', use: 'sig' },
      ],
    });
    targets = await targetsFor(TOKEN_ENTRIES, {
      issuer: HOSTILE_ISSUER,
      audience: AUDIENCE,
      jwksUri: server.url,
    });
    // Kid-less and each one different (so never cached), carrying the genuine
    // key's signature of another payload (so every signature check fails).
    const header = { alg: 'RS256', typ: 'at+jwt' };
    const borrowed = signRs256(genuine.privateKey, header, hostileClaims()).split('.')[2]!;
    forged = Array.from({ length: TOKENS }, (_, i) =>
      forge(header, { ...hostileClaims(), jti: `f${i}` }, borrowed),
    );
  });
  afterAll(async () => {
    await closeAll(targets);
    await server.close();
  });

  it.each(TOKEN_ENTRIES)(
    `%s: both keys are refused and ${TOKENS} kid-less uncached tokens get 401`,
    async (entry) => {
      const t = targets.get(entry)!;
      const control = signRs256(
        genuine.privateKey,
        { alg: 'RS256', typ: 'at+jwt' },
        hostileClaims(),
      );
      expectAccepted(await t.send(bearer(control)), 'attacker');
      for (const token of forged) {
        expectInvalidToken(await t.send(bearer(token)), 'ERR_SIGNATURE_INVALID');
      }
      // Both hostile keys refused when the set was parsed, and no refetch since.
      expect(fetches(t).map((e) => [e.keys, e.refused])).toEqual([[1, 2]]);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 9
// ---------------------------------------------------------------------------

// Finding 9 (corrected key): once a kid had been refused (a private member
// published by mistake), the refused record was reused forever, so the
// issuer's corrected key with the same kid was never picked up.
describe('finding 9: a corrected key with the same kid is picked up after a refresh', () => {
  let fixed: TestIssuer;
  let targets: Map<Entry, Target>;
  let token: string;
  const before = new Map<Entry, Outcome>();

  beforeAll(async () => {
    fixed = await createTestIssuer({ algorithms: ['ES256'] });
    const [key] = fixed.keys as [TestKey];
    const other = await fixed.addKey('ES256');
    fixed.setJwksKeys({
      keys: [{ ...key.publicJwk, d: b64url(randomBytes(32)) }, other.publicJwk],
    });
    targets = await targetsFor(TOKEN_ENTRIES, {
      ...options(fixed),
      jwks: { cooldownDuration: 100 },
    });
    token = await fixed.sign();
    for (const [entry, t] of targets) before.set(entry, await t.send(bearer(token)));
    // The issuer publishes the public key alone, and the cooldown passes.
    fixed.resetJwks();
    await sleep(150);
  });
  afterAll(async () => {
    await closeAll(targets);
    await fixed.close();
  });

  it.each(TOKEN_ENTRIES)(
    '%s: refused while the key had "d", accepted once fixed',
    async (entry) => {
      const t = targets.get(entry)!;
      expectInvalidToken(before.get(entry)!, 'ERR_KEY_NOT_FOUND');
      expectAccepted(await t.send(bearer(token)));
      // The key with "d" was refused at first; the refresh the unknown kid caused brought it back.
      expect(fetches(t).map((e) => [e.reason, e.keys, e.refused])).toEqual([
        ['initial', 1, 1],
        ['unknown_kid', 2, 0],
      ]);
    },
  );
});

// ---------------------------------------------------------------------------
// Finding 10
// ---------------------------------------------------------------------------

// Finding 10 (body token on GET): with allowBodyToken, access_token in a form
// body was accepted on GET and HEAD, which RFC 6750 §2.2 forbids (and where
// caches and logs do not expect credentials).
describe('finding 10: a form-body token counts only on methods with a body', () => {
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

  it.each(REQUEST_ENTRIES)(
    '%s: GET and HEAD with access_token in the body are requests without a token; POST passes',
    async (entry) => {
      const t = await target(entry, { ...options(issuer), allowBodyToken: true }, { form: true });
      const body = `access_token=${await issuer.sign()}`;
      for (const method of ['GET', 'HEAD'] as const) {
        const o = await t.send({ method, headers: FORM, body });
        expectNoToken(o);
        // The token did reach the request (Fastify never parses GET and HEAD bodies).
        expect(o.bodyToken).toBe(entry !== 'fastify');
      }
      const posted = await t.send({ method: 'POST', headers: FORM, body });
      expectAccepted(posted);
      expect(posted.bodyToken).toBe(true);
    },
  );

  it('core: the method is compared case-insensitively', async () => {
    const t = await target('core.authenticate', { ...options(issuer), allowBodyToken: true });
    const body = `access_token=${await issuer.sign()}`;
    const o = await t.send({ method: 'get' as 'GET', headers: FORM, body });
    expectNoToken(o);
  });
});

// ---------------------------------------------------------------------------
// Siblings of the fix
// ---------------------------------------------------------------------------

// Siblings of the fix: option names are checked (a typo used to be ignored
// and left the default, e.g. credentialsRequired true or false by accident),
// requiredScopes validates its options, and claimCheck awaits async
// predicates (a promise used to count as a truthy "pass").
describe('siblings: option names, requiredScopes options, async claimCheck', () => {
  const TYPOS: Array<{ name: string; patch: Record<string, unknown>; message: string }> = [
    {
      name: 'credentialRequired',
      patch: { credentialRequired: false },
      message: '"credentialRequired" option is not a known option (check its spelling)',
    },
    {
      name: 'jwks.cacheMaxAg',
      patch: { jwks: { cacheMaxAg: 1 } },
      message: '"jwks.cacheMaxAg" option is not a known option (check its spelling)',
    },
    {
      name: 'cache.maxEntry',
      patch: { cache: { maxEntry: 1 } },
      message: '"cache.maxEntry" option is not a known option (check its spelling)',
    },
    {
      name: 'issuer[].jwks_uri',
      patch: { issuer: [{ issuer: 'http://127.0.0.1/x', jwks_uri: 'http://127.0.0.1/x/jwks' }] },
      message: '"issuer[].jwks_uri" option is not a known option (check its spelling)',
    },
    {
      name: 'jwks.cacheMaxAge below its floor',
      patch: { jwks: { cacheMaxAge: 999 } },
      message: '"jwks.cacheMaxAge" option must be at least 1000 (ms)',
    },
  ];

  it.each(TYPOS)('$name is a TypeError naming it, in the core and every adapter', async (c) => {
    const { jwksUri: _jwksUri, ...rest } = options(issuer);
    await expectRefusedEverywhere({ ...rest, ...c.patch }, c.message);
  });

  it('requiredScopes with a non-boolean "any" or an unknown option is a TypeError, in the core and every adapter', () => {
    const makers = [coreRequiredScopes, expressScopes, koaScopes, fastifyScopes] as Array<
      (scopes: string, opts: unknown) => unknown
    >;
    for (const make of makers) {
      expectTypeError(
        thrown(() => make('a', { any: 'yes' })),
        '"any" option of requiredScopes must be a boolean',
      );
      expectTypeError(
        thrown(() => make('a', { anyOf: true })),
        '"anyOf" is not an option of requiredScopes',
      );
    }
  });

  it('core claimCheck: an async predicate passes only when it resolves true', async () => {
    const verifier = createVerifier(options(issuer));
    perTest.push(verifier);
    const auth = await verifier.verify(await issuer.sign());
    for (const [name, predicate] of Object.entries(CLAIM_PREDICATES)) {
      const outcome = await Promise.resolve()
        .then(() => coreClaimCheck(predicate, CLAIM_DESCRIPTION)(auth))
        .then(
          () => 'passed',
          (error: unknown) => error,
        );
      if (name.endsWith('-true')) {
        expect(outcome).toBe('passed');
      } else {
        expect(outcome).toBeInstanceOf(InsufficientScopeError);
        expect(outcome).toMatchObject({ status: 403, code: 'ERR_CLAIM_CHECK_FAILED' });
      }
    }
  });

  it.each(ADAPTERS)(
    '%s claimCheck route helper: async true passes; "yes", false and a rejection are 403',
    async (entry) => {
      const t = await target(entry, options(issuer));
      const token = await issuer.sign();
      for (const name of Object.keys(CLAIM_PREDICATES)) {
        const o = await t.send(bearer(token, { path: `/claim/${name}` }));
        if (name.endsWith('-true')) {
          expectAccepted(o);
          continue;
        }
        expect({
          status: o.status,
          code: o.code,
          handled: o.handled,
          challenge: o.headers['www-authenticate'],
        }).toEqual({
          status: 403,
          code: 'ERR_CLAIM_CHECK_FAILED',
          handled: false,
          challenge: `Bearer realm="api", error="insufficient_scope", error_description="${CLAIM_DESCRIPTION}"`,
        });
      }
    },
  );
});
