import { HookFailedError, InvalidRequestError, JwksAuthError } from './errors.js';
import type { AuthScheme } from './errors.js';
import { callHook } from './hooks.js';
import type { RequestLike, ResolvedOptions } from './options.js';
import type { MaybePromise } from './types.js';

/**
 * Whether a request looks like a CORS preflight (`OPTIONS` with
 * `Access-Control-Request-Method`). Any client can send that header, so this
 * is never a reason to skip authentication unless `corsPreflight: 'pass'`
 * says so.
 */
export function isCorsPreflight(request: Pick<RequestLike, 'method' | 'headers'>): boolean {
  return (
    request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined
  );
}

/** RFC 6750 §2.1 `b64token`. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Checks the credential syntax of a token taken from the Authorization
 * header. Run on cache misses only: a token found in the cache is the exact
 * string that passed this check before.
 */
export function assertB64Token(token: string): void {
  if (!B64TOKEN.test(token)) {
    throw new InvalidRequestError('Bearer credentials are not a valid b64token');
  }
}

/** Whether `value` starts with `scheme` and one space (scheme compared case-insensitively, RFC 7235 §2.1), without allocating. */
function hasScheme(value: string, lower: string): boolean {
  const n = lower.length;
  if (value.length <= n + 1 || value.charCodeAt(n) !== 32) return false;
  for (let i = 0; i < n; i += 1) {
    if ((value.charCodeAt(i) | 32) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The token from `Authorization: Bearer <token>` (or `DPoP <token>` when
 * `dpop` is on), or undefined when the header is absent. Any other content
 * is a malformed request.
 */
function fromHeader(value: string | string[] | undefined, dpop: boolean): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    throw new InvalidRequestError('more than one Authorization header');
  }
  // "Bearer" / "DPoP" 1*SP b64token.
  const length = hasScheme(value, 'bearer') ? 6 : dpop && hasScheme(value, 'dpop') ? 4 : 0;
  let start = length + 1;
  while (length > 0 && value.charCodeAt(start) === 32) start += 1;
  if (length === 0 || start === value.length) {
    throw new InvalidRequestError(
      dpop
        ? 'the Authorization header must be Bearer or DPoP followed by one token'
        : 'the Authorization header must be Bearer followed by one token',
    );
  }
  return value.slice(start);
}

/** The scheme of an Authorization value `fromHeader` accepted. */
export function schemeOf(authorization: string): AuthScheme {
  return (authorization.charCodeAt(0) | 32) === 100 ? 'DPoP' : 'Bearer';
}

function single(value: unknown, where: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && value.length > 0) return value;
  throw new InvalidRequestError(`access_token in the ${where} must be a single non-empty value`);
}

function fromQuery(request: RequestLike): string | undefined {
  const { query } = request;
  if (typeof query === 'object' && query !== null) {
    return single((query as Record<string, unknown>).access_token, 'query');
  }
  const url = request.url ?? '';
  const mark = url.indexOf('?');
  if (mark === -1) return undefined;
  const values = new URLSearchParams(url.slice(mark + 1)).getAll('access_token');
  if (values.length === 0) return undefined;
  return single(values.length === 1 ? values[0] : values, 'query');
}

/** Methods whose requests carry no body: RFC 6750 §2.2 forbids the body method with GET. */
const BODYLESS = new Set(['GET', 'HEAD']);

function fromBody(request: RequestLike): string | undefined {
  if (request.method !== undefined && BODYLESS.has(request.method.toUpperCase())) return undefined;
  const type = request.headers['content-type'];
  // RFC 6750 §2.2: only application/x-www-form-urlencoded bodies may carry it.
  if (typeof type !== 'string' || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) {
    return undefined;
  }
  const { body } = request;
  if (typeof body === 'object' && body !== null && !ArrayBuffer.isView(body)) {
    return single((body as Record<string, unknown>).access_token, 'body');
  }
  if (typeof body === 'string') {
    const values = new URLSearchParams(body).getAll('access_token');
    if (values.length === 0) return undefined;
    return single(values.length === 1 ? values[0] : values, 'body');
  }
  return undefined;
}

/**
 * What `getToken` may answer: a string, or nothing. Several values (an array,
 * or an object as a query parser makes of `?t[a]=1`) come from the client and
 * are a 400; any other type is the hook's own mistake and fails closed with 503.
 */
function customToken(token: unknown): string | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  if (typeof token === 'string') return token;
  if (typeof token === 'object') {
    throw new InvalidRequestError('getToken must return a string or undefined');
  }
  throw new HookFailedError('getToken', 'the getToken hook must return a string or undefined');
}

/**
 * How many `Authorization` lines the request carried. Node keeps the first
 * of several in `headers`, while a proxy may act on the last: more than one
 * is an `invalid_request`.
 */
export function authorizationLines(request: RequestLike): number {
  const raw =
    request.rawHeaders ??
    (request as { raw?: RequestLike }).raw?.rawHeaders ??
    (request as { req?: RequestLike }).req?.rawHeaders;
  if (!Array.isArray(raw)) return 1;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== 13) continue;
    // The two spellings clients send, before the case-insensitive rule.
    if (name === 'authorization' || name === 'Authorization') count += 1;
    else if (name.toLowerCase() === 'authorization') count += 1;
  }
  return count;
}

/**
 * Finds the bearer token of a request: the Authorization header, and the
 * query string or form body when allowed. A token sent in more than one way
 * is an `invalid_request` (RFC 6750 §2).
 */
export function extractToken(
  request: RequestLike,
  options: ResolvedOptions,
  original: unknown,
): MaybePromise<string | undefined> {
  const { getToken } = options;
  if (getToken !== undefined) {
    return callHook(
      'getToken',
      () => (getToken as (r: unknown) => unknown)(original),
      options.hookTimeout,
      customToken,
      (_hook, error) => customFailure(error),
    );
  }
  const { authorization } = request.headers;
  if (authorization !== undefined && authorizationLines(request) > 1) {
    throw new InvalidRequestError('more than one Authorization header');
  }
  const header = fromHeader(authorization, options.dpop !== undefined);
  if (!options.allowQueryToken && !options.allowBodyToken) return header;
  const query = options.allowQueryToken ? fromQuery(request) : undefined;
  const body = options.allowBodyToken ? fromBody(request) : undefined;
  const count =
    Number(header !== undefined) + Number(query !== undefined) + Number(body !== undefined);
  if (count > 1) {
    throw new InvalidRequestError('the token was sent in more than one way');
  }
  return header ?? query ?? body;
}

function customFailure(error: unknown): JwksAuthError {
  if (error instanceof JwksAuthError) return error;
  // A throw while reading the request (a malformed cookie, say) is the request's fault.
  return new InvalidRequestError('the token could not be read from the request', {
    cause: error,
  });
}
