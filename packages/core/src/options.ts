import { DEFAULT_REALM } from './errors.js';
import type { JwksAuthEvent } from './events.js';
import { DEFAULT_HOOK_TIMEOUT } from './hooks.js';
import { isAllowedFetchUrl } from './http-url.js';
import type { VerifyResult } from './types.js';

/** Asymmetric JWS algorithms jwks-auth can verify. HS* and `none` are refused. */
export const SUPPORTED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** One of {@link SUPPORTED_ALGORITHMS}. */
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** The smallest request shape the core understands; framework requests fit it as they are. */
export interface RequestLike {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
  body?: unknown;
  /**
   * Header lines as received (Node's `IncomingMessage.rawHeaders`). Node keeps
   * only the first of several `Authorization` headers in `headers`; the core
   * counts them here, or on `raw` (Fastify) or `req` (Koa) when absent.
   */
  rawHeaders?: readonly string[] | undefined;
}

/** An issuer the verifier trusts, with its key set location when known. */
export interface IssuerConfig {
  /** Exact `iss` value. */
  issuer: string;
  /** JWKS URL; discovered from the issuer when omitted. */
  jwksUri?: string;
}

/** Remote key set behaviour. Durations are milliseconds. */
export interface JwksOptions {
  /** How long a fetched key set is fresh; after 80% of it a background refresh starts. Default 600000 (10 min). */
  cacheMaxAge?: number;
  /** Minimum time between refetches caused by an unknown `kid`. Default 30000. */
  cooldownDuration?: number;
  /** Timeout of one key set or discovery request, body included. Default 5000. */
  timeoutDuration?: number;
  /** How long past `cacheMaxAge` the last good key set keeps serving while refreshes fail. Default 21600000 (6 h). */
  maxStaleAge?: number;
  /** Larger key sets or discovery documents are refused. Default 524288 (512 KiB). */
  maxResponseBytes?: number;
  /** First retry delay after a failed fetch; doubles per failure. Default 1000. */
  backoffInitial?: number;
  /** Longest delay between retries during an outage. Default 60000. */
  backoffMax?: number;
  /** Fetch implementation, for proxies or custom agents. Default `globalThis.fetch`. It is held to `timeoutDuration` even if it ignores the abort signal. */
  fetch?: typeof globalThis.fetch;
}

/** Lowest value each `jwks` duration accepts (ms): below these an API hurts itself (a fetch per request). */
export const JWKS_DURATION_FLOORS = {
  cacheMaxAge: 1000,
  cooldownDuration: 100,
  timeoutDuration: 1,
  maxStaleAge: 0,
  backoffInitial: 10,
  backoffMax: 10,
} as const;

/** Verified-token cache. Hits skip signature and claim checks but never outlive `exp`. */
export interface CacheOptions {
  /** Maximum number of verified tokens kept (least recently used evicted). Default 1000. */
  maxEntries?: number;
}

/**
 * Options of {@link createVerifier}. Durations in seconds unless marked ms.
 * `O` is what `getToken` receives: the framework's own request object when
 * an adapter passes it (Express `req`, Koa `ctx`, Fastify `request`).
 */
