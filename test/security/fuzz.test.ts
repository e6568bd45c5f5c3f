/**
 * Property-based fuzzing of token handling with fast-check, seeded and
 * reproducible: `FUZZ_SEED=<n>` replays a run (the seed is printed), and a
 * failure prints fast-check's counterexample and replay path.
 *
 * Properties, with a healthy key set:
 * - nothing is accepted unless it is byte-identical to a token the test signed;
 * - nothing answers 5xx (only 400 invalid_request / 401 invalid_token);
 * - nothing rejects unhandled.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier, isJwksAuthError } from '@jwks-auth/core';
import type { Verifier } from '@jwks-auth/core';
import fc from 'fast-check';
import {
  MUTATIONS,
  MUTATION_NAMES,
  b64url,
  createAttackWorld,
  forge,
  profileOptions,
  signJws,
} from './attack-corpus.js';
import type { AttackWorld, MutationInput } from './attack-corpus.js';
import { leakProbes, settle, startAdapter } from './harness.js';
import type { AdapterApp } from './harness.js';

const SEED = process.env.FUZZ_SEED === undefined ? 20_261_128 : Number(process.env.FUZZ_SEED);
if (!Number.isSafeInteger(SEED)) throw new Error('FUZZ_SEED must be an integer');

/** Runs per property; the totals are printed at the end. */
const RUNS = {
  core: {
    randomTokens: 2000,
    randomBytes: 1000,
    randomAuthorization: 2000,
    randomHeaders: 2000,
    mutations: 5000,
  },
  adapter: { mutations: 2000, randomAuthorization: 1000 },
};

let world: AttackWorld;
let verifier: Verifier;
let app: AdapterApp;
/** Every token this file signed with a trusted key: the only strings that may pass. */
const valid = new Set<string>();
let pool: string[] = [];
const executed: Record<string, number> = {};
/** How the core answered: error codes, and acceptances of trusted-key tokens. */
const verdicts: Record<string, number> = {};
const unhandled: unknown[] = [];

// jest-circus already fails the owning test on an unhandled rejection: it
// swaps in its own listener on the real process while tests run (verified:
// a stray Promise.reject fails the test). Jest hands the test file a copy of
// `process` whose emitter never sees the event, so this listener is a second
// line only where a runner forwards it.
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  world = await createAttackWorld();
  verifier = createVerifier(profileOptions(world, 'default'));
  app = await startAdapter('fastify', profileOptions(world, 'default'));
  const headers = {
    rs: { alg: 'RS256', kid: world.rs.kid, typ: 'at+jwt' },
    es: { alg: 'ES256', kid: world.es.kid, typ: 'at+jwt' },
    ps: { alg: 'PS256', kid: world.ps.kid, typ: 'at+jwt' },
  };
  pool = [
    signJws(world.rs, headers.rs, world.claims()),
    signJws(world.es, headers.es, world.claims()),
    signJws(world.ps, headers.ps, world.claims()),
    signJws(world.rs, { alg: 'RS256', typ: 'at+jwt' }, world.claims({ scope: 'a b c' })),
    signJws(world.es, headers.es, world.claims({ aud: ['x', 'https://api.example.test'] })),
    await world.issuer.sign({ aud: 'https://api.example.test' }, { alg: 'ES256' }),
  ];
  for (const token of pool) valid.add(token);
  // Sanity: every pool token passes, so rejections below are about the damage.
  for (const token of pool) {
    expect(await settle(verifier.verify(token))).toMatchObject({ ok: true });
  }
  console.log(`[security] fuzz seed ${SEED} (replay with FUZZ_SEED=${SEED})`);
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  verifier?.close();
  await app?.close();
  await world?.close();
  const core = Object.entries(executed)
    .filter(([k]) => k.startsWith('core.'))
    .reduce((n, [, v]) => n + v, 0);
  const adapter = Object.entries(executed)
    .filter(([k]) => k.startsWith('adapter.'))
    .reduce((n, [, v]) => n + v, 0);
  console.log(
    `[security] fuzz runs: core ${core}, adapter (fastify over ${app?.transport ?? '?'}) ${adapter}, ` +
      `total ${core + adapter}; seed ${SEED}; detail ${JSON.stringify(executed)}`,
  );
  const sorted = Object.entries(verdicts).sort((a, b) => b[1] - a[1]);
  console.log(`[security] fuzz core verdicts: ${sorted.map(([k, v]) => `${k} ${v}`).join(', ')}`);
});

function count(name: string): void {
  executed[name] = (executed[name] ?? 0) + 1;
}

