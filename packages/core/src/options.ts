import type { DpopOptions, MtlsOptions, ResolvedDpop } from './dpop-options.js';
import type { Algorithm } from './algorithms.js';
import type { JwksAuthEvent } from './events.js';
import type { ProtectedResourceOptions, ResolvedProtectedResource } from './protected-resource.js';
import type { KeySetStore } from './key-set-store.js';
import type { VerifyResult } from './types.js';

// The algorithm list is derived from its table in algorithms.ts; it is still exported from here.
export { SUPPORTED_ALGORITHMS } from './algorithms.js';
export type { Algorithm } from './algorithms.js';

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
  /** The connection, for the TLS client certificate of certificate-bound tokens (RFC 8705). */
  socket?: unknown;
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
  /**
   * A `fetch` for metadata and key set requests (proxies, custom agents,
   * mTLS to the identity provider). Default: one GET with `node:http` /
   * `node:https` per request, not the global `fetch`. It is held to
   * `timeoutDuration` even if it ignores the abort signal.
   */
  fetch?: typeof globalThis.fetch | undefined;
  /**
   * A key set store shared by the processes of a fleet (`redisKeySetStore`
   * from `@jwks-auth/redis`): key sets are read from it before fetching, one
   * process at a time refreshes them, and a store that fails or is slow
   * (2 s per call at most) is skipped. Default: none.
   */
  store?: KeySetStore | undefined;
  /**
   * A key set document (`{ keys: [...] }`, bundled with the app or read from
   * KV) installed when the verifier is created, so a fresh process or
   * isolate verifies its first token without a fetch. The first request
   * starts a background fetch whose answer replaces it, as a refresh does.
   * Single issuer only; validated at creation (a malformed document or one
   * without a usable key throws a `TypeError`). Default: none.
   */
  preload?: { keys: readonly unknown[] } | undefined;
}

/** The `jwks` options with defaults applied; `fetch` stays undefined for the default transport. */
export type ResolvedJwksOptions = Required<Omit<JwksOptions, 'fetch' | 'store' | 'preload'>> & {
  fetch: typeof globalThis.fetch | undefined;
  store: KeySetStore | undefined;
  /** The validated `preload` document (a frozen copy), parsed by each key set. */
  preload: Readonly<Record<string, unknown>> | undefined;
};

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
  /**
   * Expected audience(s): any overlap with `aud` passes. `null` disables the
   * check explicitly. Required (a `TypeError` at creation without it), unless
   * `protectedResource` is set: the audience is then its `resource` (with or
   * without one trailing slash).
   */
  audience?: string | readonly string[] | null | undefined;
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
  /**
   * DPoP (RFC 9449): off when absent or `false`; `{}` accepts DPoP-bound
   * tokens with proofs alongside Bearer. A DPoP-bound token sent as Bearer
   * is refused whatever this says.
   */
  dpop?: DpopOptions | false;
  /**
   * Certificate-bound tokens (RFC 8705): where the client certificate comes
   * from. A token with `cnf["x5t#S256"]` passes only with a matching
   * certificate, whether or not this is set.
   */
  mtls?: MtlsOptions<O>;
  /**
   * OAuth 2.0 Protected Resource Metadata (RFC 9728): adapters serve the
   * document at its well-known URL, every challenge carries
   * `resource_metadata`, and `resource` is the default `audience`.
   */
  protectedResource?: ProtectedResourceOptions;
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
  jwks: ResolvedJwksOptions;
  cacheMaxEntries: number;
  onEvent: ((event: JwksAuthEvent) => unknown) | undefined;
  engine: 'node' | 'jose';
  /** DPoP, validated; undefined when off. */
  dpop: ResolvedDpop | undefined;
  mtls: { getCertificate: ((request: never) => unknown) | undefined };
  /** RFC 9728 metadata, validated and built once; undefined when not configured. */
  protectedResource: ResolvedProtectedResource | undefined;
}
