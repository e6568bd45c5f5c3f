/**
 * The HTTP contract every adapter must honour, shared by the Express, Koa and
 * Fastify suites: one table of requests (built against a real local issuer)
 * with the status, exact `WWW-Authenticate` and error each must produce.
 *
 * Each adapter test builds an app with {@link ROUTES}, merges `prepared.options`
 * over {@link baseOptions}, sends `prepared.request` and checks the response
 * with {@link expectAuthHeaders} plus the body its framework renders.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from '@jest/globals';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import type { BearerErrorName, JwksAuthErrorCode, VerifierOptions } from '@jwks-auth/core';

/** Audience of every token the shared issuer signs by default. */
export const AUDIENCE = 'https://api.example.test';

/** Options the cases may set: everything but `getToken`, whose argument is framework-specific. */
export type SharedOptions = Omit<VerifierOptions, 'getToken'>;

/** Routes every adapter test app must serve; each answers 200 `{ auth }` (the verified result or null). */
export const ROUTES = {
  /** Behind the authentication middleware only. */
  protected: '/protected',
  /** Also behind `requiredScopes(REQUIRED_SCOPE)`. */
  scoped: '/scoped',
  /** Also behind `claimEquals(REQUIRED_CLAIM.name, REQUIRED_CLAIM.value)`. */
  claim: '/claim',
} as const;

export const REQUIRED_SCOPE = 'write:messages';
export const REQUIRED_CLAIM = { name: 'org', value: 'acme' } as const;

/** The verifier options of the shared issuer (discovery, default algorithms). */
export function baseOptions(issuer: TestIssuer): SharedOptions {
  return { issuer: issuer.issuer, audience: AUDIENCE };
}

export interface PreparedRequest {
  /** Path, with any query string. */
  path: string;
  headers: Record<string, string>;
}

export interface Prepared {
  request: PreparedRequest;
  /** Merged over {@link baseOptions}. */
  options?: Partial<SharedOptions>;
  /** Releases what `prepare` started (another issuer, say). */
  cleanup?: () => Promise<void>;
}

export interface HttpCase {
  name: string;
  prepare(issuer: TestIssuer): Promise<Prepared>;
  status: number;
  /** Exact `WWW-Authenticate` value; undefined means the header must be absent. */
  wwwAuthenticate?: string;
  /** Exact `Retry-After` value; undefined means the header must be absent. */
  retryAfter?: string;
  /** `JwksAuthError.code` (failures only). */
  code?: JwksAuthErrorCode;
  /** RFC 6750 `error` (absent for a missing token and for 503). */
  error?: BearerErrorName;
  /** `JwksAuthError.message` (equal to `error_description` when `error` is set). */
  message?: string | RegExp;
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });
const get = (headers: Record<string, string>, path: string = ROUTES.protected) => ({
  path,
  headers,
});
const now = (): number => Math.floor(Date.now() / 1000);

/** A token whose payload was changed after signing. */
async function tampered(issuer: TestIssuer): Promise<string> {
  const [header, , signature] = (await issuer.sign()).split('.');
  const payload = Buffer.from(
    JSON.stringify({ iss: issuer.issuer, aud: AUDIENCE, sub: 'admin', exp: now() + 300 }),
  ).toString('base64url');
  return `${header}.${payload}.${signature}`;
}

