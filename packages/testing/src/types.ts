import type { KeyObject } from 'node:crypto';
import type { CryptoKey, JWK } from 'jose';

/** A JWS algorithm the test issuer can generate keys for and sign with. */
export type TestAlg =
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA'
  | 'Ed25519';

/** Options for {@link createTestIssuer}. */
export interface TestIssuerOptions {
  /** One signing key is generated per algorithm at start; default `['RS256']`. */
  algorithms?: TestAlg[];
  /** Issuer path suffix, e.g. `'/tenant-a'`; default `''` (the issuer never has a trailing slash). */
  path?: string;
  /** Which well-known metadata documents are served; default `'both'`. */
  discovery?: 'oidc' | 'oauth' | 'both' | 'none';
  /** Overrides the `issuer` value inside the discovery documents (to test mismatches). */
  issuerInDiscovery?: string;
  /** `Cache-Control` header sent with the JWKS response; default none. */
  cacheControl?: string;
  /** RSA modulus length in bits for generated RSA keys; default 2048. */
  rsaModulusLength?: number;
}

/** Options for {@link TestIssuer.sign}. */
export interface SignOptions {
  /** Signs with the current key of this algorithm; default the first configured algorithm. */
  alg?: TestAlg;
  /** Signs with the key holding this kid, including keys already removed from the JWKS. */
  kid?: string;
  /** Protected header `typ`; default `'at+jwt'`. */
  typ?: string;
  /** Extra protected header parameters, merged last (so they can override `typ` or `kid`). */
  header?: Record<string, unknown>;
  /** Lifetime in seconds; default 300. Ignored when `claims.exp` is given; `null` omits `exp`. */
  expiresIn?: number | null;
  /** Omits the default `iat` claim. */
  noIat?: boolean;
}

/** Options for {@link TestIssuer.addKey}. */
export interface AddKeyOptions {
  /** Explicit kid; default `${alg.toLowerCase()}-${n}-${random}`. */
  kid?: string;
  /** JWK `use` published in the JWKS; default `'sig'`. */
  use?: 'sig' | 'enc';
  /** Whether the key is published in the JWKS; default `true`. */
  inJwks?: boolean;
  /** Whether the JWK carries an `alg` member; default `true`. */
  includeAlg?: boolean;
  /** RSA modulus length for this key; default the issuer's `rsaModulusLength`. */
  modulusLength?: number;
  /** Members merged over the published JWK (set one to `undefined` to drop it). */
  jwkOverrides?: Record<string, unknown>;
}

/** Options for {@link TestIssuer.rotate}. */
export interface RotateOptions {
  /** Keep the previous key in the JWKS; default `false`. */
  keepOld?: boolean;
}

/** A key pair held by a test issuer. */
export interface TestKey {
  /** Key id, used as the JWK `kid` and the JWS header `kid`. */
  readonly kid: string;
  /** Algorithm the key signs with. */
  readonly alg: TestAlg;
  /** The public JWK exactly as published in the JWKS. */
  readonly publicJwk: JWK;
  /** The private signing key (a `KeyObject` only for RSA keys below 2048 bits). */
  readonly privateKey: CryptoKey | KeyObject;
  /** Whether the key is currently published in the JWKS. */
  readonly inJwks: boolean;
}

/** Live counts of requests a test issuer has received. */
export interface RequestCounts {
  /** Requests for the JWKS. */
  jwks: number;
  /** Requests for either well-known metadata document. */
  discovery: number;
  /** Every request, including unknown paths. */
  total: number;
}

/** A failure the issuer can simulate for its JWKS and discovery endpoints. */
export type FaultMode =
  | { type: 'refuse' }
  | { type: 'status'; status: number }
  | { type: 'slow'; delayMs: number }
  | { type: 'hang' }
  | { type: 'garbage' }
  | { type: 'oversized'; bytes?: number }
  | { type: 'empty' };

/** Which endpoints a fault applies to. */
export type FaultTarget = 'jwks' | 'discovery' | 'all';

/** Options for {@link TestIssuer.fail}. */
export interface FailOptions {
  /** Endpoints affected; default `'all'`. Ignored by `refuse`, which closes the whole port. */
  only?: FaultTarget;
}

/** Which request counter {@link TestIssuer.waitForRequests} watches. */
export type RequestKind = keyof RequestCounts;

/** A running local OAuth 2.0 / OIDC issuer. */
export interface TestIssuer {
  /** Server origin, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Issuer identifier: `url` + `path`. */
  readonly issuer: string;
  /** `issuer + '/jwks'`. */
  readonly jwksUri: string;
  /** `issuer + '/.well-known/openid-configuration'`. */
  readonly discoveryUrl: string;
  /** RFC 8414 metadata URL: `url + '/.well-known/oauth-authorization-server' + path`. */
  readonly oauthMetadataUrl: string;
  /** Every key the issuer holds, published or not, in creation order. */
  readonly keys: readonly TestKey[];
  /** Live request counters. */
  readonly requests: Readonly<RequestCounts>;
  /** Signs a JWT with defaults merged under `claims` (a claim set to `undefined` is omitted). */
  sign(claims?: Record<string, unknown>, options?: SignOptions): Promise<string>;
  /** Generates and holds a new key; it becomes current only if its alg has no current key. */
  addKey(alg: TestAlg, options?: AddKeyOptions): Promise<TestKey>;
  /** Makes a fresh key current for `alg` and unpublishes the previous one unless `keepOld`. */
  rotate(alg?: TestAlg, options?: RotateOptions): Promise<TestKey>;
  /** Unpublishes a key from the JWKS; it can still sign via `sign(..., { kid })`. */
  removeKey(kid: string): void;
  /** Serves this exact body as the JWKS until {@link TestIssuer.resetJwks}. */
  setJwksKeys(jwks: { keys: unknown[] }): void;
  /** Goes back to serving the generated JWKS. */
  resetJwks(): void;
  /** The generated JWKS as it would currently be served (ignores overrides and faults). */
  jwks(): { keys: JWK[] };
  /** Starts simulating a failure, replacing any current one. */
  fail(mode: FaultMode, options?: FailOptions): Promise<void>;
  /** Stops simulating failures; answers hung requests and re-listens on the same port. */
  heal(): Promise<void>;
  /** Sets all request counters back to zero. */
  resetCounts(): void;
  /** Resolves once the counter reaches `n`; rejects after `timeoutMs` (default 5000). */
  waitForRequests(kind: RequestKind, n: number, timeoutMs?: number): Promise<void>;
  /** Closes the server, every socket and every pending timer; idempotent. */
  close(): Promise<void>;
}

/** A minimal server that serves one fixed body on every path and counts requests. */
export interface KeySetServer {
  /** `http://127.0.0.1:PORT/jwks` (every other path serves the same body). */
  readonly url: string;
  /** Number of requests received so far. */
  readonly requests: number;
  /** Closes the server and every socket; idempotent. */
  close(): Promise<void>;
}
