/**
 * The identity provider misbehaves; the verifier fails closed (503 with
 * Retry-After, never 200 without a key, never a crash) and keeps serving
 * valid tokens while it can (stale keys, backoff, single flight, cooldown).
 *
 * Real servers only: the testing issuer's fault modes on 127.0.0.1:0, and a
 * few purpose-built servers (endless stream, redirect).
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import type { JwksAuthEvent, Verifier, VerifierOptions } from '@jwks-auth/core';
import { createKeySetServer, createTestIssuer } from '@jwks-auth/testing';
import type { KeySetServer, TestIssuer } from '@jwks-auth/testing';
import { AUDIENCE, signJws } from './attack-corpus.js';
import { bearerRequest, errorOf, now, settle, sleep, startAdapter } from './harness.js';
import type { AdapterApp } from './harness.js';

const open: Array<{ close(): unknown }> = [];
const scenarios: Array<{ name: string; layer: 'core' | 'adapter' }> = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map(async (thing) => thing.close()));
});

afterAll(() => {
  const core = scenarios.filter((s) => s.layer === 'core').length;
  console.log(
    `[security] key-set fault scenarios: ${scenarios.length} (core ${core}, adapter ${scenarios.length - core})`,
  );
});

/** Registers a scenario (counted and printed). */
function scenario(
  layer: 'core' | 'adapter',
  name: string,
  fn: () => Promise<void>,
  timeout = 20_000,
) {
  scenarios.push({ name, layer });
  it(`[${layer}] ${name}`, fn, timeout);
}

async function issuer(): Promise<TestIssuer> {
  const i = await createTestIssuer({ algorithms: ['ES256'] });
  open.push(i);
  return i;
}

interface Tracked {
  verifier: Verifier;
  events: JwksAuthEvent[];
  count(type: JwksAuthEvent['type']): number;
}

function verifierFor(
  i: TestIssuer,
  extra: Partial<VerifierOptions> = {},
  discover = false,
): Tracked {
  const events: JwksAuthEvent[] = [];
  const verifier = createVerifier({
    issuer: i.issuer,
    audience: AUDIENCE,
    ...(discover ? {} : { jwksUri: i.jwksUri }),
    ...extra,
    onEvent: (event) => events.push(event),
  });
  open.push(verifier);
  return { verifier, events, count: (type) => events.filter((e) => e.type === type).length };
}

async function adapterFor(i: TestIssuer, jwks: VerifierOptions['jwks']): Promise<AdapterApp> {
  const app = await startAdapter('fastify', {
    issuer: i.issuer,
    audience: AUDIENCE,
    jwksUri: i.jwksUri,
    ...(jwks === undefined ? {} : { jwks }),
  });
  open.push(app);
  return app;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = now();
  const value = await fn();
  return [value, now() - start];
}

