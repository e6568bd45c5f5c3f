/**
 * Web-standard runtimes: a Fetch API `Request` read as the core's
 * `RequestLike`, a `JwksAuthError` written as a Fetch API `Response`, and
 * what the Web path (no `node:crypto`) refuses at start-up.
 */
import { bearerErrorBody, isJwksAuthError } from './errors.js';
import { parseKeySet } from './keys.js';
import { fail } from './option-checks.js';
import type { RequestLike, ResolvedOptions } from './options.js';
import { NEEDS_NODE, NODE } from './platform.js';

/** What the core reads of a Fetch API `Request` (or anything shaped like one). */
export interface WebRequestLike {
  readonly method?: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
}

/** Whether `request` is a Fetch API `Request` rather than a Node-style one: its headers have `get`. */
export function isWebRequest(request: unknown): request is WebRequestLike {
  return typeof (request as { headers?: { get?: unknown } } | null)?.headers?.get === 'function';
}

/**
 * A header of a Fetch API request. `Headers.get` joins repeated headers
 * with ", ": neither a token nor a proof contains a comma (b64token, JWS),
 * so a comma means several lines, kept as an array, which is refused
 * (`invalid_request`) as on Node.
 */
function header(headers: WebRequestLike['headers'], name: string): string | string[] | undefined {
  const value = headers.get(name);
  if (value === null) return undefined;
  return value.includes(',') ? value.split(',') : value;
}

/**
 * A Fetch API `Request` as the core reads requests: the headers it needs,
 * the method, and the URL's path and query (as Node's `req.url`). The body
 * is a stream the application reads once, so the core never touches it:
 * with `allowBodyToken`, an adapter passes the parsed form as `body`.
 */
export function webRequestLike(request: WebRequestLike, body?: unknown): RequestLike {
  const { headers } = request;
  const url = request.url;
  // Absolute in the Fetch API; keep the path and query, as Node sees them.
  const scheme = url.indexOf('://');
  const start = scheme === -1 ? 0 : url.indexOf('/', scheme + 3);
  const like: RequestLike = {
    method: request.method,
    url: start === -1 ? '/' : url.slice(start),
    headers: {
      authorization: header(headers, 'authorization'),
      dpop: header(headers, 'dpop'),
      'content-type': headers.get('content-type') ?? undefined,
      'access-control-request-method': headers.get('access-control-request-method') ?? undefined,
    },
  };
  if (body !== undefined) like.body = body;
  return like;
}

/**
 * The Fetch API `Response` for `error` when it is a `JwksAuthError`: its
 * status, its headers (`WWW-Authenticate`, and `Retry-After` or `DPoP-Nonce`
 * when it has them) and the RFC 6750 JSON body. Undefined for anything else
 * (leave it to the framework).
 *
 * @example
 * try { auth = await verifier.authenticate(request); }
 * catch (error) { return errorToResponse(error) ?? new Response(null, { status: 500 }); }
 */
export function errorToResponse(error: unknown): Response | undefined {
  if (!isJwksAuthError(error)) return undefined;
  return new Response(JSON.stringify(bearerErrorBody(error)), {
    status: error.status,
    headers: { ...error.headers, 'content-type': 'application/json' },
  });
}

/**
 * `jwks.preload`: a key set document with at least one usable key, copied
 * and frozen. Each key set parses it again (a record belongs to one set).
 */
export function resolvePreload(value: unknown): Readonly<Record<string, unknown>> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('jwks.preload', 'must be a key set document ({ keys: [...] })');
  }
  let copy: Record<string, unknown>;
  try {
    copy = JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    return fail('jwks.preload', 'must be a JSON key set document');
  }
  if (!Array.isArray(copy.keys)) fail('jwks.preload', 'must have a "keys" array');
  const { keys, refused } = parseKeySet(copy);
  if (!keys.some((key) => key.importable())) {
    const first = refused[0];
    fail(
      'jwks.preload',
      `lists no usable key${first === undefined ? '' : ` (keys[${first.index}]: ${first.reason})`}`,
    );
  }
  return Object.freeze(copy);
}

/**
 * What the Web path cannot do, refused when the verifier is created rather
 * than at the first bound token: DPoP proofs and certificate-bound tokens
 * are checked with `node:crypto`.
 */
export function assertWebPlatform(options: ResolvedOptions): void {
  if (options.jwks.preload !== undefined && options.issuers.length !== 1) {
    fail('jwks.preload', 'applies to a single issuer (its keys must not verify another)');
  }
  if (NODE) return;
  if (options.dpop !== undefined) fail('dpop', NEEDS_NODE);
  if (options.mtls.getCertificate !== undefined) fail('mtls', NEEDS_NODE);
}
