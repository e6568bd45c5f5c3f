/**
 * Against a real identity provider: oidc-provider 9 on 127.0.0.1:0 issuing
 * RFC 9068 JWT access tokens through the client_credentials grant. Tokens are
 * obtained with real POSTs to its token endpoint; the verifier discovers the
 * key set from the issuer URL alone and runs with `strict: true`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createVerifier } from '@jwks-auth/core';
import type { JwksAuthEvent, Verifier, VerifierOptions } from '@jwks-auth/core';
import { exportJWK, generateKeyPair } from 'jose';
import type { default as ProviderClass } from 'oidc-provider';
import { ADAPTERS, bearerRequest, errorOf, settle, startAdapter } from './harness.js';
import type { AdapterApp } from './harness.js';

const API = 'https://api.example.test';
const OTHER_API = 'https://other-api.example.test';
const CLIENT = { id: 'security-suite-client', secret: 'a-long-enough-client-secret-for-tests' };

let Provider: typeof ProviderClass;
let server: Server;
let issuer: string;
let provider: ProviderClass;
const keys: Record<string, Record<string, unknown>> = {};
const cases: string[] = [];
const opened: Array<{ close(): unknown }> = [];

function oidcCase(name: string, fn: () => Promise<void>) {
  cases.push(name);
  it(name, fn);
}

async function privateJwk(alg: 'RS256' | 'ES256', kid: string) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
}

function makeProvider(jwks: Array<Record<string, unknown>>): ProviderClass {
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT.id,
        client_secret: CLIENT.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: jwks },
    cookies: { keys: ['security-suite-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'read:messages',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        }),
        useGrantedResource: () => true,
      },
    },
  });
}

/** A real client_credentials token request (client_secret_basic). */
async function token(resource = API, scope = 'read:messages'): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource }).toString(),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

function header(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}

function options(extra: Partial<VerifierOptions> = {}): VerifierOptions {
  // Discovery from the issuer URL alone: no jwksUri.
  return { issuer, audience: API, strict: true, ...extra };
}

beforeAll(async () => {
  // oidc-provider announces development defaults (and Node 20 support) on the console.
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  jest.spyOn(console, 'info').mockImplementation(() => undefined);
  ({ default: Provider } = await import('oidc-provider'));
  keys.rs1 = await privateJwk('RS256', 'rs-1');
  keys.es1 = await privateJwk('ES256', 'es-1');
  keys.rs2 = await privateJwk('RS256', 'rs-2');
  // Listen first so the issuer URL can carry the port; requests go to
  // whichever provider is current, which lets a test swap its key set.
  server = createServer((req: IncomingMessage, res: ServerResponse) =>
    provider.callback()(req, res),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = makeProvider([keys.rs1, keys.es1]);
  console.log(`[security] oidc-provider 9 issuer ${issuer}`);
});

afterAll(async () => {
  await Promise.all(opened.map(async (o) => o.close()));
  await new Promise<void>((resolve) => {
    server?.close(() => resolve());
    server?.closeAllConnections();
  });
  console.log(`[security] oidc-provider cases: ${cases.length}`);
  jest.restoreAllMocks();
});

function track(verifier: Verifier): Verifier {
  opened.push(verifier);
  return verifier;
}

describe('tokens from oidc-provider', () => {
  oidcCase('the access token is an RFC 9068 JWT signed with the first RS256 key', async () => {
    const jwt = await token();
    expect(header(jwt)).toMatchObject({ alg: 'RS256', typ: 'at+jwt', kid: 'rs-1' });
  });

  oidcCase('core (strict, discovery): accepted with the expected claims', async () => {
    const events: JwksAuthEvent[] = [];
    const verifier = track(createVerifier(options({ onEvent: (e) => events.push(e) })));
    const outcome = await settle(verifier.authenticate(bearerRequest(await token())));
    if (!outcome.ok) throw outcome.error;
    expect(outcome.result?.payload).toMatchObject({
      iss: issuer,
      aud: API,
      client_id: CLIENT.id,
      sub: CLIENT.id,
      scope: 'read:messages',
    });
    const discovery = events.find((e) => e.type === 'discovery');
    expect(discovery).toMatchObject({ jwksUri: `${issuer}/jwks` });
  });

  oidcCase('core: a token minted for another resource is refused 401 invalid_token', async () => {
    const verifier = track(createVerifier(options()));
    const other = await token(OTHER_API);
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(other))));
    expect([error.status, error.error, error.code]).toEqual([
      401,
      'invalid_token',
      'ERR_AUDIENCE_INVALID',
    ]);
  });

  oidcCase('core: the same token with one payload character changed is refused', async () => {
    const verifier = track(createVerifier(options()));
    const jwt = await token();
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const flipped = `${h}.${p.slice(0, 10)}${p[10] === 'A' ? 'B' : 'A'}${p.slice(11)}.${s}`;
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(flipped))));
    expect([error.status, error.error]).toEqual([401, 'invalid_token']);
  });
});