export interface VerifierOptions<O = RequestLike> {
  /** Trusted issuer(s); `iss` must match exactly. */
  issuer: string | ReadonlyArray<string | IssuerConfig>;
  /** Expected audience(s): any overlap with `aud` passes. `null` disables the check explicitly. */
  audience: string | readonly string[] | null;
  /** JWKS URL for a single issuer. Default: discovered from the issuer. */
  jwksUri?: string;
  /** Accepted JWS algorithms. Default: every asymmetric one in {@link SUPPORTED_ALGORITHMS}. */
  algorithms?: readonly Algorithm[];
  /** Allowed clock skew in seconds. Default 5. */
  clockTolerance?: number;
  /** Maximum age since `iat`, in seconds. Default: none. */
  maxTokenAge?: number;
  /** Claims that must be present (`exp` always is). Default []. */
  requiredClaims?: readonly string[];
  /** Expected `typ` header, e.g. `'at+jwt'`. Default: not checked. */
  typ?: string;
  /** RFC 9068 profile: `typ` at+jwt and iss, exp, aud, sub, client_id, iat, jti required. Default false. */
  strict?: boolean;
  /** When false, a request without a token passes unauthenticated (an invalid token still fails). Default true. */
  credentialsRequired?: boolean;
  /**
   * Custom token lookup (cookies, custom headers). Default: the Authorization
   * header. A thenable is awaited (under `hookTimeout`). A throw or a
   * rejection (a malformed cookie, say), or several values (an array or
   * object, as a query parser makes of repeated parameters), is a 400
   * `invalid_request`; a missed deadline or a result of another type (number,
   * boolean) is a 503 `ERR_HOOK_FAILED`.
   */
  getToken?: (request: O) => string | undefined | null | PromiseLike<string | undefined | null>;
  /** Accept `access_token` in the query string (RFC 6750 §2.3). Default false. */
  allowQueryToken?: boolean;
  /** Accept `access_token` in a form-encoded body (RFC 6750 §2.2), never on GET or HEAD. Default false. */
  allowBodyToken?: boolean;
  /**
   * CORS preflights (`OPTIONS` with `Access-Control-Request-Method`):
   * `'authenticate'` (default) treats them like any request; `'pass'` lets
   * them through without authentication and without `auth`, so handlers
   * answering OPTIONS then run unauthenticated. Prefer mounting your
   * framework's CORS middleware before jwks-auth, which answers preflights itself.
   */
  corsPreflight?: 'authenticate' | 'pass';
  /** Deadline of an async `getToken` or `isRevoked` (ms); past it the request fails with 503. Default 3000. (An async `claimCheck` has a fixed 3000 ms.) */
  hookTimeout?: number;
  /**
   * Allow plain `http:` issuer, discovery and key set URLs on hosts other than
   * loopback (localhost, 127.0.0.0/8, [::1]). Keys fetched over http can be
   * replaced by anyone on the path. Default false.
   */
  allowInsecureHttp?: boolean;
  /** Realm in `WWW-Authenticate`. Default 'api'. */
  realm?: string;
  /** Tokens longer than this many characters are rejected before parsing. Default 8192. */
  maxTokenLength?: number;
  /**
   * Called after every successful verification (cache hits included); `true`
   * rejects the token. A thenable is awaited (under `hookTimeout`); a throw,
   * a rejection or any result but a boolean fails closed with 503 `ERR_HOOK_FAILED`.
   */
  isRevoked?: (result: VerifyResult) => boolean | PromiseLike<boolean>;
  /** Remote key set behaviour. */
  jwks?: JwksOptions;
  /** Verified-token cache; `false` turns it off. Default on. */
  cache?: CacheOptions | false;
  /** Observability hook: key set fetches, failures, backoff, stale use, rejected tokens. Its throws and rejections are ignored. */
  onEvent?: (event: JwksAuthEvent) => unknown;
  /**
   * Signature engine. `'node'` (default) checks signatures synchronously with
   * `node:crypto`; `'jose'` uses jose's `jwtVerify`, the reference the node
   * engine is differentially tested against. Both apply the same claim rules.
   */
  engine?: 'node' | 'jose';
}

/** Options after validation, with defaults applied. */
export interface ResolvedOptions {
  issuers: IssuerConfig[];
  audience: string | string[] | undefined;
  algorithms: Algorithm[];
  clockTolerance: number;
  maxTokenAge: number | undefined;
  requiredClaims: string[];
  typ: string | undefined;
  credentialsRequired: boolean;
  getToken: ((request: never) => unknown) | undefined;
  allowQueryToken: boolean;
  allowBodyToken: boolean;
  corsPreflight: 'authenticate' | 'pass';
  hookTimeout: number;
  allowInsecureHttp: boolean;
  realm: string;
  maxTokenLength: number;
  isRevoked: ((result: VerifyResult) => unknown) | undefined;
  jwks: Required<JwksOptions>;
  cacheMaxEntries: number;
  onEvent: ((event: JwksAuthEvent) => unknown) | undefined;
  engine: 'node' | 'jose';
}

/** Every option {@link createVerifier} knows; any other name is a `TypeError` (a typo must not fail open). */
const OPTION_NAMES = new Set([
  'issuer',
  'audience',
  'jwksUri',
  'algorithms',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'typ',
  'strict',
  'credentialsRequired',
  'getToken',
  'allowQueryToken',
  'allowBodyToken',
  'corsPreflight',
  'hookTimeout',
  'allowInsecureHttp',
  'realm',
  'maxTokenLength',
  'isRevoked',
  'jwks',
  'cache',
  'onEvent',
  'engine',
]);
const JWKS_OPTION_NAMES = new Set([
  ...Object.keys(JWKS_DURATION_FLOORS),
  'maxResponseBytes',
  'fetch',
]);

function rejectUnknown(prefix: string, value: object, known: ReadonlySet<string>): void {
  for (const name of Object.keys(value)) {
    if (!known.has(name)) fail(`${prefix}${name}`, 'is not a known option (check its spelling)');
  }
}

/** Longest delay Node's timers take (2^31 - 1 ms, about 24.8 days). */
const MAX_TIMER = 2 ** 31 - 1;

const STRICT_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