/** The core's verdict on an Authorization header value, checked against the properties. */
async function judgeCore(authorization: string | string[] | undefined): Promise<void> {
  const outcome = await settle(verifier.authenticate({ headers: { authorization } }));
  const verdict = outcome.ok
    ? 'ACCEPTED'
    : isJwksAuthError(outcome.error)
      ? outcome.error.code
      : 'other';
  verdicts[verdict] = (verdicts[verdict] ?? 0) + 1;
  if (outcome.ok) {
    const token = outcome.result?.token;
    if (token === undefined || !valid.has(token)) {
      throw new Error(`accepted a token that was never signed: ${String(token).slice(0, 120)}`);
    }
    expect(authorization).toBe(`Bearer ${token}`);
    return;
  }
  const error = outcome.error;
  if (!isJwksAuthError(error)) throw new Error(`non-jwks-auth failure: ${String(error)}`);
  expect([400, 401]).toContain(error.status);
  if (authorization !== undefined && error.status === 401 && error.code === 'ERR_NO_TOKEN') {
    throw new Error('a present Authorization header was treated as no token');
  }
}

/** A verdict through the adapter. */
async function judgeAdapter(authorization: string): Promise<void> {
  const res = await app.get(authorization);
  if (res.status === 200) {
    const token = authorization.replace(/^Bearer +/i, '');
    if (!valid.has(token)) throw new Error(`adapter accepted a never-signed token: ${token}`);
    return;
  }
  if (![400, 401].includes(res.status)) {
    throw new Error(`adapter answered ${res.status} for ${JSON.stringify(authorization)}`);
  }
  const challenge = res.headers['www-authenticate'] ?? '';
  expect(challenge).toMatch(/^Bearer realm="api"/);
  for (const probe of leakProbes(authorization)) {
    expect(challenge).not.toContain(probe);
  }
}

const params = (numRuns: number) => ({ seed: SEED, numRuns });

// --- Arbitraries ---------------------------------------------------------------

const HEADER_CHARS = [
  '\t',
  ...Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)),
  ...Array.from({ length: 0x100 - 0x80 }, (_, i) => String.fromCharCode(0x80 + i)),
];
/** Text an HTTP client can put in a header value (visible ASCII, SP, HTAB, obs-text). */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...HEADER_CHARS), maxLength });

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const b64urlText = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...B64URL), maxLength });

/** Token-ish strings: dotted base64url, random text, unicode, long runs. */
const tokenLike = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.array(b64urlText(120), { minLength: 1, maxLength: 6 }).map((segments) => segments.join('.')),
  fc.tuple(b64urlText(80), b64urlText(200), b64urlText(400)).map((p) => p.join('.')),
  fc.string({ unit: fc.constantFrom('.', '=', 'A', '-', '_', '+', '/', '~'), maxLength: 64 }),
  fc.nat({ max: 20_000 }).map((n) => 'x'.repeat(n)),
);

const AUTH_SCHEMES = ['Bearer', 'bearer', 'BEARER', 'Basic', 'DPoP', 'Token', 'Bearer:', ''];

/** Whole Authorization values: odd schemes, spacing, multiple values. */
const authorizationValue = fc.oneof(
  headerText(200),
  fc
    .tuple(fc.constantFrom(...AUTH_SCHEMES), fc.constantFrom('', ' ', '  ', '\t', ','), tokenLike)
    .map(([scheme, sep, token]) => `${scheme}${sep}${token}`),
  fc.tuple(fc.constantFrom('Bearer ', 'bearer  '), headerText(300)).map(([s, t]) => s + t),
);

const mutationInput: fc.Arbitrary<MutationInput> = fc.record({
  a: fc.nat(),
  b: fc.nat(),
  text: fc.oneof(
    fc.constantFrom(...B64URL.split('')),
    fc.string({ maxLength: 12 }),
    fc.constantFrom('.', '=', '..', '+', '/', ' ', '%00', '"'),
  ),
  other: fc.constant(''),
});

/** 1–3 mutations applied to a pool token. */
const mutatedToken = fc
  .tuple(
    fc.nat(),
    fc.array(fc.tuple(fc.constantFrom(...MUTATION_NAMES), mutationInput, fc.nat()), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([which, steps]) => {
    let token = pool[which % pool.length]!;
    for (const [name, input, otherIndex] of steps) {
      token = MUTATIONS[name]!(token, { ...input, other: pool[otherIndex % pool.length]! });
    }
    return { token, steps: steps.map(([name]) => name) };
  });

const jsonish = fc.jsonValue({ maxDepth: 2 });
const ALGS = ['RS256', 'ES256', 'PS256', 'HS256', 'none', 'EdDSA', 'ES512', 'RS512', 'nOnE', ''];

/** Random protected headers: plausible members with hostile values, plus junk members. */
const randomHeader = fc
  .tuple(
    fc.record(
      {
        alg: fc.oneof(fc.constantFrom(...ALGS), jsonish),
        kid: fc.oneof(
          fc.constantFrom('rs', 'es', 'ps', 'unknown'),
          fc.string({ maxLength: 40 }),
          jsonish,
        ),
        typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), jsonish),
        crit: fc.oneof(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), jsonish),
        b64: fc.oneof(fc.boolean(), jsonish),
        jku: fc.constantFrom('jku'),
        x5u: fc.constantFrom('x5u'),
        jwk: jsonish,
        x5c: fc.array(fc.base64String({ maxLength: 40 }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 10 }), jsonish, { maxKeys: 4 }),
    fc.boolean(),
  )
  .map(([known, extra, rawJson]) => ({ header: { ...extra, ...known }, rawJson }));

