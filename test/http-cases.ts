/**
 * The HTTP contract every adapter must honour, shared by the Express, Koa and
 * Fastify suites: one table of requests (built against a real local issuer)
 * with the status, exact `WWW-Authenticate` and error each must produce.
 *
 * Each adapter test builds an app with {@link ROUTES}, merges `prepared.options`
 * over {@link baseOptions}, sends `prepared.request` and checks the response
 * with {@link expectAuthHeaders} plus the body its framework renders.
 * {@link METADATA_CASES} are requests for the RFC 9728 metadata document
 * (any method), checked with {@link expectMetadataResponse}.
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
  /** Also behind `requiredAuthentication(REQUIRED_AUTHENTICATION)` (RFC 9470 step-up). */
  stepUp: '/step-up',
} as const;

export const REQUIRED_SCOPE = 'write:messages';
export const REQUIRED_CLAIM = { name: 'org', value: 'acme' } as const;
export const REQUIRED_AUTHENTICATION = {
  acrValues: ['urn:example:mfa', 'urn:example:hwk'],
  maxAge: 300,
} as const satisfies { acrValues: readonly string[]; maxAge: number };

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

/** RFC 9728 resource identifiers of the cases: without a path (the shared audience) and with one. */
export const RESOURCE = AUDIENCE;
export const MCP_RESOURCE = `${AUDIENCE}/mcp`;
/** Their metadata URLs (RFC 9728 §3.1), which challenges name in `resource_metadata`. */
export const RESOURCE_METADATA = `${AUDIENCE}/.well-known/oauth-protected-resource`;
export const MCP_RESOURCE_METADATA = `${AUDIENCE}/.well-known/oauth-protected-resource/mcp`;

const pointer = (url: string) => `, resource_metadata="${url}"`;