function fail(name: string, rule: string): never {
  throw new TypeError(`"${name}" option ${rule}`);
}

function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(name, 'must be a non-negative integer');
  }
  return value;
}

function nonNegativeNumber(name: string, value: unknown, fallback: number | undefined) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(name, 'must be a non-negative finite number');
  }
  return value;
}

function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'must be a boolean');
  return value;
}

function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(name, 'must be a function');
  return value as T;
}

function httpUrl(name: string, value: unknown, allowInsecureHttp: boolean): string {
  if (typeof value !== 'string' || !URL.canParse(value)) fail(name, 'must be an absolute URL');
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(name, 'must be an http(s) URL');
  if (!isAllowedFetchUrl(url, allowInsecureHttp)) {
    fail(name, 'must be https: (http: only on loopback hosts, or with "allowInsecureHttp: true")');
  }
  return value;
}

function resolveIssuers(
  issuer: unknown,
  jwksUri: unknown,
  allowInsecureHttp: boolean,
): IssuerConfig[] {
  const url = (name: string, value: unknown) => httpUrl(name, value, allowInsecureHttp);
  const list = typeof issuer === 'string' ? [issuer] : issuer;
  if (!Array.isArray(list) || list.length === 0) {
    fail('issuer', 'must be a string or a non-empty array of strings or { issuer, jwksUri }');
  }
  const issuers = list.map((entry: unknown): IssuerConfig => {
    if (typeof entry === 'string') return { issuer: url('issuer', entry) };
    if (typeof entry === 'object' && entry !== null && 'issuer' in entry) {
      rejectUnknown('issuer[].', entry, ISSUER_CONFIG_NAMES);
      const { issuer: iss, jwksUri: uri } = entry as IssuerConfig;
      const config: IssuerConfig = { issuer: url('issuer', iss) };
      if (uri !== undefined) config.jwksUri = url('issuer[].jwksUri', uri);
      return config;
    }
    return fail('issuer', 'entries must be strings or { issuer, jwksUri } objects');
  });
  if (new Set(issuers.map((i) => i.issuer)).size !== issuers.length) {
    fail('issuer', 'must not list the same issuer twice');
  }
  if (jwksUri !== undefined) {
    if (issuers.length !== 1)
      fail('jwksUri', 'applies to a single issuer; use { issuer, jwksUri }');
    issuers[0]!.jwksUri = url('jwksUri', jwksUri);
  }
  return issuers;
}

const ISSUER_CONFIG_NAMES = new Set(['issuer', 'jwksUri']);

function resolveAudience(audience: unknown): string | string[] | undefined {
  if (audience === null) return undefined;
  if (typeof audience === 'string' && audience.length > 0) return audience;
  if (
    Array.isArray(audience) &&
    audience.length > 0 &&
    audience.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    return [...(audience as string[])];
  }
  return fail('audience', 'is required: a string, an array of strings, or null to opt out');
}

function resolveAlgorithms(algorithms: unknown): Algorithm[] {
  if (algorithms === undefined) return [...SUPPORTED_ALGORITHMS];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail('algorithms', 'must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg)) {
      fail('algorithms', `must only contain asymmetric algorithms, got ${JSON.stringify(alg)}`);
    }
  }
  return [...(algorithms as Algorithm[])];
}

function resolveJwks(jwks: unknown): Required<JwksOptions> {
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null)) {
    fail('jwks', 'must be an object');
  }
  const o = (jwks ?? {}) as JwksOptions;
  rejectUnknown('jwks.', o, JWKS_OPTION_NAMES);
  const fetchImpl = optionalFunction<typeof fetch>('jwks.fetch', o.fetch) ?? globalThis.fetch;
  const duration = (name: keyof typeof JWKS_DURATION_FLOORS, fallback: number): number => {
    const value = nonNegativeInteger(`jwks.${name}`, o[name], fallback);
    const floor = JWKS_DURATION_FLOORS[name];
    if (value < floor) fail(`jwks.${name}`, `must be at least ${floor} (ms)`);
    return value;
  };
  const resolved: Required<JwksOptions> = {
    cacheMaxAge: duration('cacheMaxAge', 600_000),
    cooldownDuration: duration('cooldownDuration', 30_000),
    timeoutDuration: duration('timeoutDuration', 5_000),
    maxStaleAge: duration('maxStaleAge', 6 * 3_600_000),
    maxResponseBytes: nonNegativeInteger('jwks.maxResponseBytes', o.maxResponseBytes, 512 * 1024),
    backoffInitial: duration('backoffInitial', 1_000),
    backoffMax: duration('backoffMax', 60_000),
    fetch: fetchImpl,
  };
  if (resolved.maxResponseBytes === 0) fail('jwks.maxResponseBytes', 'must be greater than 0');
  // Timers clamp (setTimeout) or throw (AbortSignal.timeout) beyond this.
  if (resolved.timeoutDuration > MAX_TIMER) {
    fail('jwks.timeoutDuration', `must be at most ${MAX_TIMER} (ms)`);
  }
  if (resolved.backoffMax < resolved.backoffInitial) {
    fail('jwks.backoffMax', 'must be at least "jwks.backoffInitial"');
  }
  return resolved;
}

