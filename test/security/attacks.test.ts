/**
 * Every case of the attack corpus, through the core (`authenticate` and
 * `verify`) and through each adapter: always 401 `invalid_token`, never a
 * 200, never a 5xx, never the token echoed back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import type { Verifier } from '@jwks-auth/core';
import {
  ATTACKS,
  PROFILES,
  controlTokens,
  countByCategory,
  createAttackWorld,
  profileOptions,
  P256_ORDER,
  rawSignature,
  signJws,
  signingInput,
  unencodedPayloadToken,
} from './attack-corpus.js';
import type { AttackCase, AttackWorld, Profile } from './attack-corpus.js';
import { ADAPTERS, bearerRequest, errorOf, leakProbes, settle, startAdapter } from './harness.js';
import type { AdapterApp, AdapterName } from './harness.js';

let world: AttackWorld;
/** Signature engines of the core: node:crypto (default) and jose (the reference). */
const ENGINES = ['node', 'jose'] as const;
type Engine = (typeof ENGINES)[number];
const verifiers = new Map<string, Verifier>();
const coreKey = (profile: Profile, engine: Engine = 'node') => `${profile}:${engine}`;
const apps = new Map<string, AdapterApp>();
const extraVerifiers: Verifier[] = [];

const appKey = (adapter: AdapterName, profile: Profile) => `${adapter}:${profile}`;

beforeAll(async () => {
  world = await createAttackWorld();
  for (const profile of PROFILES) {
    for (const engine of ENGINES) {
      verifiers.set(
        coreKey(profile, engine),
        createVerifier({ ...profileOptions(world, profile), engine }),
      );
    }
    for (const adapter of ADAPTERS) {
      apps.set(
        appKey(adapter, profile),
        await startAdapter(adapter, profileOptions(world, profile)),
      );
    }
  }
  const byCategory = Object.entries(countByCategory())
    .map(([category, n]) => `${category} ${n}`)
    .join(', ');
  const entryPoints = 2 * ENGINES.length + ADAPTERS.length;
  const fastify = apps.get(appKey('fastify', 'default'))!.transport;
  console.log(
    `[security] attack corpus: ${ATTACKS.length} cases (${byCategory}); ` +
      `entry points: core authenticate + verify × engines ${ENGINES.join('/')}, ` +
      `express, koa, fastify (${fastify}) → ${ATTACKS.length * entryPoints} rejection checks`,
  );
});

afterAll(async () => {
  for (const verifier of [...verifiers.values(), ...extraVerifiers]) verifier.close();
  await Promise.all([...apps.values()].map((app) => app.close()));
  await world?.close();
});

function assertAttackerUntouched(): void {
  expect({ jku: world.jkuServer.requests, x5u: world.x5uServer.requests }).toEqual({
    jku: 0,
    x5u: 0,
  });
}

function label(c: AttackCase): string {
  return `[${c.profile}] ${c.category}: ${c.name}`;
}

function acceptedMessage(c: AttackCase, where: string): string {
  const bug = c.knownBug === undefined ? '' : ` (known core bug: ${c.knownBug})`;
  return `${where} ACCEPTED attack "${c.name}"${bug}`;
}

describe('controls (each profile accepts a valid token, so rejections are meaningful)', () => {
  it.each(ENGINES.flatMap((e) => PROFILES.map((p) => [e, p] as const)))(
    'core (%s engine) accepts valid tokens [%s]',
    async (engine, profile) => {
      for (const token of controlTokens(world, profile)) {
        const verifier = verifiers.get(coreKey(profile, engine))!;
        expect(await settle(verifier.authenticate(bearerRequest(token)))).toMatchObject({
          ok: true,
        });
      }
    },
  );
  it.each(ADAPTERS.flatMap((a) => PROFILES.map((p) => [a, p] as const)))(
    '%s accepts valid tokens [%s]',
    async (adapter, profile) => {
      for (const token of controlTokens(world, profile)) {
        const res = await apps.get(appKey(adapter, profile))!.get(`Bearer ${token}`);
        expect(res.status).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ sub: 'security-suite' });
      }
    },
  );
});