/** `resource_metadata` on every challenge (RFC 9728 §5.1), the audience a resource implies (RFC 8707), the URL rules. */
const PROTECTED_RESOURCE_CASES: readonly HttpCase[] = [
  {
    name: 'no token (protectedResource without a path)',
    prepare: async () => ({
      request: get({}),
      options: { protectedResource: { resource: RESOURCE } },
    }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: `Bearer realm="api"${pointer(RESOURCE_METADATA)}`,
  },
  {
    name: 'no token, Host of another site (protectedResource with a path)',
    prepare: async () => ({
      request: get({ host: 'attacker.example.test' }),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: `Bearer realm="api"${pointer(MCP_RESOURCE_METADATA)}`,
  },
  {
    name: 'expired (protectedResource)',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ exp: now() - 60 }))),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    ...invalidToken('ERR_TOKEN_EXPIRED', 'the token has expired'),
    wwwAuthenticate: `Bearer realm="api", error="invalid_token", error_description="the token has expired"${pointer(MCP_RESOURCE_METADATA)}`,
  },
  {
    name: 'scope check failed (protectedResource): scope and resource_metadata',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign()), ROUTES.scoped),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    status: 403,
    code: 'ERR_INSUFFICIENT_SCOPE',
    error: 'insufficient_scope',
    message: 'the token lacks a required scope',
    wwwAuthenticate: `Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="write:messages"${pointer(MCP_RESOURCE_METADATA)}`,
  },
  {
    name: 'audience from the resource, trailing slash normalised',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign())),
      options: { audience: undefined, protectedResource: { resource: `${AUDIENCE}/` } },
    }),
    status: 200,
  },
  {
    name: 'audience from the resource: a token for another audience',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign())),
      options: { audience: undefined, protectedResource: { resource: MCP_RESOURCE } },
    }),
    ...invalidToken('ERR_AUDIENCE_INVALID', 'the token audience is not accepted'),
    wwwAuthenticate: `Bearer realm="api", error="invalid_token", error_description="the token audience is not accepted"${pointer(MCP_RESOURCE_METADATA)}`,
  },
  {
    name: 'an explicit audience wins over the resource',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign())),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    status: 200,
  },
  {
    name: 'bare well-known path when the resource has a path: not the document',
    prepare: async () => ({
      request: get({}, '/.well-known/oauth-protected-resource'),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: `Bearer realm="api"${pointer(MCP_RESOURCE_METADATA)}`,
  },
  {
    name: 'resource with a trailing slash: the path without it is not the document',
    prepare: async () => ({
      request: get({}, '/.well-known/oauth-protected-resource/mcp'),
      options: { protectedResource: { resource: `${MCP_RESOURCE}/` } },
    }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: `Bearer realm="api"${pointer(`${MCP_RESOURCE_METADATA}/`)}`,
  },
];

const STEP_UP = (message: string, extra = '') =>
  ({
    status: 401,
    code: 'ERR_INSUFFICIENT_USER_AUTHENTICATION',
    error: 'insufficient_user_authentication',
    message,
    wwwAuthenticate: `Bearer realm="api", error="insufficient_user_authentication", error_description="${message}", acr_values="urn:example:mfa urn:example:hwk", max_age="300"${extra}`,
  }) as const;
const WEAK = 'a stronger authentication of the user is required';
const OLD = 'a more recent authentication of the user is required';

/** `requiredAuthentication` (RFC 9470): 401 `insufficient_user_authentication` naming `acr_values` and `max_age`. */
const STEP_UP_CASES: readonly HttpCase[] = [
  {
    name: 'step-up: no acr',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ auth_time: now() })), ROUTES.stepUp),
    }),
    ...STEP_UP(WEAK),
  },
  {
    name: 'step-up: acr not accepted',
    prepare: async (issuer) => ({
      request: get(
        bearer(await issuer.sign({ acr: 'urn:example:pwd', auth_time: now() })),
        ROUTES.stepUp,
      ),
    }),
    ...STEP_UP(WEAK),
  },
  {
    name: 'step-up: authentication older than maxAge',
    prepare: async (issuer) => ({
      request: get(
        bearer(await issuer.sign({ acr: 'urn:example:mfa', auth_time: now() - 600 })),
        ROUTES.stepUp,
      ),
    }),
    ...STEP_UP(OLD),
  },
  {
    name: 'step-up: no auth_time',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ acr: 'urn:example:mfa' })), ROUTES.stepUp),
    }),
    ...STEP_UP(OLD),
  },
  {
    name: 'step-up (protectedResource): resource_metadata too',
    prepare: async (issuer) => ({
      request: get(bearer(await issuer.sign({ acr: 'urn:example:pwd' })), ROUTES.stepUp),
      options: { protectedResource: { resource: MCP_RESOURCE } },
    }),
    ...STEP_UP(WEAK, pointer(MCP_RESOURCE_METADATA)),
  },
  {
    name: 'step-up: no token',
    prepare: async () => ({ request: get({}, ROUTES.stepUp) }),
    status: 401,
    code: 'ERR_NO_TOKEN',
    message: 'no bearer token in the request',
    wwwAuthenticate: 'Bearer realm="api"',
  },
  {
    name: 'step-up passed',
    prepare: async (issuer) => ({
      request: get(
        bearer(await issuer.sign({ acr: 'urn:example:hwk', auth_time: now() - 10 })),
        ROUTES.stepUp,
      ),
    }),
    status: 200,
  },
];

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
  ...PROTECTED_RESOURCE_CASES,
  ...STEP_UP_CASES,
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

/**
 * A request for the RFC 9728 metadata document, and the response every
 * adapter must give it: served by the authentication middleware (plugin)
 * itself, without authentication.
 */
export interface MetadataCase {
  name: string;
  /** Merged over {@link baseOptions}. */
  options: Partial<SharedOptions>;
  request: {
    method: 'GET' | 'HEAD' | 'OPTIONS' | 'POST' | 'DELETE';
    path: string;
    headers?: Record<string, string>;
  };
  status: number;
  /** Headers that must be present with exactly these values (lower-case names). */
  headers: Record<string, string>;
  /** The JSON document the body must be; `''` for no body; undefined: not checked. */
  body?: (issuer: TestIssuer) => Record<string, unknown> | '';
  /** The document whose JSON length `Content-Length` must give (HEAD: the length of GET's body). */
  lengthOf?: (issuer: TestIssuer) => Record<string, unknown>;
}

const METADATA_HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'access-control-allow-origin': '*',
  'cache-control': 'public, max-age=3600',
} as const;

const plainDocument =
  (resource: string) =>
  (issuer: TestIssuer): Record<string, unknown> => ({
    resource,
    authorization_servers: [issuer.issuer],
    bearer_methods_supported: ['header'],
  });

const metadataGet = (
  name: string,
  resource: string,
  path: string,
  extra: Partial<MetadataCase> = {},
): MetadataCase => ({
  name,
  options: { protectedResource: { resource } },
  request: { method: 'GET', path },
  status: 200,
  headers: METADATA_HEADERS,
  body: plainDocument(resource),
  ...extra,
});

const MCP_PATH = '/.well-known/oauth-protected-resource/mcp';

