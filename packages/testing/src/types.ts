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
  /** Port to bind on 127.0.0.1, an integer from 0 to 65535; default 0 (the OS chooses one). */
  port?: number;
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
  /**
   * Makes the token endpoint (`POST {issuer}/token`) refuse requests without a `DPoP` header;
   * default `false` (such requests get an unbound `Bearer` token). The refusal is a 400
   * `invalid_request`: RFC 9449 §5 reserves `invalid_dpop_proof` for a proof that is present but
   * invalid, and its `dpop_bound_access_tokens` rule (§5.2) says to reject a request without the
   * header without naming a code, so RFC 6749 §5.2's "missing a required parameter" applies.
   */
  requireDpop?: boolean;
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
  /**
   * Sender-constrains the token by setting its `cnf` (confirmation, RFC 7800) claim: a
   * {@link DpopKey} gives `{ jkt: key.thumbprint }` (RFC 9449 §6), a {@link Confirmation} is
   * copied as given, e.g. `{ 'x5t#S256': certificateThumbprint(cert) }` (RFC 8705 §3.1).
   * Ignored when `claims.cnf` is given.
   */
  boundTo?: DpopKey | Confirmation;
}

/**
 * A `cnf` (confirmation, RFC 7800) claim value: `jkt` binds a token to a DPoP key (RFC 9449 §6),
 * `x5t#S256` to a client certificate (RFC 8705 §3.1). Other members are copied as given.
 */
export interface Confirmation {
  /** RFC 7638 SHA-256 thumbprint of the DPoP public key, base64url. */
  jkt?: string;
  /** SHA-256 of the DER client certificate, base64url (see `certificateThumbprint`). */
  'x5t#S256'?: string;
  /** Any other confirmation method, e.g. `jwk` or `kid`. */
  [member: string]: unknown;
}

/**
 * Options for {@link DpopKey.proof}. Everything past `nonce` exists to forge bad proofs for
 * security tests; a verifier must reject a proof built with any of them changed.
 */
export interface DpopProofOptions {
  /** `htm` claim: the HTTP method of the request, e.g. `'GET'` (used verbatim). */
  htm: string;
  /**
   * `htu` claim: the HTTP target URI (used verbatim; RFC 9449 §4.2 says without query and
   * fragment, and this helper does not strip them, so a test can send them on purpose).
   */
  htu: string;
  /** Adds `ath`: base64url(SHA-256(accessToken)), for proofs sent with an access token. */
  accessToken?: string;
  /** `nonce` claim: the value of a server's `DPoP-Nonce` header. */
  nonce?: string;
  /** `iat` claim in seconds; default now. */
  iat?: number;
  /** `jti` claim; default a random UUID. */
  jti?: string;
  /** Protected header `typ`; default `'dpop+jwt'`. */
  typ?: string;
  /**
   * Protected header `alg`; default the key's. The proof is signed with this algorithm when the
   * key can sign with it (any RS/PS algorithm for an RSA key, `EdDSA` or `Ed25519` for an
   * Ed25519 key); otherwise only the header says so and the signature stays the key's own.
   */
  alg?: string;
  /** Protected header `jwk`; default the key's public JWK (e.g. pass a private JWK to forge). */
  jwk?: Record<string, unknown>;
  /** Protected header parameters merged last (`undefined` drops a member, e.g. `{ jwk: undefined }`). */
  extraHeader?: Record<string, unknown>;
  /** Claims merged last over the generated ones (`undefined` drops a claim). */
  extraClaims?: Record<string, unknown>;
  /** Claim names left out of the proof, e.g. `['jti']` (applied after `extraClaims`). */
  omit?: readonly string[];
}

/** A DPoP (RFC 9449) client key pair that signs proofs; made by `createDpopKey`. */
export interface DpopKey {
  /** Algorithm the key signs with. */
  readonly alg: TestAlg;
  /** The public JWK, with public members only (`kty`, `crv`, `x`, `y`, `n`, `e`). */
  readonly publicJwk: Readonly<JWK>;
  /** The private key; extractable, so `exportJWK(privateKey)` works (to forge a private `jwk`). */
  readonly privateKey: CryptoKey;
  /** RFC 7638 SHA-256 JWK thumbprint of `publicJwk`, base64url: the `cnf.jkt` of bound tokens. */
  readonly thumbprint: string;
  /** Signs a DPoP proof JWT (`typ: 'dpop+jwt'`, the public `jwk` in the protected header). */
  proof(options: DpopProofOptions): Promise<string>;
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
  /** Requests for the token endpoint (any method). */
  token: number;
  /** Every request, including unknown paths. */
  total: number;
}

/** A failure the issuer can simulate for its JWKS, discovery and token endpoints. */
export type FaultMode =
  | { type: 'refuse' }
  | { type: 'status'; status: number }
  | { type: 'slow'; delayMs: number }
  | { type: 'hang' }
  | { type: 'garbage' }
  | { type: 'oversized'; bytes?: number }
  | { type: 'empty' };

/** Which endpoints a fault applies to. */
export type FaultTarget = 'jwks' | 'discovery' | 'token' | 'all';

/** Options for {@link TestIssuer.fail}. */
export interface FailOptions {
  /**
   * Endpoints affected; default `'all'` (JWKS, both metadata documents and the token endpoint).
   * Ignored by `refuse`, which closes the whole port.
   */
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
  /** `issuer + '/token'`: the client credentials token endpoint, and the `htu` of its DPoP proofs. */
  readonly tokenEndpoint: string;
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