describe.each(ENGINES)('core (%s engine): authenticate and verify', (engine) => {
  it.each(ATTACKS.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const token = c.build(world);
    const verifier = verifiers.get(coreKey(c.profile, engine))!;
    for (const [where, outcome] of [
      ['authenticate', await settle(verifier.authenticate(bearerRequest(token)))],
      ['verify', await settle(verifier.verify(token))],
    ] as const) {
      if (outcome.ok) throw new Error(acceptedMessage(c, `core ${engine} ${where}`));
      const error = errorOf(outcome);
      expect({ where, status: error.status, error: error.error }).toEqual({
        where,
        status: 401,
        error: 'invalid_token',
      });
      if (c.codes !== undefined) expect(c.codes).toContain(error.code);
      const challenge = error.headers['WWW-Authenticate'] ?? '';
      expect(challenge).toContain('error="invalid_token"');
      for (const probe of leakProbes(token)) {
        expect(challenge).not.toContain(probe);
        expect(error.message).not.toContain(probe);
      }
    }
    assertAttackerUntouched();
  });
});

describe.each(ADAPTERS)('adapter %s', (adapter) => {
  it.each(ATTACKS.map((c) => [label(c), c] as const))('%s', async (_name, c) => {
    const token = c.build(world);
    const res = await apps.get(appKey(adapter, c.profile))!.get(`Bearer ${token}`);
    if (res.status === 200) throw new Error(acceptedMessage(c, adapter));
    expect(res.status).toBe(401);
    const challenge = res.headers['www-authenticate'] ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="invalid_token"');
    for (const probe of leakProbes(token)) {
      expect(challenge).not.toContain(probe);
      expect(res.body).not.toContain(probe);
    }
    assertAttackerUntouched();
  });
});

describe('maxTokenLength: oversized tokens are refused before parsing, crypto or any fetch', () => {
  it('9,000 characters of garbage → ERR_TOKEN_TOO_LARGE (not MALFORMED), no key set request', async () => {
    const verifier = createVerifier(profileOptions(world, 'default'));
    extraVerifiers.push(verifier);
    const before = world.issuer.requests.jwks;
    const garbage = 'a'.repeat(9000);
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(garbage))));
    expect([error.status, error.error, error.code]).toEqual([
      401,
      'invalid_token',
      'ERR_TOKEN_TOO_LARGE',
    ]);
    expect(world.issuer.requests.jwks).toBe(before);

    // Control: the same garbage under a higher limit is judged by the parser.
    const roomy = createVerifier({ ...profileOptions(world, 'default'), maxTokenLength: 10_000 });
    extraVerifiers.push(roomy);
    const parsed = errorOf(await settle(roomy.authenticate(bearerRequest(garbage))));
    expect(parsed.code).toBe('ERR_TOKEN_MALFORMED');
  });

  it('a validly signed 9,000-character token → ERR_TOKEN_TOO_LARGE with zero key set requests', async () => {
    const verifier = createVerifier(profileOptions(world, 'default'));
    extraVerifiers.push(verifier);
    const before = world.issuer.requests.jwks;
    const header = { alg: 'ES256', kid: world.es.kid, typ: 'at+jwt' };
    let token = signJws(world.es, header, world.claims({ pad: '' }));
    token = signJws(world.es, header, world.claims({ pad: 'p'.repeat(9000 - token.length) }));
    expect(token.length).toBeGreaterThan(8192);
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
    expect(error.code).toBe('ERR_TOKEN_TOO_LARGE');
    expect(world.issuer.requests.jwks).toBe(before);

    // Control: accepted once the limit allows it (so it really was only the size).
    const roomy = createVerifier({ ...profileOptions(world, 'default'), maxTokenLength: 16_384 });
    extraVerifiers.push(roomy);
    expect(await settle(roomy.authenticate(bearerRequest(token)))).toMatchObject({ ok: true });
  });
});