describe.each(ADAPTERS)('adapter %s (strict, discovery)', (adapter) => {
  let app: AdapterApp;
  beforeAll(async () => {
    app = await startAdapter(adapter, options());
    opened.push(app);
  });

  oidcCase(`${adapter}: 200 with the claims`, async () => {
    const res = await app.get(`Bearer ${await token()}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ sub: CLIENT.id, iss: issuer });
  });

  oidcCase(`${adapter}: scope read:messages passes the scope check`, async () => {
    const res = await app.get(`Bearer ${await token()}`, '/read');
    expect(res.status).toBe(200);
  });

  oidcCase(`${adapter}: scope write:messages is missing → 403 insufficient_scope`, async () => {
    const res = await app.get(`Bearer ${await token()}`, '/write');
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="write:messages"');
  });

  oidcCase(`${adapter}: a token for another resource → 401 invalid_token`, async () => {
    const jwt = await token(OTHER_API);
    const res = await app.get(`Bearer ${jwt}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(res.headers['www-authenticate']).not.toContain(jwt.split('.')[2]!);
  });
});

describe('key rotation at the provider', () => {
  oidcCase(
    'new key first in the list: new kid accepted after exactly one refetch, old tokens still verify',
    async () => {
      let fetches = 0;
      const verifier = track(
        createVerifier(
          options({
            jwks: { cooldownDuration: 100 },
            onEvent: (e) => {
              if (e.type === 'jwks_fetch') fetches += 1;
            },
          }),
        ),
      );
      const before = await token();
      expect(header(before).kid).toBe('rs-1');
      expect(await settle(verifier.authenticate(bearerRequest(before)))).toMatchObject({
        ok: true,
      });
      expect(fetches).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 150)); // past the cooldown

      // "Restart" with a new key first; the old one stays published.
      provider = makeProvider([keys.rs2!, keys.rs1!, keys.es1!]);
      const after = await token();
      expect(header(after).kid).toBe('rs-2');
      expect(await settle(verifier.authenticate(bearerRequest(after)))).toMatchObject({ ok: true });
      expect(fetches).toBe(2);
      expect(await settle(verifier.verify(before))).toMatchObject({ ok: true });
      expect(fetches).toBe(2);
    },
  );

  oidcCase('old key removed: its tokens are refused once the key set is refreshed', async () => {
    provider = makeProvider([keys.rs1!, keys.es1!]);
    const oldToken = await token();
    const verifier = track(createVerifier(options({ jwks: { cooldownDuration: 100 } })));
    expect(await settle(verifier.authenticate(bearerRequest(oldToken)))).toMatchObject({
      ok: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 150));

    provider = makeProvider([keys.rs2!, keys.es1!]);
    const newToken = await token();
    expect(await settle(verifier.authenticate(bearerRequest(newToken)))).toMatchObject({
      ok: true,
    });
    const error = errorOf(await settle(verifier.authenticate(bearerRequest(oldToken))));
    expect([error.status, error.code]).toEqual([401, 'ERR_KEY_NOT_FOUND']);
  });
});
