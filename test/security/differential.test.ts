/**
 * Differential test of the two signature engines. The default `engine:
 * 'node'` checks signatures synchronously with node:crypto and re-implements
 * jose's header and claim rules; `engine: 'jose'` runs jose's `jwtVerify`.
 * jose is the reference: on every token of the attack corpus and on
 * thousands of fuzzed tokens, both must give the same verdict (accept or
 * reject) with the same error code.
 *
 * Most random damage breaks the signature, which says little about the claim
 * and header rules, so the main property signs its inputs with the trusted
 * keys: random headers (typ, crit, b64, kid, extra members) and random claims
 * (NumericDates of every JSON type, aud shapes, iss values, missing claims),
 * each with a valid signature, judged by both engines under several profiles.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier, isJwksAuthError } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import fc from 'fast-check';
import {
  ATTACKS,
  AUDIENCE,
  MUTATIONS,
  MUTATION_NAMES,
  createAttackWorld,
  profileOptions,
  signJws,
} from './attack-corpus.js';
import type { AttackWorld, MutationInput, Profile } from './attack-corpus.js';
import { settle } from './harness.js';

const SEED = process.env.FUZZ_SEED === undefined ? 20_261_128 : Number(process.env.FUZZ_SEED);
const RUNS = { signed: 4000, mutated: 2000 };

let world: AttackWorld;
const pairs = new Map<string, { node: Verifier; jose: Verifier }>();
const tally = { corpus: 0, signed: 0, mutated: 0, accepted: 0 };

/** Extra profiles that switch on the rules the default one leaves off. */
function options(profile: Profile | 'aged'): VerifierOptions {
  if (profile === 'aged') {
    return {
      ...profileOptions(world, 'default'),
      maxTokenAge: 600,
      typ: 'at+jwt',
      requiredClaims: ['sub'],
    };
  }
  return profileOptions(world, profile);
}

function pair(profile: Profile | 'aged') {
  let found = pairs.get(profile);
  if (found === undefined) {
    const base = options(profile);
    found = {
      node: createVerifier({ ...base, engine: 'node', cache: false }),
      jose: createVerifier({ ...base, engine: 'jose', cache: false }),
    };
    pairs.set(profile, found);
  }
  return found;
}

async function verdict(v: Verifier, token: string): Promise<string> {
  const outcome = await settle(v.verify(token));
  if (outcome.ok) return 'ACCEPTED';
  return isJwksAuthError(outcome.error)
    ? outcome.error.code
    : `unexpected ${String(outcome.error)}`;
}

async function compare(profile: Profile | 'aged', token: string, name = ''): Promise<string> {
  const { node, jose } = pair(profile);
  const [a, b] = await Promise.all([verdict(node, token), verdict(jose, token)]);
  const what = name === '' ? token.slice(0, 80) : name;
  expect({ what, node: a }).toEqual({ what, node: b });
  if (a === 'ACCEPTED') tally.accepted += 1;
  return a;
}

beforeAll(async () => {
  world = await createAttackWorld();
});

afterAll(async () => {
  for (const { node, jose } of pairs.values()) {
    node.close();
    jose.close();
  }
  await world?.close();
  console.log(
    `[security] differential node vs jose: corpus ${tally.corpus}, signed fuzz ${tally.signed}, ` +
      `mutation fuzz ${tally.mutated}, accepted by both ${tally.accepted}; seed ${SEED}`,
  );
});

describe('node engine vs jose engine', () => {
  it('agree on every token of the attack corpus', async () => {
    for (const c of ATTACKS) {
      const verdictOf = await compare(c.profile, c.build(world), c.name);
      expect(verdictOf).not.toBe('ACCEPTED');
      tally.corpus += 1;
    }
  });

  const numericDate = fc.oneof(
    fc.integer({ min: -10_000, max: 10_000 }).map((d) => Math.floor(Date.now() / 1000) + d),
    fc.double({ noNaN: true }),
    fc.constantFrom('1999999999', null, true, [], {}, 0, -1, 2 ** 53),
    fc.constant(undefined),
  );
  const claims = fc.record(
    {
      iss: fc.oneof(
        fc.constant('$A'),
        fc.constant('$B'),
        fc.constantFrom('https://evil.example', 42, null, ['$A']),
      ),
      aud: fc.oneof(
        fc.constant(AUDIENCE),
        fc.constant([AUDIENCE, 'x']),
        fc.constantFrom('other', 7, null, [7], [], [AUDIENCE, 1], { aud: AUDIENCE }),
      ),
      exp: numericDate,
      nbf: numericDate,
      iat: numericDate,
      sub: fc.oneof(fc.string(), fc.constant(undefined)),
    },
    { requiredKeys: [] },
  );
  const header = fc.record(
    {
      typ: fc.oneof(fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', '', 5, null)),
      crit: fc.constantFrom(undefined, ['b64'], ['exp'], [], 'b64', [''], ['b64', 'b64']),
      b64: fc.constantFrom(undefined, true, false, 'true'),
      kid: fc.constantFrom('$kid', undefined, 'unknown', 7),
      extra: fc.constantFrom(undefined, 'x'),
    },
    { requiredKeys: [] },
  );

  it(`agree on ${RUNS.signed} validly signed random headers and claims`, async () => {
    const keys = [world.rs, world.es, world.ps] as const;
    const algs = ['RS256', 'ES256', 'PS256'] as const;
    const profiles = ['default', 'strict', 'multi', 'aged'] as const;
    await fc.assert(
      fc.asyncProperty(fc.nat(2), fc.nat(3), header, claims, async (which, profileIndex, h, c) => {
        const key = keys[which]!;
        const fullHeader: Record<string, unknown> = { alg: algs[which] };
        for (const [name, value] of Object.entries(h)) {
          if (value === undefined) continue;
          fullHeader[name] = value === '$kid' ? key.kid : value;
        }
        const payload: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(c)) {
          if (value === undefined) continue;
          payload[name] =
            value === '$A' ? world.issuer.issuer : value === '$B' ? world.other.issuer : value;
        }
        await compare(profiles[profileIndex]!, signJws(key, fullHeader, payload));
        tally.signed += 1;
      }),
      { seed: SEED, numRuns: RUNS.signed },
    );
    expect(tally.accepted).toBeGreaterThan(0);
  });

  it(`agree on ${RUNS.mutated} mutations of valid tokens`, async () => {
    const valid = [
      signJws(world.rs, { alg: 'RS256', kid: world.rs.kid, typ: 'at+jwt' }, world.claims()),
      signJws(world.es, { alg: 'ES256', kid: world.es.kid, typ: 'at+jwt' }, world.claims()),
      signJws(world.ps, { alg: 'PS256', kid: world.ps.kid }, world.claims()),
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(valid.length - 1),
        fc.constantFrom(...MUTATION_NAMES),
        fc.record({
          a: fc.nat(),
          b: fc.nat(),
          text: fc.string({ maxLength: 8 }),
          other: fc.constant(''),
        }),
        async (index, name, input: MutationInput) => {
          const token = valid[index]!;
          const other = valid[(index + 1) % valid.length]!;
          const mutated = MUTATIONS[name]!(token, { ...input, other });
          await compare('default', mutated);
          tally.mutated += 1;
        },
      ),
      { seed: SEED, numRuns: RUNS.mutated },
    );
  });
});
