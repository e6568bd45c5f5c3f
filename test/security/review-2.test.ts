/**
 * Regression tests for the second outside review: one describe per finding,
 * each asserting behaviour that breaks if its fix is removed. They run
 * through the core verifier and, where the finding shows in requests and
 * responses, through Express and Koa behind real HTTP servers on 127.0.0.1:0
 * (supertest, or a raw socket where exact header lines matter) and Fastify
 * (`inject`, or its real listener for raw requests).
 *
 * Real servers only: the testing issuer, `createKeySetServer`, and a few
 * tiny `node:http` servers of our own where a test needs exact bytes or a
 * discovery document that changes mid-test. Nothing is mocked but the wall
 * clock (finding 3), which is the point of that finding.
 *
 * Finding 10 (the testing package's docs) is documentation only: no test.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { MAX_CANDIDATES, createVerifier } from '@jwks-auth/core';
import type { JwksAuthEvent, RequestLike, Verifier, VerifierOptions } from '@jwks-auth/core';
import { jwksAuth as expressAuth } from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import { jwksAuth as fastifyAuth } from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import { createKeySetServer, createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer, TestKey } from '@jwks-auth/testing';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import request from 'supertest';
import { AUDIENCE, omit, rawClaims, signJws } from './attack-corpus.js';
import { bearerRequest, errorOf, now, settle, sleep } from './harness.js';

// ---------------------------------------------------------------------------
// Plumbing
// ---------------------------------------------------------------------------

const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(open.splice(0).map(async (thing) => thing.close()));
});

type EntryName = 'core' | 'express' | 'koa' | 'fastify';
const ENTRIES: readonly EntryName[] = ['core', 'express', 'koa', 'fastify'];
const ADAPTERS: readonly Exclude<EntryName, 'core'>[] = ['express', 'koa', 'fastify'];

/** One outcome, the same shape whichever entry point produced it. */
interface Answer {
  status: number;
  /**
   * The `JwksAuthError` code: the core's error, or for an adapter the code of
   * the `token_rejected` event the request produced. Undefined on success.
   */
  code: string | undefined;
  /** Response headers (the error's headers for the core), lower-case names. */
  headers: Record<string, string>;
}

/** A verifier reached through one entry point. */
interface Entry {
  readonly name: EntryName;
  /** Every `onEvent` event, in order. */
  readonly events: JwksAuthEvent[];
  count(type: JwksAuthEvent['type']): number;
  /** One request carrying this Authorization value (none when undefined). */
  send(authorization?: string): Promise<Answer>;
  /** `send('Bearer ' + token)`. */
  bearer(token: string): Promise<Answer>;
  /** The core verifier, or the Express/Koa middleware's `.verifier`; Fastify's plugin exposes none. */
  readonly verifier: Verifier<never> | undefined;
  /** Port of the real HTTP listener (adapters). */
  readonly port: number | undefined;
}

type TokenRejected = Extract<JwksAuthEvent, { type: 'token_rejected' }>;

function lowerCase(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return (server.address() as AddressInfo).port;
}

/** What the routes answer: enough to see which key verified the token. */
function claimsBody(
  auth: { payload: { sub?: string | undefined }; header: { kid?: string } } | null | undefined,
) {
  return { sub: auth?.payload.sub ?? null, kid: auth?.header.kid ?? null };
}

/** Runs `request` and reads the code of the `token_rejected` event it caused. */
async function observed(
  events: JwksAuthEvent[],
  run: () => Promise<{ status: number; headers: Record<string, string> }>,
): Promise<Answer> {
  const from = events.length;
  const { status, headers } = await run();
  const rejected = events
    .slice(from)
    .filter((e): e is TokenRejected => e.type === 'token_rejected');
  return { status, headers, code: status < 400 ? undefined : rejected.at(-1)?.code };
}

/**
 * Builds a verifier on one entry point: the core `createVerifier`, or an app
 * with the adapter installed the documented way and a `GET /` route.
 */
async function startEntry(name: EntryName, options: VerifierOptions): Promise<Entry> {
  const events: JwksAuthEvent[] = [];
  const given = options.onEvent;
  const withEvents: VerifierOptions = {
    ...options,
    onEvent: (event) => {
      events.push(event);
      return given?.(event);
    },
  };
  const count = (type: JwksAuthEvent['type']) => events.filter((e) => e.type === type).length;
  const viaSupertest = (port: number) => async (authorization?: string) => {
    let req = request(`http://127.0.0.1:${port}`).get('/');
    if (authorization !== undefined) req = req.set('Authorization', authorization);
    const res = await req;
    return { status: res.status, headers: lowerCase(res.headers as Record<string, unknown>) };
  };
  let send: (authorization?: string) => Promise<Answer>;
  let verifier: Verifier<never> | undefined;
  let port: number | undefined;
  switch (name) {
    case 'core': {
      const core = createVerifier(withEvents);
      open.push(core);
      verifier = core;
      send = async (authorization) => {
        const req: RequestLike = { headers: authorization === undefined ? {} : { authorization } };
        const outcome = await settle(core.authenticate(req));
        if (outcome.ok) return { status: 200, code: undefined, headers: {} };
        const error = errorOf(outcome);
        return { status: error.status, code: error.code, headers: lowerCase(error.headers) };
      };
      break;
    }
    case 'express': {
      const app = express();
      const auth = expressAuth(withEvents as ExpressOptions);
      open.push(auth.verifier);
      verifier = auth.verifier;
      app.use(auth);
      app.get('/', (req, res) => {
        res.json(claimsBody(req.auth));
      });
      port = await listen(createServer(app));
      const http = viaSupertest(port);
      send = (authorization) => observed(events, () => http(authorization));
      break;
    }
    case 'koa': {
      const app = new Koa();
      // 503s are not "exposed" errors, so Koa would log each one to stderr.
      app.silent = true;
      const auth = koaAuth(withEvents as unknown as KoaOptions);
      open.push(auth.verifier);
      verifier = auth.verifier;
      app.use(auth);
      app.use((ctx) => {
        ctx.body = claimsBody(ctx.state.auth);
      });
      port = await listen(createServer(app.callback()));
      const http = viaSupertest(port);
      send = (authorization) => observed(events, () => http(authorization));
      break;
    }
    case 'fastify': {
      const app = Fastify({ logger: false });
      await app.register(fastifyAuth, withEvents as unknown as FastifyOptions);
      app.get('/', async (req) => claimsBody(req.auth));
      // Listening too, for the raw requests `inject` cannot express (finding 7).
      await app.listen({ port: 0, host: '127.0.0.1' });
      open.push(app);
      port = (app.server.address() as AddressInfo).port;
      send = (authorization) =>
        observed(events, async () => {
          const res = await app.inject({
            method: 'GET',
            url: '/',
            headers: authorization === undefined ? {} : { authorization },
          });
          return {
            status: res.statusCode,
            headers: lowerCase(res.headers as Record<string, unknown>),
          };
        });
      break;
    }
  }
  return {
    name,
    events,
    count,
    send,
    bearer: (token) => send(`Bearer ${token}`),
    verifier,
    port,
  };
}