/** Polls `fn` until it returns true or `ms` pass; returns the elapsed time. */
async function eventually(fn: () => Promise<boolean>, ms: number, every = 20): Promise<number> {
  const start = now();
  for (;;) {
    if (await fn()) return now() - start;
    if (now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await sleep(every);
  }
}

/**
 * Most fetch attempts a backoff schedule allows within `windowMs`: one, then
 * one more each time the next delay (initial·2^k, capped) fits.
 */
function maxAttempts(windowMs: number, initial: number, max: number): number {
  let attempts = 1;
  let elapsed = 0;
  for (let k = 0; ; k += 1) {
    elapsed += Math.min(max, initial * 2 ** k);
    if (elapsed > windowMs) return attempts;
    attempts += 1;
  }
}

async function listenOn(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const FAST_BACKOFF = { backoffInitial: 200, backoffMax: 400, timeoutDuration: 1000 };

describe('key set down at start-up', () => {
  scenario(
    'core',
    'connection refused: 503 fast with Retry-After, then recovery without a restart',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'refuse' });
      const { verifier, count } = verifierFor(i, { jwks: FAST_BACKOFF });

      const [first, ms] = await timed(() => settle(verifier.authenticate(bearerRequest(token))));
      const error = errorOf(first);
      expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      expect(error.headers['WWW-Authenticate']).toBeUndefined();
      expect(ms).toBeLessThan(500);

      // While backing off, requests are answered 503 at once, without a fetch.
      const failuresBefore = count('jwks_fetch_failed');
      const [again, ms2] = await timed(() => settle(verifier.authenticate(bearerRequest(token))));
      expect(errorOf(again).status).toBe(503);
      expect(ms2).toBeLessThan(150);
      expect(count('jwks_fetch_failed')).toBe(failuresBefore);
      expect(count('jwks_backoff')).toBeGreaterThanOrEqual(1);

      await i.heal();
      await eventually(
        async () => (await settle(verifier.authenticate(bearerRequest(token)))).ok,
        2000,
      );
      expect(count('jwks_fetch')).toBe(1);
    },
  );

  scenario('core', 'HTTP 500 from the JWKS: 503, then recovery', async () => {
    const i = await issuer();
    const token = await i.sign();
    await i.fail({ type: 'status', status: 500 }, { only: 'jwks' });
    const { verifier } = verifierFor(i, { jwks: FAST_BACKOFF });
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
    expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
    await i.heal();
    await eventually(
      async () => (await settle(verifier.authenticate(bearerRequest(token)))).ok,
      2000,
    );
  });

  scenario(
    'core',
    'discovery down (no jwksUri): 503 ERR_DISCOVERY_FAILED, then recovery',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'status', status: 500 }, { only: 'discovery' });
      const { verifier } = verifierFor(i, { jwks: FAST_BACKOFF }, true);
      const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
      expect([error.status, error.code]).toEqual([503, 'ERR_DISCOVERY_FAILED']);
      expect(i.requests.jwks).toBe(0);
      await i.heal();
      await eventually(
        async () => (await settle(verifier.authenticate(bearerRequest(token)))).ok,
        2000,
      );
      expect(i.requests.jwks).toBe(1);
    },
  );

  scenario(
    'adapter',
    'fastify: 503 with Retry-After while the key set is down, 200 once it is back',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'status', status: 503 }, { only: 'jwks' });
      const app = await adapterFor(i, FAST_BACKOFF);
      const res = await app.get(`Bearer ${token}`);
      expect(res.status).toBe(503);
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(res.body).not.toContain(token.split('.')[2]!);
      await i.heal();
      await eventually(async () => (await app.get(`Bearer ${token}`)).status === 200, 2000);
    },
  );
});

describe('key set down after warm-up', () => {
  scenario(
    'core',
    'stale keys keep valid tokens passing; refetches bounded by the backoff schedule',
    async () => {
      const i = await issuer();
      const jwks = {
        cacheMaxAge: 1000,
        maxStaleAge: 10_000,
        backoffInitial: 100,
        backoffMax: 400,
        timeoutDuration: 500,
      };
      const { verifier, count } = verifierFor(i, { cache: false, jwks });
      await verifier.warmup();
      const token = await i.sign();
      i.resetCounts();
      await i.fail({ type: 'status', status: 503 }, { only: 'jwks' });

      const OUTAGE_MS = 2000;
      const start = now();
      let passed = 0;
      while (now() - start < OUTAGE_MS) {
        const outcome = await settle(verifier.authenticate(bearerRequest(token)));
        if (!outcome.ok) throw new Error(`rejected during the outage: ${String(outcome.error)}`);
        passed += 1;
        await sleep(5);
      }
      const attempts = i.requests.jwks;
      const bound = maxAttempts(OUTAGE_MS, jwks.backoffInitial, jwks.backoffMax);
      console.log(
        `[security] outage ${OUTAGE_MS} ms: ${passed} requests passed on stale keys; ` +
          `${attempts} refetch attempts (backoff bound ${bound})`,
      );
      expect(attempts).toBeGreaterThanOrEqual(3);
      expect(attempts).toBeLessThanOrEqual(bound);
      expect(count('jwks_fetch_failed')).toBe(attempts);
      expect(count('jwks_stale')).toBeGreaterThanOrEqual(1);

      // Recovery: the next scheduled attempt succeeds, within one backoffMax.
      await i.heal();
      const fetchesBefore = count('jwks_fetch');
      const recovered = await eventually(async () => {
        await settle(verifier.authenticate(bearerRequest(token)));
        return count('jwks_fetch') > fetchesBefore;
      }, jwks.backoffMax + 1000);
      expect(recovered).toBeLessThan(jwks.backoffMax + 1000);
    },
  );

  scenario(
    'core',
    'past cacheMaxAge + maxStaleAge the verifier fails closed with 503, then recovers',
    async () => {
      const i = await issuer();
      const jwks = {
        cacheMaxAge: 1000,
        maxStaleAge: 300,
        backoffInitial: 100,
        backoffMax: 200,
        timeoutDuration: 500,
      };
      const { verifier } = verifierFor(i, { cache: false, jwks });
      await verifier.warmup();
      const fetchedAt = now();
      const token = await i.sign();
      await i.fail({ type: 'refuse' });

      await sleep(Math.max(0, 1100 - (now() - fetchedAt)));
      expect(await settle(verifier.authenticate(bearerRequest(token)))).toMatchObject({ ok: true });

      await sleep(Math.max(0, 1500 - (now() - fetchedAt)));
      const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
      expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      expect(Number(error.headers['Retry-After'])).toBeGreaterThanOrEqual(1);

      await i.heal();
      await eventually(
        async () => (await settle(verifier.authenticate(bearerRequest(token)))).ok,
        2000,
      );
    },
  );

  scenario(
    'core',
    'a hung refresh never delays requests served from fresh-enough keys',
    async () => {
      const i = await issuer();
      const { verifier } = verifierFor(i, {
        cache: false,
        jwks: { cacheMaxAge: 1000, maxStaleAge: 10_000, timeoutDuration: 3000 },
      });
      await verifier.warmup();
      const token = await i.sign();
      await i.fail({ type: 'hang' }, { only: 'jwks' });
      await sleep(1050); // past cacheMaxAge: every request now wants a refresh
      let slowest = 0;
      for (let n = 0; n < 50; n += 1) {
        const [outcome, ms] = await timed(() =>
          settle(verifier.authenticate(bearerRequest(token))),
        );
        expect(outcome.ok).toBe(true);
        slowest = Math.max(slowest, ms);
        await sleep(5);
      }
      // Warm-up plus one background refresh, still hanging: single flight.
      await i.waitForRequests('jwks', 2, 1000);
      expect(i.requests.jwks).toBe(2);
      expect(slowest).toBeLessThan(150);
      await i.heal();
    },
  );
});