describe('duplicate header members', () => {
  // RFC 7515 §4: a JWS parser MUST either reject duplicate Header Parameter
  // names or keep only the lexically last one. The verifier keeps the last
  // one, and so does jose, so key selection and signature checking always
  // read the same header: a signature made for any other reading fails (see
  // the duplicate-header corpus cases). This pins that behaviour.
  it('the lexically last member wins for key selection and verification alike', async () => {
    const header = `{"alg":"ES256","kid":"${world.es.kid}","alg":"RS256","kid":"${world.rs.kid}","typ":"at+jwt"}`;
    const claims = world.claims();
    const input = signingInput(header, claims);
    const lastReading = `${input}.${Buffer.from(rawSignature(world.rs, input)).toString('base64url')}`;
    const firstReading = `${input}.${Buffer.from(rawSignature(world.es, input)).toString('base64url')}`;
    const verifier = verifiers.get(coreKey('default'))!;
    const ok = await settle(verifier.verify(lastReading));
    expect(ok).toMatchObject({ ok: true });
    if (ok.ok) expect(ok.result?.header).toMatchObject({ alg: 'RS256', kid: world.rs.kid });
    expect(errorOf(await settle(verifier.verify(firstReading))).code).toBe('ERR_SIGNATURE_INVALID');
  });
});

describe('ECDSA signature malleability (documented, not fixable in a verifier)', () => {
  // For any valid ECDSA signature (r, s), (r, n - s) is valid too, and JWS
  // (RFC 7518 §3.4) does not require low s; most issuers emit either. So a
  // holder of a valid ES256 token can mint a second, different token string
  // that verifies. Consequence: revocation must key on claims (jti), never on
  // the token string. This pins the behaviour so the docs stay true.
  it.each(ENGINES)(
    'the (r, n - s) twin of a valid ES256 token verifies [%s engine]',
    async (engine) => {
      const input = signingInput(
        { alg: 'ES256', kid: world.es.kid, typ: 'at+jwt' },
        world.claims(),
      );
      const raw = rawSignature(world.es, input);
      const n = BigInt(`0x${P256_ORDER.toString('hex')}`);
      const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
      const twin = Buffer.concat([
        raw.subarray(0, 32),
        Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'),
      ]);
      const original = `${input}.${raw.toString('base64url')}`;
      const malleated = `${input}.${twin.toString('base64url')}`;
      expect(malleated).not.toBe(original);
      const verifier = verifiers.get(coreKey('default', engine))!;
      const a = await settle(verifier.verify(original));
      const b = await settle(verifier.verify(malleated));
      expect([a.ok, b.ok]).toEqual([true, true]);
      if (a.ok && b.ok) expect(b.result?.payload.jti).toBe(a.result?.payload.jti);
    },
  );
});

describe('RFC 7797 unencoded payload (b64: false, crit ["b64"])', () => {
  it('is not a b64token: the header path answers 400 invalid_request; verify() answers 401', async () => {
    const token = unencodedPayloadToken(world);
    for (const engine of ENGINES) {
      const verifier = verifiers.get(coreKey('default', engine))!;
      const viaHeader = errorOf(await settle(verifier.authenticate(bearerRequest(token))));
      expect([viaHeader.status, viaHeader.error]).toEqual([400, 'invalid_request']);
      const direct = errorOf(await settle(verifier.verify(token)));
      expect([direct.status, direct.error]).toEqual([401, 'invalid_token']);
    }
    for (const adapter of ADAPTERS) {
      const res = await apps.get(appKey(adapter, 'default'))!.get(`Bearer ${token}`);
      expect([adapter, res.status]).toEqual([adapter, 400]);
      expect(res.headers['www-authenticate']).toContain('error="invalid_request"');
    }
  });
});

describe('attacker-controlled key URLs', () => {
  it('jku / x5u servers received zero requests over the whole suite', () => {
    assertAttackerUntouched();
    // Sanity: the attacker servers are real and reachable.
    expect(world.jkuServer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/jwks$/);
  });
});