/**
 * Sends exactly these header lines (plus Host and Connection: close) over a
 * raw socket: the way to put two `Authorization` lines in one request.
 */
async function rawGet(
  port: number,
  headerLines: readonly string[],
): Promise<{ status: number; headers: Record<string, string> }> {
  const socket = connect(port, '127.0.0.1');
  socket.write(
    ['GET / HTTP/1.1', 'Host: 127.0.0.1', ...headerLines, 'Connection: close', '', ''].join('\r\n'),
  );
  const chunks: Buffer[] = [];
  for await (const chunk of socket) chunks.push(chunk as Buffer);
  const head = Buffer.concat(chunks).toString('latin1').split('\r\n\r\n')[0] ?? '';
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return { status: Number(statusLine.split(' ')[1]), headers };
}

async function issuer(options: Parameters<typeof createTestIssuer>[0] = {}): Promise<TestIssuer> {
  const i = await createTestIssuer({ algorithms: ['ES256'], ...options });
  open.push(i);
  return i;
}

/** Polls `fn` until it returns true; fails after `ms`. */
async function eventually(fn: () => Promise<boolean>, ms: number, every = 20): Promise<void> {
  const start = now();
  for (;;) {
    if (await fn()) return;
    if (now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(every);
  }
}

/** `promise`, or a failure naming the limit once `ms` pass (so a hang fails fast and clearly). */
async function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

const OIDC_PATH = '/.well-known/openid-configuration';

/**
 * An issuer's metadata under our control: the OIDC discovery document names
 * `jwksUri` (changeable mid-test) or answers `discoveryStatus`; RFC 8414
 * metadata is absent (404). `/status/NNN` answers NNN to anything.
 */
interface MetadataServer {
  /** `http://127.0.0.1:PORT`, the issuer identifier in the document. */
  readonly issuer: string;
  jwksUri: string;
  discoveryStatus: number | undefined;
  /** A URL on this server that answers `status`. */
  statusUrl(status: number): string;
  /** Requests received for `path`. */
  hits(path: string): number;
}

async function metadataServer(): Promise<MetadataServer> {
  const hits = new Map<string, number>();
  const state = { jwksUri: '', discoveryStatus: undefined as number | undefined };
  let origin = '';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fixed = /^\/status\/(\d{3})$/.exec(path);
    if (fixed) return reply(Number(fixed[1]), { error: 'fixed status' });
    if (path === OIDC_PATH) {
      if (state.discoveryStatus !== undefined) {
        return reply(state.discoveryStatus, { error: 'discovery down' });
      }
      return reply(200, { issuer: origin, jwks_uri: state.jwksUri });
    }
    return reply(404, { error: 'not_found' });
  });
  origin = `http://127.0.0.1:${await listen(server)}`;
  return {
    issuer: origin,
    get jwksUri() {
      return state.jwksUri;
    },
    set jwksUri(value: string) {
      state.jwksUri = value;
    },
    get discoveryStatus() {
      return state.discoveryStatus;
    },
    set discoveryStatus(value: number | undefined) {
      state.discoveryStatus = value;
    },
    statusUrl: (status) => `${origin}/status/${status}`,
    hits: (path) => hits.get(path) ?? 0,
  };
}

/** A key set server whose body (exact bytes) can be replaced mid-test. */
async function rawKeySetServer(body: string): Promise<{ url: string; body: string }> {
  const state = { body };
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(state.body);
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    get body() {
      return state.body;
    },
    set body(value: string) {
      state.body = value;
    },
  };
}

function eventsOf<T extends JwksAuthEvent['type']>(
  events: readonly JwksAuthEvent[],
  type: T,
): Array<Extract<JwksAuthEvent, { type: T }>> {
  return events.filter((e): e is Extract<JwksAuthEvent, { type: T }> => e.type === type);
}

const HOUR = 3_600_000;

/** Steps `Date.now()` back by `ms` (restored after each test); `performance.now()` is untouched. */
function stepWallClockBack(ms: number): void {
  const real = Date.now.bind(Date);
  jest.spyOn(Date, 'now').mockImplementation(() => real() - ms);
}

// ---------------------------------------------------------------------------
// Finding 1
// ---------------------------------------------------------------------------