describe('slow key set', () => {
  for (const mode of [{ type: 'slow', delayMs: 5000 } as const, { type: 'hang' } as const]) {
    scenario(
      'core',
      `${mode.type}: answered 503 within timeoutDuration plus a margin`,
      async () => {
        const i = await issuer();
        const token = await i.sign();
        await i.fail(mode, { only: 'jwks' });
        const timeoutDuration = 300;
        const { verifier } = verifierFor(i, { jwks: { ...FAST_BACKOFF, timeoutDuration } });
        const [outcome, ms] = await timed(() =>
          settle(verifier.authenticate(bearerRequest(token))),
        );
        const error = errorOf(outcome);
        expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
        expect(String((error.cause as Error | undefined)?.message)).toMatch(/timed out/);
        expect(ms).toBeGreaterThanOrEqual(timeoutDuration - 20);
        expect(ms).toBeLessThan(timeoutDuration + 400);
        await i.heal();
      },
    );
  }

  scenario(
    'core',
    'slow discovery: each of the two metadata URLs gets timeoutDuration, so ≤ 2× plus a margin',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'hang' }, { only: 'discovery' });
      const timeoutDuration = 250;
      const { verifier } = verifierFor(i, { jwks: { ...FAST_BACKOFF, timeoutDuration } }, true);
      const [outcome, ms] = await timed(() => settle(verifier.authenticate(bearerRequest(token))));
      expect(errorOf(outcome).code).toBe('ERR_DISCOVERY_FAILED');
      expect(ms).toBeLessThan(2 * timeoutDuration + 400);
      await i.heal();
    },
  );
});

