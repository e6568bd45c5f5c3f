/**
 * The DPoP section of the attack corpus: every forged, replayed or
 * mismatched proof, every bound token sent the wrong way, through the core
 * and the three adapters (Express and Koa over real HTTP, Fastify over real
 * HTTP too, since `htu` is the URL the client used). Each must be a 4xx with
 * a challenge, never a 5xx, and never reach the handler.
 */
import { request as httpRequest } from 'node:http';
import type { OutgoingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import type { Verifier, VerifierOptions } from '@jwks-auth/core';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, DpopProofOptions, TestIssuer } from '@jwks-auth/testing';
import { exportJWK } from 'jose';
import { ADAPTERS } from './harness.js';
import { serveApi } from './oidc.js';
import type { Api } from './oidc.js';

const AUD = 'https://api.example.test';
const SECRET = 'a-nonce-secret-of-at-least-32-characters!';
const PATH = '/messages';

let issuer: TestIssuer;
let key: DpopKey;
let other: DpopKey;

interface Attack {
  name: string;
  /** Headers to send, given the URL the client uses and a fresh bound token. */
  headers(url: string, token: string): Promise<OutgoingHttpHeaders>;
  status: number;
  error: 'invalid_dpop_proof' | 'invalid_token' | 'invalid_request' | 'use_dpop_nonce';
  /** Run against the verifier with server nonces on. */
  nonce?: boolean;
}

const now = () => Math.floor(Date.now() / 1000);
const proof = (url: string, token: string, extra: Partial<DpopProofOptions> = {}, by = key) =>
  by.proof({ htm: 'GET', htu: url, accessToken: token, ...extra });
const dpop = async (
  url: string,
  token: string,
  extra: Partial<DpopProofOptions> = {},
  by = key,
) => ({
  authorization: `DPoP ${token}`,
  dpop: await proof(url, token, extra, by),
});