function resolveCache(cache: unknown): number {
  if (cache === false) return 0;
  if (cache === undefined || cache === true) return 1000;
  if (typeof cache !== 'object' || cache === null) fail('cache', 'must be an object or false');
  rejectUnknown('cache.', cache, CACHE_OPTION_NAMES);
  return nonNegativeInteger('cache.maxEntries', (cache as CacheOptions).maxEntries, 1000);
}

const CACHE_OPTION_NAMES = new Set(['maxEntries']);

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly unknown[]).includes(value)) {
    fail(name, `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  }
  return value as T;
}

function resolveEngine(engine: unknown): 'node' | 'jose' {
  if (engine === undefined) return 'node';
  if (engine !== 'node' && engine !== 'jose') fail('engine', 'must be "node" or "jose"');
  return engine;
}

/**
 * Validates options and applies defaults. Throws a `TypeError` naming the
 * option, so a configuration mistake fails when the app is built.
 */
export function resolveOptions(options: VerifierOptions<never>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const o = options as VerifierOptions<never> & Record<string, unknown>;
  rejectUnknown('', o, OPTION_NAMES);
  const allowInsecureHttp = boolean('allowInsecureHttp', o.allowInsecureHttp, false);
  const hookTimeout = nonNegativeInteger('hookTimeout', o.hookTimeout, DEFAULT_HOOK_TIMEOUT);
  if (hookTimeout === 0 || hookTimeout > MAX_TIMER) {
    fail('hookTimeout', `must be from 1 to ${MAX_TIMER} (ms)`);
  }
  const strict = boolean('strict', o.strict, false);
  let typ: string | undefined;
  if (o.typ !== undefined) {
    if (typeof o.typ !== 'string' || o.typ.length === 0) fail('typ', 'must be a non-empty string');
    typ = o.typ;
  }
  if (strict) {
    if (typ !== undefined && typ.replace(/^application\//i, '').toLowerCase() !== 'at+jwt') {
      fail('typ', 'must be "at+jwt" (or omitted) when "strict" is true');
    }
    typ = 'at+jwt';
  }
  if (o.requiredClaims !== undefined) {
    if (
      !Array.isArray(o.requiredClaims) ||
      !o.requiredClaims.every((c) => typeof c === 'string' && c.length > 0)
    ) {
      fail('requiredClaims', 'must be an array of claim names');
    }
  }
  const requiredClaims = new Set<string>(['exp', ...(o.requiredClaims ?? [])]);
  if (strict) for (const claim of STRICT_CLAIMS) requiredClaims.add(claim);

  const realm = o.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(realm)) {
    fail('realm', 'must be a string of printable ASCII without quotes or backslashes');
  }
  const maxTokenLength = nonNegativeInteger('maxTokenLength', o.maxTokenLength, 8192);
  if (maxTokenLength === 0) fail('maxTokenLength', 'must be greater than 0');

  return {
    issuers: resolveIssuers(o.issuer, o.jwksUri, allowInsecureHttp),
    audience: resolveAudience(o.audience),
    algorithms: resolveAlgorithms(o.algorithms),
    clockTolerance: nonNegativeNumber('clockTolerance', o.clockTolerance, 5)!,
    maxTokenAge: nonNegativeNumber('maxTokenAge', o.maxTokenAge, undefined),
    requiredClaims: [...requiredClaims],
    typ,
    credentialsRequired: boolean('credentialsRequired', o.credentialsRequired, true),
    getToken: optionalFunction('getToken', o.getToken),
    allowQueryToken: boolean('allowQueryToken', o.allowQueryToken, false),
    allowBodyToken: boolean('allowBodyToken', o.allowBodyToken, false),
    corsPreflight: oneOf('corsPreflight', o.corsPreflight, ['authenticate', 'pass'] as const),
    hookTimeout,
    allowInsecureHttp,
    realm,
    maxTokenLength,
    isRevoked: optionalFunction('isRevoked', o.isRevoked),
    jwks: resolveJwks(o.jwks),
    cacheMaxEntries: resolveCache(o.cache),
    onEvent: optionalFunction('onEvent', o.onEvent),
    engine: resolveEngine(o.engine),
  };
}
