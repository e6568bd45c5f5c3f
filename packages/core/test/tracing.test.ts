import { AsyncLocalStorage } from 'node:async_hooks';
import diagnosticsChannel from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { CHANNELS, createVerifier } from '@jwks-auth/core';
import type {
  FetchTraceContext,
  StaleMessage,
  Verifier,
  VerifierOptions,
  VerifyTraceContext,
} from '@jwks-auth/core';

const AUD = 'https://api.example.test';
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()!();
});

async function issuerFor(options: Parameters<typeof createTestIssuer>[0] = {}) {
  const issuer = await createTestIssuer(options);
  cleanup.push(() => issuer.close());
  return issuer;
}

function verifierFor(issuer: TestIssuer, options: Partial<VerifierOptions> = {}): Verifier {
  const v = createVerifier({ issuer: issuer.issuer, audience: AUD, ...options } as VerifierOptions);
  cleanup.push(() => v.close());
  return v;
}

type Phase = 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
const PHASES: Phase[] = ['start', 'end', 'asyncStart', 'asyncEnd', 'error'];

/** Subscribes to every event of a tracing channel; records (phase, snapshot of the context). */
function record<C extends object>(name: string): Array<[Phase, C]> {
  const seen: Array<[Phase, C]> = [];
  const channel = diagnosticsChannel.tracingChannel(name);
  const handlers = Object.fromEntries(
    PHASES.map((phase) => [phase, (message: unknown) => seen.push([phase, { ...(message as C) }])]),
  );
  channel.subscribe(handlers as never);
  cleanup.push(() => channel.unsubscribe(handlers as never));
  return seen;
}

const phases = (seen: Array<[Phase, unknown]>) => seen.map(([p]) => p);
const last = <C>(seen: Array<[Phase, C]>): C => seen[seen.length - 1]![1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('jwks-auth:verify', () => {
  it('traces verify() as a promise: start, end, asyncStart, asyncEnd; then a cache hit', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const token = await issuer.sign({ aud: AUD, sub: 'alice' });
    const seen = record<VerifyTraceContext>(CHANNELS.verify);

    await v.verify(token);
    expect(phases(seen)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(seen[0]![1]).toMatchObject({
      operation: 'verify',
      outcome: undefined,
      cached: undefined,
    });
    expect(last(seen)).toEqual({
      operation: 'verify',
      outcome: 'allowed',
      reason: undefined,
      status: 200,
      issuer: issuer.issuer,
      cached: false,
      scheme: 'Bearer',
      hook: undefined,
    });

    seen.length = 0;
    await v.verify(token);
    expect(last(seen)).toMatchObject({ outcome: 'allowed', cached: true });
  });

  it('traces a synchronous handle() (a cache hit) with start and end only', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const token = await issuer.sign({ aud: AUD });
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } };
    await v.handle(request);
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    const result = v.handle(request);
    expect(result).not.toBeInstanceOf(Promise);
    expect(phases(seen)).toEqual(['start', 'end']);
    expect(last(seen)).toMatchObject({ operation: 'handle', outcome: 'allowed', cached: true });
  });

  it('publishes a denial with its reason code and a copy of the error without cause', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const token = await issuer.sign({ aud: AUD, sub: 'secret-subject', exp: 1000 });
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    const request = { method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } };
    await expect(v.handle(request)).rejects.toMatchObject({ code: 'ERR_TOKEN_EXPIRED' });
    expect(phases(seen)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const context = last(seen);
    expect(context).toMatchObject({
      outcome: 'denied',
      reason: 'ERR_TOKEN_EXPIRED',
      status: 401,
      issuer: issuer.issuer,
      cached: false,
      scheme: 'Bearer',
    });
    expect(context.error).toBeInstanceOf(Error);
    expect(context.error).toMatchObject({ code: 'ERR_TOKEN_EXPIRED', status: 401 });
    expect(context.error!.cause).toBeUndefined();
    // Neither the token nor any claim is published.
    const published = JSON.stringify(seen) + String(context.error?.message);
    expect(published).not.toContain(token.split('.')[1]!);
    expect(published).not.toContain('secret-subject');
  });

  it('publishes a synchronous denial (no token) with start, error and end', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    expect(() => v.handle({ method: 'GET', url: '/', headers: {} })).toThrow(
      expect.objectContaining({ code: 'ERR_NO_TOKEN' }),
    );
    expect(phases(seen)).toEqual(['start', 'error', 'end']);
    expect(last(seen)).toMatchObject({
      outcome: 'denied',
      reason: 'ERR_NO_TOKEN',
      status: 401,
      cached: undefined,
    });
  });

  it('says anonymous when no token is sent and credentials are optional', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { credentialsRequired: false });
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    expect(v.handle({ method: 'GET', url: '/', headers: {} })).toBeUndefined();
    expect(last(seen)).toMatchObject({
      outcome: 'anonymous',
      status: 200,
      issuer: undefined,
      cached: undefined,
    });
  });

  it('says the cache was not consulted when it is off', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { cache: false });
    const token = await issuer.sign({ aud: AUD });
    await v.verify(token);
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    await v.verify(token);
    expect(last(seen)).toMatchObject({ outcome: 'allowed', cached: undefined });
  });

  it('names the failing hook for ERR_HOOK_FAILED', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, {
      isRevoked: () => {
        throw new Error('revocation list down');
      },
    });
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    await expect(v.verify(await issuer.sign({ aud: AUD }))).rejects.toMatchObject({
      code: 'ERR_HOOK_FAILED',
    });
    expect(last(seen)).toMatchObject({ reason: 'ERR_HOOK_FAILED', status: 503, hook: 'isRevoked' });
    expect(JSON.stringify(seen)).not.toContain('revocation list down');
  });

  it('runs the call inside the stores bound to the start channel', async () => {
    const issuer = await issuerFor();
    const storage = new AsyncLocalStorage<string>();
    const channel = diagnosticsChannel.tracingChannel(CHANNELS.verify);
    channel.start.bindStore(
      storage,
      (context) => `span:${(context as VerifyTraceContext).operation}`,
    );
    cleanup.push(() => channel.start.unbindStore(storage));
    const stores: Array<string | undefined> = [];
    const v = verifierFor(issuer, {
      isRevoked: async () => {
        await sleep(1);
        stores.push(storage.getStore());
        return false;
      },
    });
    await v.verify(await issuer.sign({ aud: AUD }));
    expect(stores).toEqual(['span:verify']);
  });

  it('publishes when only one of the channels has a subscriber', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const ends: unknown[] = [];
    const onEnd = (message: unknown) => ends.push({ ...(message as object) });
    diagnosticsChannel.subscribe('tracing:jwks-auth:verify:asyncEnd', onEnd);
    cleanup.push(() => diagnosticsChannel.unsubscribe('tracing:jwks-auth:verify:asyncEnd', onEnd));
    await v.verify(await issuer.sign({ aud: AUD }));
    expect(ends).toEqual([expect.objectContaining({ outcome: 'allowed' })]);
  });

  it('publishes nothing once the subscriber is gone', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const token = await issuer.sign({ aud: AUD });
    const seen = record<VerifyTraceContext>(CHANNELS.verify);
    await cleanup.pop()!(); // unsubscribe
    await v.verify(token);
    v.handle({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } });
    expect(seen).toEqual([]);
  });
});