// --- Properties ------------------------------------------------------------------

describe('core: verifier.authenticate', () => {
  it(`random strings as tokens (${RUNS.core.randomTokens} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(tokenLike, async (token) => {
        count('core.randomTokens');
        await judgeCore(`Bearer ${token}`);
      }),
      params(RUNS.core.randomTokens),
    );
  });

  it(`random bytes as tokens (${RUNS.core.randomBytes} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (chunks, encode) => {
          count('core.randomBytes');
          const token = chunks
            .map((c) => (encode ? b64url(c) : Buffer.from(c).toString('latin1')))
            .join('.');
          await judgeCore(`Bearer ${token}`);
        },
      ),
      params(RUNS.core.randomBytes),
    );
  });

  it(`random whole Authorization values (${RUNS.core.randomAuthorization} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 5, arbitrary: authorizationValue },
          { weight: 1, arbitrary: fc.array(authorizationValue, { minLength: 2, maxLength: 3 }) },
          { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
        ),
        async (value) => {
          count('core.randomAuthorization');
          await judgeCore(value);
        },
      ),
      params(RUNS.core.randomAuthorization),
    );
  });

  it(`random JSON headers (${RUNS.core.randomHeaders} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        randomHeader,
        fc.constantFrom('attacker', 'junk', 'legit'),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        async ({ header, rawJson }, signer, junk) => {
          count('core.randomHeaders');
          const h: Record<string, unknown> = { ...header };
          if (h.kid === 'rs') h.kid = world.rs.kid;
          if (h.kid === 'es') h.kid = world.es.kid;
          if (h.kid === 'ps') h.kid = world.ps.kid;
          if (h.jku === 'jku') h.jku = world.jkuServer.url;
          if (h.x5u === 'x5u') h.x5u = world.x5uServer.url;
          const text = rawJson ? JSON.stringify(h) : JSON.stringify(h, null, 1);
          const claims = world.claims();
          let token: string;
          if (signer === 'attacker') token = signJws(world.attackerRs, text, claims);
          else if (signer === 'junk') token = forge(text, claims, junk);
          else {
            // A trusted key signing an odd header is the issuer's own token:
            // it may pass, but must never crash or 5xx.
            token = signJws(h.alg === 'ES256' ? world.es : world.rs, text, claims);
            valid.add(token);
          }
          await judgeCore(`Bearer ${token}`);
        },
      ),
      params(RUNS.core.randomHeaders),
    );
    expect([world.jkuServer.requests, world.x5uServer.requests]).toEqual([0, 0]);
  });

  it(`mutations of valid tokens (${RUNS.core.mutations} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(mutatedToken, async ({ token }) => {
        count('core.mutations');
        await judgeCore(`Bearer ${token}`);
      }),
      params(RUNS.core.mutations),
    );
  });
});

describe('adapter: fastify', () => {
  it(`mutations of valid tokens (${RUNS.adapter.mutations} runs)`, async () => {
    await fc.assert(
      // HTTP clients refuse control characters in header values; those are
      // covered by the core properties above.
      fc.asyncProperty(
        mutatedToken.filter(({ token }) => /^[\t\x20-\x7e\x80-\xff]*$/.test(token)),
        async ({ token }) => {
          count('adapter.mutations');
          await judgeAdapter(`Bearer ${token}`);
        },
      ),
      params(RUNS.adapter.mutations),
    );
  });

  it(`random Authorization values (${RUNS.adapter.randomAuthorization} runs)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          headerText(300),
          fc.tuple(fc.constantFrom(...AUTH_SCHEMES), headerText(300)).map(([s, t]) => `${s} ${t}`),
        ),
        async (value) => {
          count('adapter.randomAuthorization');
          // Leading/trailing whitespace is stripped by HTTP parsing and an
          // empty value is "no header"; both are valid inputs, judged as sent.
          await judgeAdapter(value);
        },
      ),
      params(RUNS.adapter.randomAuthorization),
    );
  });
});

describe('process health', () => {
  it('no unhandled rejection was observed and the valid tokens still pass', async () => {
    expect(unhandled).toEqual([]);
    for (const token of pool) {
      expect(await settle(verifier.verify(token))).toMatchObject({ ok: true });
      expect((await app.get(`Bearer ${token}`)).status).toBe(200);
    }
  });
});