describe('garbage and oversized responses', () => {
  scenario('core', 'non-JSON body (HTML error page): 503, no crash, recovery', async () => {
    const i = await issuer();
    const token = await i.sign();
    await i.fail({ type: 'garbage' }, { only: 'jwks' });
    const { verifier } = verifierFor(i, { jwks: FAST_BACKOFF });
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
    expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
    expect(String((error.cause as Error | undefined)?.message)).toMatch(/did not return JSON/);
    await i.heal();
    await eventually(
      async () => (await settle(verifier.authenticate(bearerRequest(token)))).ok,
      2000,
    );
  });

  scenario(
    'core',
    'oversized (2 MiB, Content-Length declared): refused by maxResponseBytes with 503',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'oversized', bytes: 2 * 1024 * 1024 }, { only: 'jwks' });
      const { verifier } = verifierFor(i, {
        jwks: { ...FAST_BACKOFF, maxResponseBytes: 64 * 1024 },
      });
      const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
      expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      expect(String((error.cause as Error | undefined)?.message)).toMatch(
        /larger than 65536 bytes/,
      );
      // Control: the same padded key set under the limit is accepted (only size mattered).
      await i.fail({ type: 'oversized', bytes: 32 * 1024 }, { only: 'jwks' });
      const small = verifierFor(i, { jwks: { ...FAST_BACKOFF, maxResponseBytes: 64 * 1024 } });
      expect(await settle(small.verifier.authenticate(bearerRequest(token)))).toMatchObject({
        ok: true,
      });
    },
  );

  scenario(
    'core',
    'endless chunked body without Content-Length: cut at maxResponseBytes, 503',
    async () => {
      let sent = 0;
      let aborted = false;
      const server = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"keys":[],"x":"');
        const chunk = 'x'.repeat(16 * 1024);
        const timer = setInterval(() => {
          sent += chunk.length;
          res.write(chunk);
        }, 1);
        res.on('close', () => {
          aborted = true;
          clearInterval(timer);
        });
      });
      const base = await listenOn(server);
      const events: JwksAuthEvent[] = [];
      const verifier = createVerifier({
        issuer: 'https://issuer.example.test',
        jwksUri: `${base}/jwks`,
        audience: AUDIENCE,
        jwks: { ...FAST_BACKOFF, maxResponseBytes: 256 * 1024, timeoutDuration: 5000 },
        onEvent: (e) => events.push(e),
      });
      open.push(verifier);
      const [outcome, ms] = await timed(() => settle(verifier.warmup().then(() => undefined)));
      expect(errorOf(outcome).status).toBe(503);
      expect(ms).toBeLessThan(3000);
      await eventually(async () => aborted, 1000);
      // The client stopped reading soon after the limit (socket buffers aside).
      expect(sent).toBeLessThan(8 * 1024 * 1024);
      const failed = events.find((e) => e.type === 'jwks_fetch_failed');
      expect(failed?.type === 'jwks_fetch_failed' && failed.error.message).toMatch(/larger than/);
    },
  );

  for (const [label, body] of [
    ['a JSON array', '[]'],
    ['"keys" not an array', '{"keys":"nope"}'],
    ['empty body', ''],
    ['JSON null', 'null'],
  ] as const) {
    scenario('core', `key set that is ${label}: 503`, async () => {
      const server: KeySetServer = await createKeySetServer(body);
      open.push(server);
      const verifier = createVerifier({
        issuer: 'https://issuer.example.test',
        jwksUri: server.url,
        audience: AUDIENCE,
        jwks: FAST_BACKOFF,
      });
      open.push(verifier);
      const error = errorOf(await settle(verifier.warmup().then(() => undefined)));
      expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
    });
  }

  scenario(
    'core',
    'an empty key set ({"keys": []}) is a valid answer: 401 ERR_KEY_NOT_FOUND, not 503',
    async () => {
      const i = await issuer();
      const token = await i.sign();
      await i.fail({ type: 'empty' }, { only: 'jwks' });
      const { verifier } = verifierFor(i, { jwks: FAST_BACKOFF });
      const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
      expect([error.status, error.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
    },
  );

  scenario(
    'core',
    'a redirect is not followed (the configured URL is the one trusted): 503, target never contacted',
    async () => {
      const attacker = await createKeySetServer({ keys: [] });
      open.push(attacker);
      const server = createServer((_req, res) => {
        res.writeHead(302, { location: attacker.url });
        res.end();
      });
      const base = await listenOn(server);
      const verifier = createVerifier({
        issuer: 'https://issuer.example.test',
        jwksUri: `${base}/jwks`,
        audience: AUDIENCE,
        jwks: FAST_BACKOFF,
      });
      open.push(verifier);
      const error = errorOf(await settle(verifier.warmup().then(() => undefined)));
      expect([error.status, error.code]).toEqual([503, 'ERR_JWKS_UNAVAILABLE']);
      expect(attacker.requests).toBe(0);
    },
  );
});