describe('jwks-auth:jwks.fetch', () => {
  it('traces a fetch with issuer, URI, reason, status, bytes, keys and duration', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer);
    const seen = record<FetchTraceContext>(CHANNELS.jwksFetch);
    await v.verify(await issuer.sign({ aud: AUD }));
    expect(phases(seen)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(seen[0]![1]).toMatchObject({
      issuer: issuer.issuer,
      reason: 'initial',
      outcome: undefined,
    });
    const served = Buffer.byteLength(await (await fetch(issuer.jwksUri)).text());
    const context = last(seen);
    expect(context).toMatchObject({
      issuer: issuer.issuer,
      uri: issuer.jwksUri,
      reason: 'initial',
      outcome: 'success',
      status: 200,
      bytes: served,
      keys: 1,
      refused: 0,
    });
    expect(context.durationMs).toBeGreaterThan(0);
  });

  it('traces a failed fetch with the status and the reason code', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, { jwksUri: issuer.jwksUri });
    await issuer.fail({ type: 'status', status: 502 }, { only: 'jwks' });
    const seen = record<FetchTraceContext>(CHANNELS.jwksFetch);
    await expect(v.verify(await issuer.sign({ aud: AUD }))).rejects.toMatchObject({ status: 503 });
    expect(phases(seen)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    const context = last(seen);
    expect(context).toMatchObject({
      uri: issuer.jwksUri,
      outcome: 'failure',
      status: 502,
      reasonCode: 'ERR_JWKS_UNAVAILABLE',
      bytes: undefined,
    });
    expect(context.error).toMatchObject({ code: 'ERR_JWKS_UNAVAILABLE', status: 503 });
    expect(context.error!.cause).toBeUndefined();
  });
});

describe('jwks-auth:jwks.stale', () => {
  it('publishes every use of a key set kept past cacheMaxAge because refreshing failed', async () => {
    const issuer = await issuerFor();
    const v = verifierFor(issuer, {
      cache: false,
      jwks: { cacheMaxAge: 1000, maxStaleAge: 5000, backoffInitial: 50, backoffMax: 50 },
    });
    const token = await issuer.sign({ aud: AUD });
    await v.verify(token);
    const stale: StaleMessage[] = [];
    const onStale = (message: unknown) => stale.push(message as StaleMessage);
    diagnosticsChannel.subscribe(CHANNELS.jwksStale, onStale);
    cleanup.push(() => diagnosticsChannel.unsubscribe(CHANNELS.jwksStale, onStale));
    await issuer.fail({ type: 'status', status: 500 });
    await sleep(1050);
    await v.verify(token); // past cacheMaxAge: starts a refresh, which fails
    await issuer.waitForRequests('jwks', 2);
    await sleep(20);
    await v.verify(token);
    await v.verify(token);
    expect(stale.length).toBeGreaterThanOrEqual(2);
    expect(stale[0]).toMatchObject({ issuer: issuer.issuer, uri: issuer.jwksUri });
    expect(stale[0]!.ageMs).toBeGreaterThan(1000);
  });
});
