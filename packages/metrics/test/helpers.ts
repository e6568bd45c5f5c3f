/** A local issuer, verifiers on it, and a scripted run of verifications both exporters are tested on. */
import { createVerifier } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';

export const AUD = 'https://api.example.test';
export const ORIGIN = 'https://api.example.test';

export const cleanup: Array<() => unknown> = [];
export async function runCleanup(): Promise<void> {
  while (cleanup.length > 0) await cleanup.pop()!();
}

export async function issuerFor(): Promise<TestIssuer> {
  const issuer = await createTestIssuer({ algorithms: ['ES256'] });
  cleanup.push(() => issuer.close());
  return issuer;
}

export function verifierFor(issuer: TestIssuer, options: Partial<VerifierOptions> = {}): Verifier {
  const v = createVerifier({
    issuer: issuer.issuer,
    audience: AUD,
    ...options,
  } as VerifierOptions);
  cleanup.push(() => v.close());
  return v;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bearer = (token: string) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${token}` },
});

/**
 * Two allowed requests with one token (a miss, then a hit), one expired
 * token, one request without a token: 2 allowed, 2 denied (ERR_TOKEN_EXPIRED,
 * ERR_NO_TOKEN), 1 cache hit, 2 misses, 1 successful initial fetch.
 */
export async function scriptedRun(issuer: TestIssuer, v: Verifier): Promise<void> {
  const token = await issuer.sign({ aud: AUD });
  await v.handle(bearer(token));
  const hit = v.handle(bearer(token));
  if (hit instanceof Promise) throw new Error('expected a synchronous cache hit');
  const expired = await issuer.sign({ aud: AUD, exp: 1000 });
  await v.verify(expired).catch(() => undefined);
  try {
    v.handle({ method: 'GET', url: '/', headers: {} });
  } catch {
    // ERR_NO_TOKEN
  }
}

/** A DPoP request refused because the replay store throws (ERR_HOOK_FAILED from `replay`). */
export async function replayStoreFailure(issuer: TestIssuer): Promise<void> {
  const v = verifierFor(issuer, {
    dpop: {
      origin: ORIGIN,
      replay: {
        markUsed() {
          throw new Error('the replay store is down');
        },
      },
    },
  });
  const key = await createDpopKey('ES256');
  const token = await issuer.sign({ aud: AUD }, { boundTo: key });
  const proof = await key.proof({ htm: 'GET', htu: `${ORIGIN}/orders`, accessToken: token });
  const request = {
    method: 'GET',
    url: '/orders',
    headers: { host: 'api.example.test', authorization: `DPoP ${token}`, dpop: proof },
  };
  try {
    await v.handle(request);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_HOOK_FAILED') return;
    throw error;
  }
  throw new Error('expected ERR_HOOK_FAILED');
}