// Finding 1: a jwks_uri learned by discovery was kept forever. Now discovery
// runs again before a fetch after 2 consecutive failed fetches, after a 404 or
// 410, or once cacheMaxAge has passed since the last discovery (single flight,
// under the same backoff); when discovery itself fails, the last known
// jwks_uri stays in use (event `discovery_failed`).
describe('finding 1: rediscovery of a failing or moved jwks_uri', () => {
  const FAST = { backoffInitial: 50, backoffMax: 100 };

  for (const name of ENTRIES) {
    it(`[${name}] jwks_uri answering 503: after two failed fetches discovery runs again and requests pass`, async () => {
      const i = await issuer();
      const meta = await metadataServer();
      const broken = meta.statusUrl(503);
      meta.jwksUri = broken;
      const entry = await startEntry(name, {
        issuer: meta.issuer,
        audience: AUDIENCE,
        jwks: FAST,
      });
      const token = () => i.sign({ iss: meta.issuer });

      const first = await entry.bearer(await token());
      expect([first.status, first.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);

      meta.jwksUri = i.jwksUri; // the issuer corrects its metadata
      await eventually(async () => (await entry.bearer(await token())).status === 200, 3000);

      // Two failed fetches of the old URI, then discovery again, then the new URI.
      expect(meta.hits('/status/503')).toBe(2);
      expect(meta.hits(OIDC_PATH)).toBe(2);
      expect(i.requests.jwks).toBe(1);
      expect(eventsOf(entry.events, 'discovery').map((e) => e.jwksUri)).toEqual([
        broken,
        i.jwksUri,
      ]);
      expect(entry.count('jwks_fetch_failed')).toBe(2);
    });
  }

  for (const status of [404, 410]) {
    it(`[core] one fetch answered ${status}: the next attempt (after the backoff, single flight) runs discovery first`, async () => {
      const i = await issuer();
      const meta = await metadataServer();
      const gone = meta.statusUrl(status);
      meta.jwksUri = gone;
      const entry = await startEntry('core', {
        issuer: meta.issuer,
        audience: AUDIENCE,
        jwks: FAST,
      });
      const token = () => i.sign({ iss: meta.issuer });

      const first = await entry.bearer(await token());
      expect([first.status, first.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      meta.jwksUri = i.jwksUri;

      // Within the backoff: answered 503 at once, no discovery, no fetch.
      const held = await entry.bearer(await token());
      expect(held.status).toBe(503);
      expect(meta.hits(OIDC_PATH)).toBe(1);

      await sleep(FAST.backoffInitial + 40);
      const tokens = await Promise.all(Array.from({ length: 20 }, () => token()));
      const answers = await Promise.all(tokens.map((t) => entry.bearer(t)));
      expect(answers.map((a) => a.status)).toEqual(tokens.map(() => 200));

      expect(meta.hits(`/status/${status}`)).toBe(1); // not retried: rediscovered instead
      expect(meta.hits(OIDC_PATH)).toBe(2); // one rediscovery for 20 concurrent requests
      expect(i.requests.jwks).toBe(1);
    });
  }

  it('[core] discovery failing later: the last known jwks_uri keeps refreshing the keys', async () => {
    const i = await issuer();
    const meta = await metadataServer();
    meta.jwksUri = i.jwksUri;
    const entry = await startEntry('core', {
      issuer: meta.issuer,
      audience: AUDIENCE,
      // maxStaleAge 0: past cacheMaxAge a request waits for the refresh itself.
      jwks: { cacheMaxAge: 1000, maxStaleAge: 0, ...FAST },
    });
    const oldToken = await i.sign({ iss: meta.issuer });
    expect((await entry.bearer(oldToken)).status).toBe(200);
    const loadedAt = now();
    expect(meta.hits(OIDC_PATH)).toBe(1);

    meta.discoveryStatus = 500; // discovery breaks...
    const rotated = await i.rotate('ES256'); // ...and the keys rotate at the known URI
    await sleep(Math.max(0, 1100 - (now() - loadedAt))); // past cacheMaxAge

    const fresh = await entry.bearer(await i.sign({ iss: meta.issuer }));
    expect(fresh).toEqual({ status: 200, code: undefined, headers: {} });
    expect(meta.hits(OIDC_PATH)).toBe(2); // discovery was tried again (cacheMaxAge passed)
    expect(i.requests.jwks).toBe(2); // and the keys came from the last known URI
    const failed = eventsOf(entry.events, 'discovery_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.jwksUri).toBe(i.jwksUri);
    const fetches = eventsOf(entry.events, 'jwks_fetch');
    expect(fetches.map((e) => e.uri)).toEqual([i.jwksUri, i.jwksUri]);
    // The refresh really replaced the keys: the rotated-out key is refused.
    const old = await entry.bearer(await i.sign({ iss: meta.issuer }, { kid: i.keys[0]!.kid }));
    expect([old.status, old.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
    expect(rotated.kid).not.toBe(i.keys[0]!.kid);
  });
});

// ---------------------------------------------------------------------------
// Finding 2
// ---------------------------------------------------------------------------

// Finding 2: a 200 key set with no usable key after one that had keys wiped
// the good keys. Now it is a failed fetch (`jwks_fetch_failed`, backoff) and
// the last good keys keep serving. And a kid-less token that finds no key now
// refetches (under the cooldown) like an unknown kid.
describe('finding 2: a key set with no usable key is a failed fetch; kid-less tokens refetch', () => {
  const JWKS = { cooldownDuration: 100, backoffInitial: 50, backoffMax: 100 };

  /** The same scenario whatever the bad answer: keys kept, failure reported, recovery. */
  async function keysSurviveUnusableSet(
    name: EntryName,
    breakIt: (i: TestIssuer) => Promise<void>,
    healIt: (i: TestIssuer) => Promise<void>,
    refused: number | undefined,
  ): Promise<void> {
    const i = await issuer();
    const hidden = await i.addKey('ES256', { inJwks: false });
    const entry = await startEntry(name, {
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: AUDIENCE,
      jwks: JWKS,
    });
    expect((await entry.bearer(await i.sign())).status).toBe(200);
    expect(i.requests.jwks).toBe(1);

    await breakIt(i);
    await sleep(JWKS.cooldownDuration + 30);
    // An unknown kid makes the verifier refetch: it gets the unusable set.
    const unknown = await entry.bearer(await i.sign({}, { kid: hidden.kid }));
    expect([unknown.status, unknown.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
    expect(i.requests.jwks).toBe(2);
    const failed = eventsOf(entry.events, 'jwks_fetch_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error.message).toMatch(/lists no usable key/);
    if (refused !== undefined) expect(failed[0]?.error.message).toContain(`(${refused} refused)`);

    // The last good keys still verify fresh tokens (not cache hits: new jti each time).
    for (let n = 0; n < 3; n += 1) {
      expect((await entry.bearer(await i.sign())).status).toBe(200);
    }

    // The issuer heals and rotates in a second key: picked up on the next fetch.
    await healIt(i);
    const next = await i.rotate('ES256', { keepOld: true });
    await sleep(JWKS.cooldownDuration + 30);
    const rotated = await entry.bearer(await i.sign());
    expect(rotated.status).toBe(200);
    expect(i.requests.jwks).toBe(3);
    expect(eventsOf(entry.events, 'jwks_fetch').at(-1)?.keys).toBe(2);
    expect((await entry.bearer(await i.sign({}, { kid: i.keys[0]!.kid }))).status).toBe(200);
    expect(next.inJwks).toBe(true);
  }

  const es = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const rsa = { kty: 'RSA', kid: 'cut', n: 'sXch', e: 'AQAB' };
  const VARIANTS: ReadonlyArray<[string, { keys: unknown[] }, number]> = [
    ['{"keys":[]}', { keys: [] }, 0],
    ['{"keys":[{}]}', { keys: [{}] }, 1],
    [
      'a truncated key',
      { keys: [{ ...es, kid: 'truncated', alg: 'ES256', x: String(es.x).slice(0, 20) }] },
      1,
    ],
    ['garbage members', { keys: ['garbage', 42, null, [], rsa] }, 5],
  ];

  for (const [label, body, refused] of VARIANTS) {
    it(`[core] ${label} after a good set: keys kept, jwks_fetch_failed, recovery`, async () => {
      await keysSurviveUnusableSet(
        'core',
        async (i) => i.setJwksKeys(body),
        async (i) => i.resetJwks(),
        refused,
      );
    });
  }

  for (const name of ADAPTERS) {
    it(`[${name}] the issuer answers {"keys":[]} for a while: 200s on the last good keys, then recovery`, async () => {
      await keysSurviveUnusableSet(
        name,
        (i) => i.fail({ type: 'empty' }, { only: 'jwks' }),
        (i) => i.heal(),
        0,
      );
    });
  }

  for (const name of ENTRIES) {
    it(`[${name}] a kid-less token finding no key refetches once the cooldown allows`, async () => {
      const i = await issuer();
      const cooldownDuration = 300;
      // Publish only the ES256 key for now; the RS256 key arrives later.
      await i.addKey('RS256');
      i.setJwksKeys({ keys: i.jwks().keys.filter((k) => k.alg === 'ES256') });
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
        jwks: { cooldownDuration },
      });
      expect((await entry.bearer(await i.sign())).status).toBe(200);
      const loadedAt = now();
      i.resetJwks(); // the RS256 key is published

      const kidless = () => i.sign({}, { alg: 'RS256', header: { kid: undefined } });
      expect(
        JSON.parse(Buffer.from((await kidless()).split('.')[0]!, 'base64url').toString()),
      ).not.toHaveProperty('kid');
      // Within the cooldown: refused without a fetch.
      const early = await entry.bearer(await kidless());
      expect([early.status, early.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
      expect(now() - loadedAt).toBeLessThan(cooldownDuration); // (the premise of this step)
      expect(i.requests.jwks).toBe(1);

      await sleep(Math.max(0, cooldownDuration + 50 - (now() - loadedAt)));
      expect((await entry.bearer(await kidless())).status).toBe(200);
      expect(i.requests.jwks).toBe(2);
      expect(eventsOf(entry.events, 'jwks_fetch').map((e) => e.reason)).toEqual([
        'initial',
        'no_matching_key',
      ]);
      // Exactly one extra fetch: later kid-less tokens find the key.
      expect((await entry.bearer(await kidless())).status).toBe(200);
      expect(i.requests.jwks).toBe(2);
    });
  }
});

describe('finding 2 (sibling): a kid-less token no listed key verifies refetches, like an unknown kid', () => {
  // Found while testing finding 2: after a rotation within one algorithm, a
  // kid-less token from the new key found the old key, failed its signature
  // check and was refused until the scheduled refresh (8 min by default).
  for (const name of ENTRIES) {
    it(`[${name}] same-algorithm rotation: the new key's kid-less token passes after one refetch`, async () => {
      const i = await issuer();
      const cooldownDuration = 200;
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
        jwks: { cooldownDuration },
      });
      const kidless = () => i.sign({}, { header: { kid: undefined } });
      expect((await entry.bearer(await kidless())).status).toBe(200);
      const loadedAt = now();
      await i.rotate('ES256');
      const token = await kidless();
      // Within the cooldown: refused without a fetch (a flood costs nothing).
      const early = await entry.bearer(token);
      expect(now() - loadedAt).toBeLessThan(cooldownDuration); // (the premise of this step)
      expect([early.status, early.code]).toEqual([401, 'ERR_SIGNATURE_INVALID']);
      expect(i.requests.jwks).toBe(1);
      await sleep(Math.max(0, cooldownDuration + 30 - (now() - loadedAt)));
      expect((await entry.bearer(token)).status).toBe(200);
      expect(i.requests.jwks).toBe(2);
      expect(eventsOf(entry.events, 'jwks_fetch').map((e) => e.reason)).toEqual([
        'initial',
        'no_matching_key',
      ]);
      // A forged kid-less token right after costs no further fetch (cooldown).
      const [h, p] = token.split('.');
      expect(
        (await entry.bearer(`${h}.${p}.${Buffer.alloc(64, 7).toString('base64url')}`)).status,
      ).toBe(401);
      expect(i.requests.jwks).toBe(2);
    });
  }
});

// ---------------------------------------------------------------------------
// Finding 3
// ---------------------------------------------------------------------------

// Finding 3: key-set timing ran on Date.now(), so a wall clock stepped back
// froze a backoff (Retry-After ~3600) and kept an expired key set fresh.
// Key-set timing now uses performance.now(); token claims still use Date.now().
describe('finding 3: key-set timing survives a wall clock stepped back an hour', () => {
  for (const name of ENTRIES) {
    it(`[${name}] a backoff in progress ends on time (Retry-After stays small)`, async () => {
      const i = await issuer();
      await i.fail({ type: 'status', status: 503 }, { only: 'jwks' });
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
        jwks: { backoffInitial: 200, backoffMax: 400 },
      });
      const failed = await entry.bearer(await i.sign());
      expect([failed.status, failed.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      expect(Number(failed.headers['retry-after'])).toBeLessThanOrEqual(2);

      stepWallClockBack(HOUR);
      await i.heal();
      // Signed now, so its iat/exp are valid at the stepped clock.
      const held = await entry.bearer(await i.sign());
      expect(held.status).toBe(503); // still inside the 200 ms backoff
      expect(Number(held.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(Number(held.headers['retry-after'])).toBeLessThanOrEqual(2);
      expect(i.requests.jwks).toBe(1);

      await sleep(250);
      const passed = await entry.bearer(await i.sign());
      expect(passed.status).toBe(200);
      expect(i.requests.jwks).toBe(2);
    });
  }

  it('[core, express, koa, fastify] keys still expire after cacheMaxAge of real time: the removed key is refused, the new one passes', async () => {
    // All four entry points side by side, so the 1 s wait is paid once.
    const runs = await Promise.all(
      ENTRIES.map(async (name) => {
        const i = await issuer();
        const entry = await startEntry(name, {
          issuer: i.issuer,
          jwksUri: i.jwksUri,
          audience: AUDIENCE,
          // maxStaleAge 0: past cacheMaxAge a request waits for the refresh.
          jwks: { cacheMaxAge: 1000, maxStaleAge: 0 },
        });
        const oldKid = i.keys[0]!.kid;
        const oldToken = await i.sign();
        const loaded = await entry.bearer(oldToken);
        return { name, i, entry, oldKid, oldToken, loaded: loaded.status, loadedAt: now() };
      }),
    );
    for (const run of runs) await run.i.rotate('ES256'); // the old key leaves every key set
    stepWallClockBack(HOUR);

    // Before cacheMaxAge: the loaded keys are still in use (the step changed nothing).
    const before = await Promise.all(
      runs.map(async ({ name, i, entry, oldKid, oldToken }) => ({
        name,
        cachedOld: (await entry.bearer(oldToken)).status,
        freshOld: (await entry.bearer(await i.sign({}, { kid: oldKid }))).status,
        newKey: (await entry.bearer(await i.sign())).code,
      })),
    );

    const lastLoad = Math.max(...runs.map((r) => r.loadedAt));
    await sleep(Math.max(0, 1150 - (now() - lastLoad)));

    const after = await Promise.all(
      runs.map(async ({ name, i, entry, oldKid, oldToken }) => ({
        name,
        cachedOld: (await entry.bearer(oldToken)).code,
        freshOld: (await entry.bearer(await i.sign({}, { kid: oldKid }))).code,
        newKey: (await entry.bearer(await i.sign())).status,
        fetches: i.requests.jwks,
      })),
    );

    expect(runs.map((r) => [r.name, r.loaded])).toEqual(ENTRIES.map((n) => [n, 200]));
    expect(before).toEqual(
      ENTRIES.map((name) => ({ name, cachedOld: 200, freshOld: 200, newKey: 'ERR_KEY_NOT_FOUND' })),
    );
    expect(after).toEqual(
      ENTRIES.map((name) => ({
        name,
        cachedOld: 'ERR_KEY_NOT_FOUND',
        freshOld: 'ERR_KEY_NOT_FOUND',
        newKey: 200,
        fetches: 2,
      })),
    );
  });
});

// ---------------------------------------------------------------------------
// Finding 4
// ---------------------------------------------------------------------------

// Finding 4: a key with a member nested thousands deep cost a stack overflow
// at every refresh, and registered members of the wrong type were used. Such
// keys are now dropped when the key set is parsed; the rest of the set works.
describe('finding 4: deeply nested and mistyped key members are dropped at parse time', () => {
  it('[core] keys nested 6,000 deep or with mistyped members are refused; the others verify; refreshes keep working', async () => {
    const i = await issuer({ algorithms: [] });
    const good = await i.addKey('ES256', { kid: 'good', inJwks: false });
    const deepMember = await i.addKey('ES256', { kid: 'deep-member', inJwks: false });
    const deepArray = await i.addKey('ES256', { kid: 'deep-array', inJwks: false });
    const opsString = await i.addKey('ES256', { kid: 'ops-string', inJwks: false });
    const crvArray = await i.addKey('ES256', { kid: 'crv-array', inJwks: false });
    const kidNumber = await i.addKey('ES256', { kid: 'kid-number', inJwks: false });
    const later = await i.addKey('ES256', { kid: 'later', inJwks: false });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({
      format: 'jwk',
    });

    const DEPTH = 6000;
    const nestedObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
    const nestedArray = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
    const jwk = (k: TestKey) => k.publicJwk as Record<string, unknown>;
    const refusedKeys = [
      rawClaims(omit(jwk(good), 'x', 'kid'), { kid: '"deep-x"', x: nestedObject }),
      rawClaims(jwk(deepMember), { ext_data: nestedObject }),
      rawClaims(jwk(deepArray), { ext_data: nestedArray }),
      JSON.stringify({ ...rsa, kid: 'n-number', n: 123456789 }),
      JSON.stringify({ ...jwk(opsString), key_ops: 'verify' }),
      JSON.stringify({ ...jwk(crvArray), crv: ['P-256'] }),
      // Read as "no kid", this key would verify kid-less tokens.
      JSON.stringify({ ...jwk(kidNumber), kid: 7 }),
    ];
    const server = await rawKeySetServer(
      `{"keys":[${[JSON.stringify(jwk(good)), ...refusedKeys].join(',')}]}`,
    );
    expect(server.body.length).toBeGreaterThan(4 * DEPTH * 3);

    const entry = await startEntry('core', {
      issuer: i.issuer,
      jwksUri: server.url,
      audience: AUDIENCE,
      jwks: { cooldownDuration: 60_000 },
    });
    const verifier = entry.verifier!;
    const outcomes: Answer[] = [];

    const ok = await entry.bearer(await i.sign({}, { kid: good.kid }));
    expect(ok.status).toBe(200);
    for (const k of [deepMember, deepArray, opsString, crvArray]) {
      const answer = await entry.bearer(await i.sign({}, { kid: k.kid }));
      outcomes.push(answer);
      expect([k.kid, answer.status, answer.code]).toEqual([k.kid, 401, 'ERR_KEY_NOT_FOUND']);
    }
    // The kid:7 key is not a kid-less key either: only "good" is tried, and fails.
    const kidless = await entry.bearer(
      await i.sign({}, { kid: kidNumber.kid, header: { kid: undefined } }),
    );
    expect([kidless.status, kidless.code]).toEqual([401, 'ERR_SIGNATURE_INVALID']);
    // Control: the same key material published properly is accepted.
    const proper = JSON.stringify({ ...jwk(opsString), key_ops: ['verify'] });

    // A later refresh: the deep key is still listed, a new key and the control arrive.
    server.body = `{"keys":[${[
      JSON.stringify(jwk(good)),
      rawClaims(jwk(deepMember), { ext_data: nestedObject }),
      JSON.stringify(jwk(later)),
      proper,
    ].join(',')}]}`;
    await verifier.warmup();
    expect((await entry.bearer(await i.sign({}, { kid: later.kid }))).status).toBe(200);
    expect((await entry.bearer(await i.sign({}, { kid: opsString.kid }))).status).toBe(200);
    expect((await entry.bearer(await i.sign({}, { kid: good.kid }))).status).toBe(200);
    const deepAgain = await entry.bearer(await i.sign({}, { kid: deepMember.kid }));
    expect(deepAgain.code).toBe('ERR_KEY_NOT_FOUND');

    // And a clean set replaces it all.
    server.body = JSON.stringify({ keys: [jwk(later)] });
    await verifier.warmup();
    expect((await entry.bearer(await i.sign({}, { kid: later.kid }))).status).toBe(200);
    expect((await entry.bearer(await i.sign({}, { kid: good.kid }))).code).toBe(
      'ERR_KEY_NOT_FOUND',
    );

    const fetches = eventsOf(entry.events, 'jwks_fetch');
    expect(fetches.map((e) => [e.keys, e.refused])).toEqual([
      [1, refusedKeys.length],
      [3, 1],
      [1, 0],
    ]);
    expect(entry.count('jwks_fetch_failed')).toBe(0);
    for (const answer of outcomes) expect(answer.status).not.toBe(500);
  });
});

// ---------------------------------------------------------------------------
// Finding 5
// ---------------------------------------------------------------------------

// Finding 5: a kid-less token (or one whose kid the set repeats) was tried
// against every matching key. Now at most MAX_CANDIDATES (4) keys are tried,
// most recently successful first; past that the token is refused with 401
// ERR_TOO_MANY_KEYS and its own description.
describe('finding 5: at most four candidate keys, most recently successful first', () => {
  let i: TestIssuer;
  let keys: TestKey[];
  const TOO_MANY =
    `the token matches more than ${MAX_CANDIDATES} keys and none of those tried verified it; ` +
    'sign with a kid';
  const CHALLENGE = `Bearer realm="api", error="invalid_token", error_description="${TOO_MANY}"`;

  beforeAll(async () => {
    i = await createTestIssuer({ algorithms: [] });
    keys = [];
    for (let n = 0; n < 6; n += 1) {
      keys.push(await i.addKey('RS256', { jwkOverrides: { kid: undefined } }));
    }
  });
  afterAll(() => i.close());

  const key = (n: number): TestKey => keys[n - 1]!;
  const kidless = (n: number) => i.sign({}, { kid: key(n).kid, header: { kid: undefined } });
  const dup = (n: number) => i.sign({}, { kid: key(n).kid, header: { kid: 'dup' } });
  const refusedAsTooMany = (answer: Answer) => {
    expect(answer.status).toBe(401);
    expect(answer.code).toBe('ERR_TOO_MANY_KEYS');
    expect(answer.headers['www-authenticate']).toBe(CHALLENGE);
  };

  it('publishes six RS256 keys without kid (the premise)', () => {
    expect(MAX_CANDIDATES).toBe(4);
    expect(keys.map((k) => 'kid' in k.publicJwk)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  for (const name of ENTRIES) {
    it(`[${name}] six kid-less keys: tokens of keys 5 and 6 get 401 ERR_TOO_MANY_KEYS, keys 1-4 pass`, async () => {
      i.setJwksKeys({ keys: keys.map((k) => k.publicJwk) });
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
      });
      refusedAsTooMany(await entry.bearer(await kidless(5)));
      refusedAsTooMany(await entry.bearer(await kidless(6)));
      for (const n of [1, 2, 3, 4]) {
        expect([n, (await entry.bearer(await kidless(n))).status]).toEqual([n, 200]);
      }
      // Still only four tried: key 5 is never reached.
      refusedAsTooMany(await entry.bearer(await kidless(5)));
      if (name === 'core') {
        const error = errorOf(await settle(entry.verifier!.verify(await kidless(6))));
        expect(error.message).toBe(TOO_MANY);
        expect(error.error_description).toBe(TOO_MANY);
      }
    });
  }

  for (const name of ENTRIES) {
    it(`[${name}] a key that verified recently is tried first (kid-less keys 1-4, keys 5 and 6 share a kid)`, async () => {
      i.setJwksKeys({
        keys: keys.map((k, n) => (n < 4 ? k.publicJwk : { ...k.publicJwk, kid: 'dup' })),
      });
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
      });
      // Kid-less, key 6 is sixth in line: refused.
      refusedAsTooMany(await entry.bearer(await kidless(6)));
      // Under kid "dup" it is second of two: verified, and so moved to the front.
      expect((await entry.bearer(await dup(6))).status).toBe(200);
      // Now a kid-less token of key 6 passes: it is tried first...
      expect((await entry.bearer(await kidless(6))).status).toBe(200);
      // ...which pushed key 4 out of the four tried (order: 6, 1, 2, 3, 4, 5).
      refusedAsTooMany(await entry.bearer(await kidless(4)));
      expect((await entry.bearer(await kidless(1))).status).toBe(200);
      refusedAsTooMany(await entry.bearer(await kidless(5)));
    });
  }
});

describe('finding 5 (sibling): concurrent kid-less tokens with the jose engine', () => {
  // Found while testing finding 5: the jose engine awaited inside its loop
  // over the index's live list, which a concurrent success reorders
  // (promote), so a key could be skipped and a valid token refused.
  it('[core, jose engine] 40 concurrent valid tokens from four kid-less keys, 10 rounds: all pass', async () => {
    const i = await createTestIssuer({ algorithms: [] });
    open.push(i);
    const keys: TestKey[] = [];
    for (let n = 0; n < 4; n += 1) {
      keys.push(await i.addKey('ES256', { jwkOverrides: { kid: undefined } }));
    }
    i.setJwksKeys({ keys: keys.map((k) => k.publicJwk) });
    const verifier = createVerifier({
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: AUDIENCE,
      engine: 'jose',
      cache: false,
    });
    open.push(verifier);
    const tokens = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        i.sign({ n }, { kid: keys[n % 4]!.kid, header: { kid: undefined } }),
      ),
    );
    let refused = 0;
    for (let round = 0; round < 10; round += 1) {
      const outcomes = await Promise.all(tokens.map((t) => settle(verifier.verify(t))));
      refused += outcomes.filter((o) => !o.ok).length;
    }
    expect(refused).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Finding 6
// ---------------------------------------------------------------------------

// Finding 6: finding a token's candidates scanned the whole key set on every
// request. Keys are now indexed once per fetch (by alg, and by kid then alg).
// No timings here: a 10,001-key set must still give correct verdicts.
describe('finding 6: a 10,001-key set is indexed, verdicts stay correct', () => {
  it('[core] kid-less forged token refused with 401; a kid token of a key in the set passes', async () => {
    const decoy = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
      format: 'jwk',
    });
    const real = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keys: object[] = Array.from({ length: 10_000 }, (_, n) => ({
      ...decoy,
      kid: `decoy-${n}`,
      alg: 'ES256',
      use: 'sig',
    }));
    keys.splice(5000, 0, {
      ...real.publicKey.export({ format: 'jwk' }),
      kid: 'real',
      alg: 'ES256',
    });
    const server = await createKeySetServer({ keys });
    open.push(server);
    const ISSUER = 'https://issuer.example.test';
    const entry = await startEntry('core', {
      issuer: ISSUER,
      jwksUri: server.url,
      audience: AUDIENCE,
      jwks: { maxResponseBytes: 4 * 1024 * 1024 },
    });
    const verifier = entry.verifier!;
    const claims = () => ({
      iss: ISSUER,
      aud: AUDIENCE,
      iat: Math.floor(Date.now() / 1000),
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    const sign = (privateKey: typeof real.privateKey, header: Record<string, unknown>) =>
      signJws({ alg: 'ES256', privateKey }, { alg: 'ES256', ...header }, claims());
    const codeOf = async (token: string) => {
      const outcome = await settle(verifier.verify(token));
      return outcome.ok ? 'ok' : [errorOf(outcome).status, errorOf(outcome).code];
    };

    expect(await codeOf(sign(attacker.privateKey, {}))).toEqual([401, 'ERR_TOO_MANY_KEYS']);
    expect(await codeOf(sign(attacker.privateKey, { kid: 'real' }))).toEqual([
      401,
      'ERR_SIGNATURE_INVALID',
    ]);
    expect(await codeOf(sign(attacker.privateKey, { kid: 'decoy-9999' }))).toEqual([
      401,
      'ERR_SIGNATURE_INVALID',
    ]);
    expect(await codeOf(sign(real.privateKey, { kid: 'nowhere' }))).toEqual([
      401,
      'ERR_KEY_NOT_FOUND',
    ]);
    // The real key is 5,001st for a kid-less token: beyond the four tried.
    expect(await codeOf(sign(real.privateKey, {}))).toEqual([401, 'ERR_TOO_MANY_KEYS']);
    expect(await codeOf(sign(real.privateKey, { kid: 'real' }))).toBe('ok');
    expect(server.requests).toBe(1);
    expect(eventsOf(entry.events, 'jwks_fetch').map((e) => [e.keys, e.refused])).toEqual([
      [10_001, 0],
    ]);
  });
});

// ---------------------------------------------------------------------------
// Finding 7
// ---------------------------------------------------------------------------

// Finding 7: Node keeps the first of several Authorization lines while a
// proxy may act on the last. More than one line is now a 400 invalid_request.
describe('finding 7: two Authorization header lines are a 400 invalid_request', () => {
  const CHALLENGE =
    'Bearer realm="api", error="invalid_request", error_description="more than one Authorization header"';

  for (const name of ADAPTERS) {
    it(`[${name}] raw request with two Authorization lines: 400; one line: 200`, async () => {
      const i = await issuer();
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
      });
      const [a, b] = [await i.sign(), await i.sign()];
      // Both tokens valid: only the number of lines is wrong.
      for (const lines of [
        [`Authorization: Bearer ${a}`, `Authorization: Bearer ${b}`],
        [`Authorization: Bearer ${a}`, `authorization: Bearer ${a}`],
        [`authorization: Bearer ${a}`, 'X-Other: 1', `AUTHORIZATION: Bearer ${b}`],
      ]) {
        const res = await rawGet(entry.port!, lines);
        expect(res.status).toBe(400);
        expect(res.headers['www-authenticate']).toBe(CHALLENGE);
      }
      const single = await rawGet(entry.port!, [`Authorization: Bearer ${a}`]);
      expect(single.status).toBe(200);
      const rejected = eventsOf(entry.events, 'token_rejected');
      expect(rejected.map((e) => [e.status, e.code])).toEqual([
        [400, 'ERR_INVALID_REQUEST'],
        [400, 'ERR_INVALID_REQUEST'],
        [400, 'ERR_INVALID_REQUEST'],
      ]);
    });
  }

  it('[core] rawHeaders (or raw.rawHeaders, req.rawHeaders) with two Authorization lines: 400', async () => {
    const i = await issuer();
    const entry = await startEntry('core', {
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: AUDIENCE,
    });
    const verifier = entry.verifier!;
    const token = await i.sign();
    const twice = ['Authorization', `Bearer ${token}`, 'authorization', 'Bearer y'];
    const headers = { authorization: `Bearer ${token}` };
    const fastifyShaped = { headers, raw: { rawHeaders: twice } };
    const koaShaped = { headers, req: { rawHeaders: twice } };
    for (const req of [
      {
        headers: { authorization: 'Bearer x' },
        rawHeaders: ['Authorization', 'Bearer x', 'authorization', 'Bearer y'],
      },
      { headers, rawHeaders: twice },
      fastifyShaped,
      koaShaped,
    ] as RequestLike[]) {
      const error = errorOf(await settle(verifier.authenticate(req)));
      expect([error.status, error.code, error.error]).toEqual([
        400,
        'ERR_INVALID_REQUEST',
        'invalid_request',
      ]);
      expect(error.headers['WWW-Authenticate']).toBe(CHALLENGE);
    }
    const one = await settle(
      verifier.authenticate({
        headers,
        rawHeaders: ['Host', 'x', 'Authorization', `Bearer ${token}`],
      }),
    );
    expect(one.ok).toBe(true);
  });
});

// ---------------------------------------------------------------------------
// Finding 8
// ---------------------------------------------------------------------------

// Finding 8: options were accepted that weaken the verifier: plain-http key
// sources off loopback, and zero or inverted durations. They are now a
// TypeError naming the option, at construction, on every entry point.
describe('finding 8: option checks at construction', () => {
  const BASE = { issuer: 'https://id.example.com', audience: AUDIENCE };

  /** Builds the verifier on `name` with `options`; resolves the error, or undefined. */
  async function construct(name: EntryName, options: Record<string, unknown>): Promise<unknown> {
    const opts = { ...BASE, ...options } as VerifierOptions;
    try {
      switch (name) {
        case 'core':
          createVerifier(opts).close();
          return undefined;
        case 'express':
          expressAuth(opts as ExpressOptions).verifier.close();
          return undefined;
        case 'koa':
          koaAuth(opts as unknown as KoaOptions).verifier.close();
          return undefined;
        case 'fastify': {
          const app = Fastify({ logger: false });
          open.push(app);
          await app.register(fastifyAuth, opts as unknown as FastifyOptions);
          await app.ready();
          return undefined;
        }
      }
    } catch (error) {
      return error;
    }
  }

  const REFUSED: ReadonlyArray<[string, Record<string, unknown>, string]> = [
    ['jwksUri on plain http off loopback', { jwksUri: 'http://id.example.com/jwks' }, 'jwksUri'],
    ['issuer on plain http off loopback', { issuer: 'http://id.example.com' }, 'issuer'],
    [
      'issuer[].jwksUri on plain http off loopback',
      { issuer: [{ issuer: 'https://id.example.com', jwksUri: 'http://id.example.com/jwks' }] },
      'issuer[].jwksUri',
    ],
    ['a loopback look-alike host', { jwksUri: 'http://127.0.0.1.example.com/jwks' }, 'jwksUri'],
    ['a localhost look-alike host', { issuer: 'http://localhost.example.com' }, 'issuer'],
    ['jwks.cacheMaxAge 0', { jwks: { cacheMaxAge: 0 } }, 'jwks.cacheMaxAge'],
    ['jwks.cacheMaxAge below 1000', { jwks: { cacheMaxAge: 999 } }, 'jwks.cacheMaxAge'],
    ['jwks.cooldownDuration 0', { jwks: { cooldownDuration: 0 } }, 'jwks.cooldownDuration'],
    [
      'jwks.cooldownDuration below 100',
      { jwks: { cooldownDuration: 99 } },
      'jwks.cooldownDuration',
    ],
    ['jwks.backoffInitial below 10', { jwks: { backoffInitial: 9 } }, 'jwks.backoffInitial'],
    [
      'jwks.backoffMax below 10',
      { jwks: { backoffInitial: 10, backoffMax: 9 } },
      'jwks.backoffMax',
    ],
    [
      'jwks.backoffMax < jwks.backoffInitial',
      { jwks: { backoffInitial: 500, backoffMax: 100 } },
      'jwks.backoffMax',
    ],
    ['hookTimeout 0', { hookTimeout: 0 }, 'hookTimeout'],
  ];

  const ACCEPTED: ReadonlyArray<[string, Record<string, unknown>]> = [
    [
      'plain http off loopback with allowInsecureHttp',
      {
        issuer: 'http://id.example.com',
        jwksUri: 'http://id.example.com/jwks',
        allowInsecureHttp: true,
      },
    ],
    [
      'http on 127.0.0.1',
      { issuer: 'http://127.0.0.1:8080', jwksUri: 'http://127.0.0.1:8080/jwks' },
    ],
    [
      'http on localhost',
      { issuer: 'http://localhost:8080', jwksUri: 'http://localhost:8080/jwks' },
    ],
    ['http on [::1]', { issuer: 'http://[::1]:8080', jwksUri: 'http://[::1]:8080/jwks' }],
    [
      'the duration floors themselves',
      {
        jwks: { cacheMaxAge: 1000, cooldownDuration: 100, backoffInitial: 10, backoffMax: 10 },
        hookTimeout: 1,
      },
    ],
  ];

  for (const name of ENTRIES) {
    it(`[${name}] refused with a TypeError naming the option`, async () => {
      for (const [label, options, option] of REFUSED) {
        const error = await construct(name, options);
        expect([label, error instanceof TypeError]).toEqual([label, true]);
        expect([label, (error as Error).message]).toEqual([
          label,
          expect.stringContaining(`"${option}" option`),
        ]);
      }
    });

    it(`[${name}] accepted: allowInsecureHttp, loopback http, values at the floors`, async () => {
      for (const [label, options] of ACCEPTED) {
        expect([label, await construct(name, options)]).toEqual([label, undefined]);
      }
    });
  }

  it('[core] discovery handing out a plain-http jwks_uri off loopback is refused unless allowInsecureHttp', async () => {
    const meta = await metadataServer();
    meta.jwksUri = 'http://id.example.com/jwks';
    const i = await issuer();
    const token = await i.sign({ iss: meta.issuer });
    // A real fetch that keeps every request on this machine and records the rest.
    const elsewhere: string[] = [];
    const loopbackOnly: typeof fetch = (input, init) => {
      const url = input instanceof Request ? input.url : String(input);
      if (new URL(url).hostname !== '127.0.0.1') {
        elsewhere.push(url);
        return Promise.reject(new Error('the test keeps traffic on 127.0.0.1'));
      }
      return fetch(input, init);
    };
    const strict = await startEntry('core', {
      issuer: meta.issuer,
      audience: AUDIENCE,
      jwks: { fetch: loopbackOnly },
    });
    const refused = await strict.bearer(token);
    expect([refused.status, refused.code]).toEqual([503, 'ERR_DISCOVERY_FAILED']);
    const cause = errorOf(await settle(strict.verifier!.warmup().then(() => undefined))).cause;
    expect(String((cause as Error | undefined)?.message)).toMatch(/disallowed scheme http:/);
    expect(elsewhere).toEqual([]);

    const insecure = await startEntry('core', {
      issuer: meta.issuer,
      audience: AUDIENCE,
      allowInsecureHttp: true,
      jwks: { fetch: loopbackOnly },
    });
    const tried = await insecure.bearer(token);
    expect([tried.status, tried.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
    expect(elsewhere).toEqual(['http://id.example.com/jwks']);
  });
});

// ---------------------------------------------------------------------------
// Finding 9
// ---------------------------------------------------------------------------

// Finding 9: an async getToken or isRevoked that never settled held the
// request forever; and close() left the verifier usable. Hooks now run under
// hookTimeout (503 ERR_HOOK_FAILED), and after close() every call fails with
// 503 ERR_VERIFIER_CLOSED, cached tokens included.
describe('finding 9: hook deadlines and a final close()', () => {
  const HOOK_TIMEOUT = 200;
  const never = <T>() => new Promise<T>(() => undefined);

  for (const name of ENTRIES) {
    for (const hook of ['getToken', 'isRevoked'] as const) {
      it(`[${name}] ${hook} that never settles: 503 ERR_HOOK_FAILED after hookTimeout`, async () => {
        const i = await issuer();
        const entry = await startEntry(name, {
          issuer: i.issuer,
          jwksUri: i.jwksUri,
          audience: AUDIENCE,
          hookTimeout: HOOK_TIMEOUT,
          ...(hook === 'getToken' ? { getToken: () => never<string>() } : {}),
          ...(hook === 'isRevoked' ? { isRevoked: () => never<boolean>() } : {}),
        });
        const token = await i.sign();
        if (hook === 'isRevoked') await entry.verifier?.warmup(); // keys ready: time the hook only
        for (let attempt = 0; attempt < 2; attempt += 1) {
          // The second attempt of isRevoked is a token-cache hit: still under the deadline.
          const started = now();
          const answer = await within(2500, entry.bearer(token));
          const ms = now() - started;
          expect([answer.status, answer.code]).toEqual([503, 'ERR_HOOK_FAILED']);
          expect(answer.headers['retry-after']).toBe('1');
          // The configured deadline, not the 3000 ms default, and not at once.
          expect(ms).toBeGreaterThanOrEqual(HOOK_TIMEOUT - 50);
          expect(ms).toBeLessThan(2500);
        }
      });
    }
  }

  it('[core] after close() verify, authenticate, handle and warmup fail with 503 ERR_VERIFIER_CLOSED, cached token included', async () => {
    const i = await issuer();
    const entry = await startEntry('core', {
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: AUDIENCE,
    });
    const verifier = entry.verifier!;
    const token = await i.sign();
    expect((await settle(verifier.verify(token))).ok).toBe(true); // now cached
    expect(verifier.handle(bearerRequest(token))).not.toBeInstanceOf(Promise); // a sync cache hit
    verifier.close();

    let thrown: unknown;
    try {
      verifier.handle(bearerRequest(token));
    } catch (error) {
      thrown = error;
    }
    const errors = [
      errorOf({ ok: false, error: thrown }),
      errorOf(await settle(verifier.verify(token))),
      errorOf(await settle(verifier.authenticate(bearerRequest(token)))),
      errorOf(await settle(verifier.authenticate({ headers: {} }))),
      errorOf(await settle(verifier.warmup().then(() => undefined))),
    ];
    expect(errors.map((e) => [e.status, e.code])).toEqual(
      errors.map(() => [503, 'ERR_VERIFIER_CLOSED']),
    );
    expect(i.requests.jwks).toBe(1);
  });

  for (const name of ['express', 'koa'] as const) {
    it(`[${name}] after middleware.verifier.close(): 503 ERR_VERIFIER_CLOSED for a cached token, warmup rejects`, async () => {
      const i = await issuer();
      const entry = await startEntry(name, {
        issuer: i.issuer,
        jwksUri: i.jwksUri,
        audience: AUDIENCE,
      });
      const token = await i.sign();
      expect((await entry.bearer(token)).status).toBe(200);
      expect((await entry.bearer(token)).status).toBe(200); // served from the token cache
      entry.verifier!.close();
      for (const answer of [
        await entry.bearer(token),
        await entry.bearer(await i.sign()),
        await entry.send(),
      ]) {
        expect([answer.status, answer.code]).toEqual([503, 'ERR_VERIFIER_CLOSED']);
      }
      const warm = errorOf(await settle(entry.verifier!.warmup().then(() => undefined)));
      expect([warm.status, warm.code]).toEqual([503, 'ERR_VERIFIER_CLOSED']);
      expect(i.requests.jwks).toBe(1);
    });
  }

  it('[fastify] app.close() closes the plugin verifier: a key set request in flight is aborted', async () => {
    const i = await issuer();
    await i.fail({ type: 'hang' }, { only: 'jwks' });
    const events: JwksAuthEvent[] = [];
    const app = Fastify({ logger: false });
    await app.register(fastifyAuth, {
      issuer: i.issuer,
      jwksUri: i.jwksUri,
      audience: AUDIENCE,
      jwks: { timeoutDuration: 10_000 },
      onEvent: (e) => events.push(e),
    } as FastifyOptions);
    app.get('/', async () => ({ ok: true }));
    await app.ready();
    const started = now();
    const pending = app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${await i.sign()}` },
    });
    await i.waitForRequests('jwks', 1);
    await app.close();
    // Aborted by close(), long before timeoutDuration (10 s).
    const res = await within(3000, pending);
    expect(res.statusCode).toBe(503);
    expect(now() - started).toBeLessThan(3000);
    const failed = eventsOf(events, 'jwks_fetch_failed');
    expect(failed).toHaveLength(1);
    await i.heal();
  });
});
