import { afterEach, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { createVerifier } from '@jwks-auth/core';
import type { JwksAuthEvent, Verifier, VerifierOptions } from '@jwks-auth/core';

const AUD = 'https://api.example.test';
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function issuerFor(
  options: Parameters<typeof createTestIssuer>[0] = {},
): Promise<TestIssuer> {
  const issuer = await createTestIssuer(options);
  cleanup.push(() => issuer.close());
  return issuer;
}

function verifierFor(
  issuer: TestIssuer,
  options: Partial<VerifierOptions> = {},
  discover = false,
): Verifier {
  const v = createVerifier({
    issuer: issuer.issuer,
    audience: AUD,
    ...(discover ? {} : { jwksUri: issuer.jwksUri }),
    cache: false,
    ...options,
  } as VerifierOptions);
  cleanup.push(() => v.close());
  return v;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RemoteKeySet', () => {
  it('fetches once however many requests arrive together (single flight)', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const tokens = await Promise.all(Array.from({ length: 50 }, () => issuer.sign({})));
    const results = await Promise.all(tokens.map((t) => v.verify(t)));
    expect(results).toHaveLength(50);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('refetches on an unknown kid at most once per cooldown', async () => {
    const issuer = await issuerFor({ algorithms: ['ES256'] });
    const v = verifierFor(issuer, { jwks: { cooldownDuration: 1000 } });
    await v.verify(await issuer.sign({}));
    expect(issuer.requests.jwks).toBe(1);
    await sleep(1020);
    await issuer.rotate('ES256');
    const rotated = await issuer.sign({});
    await expect(v.verify(rotated)).resolves.toBeDefined();
    expect(issuer.requests.jwks).toBe(2);
    // A second rotation within the cooldown is not fetched...
    await issuer.rotate('ES256');
    const again = await issuer.sign({});
    await expect(v.verify(again)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
    expect(issuer.requests.jwks).toBe(2);
    // ...but is once the cooldown has passed.
    await sleep(1020);
    await expect(v.verify(again)).resolves.toBeDefined();
    expect(issuer.requests.jwks).toBe(3);
  });

  it('lets requests that arrive during a refetch wait for it instead of failing', async () => {
    const issuer = await issuerFor({ algorithms: ['ES256'] });
    const v = verifierFor(issuer, { jwks: { cooldownDuration: 100 } });
    await v.verify(await issuer.sign({}));
    await sleep(120);
    await issuer.rotate('ES256');
    const token = await issuer.sign({});
    await issuer.fail({ type: 'slow', delayMs: 300 });
    const first = v.verify(token);
    await sleep(50); // the refetch is in flight, and the cooldown has started
    const later = Array.from({ length: 50 }, () => v.verify(token));
    await expect(Promise.all([first, ...later])).resolves.toHaveLength(51);
    expect(issuer.requests.jwks).toBe(2);
  });

  it('rejects a removed kid once a refresh no longer lists it', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { cacheMaxAge: 1000, cooldownDuration: 100 } });
    const old = await issuer.sign({});
    await v.verify(old);
    const oldKid = issuer.keys[0]!.kid;
    await issuer.rotate('RS256');
    await sleep(1020);
    await v.verify(await issuer.sign({})); // past cacheMaxAge: refreshed, new kid known
    await issuer.waitForRequests('jwks', 2);
    expect(issuer.keys.find((k) => k.kid === oldKid)?.inJwks).toBe(false);
    await expect(v.verify(old)).rejects.toMatchObject({ code: 'ERR_KEY_NOT_FOUND' });
  });

  it('keeps serving the last good keys while refreshes fail, up to maxStaleAge', async () => {
    const issuer = await issuerFor();
    const events: JwksAuthEvent[] = [];
    const v = verifierFor(issuer, {
      jwks: { cacheMaxAge: 1000, maxStaleAge: 400, backoffInitial: 50, backoffMax: 50 },
      onEvent: (e) => events.push(e),
    });
    const token = await issuer.sign({});
    await v.verify(token);
    await issuer.fail({ type: 'status', status: 500 });
    await sleep(1050);
    await expect(v.verify(token)).resolves.toBeDefined(); // stale but allowed
    await sleep(100);
    await expect(v.verify(token)).resolves.toBeDefined();
    expect(events.some((e) => e.type === 'jwks_fetch_failed')).toBe(true);
    expect(events.some((e) => e.type === 'jwks_stale')).toBe(true);
    await sleep(450); // now older than cacheMaxAge + maxStaleAge
    await expect(v.verify(token)).rejects.toMatchObject({
      status: 503,
      code: 'ERR_JWKS_UNAVAILABLE',
    });
    await issuer.heal();
    await sleep(60);
    await expect(v.verify(token)).resolves.toBeDefined();
  });

  it('backs off instead of fetching on every request during an outage', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { backoffInitial: 200, backoffMax: 1000 } });
    await issuer.fail({ type: 'status', status: 503 });
    const token = await issuer.sign({});
    const started = Date.now();
    let answered = 0;
    while (Date.now() - started < 700) {
      await expect(v.verify(token)).rejects.toMatchObject({ status: 503 });
      answered += 1;
      await sleep(5);
    }
    expect(answered).toBeGreaterThan(50);
    // Attempts at 0, ~200, ~600 ms: a doubling schedule, not one per request.
    expect(issuer.requests.jwks).toBeGreaterThanOrEqual(2);
    expect(issuer.requests.jwks).toBeLessThanOrEqual(4);
  });

  it('refreshes ahead of expiry in the background without making requests wait', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { cacheMaxAge: 1000 } });
    const token = await issuer.sign({});
    await v.verify(token);
    await issuer.fail({ type: 'slow', delayMs: 1000 });
    await sleep(850); // past 80% of cacheMaxAge
    const started = Date.now();
    await v.verify(token);
    expect(Date.now() - started).toBeLessThan(200);
    await issuer.waitForRequests('jwks', 2);
    await issuer.heal();
  });

  it('refreshes ahead when only cache hits arrive (a hit reads the key set age once it is due)', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { cacheMaxAge: 1000 }, cache: { maxEntries: 10 } });
    const token = await issuer.sign({});
    const first = await v.verify(token);
    expect(issuer.requests.jwks).toBe(1);
    await sleep(850); // past 80% of cacheMaxAge
    expect(v.handle({ headers: { authorization: `Bearer ${token}` } })).toBe(first); // a hit
    await issuer.waitForRequests('jwks', 2);
  });

  it('times out a key set that does not answer', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { timeoutDuration: 200 } });
    await issuer.fail({ type: 'hang' });
    const started = Date.now();
    await expect(v.verify(await issuer.sign({}))).rejects.toMatchObject({
      status: 503,
      headers: { 'Retry-After': '1' },
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it.each([
    [{ type: 'oversized', bytes: 100_000 } as const],
    [{ type: 'garbage' } as const],
    [{ type: 'refuse' } as const],
  ])('answers 503 for a key set that is %j', async (mode) => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwks: { maxResponseBytes: 50_000 } });
    const token = await issuer.sign({});
    await issuer.fail(mode);
    await expect(v.verify(token)).rejects.toMatchObject({ status: 503 });
  });

  it('warmup() fetches every issuer up front', async () => {
    const a = await issuerFor();
    const b = await issuerFor({ path: '/b' });
    const v = createVerifier({ issuer: [a.issuer, b.issuer], audience: AUD });
    cleanup.push(() => v.close());
    await v.warmup();
    expect([a.requests.jwks, b.requests.jwks]).toEqual([1, 1]);
    expect(a.requests.discovery).toBeGreaterThanOrEqual(1);
    await v.verify(await b.sign({}));
    expect(b.requests.jwks).toBe(1);
  });

  it('reports fetches and failures to onEvent', async () => {
    const issuer = await issuerFor();
    const events: JwksAuthEvent[] = [];
    const v = verifierFor(issuer, { onEvent: (e) => events.push(e) });
    await v.warmup();
    expect(events[0]).toMatchObject({ type: 'jwks_fetch', keys: 1, reason: 'warmup' });
  });
});

describe('discovery', () => {
  it('finds jwks_uri through OpenID Connect discovery', async () => {
    const issuer = await issuerFor({ discovery: 'oidc', path: '/realms/a' });
    const v = verifierFor(issuer, {}, true);
    await expect(v.verify(await issuer.sign({}))).resolves.toBeDefined();
    expect(issuer.requests.discovery).toBe(1);
  });

  it('falls back to RFC 8414 metadata', async () => {
    const issuer = await issuerFor({ discovery: 'oauth', path: '/t' });
    const v = verifierFor(issuer, {}, true);
    await expect(v.verify(await issuer.sign({}))).resolves.toBeDefined();
  });

  it('refuses a document whose issuer differs from the configured one', async () => {
    const issuer = await issuerFor({ issuerInDiscovery: 'https://evil.example' });
    const v = verifierFor(issuer, {}, true);
    await expect(v.verify(await issuer.sign({}))).rejects.toMatchObject({
      status: 503,
      code: 'ERR_DISCOVERY_FAILED',
    });
    expect(issuer.requests.jwks).toBe(0);
  });
});
