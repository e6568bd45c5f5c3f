import { DEFAULT_CHALLENGE, challengeFor } from './challenge.js';

/**
 * Stable error codes. Each maps to one HTTP status and one RFC 6750 `error`.
 */
export type JwksAuthErrorCode =
  | 'ERR_NO_TOKEN'
  | 'ERR_INVALID_REQUEST'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_TOKEN_ENCRYPTED'
  | 'ERR_ALG_NOT_ALLOWED'
  | 'ERR_HEADER_INVALID'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_TOO_MANY_KEYS'
  | 'ERR_SIGNATURE_INVALID'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_NOT_YET_VALID'
  | 'ERR_TOKEN_TOO_OLD'
  | 'ERR_ISSUER_INVALID'
  | 'ERR_AUDIENCE_INVALID'
  | 'ERR_TYP_INVALID'
  | 'ERR_CLAIM_INVALID'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_INSUFFICIENT_USER_AUTHENTICATION'
  | 'ERR_CLAIM_CHECK_FAILED'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_DISCOVERY_FAILED'
  | 'ERR_HOOK_FAILED'
  | 'ERR_VERIFIER_CLOSED'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_NONCE_REQUIRED'
  | 'ERR_DPOP_REQUIRED'
  | 'ERR_TOKEN_BOUND'
  | 'ERR_TOKEN_NOT_BOUND'
  | 'ERR_CERTIFICATE_MISMATCH';

/** The RFC 6750 §3.1 error values (absent when no credentials were sent). */
export type BearerErrorName =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/** The authentication scheme of a request's credentials (RFC 6750 Bearer, RFC 9449 DPoP). */
export type AuthScheme = 'Bearer' | 'DPoP';

interface ErrorInit {
  scheme?: AuthScheme;
  headers?: Record<string, string>;
  description?: string;
  scope?: string;
  /** RFC 9470 §3 `acr_values` (space-separated) a step-up challenge names. */
  acrValues?: string;
  /** RFC 9470 §3 `max_age` (seconds) a step-up challenge names. */
  maxAge?: number;
  cause?: unknown;
  retryAfter?: number;
}

/**
 * Base class of every error jwks-auth throws for a request.
 *
 * Carries what HTTP needs: `status`/`statusCode`, `headers` with the
 * `WWW-Authenticate` challenge (of the default configuration until the edge
 * applies the verifier's, see `applyChallenge`), and `expose`, which Express, Koa and Fastify
 * all honour when the error reaches their error handler.
 */
export class JwksAuthError extends Error {
  /** Stable machine-readable code. */
  readonly code: JwksAuthErrorCode;
  /** HTTP status. */
  readonly status: number;
  /** Same as `status`, for Fastify and http-errors conventions. */
  readonly statusCode: number;
  /** Response headers to send, including `WWW-Authenticate` for 4xx. */
  readonly headers: Record<string, string>;
  /** Whether the message is safe to show to the client. */
  readonly expose: boolean;
  /** RFC 6750 error, when one applies. */
  readonly error: BearerErrorName | undefined;
  /** RFC 6750 error_description (never contains the token). */
  readonly error_description: string | undefined;
  /** The scope a 403 `insufficient_scope` names (RFC 6750 §3). */
  readonly scope: string | undefined;
  /** The authentication context classes a 401 `insufficient_user_authentication` asks for (RFC 9470 §3, space-separated). */
  readonly acr_values: string | undefined;
  /** The largest authentication age (seconds) a 401 `insufficient_user_authentication` accepts (RFC 9470 §3). */
  readonly max_age: number | undefined;
  /**
   * The scheme the request used, when it sent credentials; the challenge
   * names it (set at the verifier's edge). Undefined: no credentials.
   */
  scheme: AuthScheme | undefined;

  constructor(
    code: JwksAuthErrorCode,
    status: number,
    error: BearerErrorName | undefined,
    message: string,
    init: ErrorInit = {},
  ) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.statusCode = status;
    this.error = error;
    this.error_description = error === undefined ? undefined : (init.description ?? message);
    this.scope = init.scope;
    this.acr_values = init.acrValues;
    this.max_age = init.maxAge;
    this.scheme = init.scheme;
    this.expose = status < 500;
    // The default challenge up front: a verifier without options of its own
    // then pays nothing at the edge (see `applyChallenge`).
    const headers: Record<string, string> = {};
    const challenge = challengeFor(this, DEFAULT_CHALLENGE);
    if (challenge !== undefined) headers['WWW-Authenticate'] = challenge;
    if (init.retryAfter !== undefined) headers['Retry-After'] = String(init.retryAfter);
    if (init.headers !== undefined) Object.assign(headers, init.headers);
    this.headers = headers;
  }
}

/** 401 without an `error` attribute: the request carried no token (RFC 6750 §3.1). */
export class UnauthorizedError extends JwksAuthError {
  constructor() {
    super('ERR_NO_TOKEN', 401, undefined, 'no bearer token in the request');
  }
}