export const METADATA_CASES: readonly MetadataCase[] = [
  metadataGet('GET, resource with a path', MCP_RESOURCE, MCP_PATH),
  metadataGet('GET, resource without a path', RESOURCE, '/.well-known/oauth-protected-resource'),
  metadataGet(
    'GET, resource with "/" as its path',
    `${RESOURCE}/`,
    '/.well-known/oauth-protected-resource',
  ),
  metadataGet(
    'GET, resource with a trailing slash: kept at the end of the path',
    `${MCP_RESOURCE}/`,
    `${MCP_PATH}/`,
  ),
  metadataGet('GET with a query string', MCP_RESOURCE, `${MCP_PATH}?x=1`),
  metadataGet('GET with an invalid token: no authentication', MCP_RESOURCE, MCP_PATH, {
    request: { method: 'GET', path: MCP_PATH, headers: { authorization: 'Bearer not-a-jwt' } },
  }),
  metadataGet('GET on another Host: the same document', MCP_RESOURCE, MCP_PATH, {
    request: { method: 'GET', path: MCP_PATH, headers: { host: 'attacker.example.test' } },
  }),
  metadataGet('GET, every member', MCP_RESOURCE, MCP_PATH, {
    options: {
      allowQueryToken: true,
      dpop: { algorithms: ['ES256'] },
      protectedResource: {
        resource: MCP_RESOURCE,
        authorizationServers: ['https://as.example.test'],
        scopesSupported: ['mcp:tools', REQUIRED_SCOPE],
        resourceName: 'Example MCP server',
        documentation: 'https://docs.example.test/mcp',
        tls_client_certificate_bound_access_tokens: false,
      },
    },
    body: () => ({
      resource: MCP_RESOURCE,
      authorization_servers: ['https://as.example.test'],
      scopes_supported: ['mcp:tools', REQUIRED_SCOPE],
      bearer_methods_supported: ['header', 'query'],
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: false,
      resource_name: 'Example MCP server',
      resource_documentation: 'https://docs.example.test/mcp',
      tls_client_certificate_bound_access_tokens: false,
    }),
  }),
  {
    name: 'HEAD: the headers of GET, no body',
    options: { protectedResource: { resource: MCP_RESOURCE } },
    request: { method: 'HEAD', path: MCP_PATH },
    status: 200,
    body: () => '',
    headers: METADATA_HEADERS,
    lengthOf: plainDocument(MCP_RESOURCE),
  },
  {
    name: 'OPTIONS: a CORS preflight answer',
    options: { protectedResource: { resource: MCP_RESOURCE } },
    request: {
      method: 'OPTIONS',
      path: MCP_PATH,
      headers: {
        origin: 'https://app.example.test',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'mcp-protocol-version',
      },
    },
    status: 204,
    body: () => '',
    headers: {
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, HEAD',
      'access-control-allow-headers': '*',
      'access-control-max-age': '3600',
    },
  },
  {
    name: 'POST: 405 with Allow',
    options: { protectedResource: { resource: MCP_RESOURCE } },
    request: { method: 'POST', path: MCP_PATH },
    status: 405,
    headers: { allow: 'GET, HEAD, OPTIONS' },
  },
  {
    name: 'DELETE: 405 with Allow',
    options: { protectedResource: { resource: MCP_RESOURCE } },
    request: { method: 'DELETE', path: MCP_PATH },
    status: 405,
    headers: { allow: 'GET, HEAD, OPTIONS' },
  },
];

/**
 * Asserts a metadata response: status, the case's headers, no challenge,
 * and the body (the exact document, with a matching `Content-Length`).
 */
export function expectMetadataResponse(
  c: MetadataCase,
  issuer: TestIssuer,
  response: { status: number; headers: Record<string, unknown>; text: string },
): void {
  const picked = Object.fromEntries(Object.keys(c.headers).map((h) => [h, response.headers[h]]));
  expect({ status: response.status, headers: picked }).toEqual({
    status: c.status,
    headers: c.headers,
  });
  expect(response.headers['www-authenticate']).toBeUndefined();
  const length = c.lengthOf?.(issuer);
  if (length !== undefined) {
    expect(response.headers['content-length']).toBe(
      String(Buffer.byteLength(JSON.stringify(length))),
    );
  }
  const body = c.body?.(issuer);
  if (body === '') expect(response.text).toBe('');
  else if (body !== undefined) {
    expect(JSON.parse(response.text)).toEqual(body);
    expect(response.headers['content-length']).toBe(String(Buffer.byteLength(response.text)));
  }
}
