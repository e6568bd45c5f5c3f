/**
 * `jwks.store` with stores that misbehave: a store that throws, rejects,
 * answers garbage or never answers is skipped (after KEY_SET_STORE_TIMEOUT
 * at most), and the key set is fetched from the identity provider as
 * without a store. The Redis store itself is tested in packages/redis.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { createVerifier, KEY_SET_STORE_TIMEOUT } from '@jwks-auth/core';
import type { KeySetStore, StoredKeySet, Verifier } from '@jwks-auth/core';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';

const AUD = 'https://api.example.test';
let issuer: TestIssuer;
const verifiers: Verifier[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
});
afterAll(async () => {
  for (const v of verifiers) v.close();
  await issuer.close();
});
beforeEach(() => issuer.resetCounts());

/** A working store kept in this process: what a fleet shares, minus the network. */
function mapStore(): KeySetStore & { sets: Map<string, StoredKeySet>; locks: Map<string, string> } {
  const sets = new Map<string, StoredKeySet>();
  const locks = new Map<string, string>();
  let n = 0;
  return {
    sets,
    locks,
    get: (issuer) => sets.get(issuer),
    set: (issuer, keySet) => void sets.set(issuer, keySet),
    lock: (issuer) => {
      if (locks.has(issuer)) return null;
      const token = `t${(n += 1)}`;
      locks.set(issuer, token);
      return token;
    },
    unlock: (issuer, token) => {
      if (locks.get(issuer) === token) locks.delete(issuer);
    },
  };
}

function verifier(store: KeySetStore): Verifier {
  const v = createVerifier({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: AUD,
    cache: false,
    jwks: { store },
  });
  verifiers.push(v);
  return v;
}

it('shares a key set between verifiers through the store, and releases its lock', async () => {
  const store = mapStore();
  await verifier(store).verify(await issuer.sign());
  expect(issuer.requests.jwks).toBe(1);
  expect(store.sets.get(issuer.issuer)).toMatchObject({ uri: issuer.jwksUri });
  expect(store.locks.size).toBe(0);
  await verifier(store).verify(await issuer.sign());
  expect(issuer.requests.jwks).toBe(1);
});

it('releases the lock when the fetch fails, so another process may try', async () => {
  const store = mapStore();
  await issuer.fail({ type: 'status', status: 500 }, { only: 'jwks' });
  try {
    await expect(verifier(store).verify(await issuer.sign())).rejects.toMatchObject({
      status: 503,
    });
    expect(store.locks.size).toBe(0);
    expect(store.sets.size).toBe(0);
  } finally {
    await issuer.heal();
  }
});

it.each([
  [
    'throws',
    () => {
      throw new Error('down');
    },
  ],
  ['rejects', () => Promise.reject(new Error('down'))],
  ['answers a string', () => 'keys'],
  [
    'answers a set without keys',
    () => ({ jwks: '{"keys":[]}', uri: issuer.jwksUri, fetchedAt: Date.now() }),
  ],
  [
    'has a then that throws',
    () => ({
      get then() {
        throw new Error('odd');
      },
    }),
  ],
])('a store whose get %s is skipped: the key set is fetched', async (_name, get) => {
  const store = { ...mapStore(), get: get as KeySetStore['get'] };
  await expect(verifier(store).verify(await issuer.sign())).resolves.toBeDefined();
  expect(issuer.requests.jwks).toBe(1);
});

it('a store that never answers costs KEY_SET_STORE_TIMEOUT at most, then the key set is fetched', async () => {
  const hang = () => new Promise<never>(() => undefined);
  const store = { get: hang, set: hang, lock: hang, unlock: hang };
  const started = Date.now();
  await expect(verifier(store).verify(await issuer.sign())).resolves.toBeDefined();
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(KEY_SET_STORE_TIMEOUT - 50);
  expect(took).toBeLessThan(KEY_SET_STORE_TIMEOUT + 1500);
  expect(issuer.requests.jwks).toBe(1);
});

it('a lock that throws means fetching without it', async () => {
  const store = {
    ...mapStore(),
    lock: () => {
      throw new Error('no locks');
    },
  };
  await expect(verifier(store).verify(await issuer.sign())).resolves.toBeDefined();
  expect(issuer.requests.jwks).toBe(1);
  expect(store.sets.size).toBe(1);
});

it('waits for a lock holder, and fetches itself as soon as the holder leaves without storing', async () => {
  const store = mapStore();
  store.locks.set(issuer.issuer, 'another process');
  setTimeout(() => store.locks.delete(issuer.issuer), 300);
  const started = Date.now();
  await expect(verifier(store).verify(await issuer.sign())).resolves.toBeDefined();
  const took = Date.now() - started;
  expect(took).toBeGreaterThanOrEqual(250);
  expect(took).toBeLessThan(2000); // not the lock's full 11 s
  expect(issuer.requests.jwks).toBe(1);
  expect(store.locks.size).toBe(0);
});

it('waits for a lock holder and installs what it stores, without fetching', async () => {
  const store = mapStore();
  const donor = mapStore();
  await verifier(donor).verify(await issuer.sign());
  issuer.resetCounts();
  store.locks.set(issuer.issuer, 'another process');
  setTimeout(() => {
    store.sets.set(issuer.issuer, { ...donor.sets.get(issuer.issuer)!, fetchedAt: Date.now() });
    store.locks.delete(issuer.issuer);
  }, 200);
  await expect(verifier(store).verify(await issuer.sign())).resolves.toBeDefined();
  expect(issuer.requests.jwks).toBe(0);
});