/** 400 `invalid_request`: the request is malformed (Authorization syntax, token in several places). */
export class InvalidRequestError extends JwksAuthError {
  constructor(message: string, init: ErrorInit = {}) {
    super('ERR_INVALID_REQUEST', 400, 'invalid_request', message, init);
  }
}

/** 401 `invalid_token`: the token was judged and rejected. */
export class InvalidTokenError extends JwksAuthError {
  constructor(code: JwksAuthErrorCode, message: string, init: ErrorInit = {}) {
    super(code, 401, 'invalid_token', message, init);
  }
}

/** 403 `insufficient_scope`: the token is valid but lacks a scope or claim. */
export class InsufficientScopeError extends JwksAuthError {
  constructor(
    code: 'ERR_INSUFFICIENT_SCOPE' | 'ERR_CLAIM_CHECK_FAILED',
    message: string,
    init: ErrorInit = {},
  ) {
    super(code, 403, 'insufficient_scope', message, init);
  }
}

/**
 * 401 `insufficient_user_authentication` (RFC 9470): the token is valid, but
 * the user's authentication is too weak (`acr`) or too old (`auth_time`); the
 * challenge says what a new token needs (`acr_values`, `max_age`).
 */
export class InsufficientUserAuthenticationError extends JwksAuthError {
  constructor(message: string, init: ErrorInit = {}) {
    super(
      'ERR_INSUFFICIENT_USER_AUTHENTICATION',
      401,
      'insufficient_user_authentication',
      message,
      init,
    );
  }
}

/**
 * 503: keys (or discovery) could not be obtained and no usable cached key
 * exists, so the token was not judged. Carries `Retry-After`.
 */
export class KeySetUnavailableError extends JwksAuthError {
  constructor(
    code: 'ERR_JWKS_UNAVAILABLE' | 'ERR_DISCOVERY_FAILED',
    message: string,
    init: ErrorInit = {},
  ) {
    super(code, 503, undefined, message, init);
  }
}

/**
 * 401 `invalid_dpop_proof` (RFC 9449 §7.1): the DPoP proof is missing,
 * malformed, replayed, or does not match the request or the token.
 */
export class InvalidDpopProofError extends JwksAuthError {
  constructor(message: string, init: ErrorInit = {}) {
    super('ERR_DPOP_PROOF_INVALID', 401, 'invalid_dpop_proof', message, {
      scheme: 'DPoP',
      ...init,
    });
  }
}

/**
 * 401 `use_dpop_nonce` (RFC 9449 §9): the proof must carry a nonce this
 * server issued; the fresh one is in the `DPoP-Nonce` header.
 */
export class UseDpopNonceError extends JwksAuthError {
  constructor(nonce: string, message = 'the DPoP proof must carry the nonce in DPoP-Nonce') {
    super('ERR_DPOP_NONCE_REQUIRED', 401, 'use_dpop_nonce', message, {
      scheme: 'DPoP',
      headers: { 'DPoP-Nonce': nonce },
    });
  }
}

/** The user hooks a verifier calls and awaits. */
export type HookName = 'getToken' | 'isRevoked' | 'claimCheck' | 'replay' | 'getCertificate';

/**
 * 503 `ERR_HOOK_FAILED`: a user hook threw, rejected, missed its deadline or
 * returned a value of the wrong type, so the request fails closed (the token
 * is not accepted). Carries `Retry-After` and the hook's name; the hook's
 * error stays in `cause`.
 */
export class HookFailedError extends JwksAuthError {
  /** Which hook failed. */
  readonly hook: HookName;

  constructor(hook: HookName, message: string, init: ErrorInit = {}) {
    super('ERR_HOOK_FAILED', 503, undefined, message, { retryAfter: 1, ...init });
    this.hook = hook;
  }
}

/** 503 `ERR_VERIFIER_CLOSED`: `close()` was called; the verifier no longer judges tokens. */
export class VerifierClosedError extends JwksAuthError {
  constructor() {
    super('ERR_VERIFIER_CLOSED', 503, undefined, 'the verifier has been closed');
  }
}

/** True when `value` is an error thrown by jwks-auth. */
export function isJwksAuthError(value: unknown): value is JwksAuthError {
  return value instanceof JwksAuthError;
}

/** The RFC 6750 JSON body of an error: `unauthorized` when no token was sent, `temporarily_unavailable` for a 503. */
export interface BearerErrorBody {
  error: string;
  /** Never contains the token; a 503 gets a generic text (details stay in `cause`). */
  error_description: string;
}

/**
 * The JSON body to answer a `JwksAuthError` with, for apps that want JSON
 * rather than their framework's default error page.
 *
 * @example
 * res.status(err.status).set(err.headers).json(bearerErrorBody(err));
 */
export function bearerErrorBody(error: JwksAuthError): BearerErrorBody {
  if (error.error !== undefined) {
    return { error: error.error, error_description: error.error_description ?? error.message };
  }
  if (error.status === 401) return { error: 'unauthorized', error_description: error.message };
  return {
    error: 'temporarily_unavailable',
    error_description: 'authentication is temporarily unavailable',
  };
}