describe('key rotation', () => {
  scenario(
    'core',
    'new kid accepted after exactly one refetch; removed kid rejected after the refresh',
    async () => {
      const i = await issuer();
      const { verifier } = verifierFor(i, { jwks: { cooldownDuration: 100 } });
      const oldToken = await i.sign();
      expect(await settle(verifier.authenticate(bearerRequest(oldToken)))).toMatchObject({
        ok: true,
      });
      expect(i.requests.jwks).toBe(1);
      await sleep(150); // past the cooldown that the first fetch started

      const next = await i.rotate('ES256'); // the old key leaves the key set
      const newToken = await i.sign();
      const accepted = await settle(verifier.authenticate(bearerRequest(newToken)));
      expect(accepted).toMatchObject({ ok: true });
      if (accepted.ok) expect(accepted.result?.header.kid).toBe(next.kid);
      expect(i.requests.jwks).toBe(2);

      // The old token was cached as verified; the refresh dropped its key.
      const error = errorOf(await settle(verifier.authenticate(bearerRequest(oldToken))));
      expect([error.status, error.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
      // Still valid, still fast: no extra fetch.
      expect(await settle(verifier.authenticate(bearerRequest(newToken)))).toMatchObject({
        ok: true,
      });
      expect(i.requests.jwks).toBe(2);
    },
  );

  scenario('core', 'rotation keeping the old key: both kids accepted, one refetch', async () => {
    const i = await issuer();
    const { verifier } = verifierFor(i, { jwks: { cooldownDuration: 100 } });
    const oldToken = await i.sign();
    await verifier.warmup();
    await sleep(150);
    await i.rotate('ES256', { keepOld: true });
    const newToken = await i.sign();
    expect(await settle(verifier.authenticate(bearerRequest(newToken)))).toMatchObject({
      ok: true,
    });
    expect(await settle(verifier.authenticate(bearerRequest(oldToken)))).toMatchObject({
      ok: true,
    });
    expect(i.requests.jwks).toBe(2);
  });

  scenario('core', 'within the cooldown a new kid waits (401) instead of refetching', async () => {
    const i = await issuer();
    const { verifier } = verifierFor(i, { jwks: { cooldownDuration: 60_000 } });
    await verifier.warmup();
    await i.rotate('ES256');
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(await i.sign()))));
    expect([error.status, error.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
    expect(i.requests.jwks).toBe(1);
  });
});

describe('thundering herd', () => {
  const N = 500;

  scenario(
    'core',
    `${N} concurrent requests bearing a new kid cause exactly one fetch`,
    async () => {
      const i = await issuer();
      const { verifier } = verifierFor(i, { jwks: { cooldownDuration: 100 } });
      await verifier.warmup();
      await sleep(110); // past the cooldown the warm-up started
      await i.rotate('ES256', { keepOld: true });
      const tokens = await Promise.all(Array.from({ length: N }, (_, n) => i.sign({ n })));
      i.resetCounts();
      const outcomes = await Promise.all(
        tokens.map((t) => settle(verifier.authenticate(bearerRequest(t)))),
      );
      expect(outcomes.filter((o) => o.ok).length).toBe(N);
      expect(i.requests.jwks).toBe(1);
    },
  );

  scenario('core', `${N} concurrent requests at a cold start cause exactly one fetch`, async () => {
    const i = await issuer();
    const { verifier } = verifierFor(i);
    const tokens = await Promise.all(Array.from({ length: N }, (_, n) => i.sign({ n })));
    const outcomes = await Promise.all(
      tokens.map((t) => settle(verifier.authenticate(bearerRequest(t)))),
    );
    expect(outcomes.filter((o) => o.ok).length).toBe(N);
    expect(i.requests.jwks).toBe(1);
  });

  scenario(
    'adapter',
    `fastify: ${N} concurrent requests bearing a new kid cause exactly one fetch`,
    async () => {
      const i = await issuer();
      const app = await adapterFor(i, { cooldownDuration: 100 });
      expect((await app.get(`Bearer ${await i.sign()}`)).status).toBe(200);
      await sleep(110); // past the cooldown the first fetch started
      await i.rotate('ES256', { keepOld: true });
      const tokens = await Promise.all(Array.from({ length: N }, (_, n) => i.sign({ n })));
      i.resetCounts();
      const responses = await Promise.all(tokens.map((t) => app.get(`Bearer ${t}`)));
      expect(responses.filter((r) => r.status === 200).length).toBe(N);
      expect(i.requests.jwks).toBe(1);
    },
  );

  scenario(
    'core',
    'a flood of random unknown kids: at most one fetch per cooldown, known kids keep passing',
    async () => {
      const i = await issuer();
      const cooldownDuration = 300;
      const { verifier } = verifierFor(i, { jwks: { cooldownDuration } });
      await verifier.warmup();
      const good = await i.sign();
      const signer = i.keys[0]!;
      // Random kids on tokens the real key signed: only the kid is wrong.
      const bogus = await Promise.all(
        Array.from({ length: 200 }, (_, n) =>
          i.sign({ n }, { header: { kid: `rnd-${n}-${Math.random()}` } }),
        ),
      );
      expect(signer.kid).not.toMatch(/^rnd-/);
      i.resetCounts();
      const FLOOD_MS = 1500;
      const start = now();
      let rejected = 0;
      let passed = 0;
      let round = 0;
      while (now() - start < FLOOD_MS) {
        const batch = bogus.slice((round * 20) % 200, ((round * 20) % 200) + 20);
        round += 1;
        const results = await Promise.all([
          ...batch.map((t) => settle(verifier.authenticate(bearerRequest(t)))),
          settle(verifier.authenticate(bearerRequest(good))),
        ]);
        const last = results.pop()!;
        expect(last.ok).toBe(true);
        passed += 1;
        for (const r of results) {
          expect(errorOf(r).code).toBe('ERR_KEY_NOT_FOUND');
          rejected += 1;
        }
        await sleep(2);
      }
      const bound = Math.ceil(FLOOD_MS / cooldownDuration) + 1;
      console.log(
        `[security] unknown-kid flood ${FLOOD_MS} ms: ${rejected} rejected, ${passed} valid passed, ` +
          `${i.requests.jwks} fetches (bound ${bound})`,
      );
      expect(i.requests.jwks).toBeGreaterThanOrEqual(1);
      expect(i.requests.jwks).toBeLessThanOrEqual(bound);
    },
  );
});

describe('bloated key set (the IdP publishes thousands of keys)', () => {
  // Without a kid (or with a kid the key set repeats), every key usable for
  // the alg is a candidate and each costs one signature check, synchronously
  // with the node engine. A key set of 1,000 EC keys fits well under the
  // default maxResponseBytes (512 KiB), so a forged token would cost ~1,000
  // ECDSA verifications, blocking the event loop for ~100 ms. Per-request
  // work must stay bounded whatever the key set holds.
  scenario(
    'core',
    'a forged token costs bounded work against a 1,000-key set (kid absent or repeated)',
    async () => {
      const KEYS = 1000;
      const published = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({
        format: 'jwk',
      });
      const keys = Array.from({ length: KEYS }, (_, n) => ({
        ...published,
        kid: n % 2 === 0 ? `k${n}` : 'repeated',
        alg: 'ES256',
        use: 'sig',
      }));
      const server = await createKeySetServer({ keys });
      open.push(server);
      const verifier = createVerifier({
        issuer: 'https://issuer.example.test',
        jwksUri: server.url,
        audience: AUDIENCE,
        cache: false,
      });
      open.push(verifier);
      await verifier.warmup();
      const attacker = {
        alg: 'ES256',
        privateKey: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      };
      const claims = {
        iss: 'https://issuer.example.test',
        aud: AUDIENCE,
        exp: Math.floor(Date.now() / 1000) + 60,
      };
      const costs: Record<string, number> = {};
      for (const [label, header] of [
        ['kid present', { alg: 'ES256', kid: 'k0' }],
        ['kid absent', { alg: 'ES256' }],
        ['kid repeated', { alg: 'ES256', kid: 'repeated' }],
      ] as const) {
        const token = signJws(attacker, header, claims);
        await settle(verifier.verify(token)); // key imports happen once, not per request
        const runs: number[] = [];
        for (let n = 0; n < 7; n += 1) {
          const [outcome, ms] = await timed(() => settle(verifier.verify(token)));
          expect(errorOf(outcome).status).toBe(401);
          runs.push(ms);
        }
        costs[label] = runs.sort((a, b) => a - b)[3]!;
      }
      console.log(
        `[security] forged token vs ${KEYS}-key set, median ms: ${JSON.stringify(costs)}`,
      );
      expect(costs['kid present']).toBeLessThan(20);
      expect(costs['kid absent']).toBeLessThan(20);
      expect(costs['kid repeated']).toBeLessThan(20);
    },
  );
});