const ATTACKS: Attack[] = [
  {
    name: 'wrong htm',
    headers: (u, t) => dpop(u, t, { htm: 'POST' }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'htu of another path',
    headers: (u, t) => dpop(u.replace(PATH, '/admin'), t),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'htu of another host',
    headers: (u, t) => dpop(u.replace('127.0.0.1', 'evil.example'), t),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'htu of another port',
    headers: (u, t) => dpop(u.replace(/:(\d+)\//, ':1/'), t),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'ath of another token',
    headers: (u, t) => dpop(u, t, { accessToken: `${t}x` }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'no ath',
    headers: (u, t) => dpop(u, t, { omit: ['ath'] }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'key not matching cnf.jkt',
    headers: (u, t) => dpop(u, t, {}, other),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'proof 10 minutes old',
    headers: (u, t) => dpop(u, t, { iat: now() - 600 }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'proof 10 minutes in the future',
    headers: (u, t) => dpop(u, t, { iat: now() + 600 }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'no iat',
    headers: (u, t) => dpop(u, t, { omit: ['iat'] }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'no jti',
    headers: (u, t) => dpop(u, t, { omit: ['jti'] }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'alg none',
    headers: (u, t) => dpop(u, t, { alg: 'none' }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'alg HS256',
    headers: (u, t) => dpop(u, t, { alg: 'HS256' }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'typ JWT',
    headers: (u, t) => dpop(u, t, { typ: 'JWT' }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'no typ',
    headers: (u, t) => dpop(u, t, { extraHeader: { typ: undefined } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'a private jwk',
    headers: async (u, t) => dpop(u, t, { jwk: { ...(await exportJWK(key.privateKey)) } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'a jku instead of a jwk',
    headers: (u, t) =>
      dpop(u, t, { extraHeader: { jwk: undefined, jku: 'http://127.0.0.1:1/jwks' } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'a symmetric jwk',
    headers: (u, t) => dpop(u, t, { jwk: { kty: 'oct', k: 'AAAA' } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'an unknown crit',
    headers: (u, t) => dpop(u, t, { extraHeader: { crit: ['exp'], exp: 1 } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'two DPoP headers',
    headers: async (u, t) => ({
      authorization: `DPoP ${t}`,
      dpop: [await proof(u, t), await proof(u, t)],
    }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'no DPoP header',
    headers: async (_u, t) => ({ authorization: `DPoP ${t}` }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'an oversized proof',
    headers: (u, t) => dpop(u, t, { extraClaims: { pad: 'x'.repeat(6000) } }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'garbage in the DPoP header',
    headers: async (_u, t) => ({ authorization: `DPoP ${t}`, dpop: '%%%.%%%.%%%' }),
    status: 401,
    error: 'invalid_dpop_proof',
  },
  {
    name: 'the proof in the Authorization header',
    headers: async (u, t) => ({ authorization: `DPoP ${await proof(u, t)}` }),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'the bound token as Bearer',
    headers: async (_u, t) => ({ authorization: `Bearer ${t}` }),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'an unbound token as DPoP',
    headers: async (u) => {
      const unbound = await issuer.sign();
      return dpop(u, unbound);
    },
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'DPoP with two spaces and a token list',
    headers: async (_u, t) => ({ authorization: `DPoP ${t} ${t}` }),
    status: 400,
    error: 'invalid_request',
  },
  {
    name: 'no nonce where one is required',
    headers: (u, t) => dpop(u, t),
    status: 401,
    error: 'use_dpop_nonce',
    nonce: true,
  },
  {
    name: 'a forged nonce',
    headers: (u, t) =>
      dpop(u, t, { nonce: `${Math.floor(Date.now() / 300_000).toString(36)}.AAAA` }),
    status: 401,
    error: 'use_dpop_nonce',
    nonce: true,
  },
  {
    name: 'an expired nonce',
    headers: (u, t) =>
      dpop(u, t, { nonce: `${(Math.floor(Date.now() / 300_000) - 5).toString(36)}.AAAA` }),
    status: 401,
    error: 'use_dpop_nonce',
    nonce: true,
  },
];

function send(
  url: string,
  headers: OutgoingHttpHeaders,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const options = (nonce: boolean, origin?: string): VerifierOptions => ({
  issuer: issuer.issuer,
  jwksUri: issuer.jwksUri,
  audience: AUD,
  dpop: { ...(nonce ? { nonce: { secret: SECRET } } : {}), ...(origin ? { origin } : {}) },
});

beforeAll(async () => {
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
  other = await createDpopKey('ES256');
});
afterAll(() => issuer.close());

describe('through the core', () => {
  const ORIGIN = 'http://127.0.0.1:8080';
  let plain: Verifier;
  let nonced: Verifier;
  beforeAll(() => {
    plain = createVerifier(options(false, ORIGIN));
    nonced = createVerifier(options(true, ORIGIN));
  });
  afterAll(() => {
    plain.close();
    nonced.close();
  });

  it.each(ATTACKS.map((a) => [a.name, a] as const))('%s', async (_name, attack) => {
    const token = await issuer.sign({}, { boundTo: key });
    const headers = await attack.headers(`${ORIGIN}${PATH}`, token);
    const verifier = attack.nonce === true ? nonced : plain;
    const error = await new Promise((resolve) =>
      resolve(
        verifier.handle({ method: 'GET', url: PATH, headers: headers as Record<string, string> }),
      ),
    ).then(
      () => undefined,
      (e: unknown) => e as { status: number; headers: Record<string, string> },
    );
    expect(error).toMatchObject({ status: attack.status });
    expect(error!.headers['WWW-Authenticate']).toContain(`error="${attack.error}"`);
  });
});

describe.each(ADAPTERS)('through %s over HTTP', (name) => {
  let plain: Api;
  let nonced: Api;
  let reached = 0;
  const respond = () => {
    reached += 1;
    return { ok: true };
  };
  beforeAll(async () => {
    plain = await serveApi(name, options(false), respond);
    nonced = await serveApi(name, options(true), respond);
  });
  afterAll(async () => {
    await plain.close();
    await nonced.close();
  });

  it('lets a valid DPoP request through (control)', async () => {
    const token = await issuer.sign({}, { boundTo: key });
    const before = reached;
    const res = await send(`${plain.base}${PATH}`, await dpop(`${plain.base}${PATH}`, token));
    expect(res.status).toBe(200);
    expect(reached).toBe(before + 1);
  });

  it.each(ATTACKS.map((a) => [a.name, a] as const))('%s', async (_name, attack) => {
    const api = attack.nonce === true ? nonced : plain;
    const token = await issuer.sign({}, { boundTo: key });
    const before = reached;
    const res = await send(`${api.base}${PATH}`, await attack.headers(`${api.base}${PATH}`, token));
    expect(res.status).toBe(attack.status);
    expect(String(res.headers['www-authenticate'])).toContain(`error="${attack.error}"`);
    expect(reached).toBe(before);
  });
});