/** A URL on 127.0.0.1 where nothing listens. */
export async function closedPortUrl(path = '/jwks'): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}${path}`;
}

const invalidRequest = (message: string, challenge: string) =>
  ({
    status: 400,
    code: 'ERR_INVALID_REQUEST',
    error: 'invalid_request',
    message,
    wwwAuthenticate: `Bearer realm="api", error="invalid_request", error_description="${challenge}"`,
  }) as const;

const invalidToken = (code: JwksAuthErrorCode, message: string) =>
  ({
    status: 401,
    code,
    error: 'invalid_token',
    message,
    wwwAuthenticate: `Bearer realm="api", error="invalid_token", error_description="${message}"`,
  }) as const;

const HEADER_SYNTAX = 'the Authorization header must be Bearer followed by one token';
const HEADER_SYNTAX_QUOTED = HEADER_SYNTAX;

export const HTTP_CASES: readonly HttpCase[] = [
  {
    name: 'no token',
    prepare: async () => ({ request: get({}) }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: 'Bearer realm="api"',
  },
  {
    name: 'malformed Authorization: Basic scheme',
    prepare: async () => ({ request: get({ authorization: 'Basic abc' }) }),
    ...invalidRequest(HEADER_SYNTAX, HEADER_SYNTAX_QUOTED),
  },
  {
    name: 'malformed Authorization: "Bearer" alone',
    prepare: async () => ({ request: get({ authorization: 'Bearer' }) }),
    ...invalidRequest(HEADER_SYNTAX, HEADER_SYNTAX_QUOTED),
  },
  {
    name: 'malformed Authorization: "Bearer a b"',
    prepare: async () => ({ request: get({ authorization: 'Bearer a b' }) }),
    ...invalidRequest(
      'Bearer credentials are not a valid b64token',
      'Bearer credentials are not a valid b64token',
    ),
  },
  {
    name: 'token in the header and the query (allowQueryToken)',
    prepare: async (issuer) => {
      const token = await issuer.sign();
      return {
        request: get(bearer(token), `${ROUTES.protected}?access_token=${token}`),
        options: { allowQueryToken: true },
      };
    },
    ...invalidRequest(
      'the token was sent in more than one way',
      'the token was sent in more than one way',
    ),
  },
  {
    name: 'bad signature',
    prepare: async (issuer) => ({ request: get(bearer(await tampered(issuer))) }),
    ...invalidToken('ERR_SIGNATURE_INVALID', 'the token signature is invalid'),
  },
  {
    name: 'expired',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ exp: now() - 60 }))),
    }),
    ...invalidToken('ERR_TOKEN_EXPIRED', 'the token has expired'),
  },
  {
    name: 'not yet valid',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ nbf: now() + 600 }))),
    }),
    ...invalidToken('ERR_TOKEN_NOT_YET_VALID', 'the token is not yet valid'),
  },
  {
    name: 'wrong issuer',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ iss: 'https://evil.example.test' }))),
    }),
    ...invalidToken('ERR_ISSUER_INVALID', 'the token issuer is not accepted'),
  },
  {
    name: 'wrong audience',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ aud: 'https://other.example.test' }))),
    }),
    ...invalidToken('ERR_AUDIENCE_INVALID', 'the token audience is not accepted'),
  },
  {
    name: 'wrong typ (typ option)',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({}, { typ: 'JWT' }))),
      options: { typ: 'at+jwt' },
    }),
    ...invalidToken('ERR_TYP_INVALID', 'the token type (typ header) is not accepted'),
  },
  {
    name: 'algorithm not allowed',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign())),
      options: { algorithms: ['ES256'] },
    }),
    ...invalidToken('ERR_ALG_NOT_ALLOWED', 'the token algorithm is not allowed'),
  },
  {
    name: 'unknown kid',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({}, { header: { kid: 'unknown-kid' } }))),
    }),
    ...invalidToken('ERR_KEY_NOT_FOUND', 'no key in the key set matches the token'),
  },
  {
    name: 'not a JWT',
    prepare: async () => ({ request: get(bearer('not-a-jwt')) }),
    ...invalidToken('ERR_TOKEN_MALFORMED', 'the token is not a JWT'),
  },
  {
    name: 'JWE-shaped five-part token',
    prepare: async () => ({
      request: get(bearer('eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d')),
    }),
    ...invalidToken('ERR_TOKEN_ENCRYPTED', 'encrypted tokens (JWE) are not accepted'),
  },
  {
    name: 'revoked (isRevoked)',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ jti: 'revoked-jti' }))),
      options: { isRevoked: (result) => result.payload.jti === 'revoked-jti' },
    }),
    ...invalidToken('ERR_TOKEN_REVOKED', 'the token has been revoked'),
  },
  {
    name: 'scope check failed',
    prepare: async (issuer) => ({ request: get(bearer(await issuer.sign()), ROUTES.scoped) }),
    status: 403,
    code: 'ERR_INSUFFICIENT_SCOPE',
    error: 'insufficient_scope',
    message: 'the token lacks a required scope',
    wwwAuthenticate:
      'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"',
  },
  {
    name: 'claim check failed',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ org: 'other' })), ROUTES.claim),
    }),
    status: 403,
    code: 'ERR_CLAIM_CHECK_FAILED',
    error: 'insufficient_scope',
    message: 'the org claim check failed',
    wwwAuthenticate:
      'Bearer realm="api", error="insufficient_scope", error_description="the org claim check failed"',
  },
  {
    name: 'key set unreachable (jwksUri on a closed port)',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign())),
      options: { jwksUri: await closedPortUrl() },
    }),
    status: 503,
    code: 'ERR_JWKS_UNAVAILABLE',
    message: 'the signing keys are unavailable',
    retryAfter: '1',
  },
  {
    name: 'issuer refusing connections before the first request',
    prepare: async () => {
      const down = await createTestIssuer();
      const token = await down.sign();
      await down.fail({ type: 'refuse' });
      return {
        request: get(bearer(token)),
        options: { issuer: down.issuer },
        cleanup: () => down.close(),
      };
    },
    status: 503,
    code: 'ERR_DISCOVERY_FAILED',
    message: 'the identity provider metadata is unavailable',
    retryAfter: '1',
  },
  {
    name: 'valid token',
    prepare: async (issuer) => ({ request: get(bearer(await issuer.sign())) }),
    status: 200,
  },
  {
    name: 'scope check passed',
    prepare: async (issuer) => ({
      request: get(
        bearer(await issuer.sign({ scope: 'read:messages write:messages' })),
        ROUTES.scoped,
      ),
    }),
    status: 200,
  },
  {
    name: 'claim check passed',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ org: 'acme' })), ROUTES.claim),
    }),
    status: 200,
  },
];

/** Asserts the status and the exact `WWW-Authenticate` and `Retry-After` headers of a case. */
export function expectAuthHeaders(
  c: HttpCase,
  response: { status: number; headers: Record<string, unknown> },
): void {
  expect({
    status: response.status,
    wwwAuthenticate: response.headers['www-authenticate'],
    retryAfter: response.headers['retry-after'],
  }).toEqual({ status: c.status, wwwAuthenticate: c.wwwAuthenticate, retryAfter: c.retryAfter });
}

/** Asserts an error message against a case's expectation (string or pattern). */
export function expectMessage(c: HttpCase, message: unknown): void {
  if (c.message instanceof RegExp) expect(message).toMatch(c.message);
  else expect(message).toBe(c.message);
}

/** Payload claims a 200 case must expose to the route (`sub` of the shared issuer's tokens). */
export const EXPECTED_SUB = 'test-user';
