/**
 * The edge: the one place a `WWW-Authenticate` challenge is written. Stages
 * throw errors that say what failed (code, status, RFC 6750 error,
 * description, scope); how the challenge reads (the realm, and later other
 * schemes and parameters) comes from the configuration of the verifier
 * whose edge the error leaves through.
 */
import type { BearerErrorName, JwksAuthError } from './errors.js';

/** Realm used in `WWW-Authenticate` when none is configured. */
export const DEFAULT_REALM = 'api';

/** What the edge knows when it writes a challenge: the verifier's configuration, never the stage that failed. */
export interface ChallengeOptions {
  /** Realm of the `Bearer` challenge. */
  realm: string;
  /**
   * When DPoP is on: the proof algorithms a `DPoP` challenge names
   * (space-separated) and whether Bearer is refused. A request without
   * credentials then gets both challenges (only `DPoP` when required).
   */
  dpop?: { algs: string; required: boolean } | undefined;
  /** RFC 9728 §5.1: the metadata URL every challenge names in `resource_metadata`. */
  resourceMetadata?: string | undefined;
}

/** The challenge of a verifier with no options of its own. */
export const DEFAULT_CHALLENGE: Readonly<ChallengeOptions> = Object.freeze({
  realm: DEFAULT_REALM,
});

// RFC 6750 §3: error_description and scope values are limited to printable
// ASCII without `"` and `\`; escape them anyway and drop anything that could
// split the header.
function quote(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, '').replace(/(["\\])/g, '\\$1')}"`;
}

/**
 * Builds an RFC 6750 `WWW-Authenticate: Bearer ...` challenge.
 *
 * @example
 * bearerChallenge('api', 'invalid_token', 'token expired');
 * // Bearer realm="api", error="invalid_token", error_description="token expired"
 */
export function bearerChallenge(
  realm: string,
  error?: BearerErrorName,
  description?: string,
  scope?: string,
): string {
  return `Bearer realm=${quote(realm)}${errorParams(error, description, scope)}`;
}

/**
 * Builds an RFC 9449 §7.1 `WWW-Authenticate: DPoP ...` challenge.
 *
 * @example
 * dpopChallenge('ES256 RS256', 'invalid_dpop_proof', 'the proof is replayed');
 * // DPoP algs="ES256 RS256", error="invalid_dpop_proof", error_description="the proof is replayed"
 */
export function dpopChallenge(
  algs: string,
  error?: BearerErrorName,
  description?: string,
  scope?: string,
): string {
  return `DPoP algs=${quote(algs)}${errorParams(error, description, scope)}`;
}

/** The `error`, `error_description` and `scope` parameters both schemes share (RFC 6750 §3). */
function errorParams(error?: string, description?: string, scope?: string): string {
  let value = '';
  if (error !== undefined) value += `, error=${quote(error)}`;
  if (description !== undefined) value += `, error_description=${quote(description)}`;
  if (scope !== undefined) value += `, scope=${quote(scope)}`;
  return value;
}

/**
 * Every parameter after the scheme's own: RFC 6750's, then the step-up
 * requirements (RFC 9470 §3 `acr_values`, `max_age`), then the metadata
 * pointer (RFC 9728 §5.1 `resource_metadata`).
 */
function challengeParams(error: JwksAuthError, resourceMetadata: string | undefined): string {
  let value = errorParams(error.error, error.error_description, error.scope);
  if (error.acr_values !== undefined) value += `, acr_values=${quote(error.acr_values)}`;
  if (error.max_age !== undefined) value += `, max_age=${quote(String(error.max_age))}`;
  if (resourceMetadata !== undefined) value += `, resource_metadata=${quote(resourceMetadata)}`;
  return value;
}

/**
 * The `WWW-Authenticate` value for `error` under `options`, or undefined
 * when none applies (5xx). With DPoP on, an error names the scheme the
 * request used; a request without credentials gets every scheme the
 * verifier accepts (RFC 9110 §11.6.1: several challenges, comma-separated).
 */
export function challengeFor(error: JwksAuthError, options: ChallengeOptions): string | undefined {
  if (error.status !== 400 && error.status !== 401 && error.status !== 403) return undefined;
  const { dpop } = options;
  const params = challengeParams(error, options.resourceMetadata);
  const bearer = () => `Bearer realm=${quote(options.realm)}${params}`;
  if (dpop === undefined) return bearer();
  const proof = () => `DPoP algs=${quote(dpop.algs)}${params}`;
  const scheme =
    error.scheme ?? (error.error === undefined ? undefined : dpop.required ? 'DPoP' : 'Bearer');
  if (scheme === 'DPoP') return proof();
  if (scheme === 'Bearer') return bearer();
  return dpop.required ? proof() : `${bearer()}, ${proof()}`;
}

/**
 * Writes the challenge of `options` into `error.headers` and returns the
 * error (errors are made per request, so this never touches another
 * request's error). Errors are born with the default challenge, so the
 * default configuration costs nothing here.
 *
 * @example
 * throw applyChallenge(new UnauthorizedError(), { realm: 'orders' });
 * // WWW-Authenticate: Bearer realm="orders"
 */
export function applyChallenge<E extends JwksAuthError>(
  error: E,
  options: Readonly<ChallengeOptions> | undefined,
): E {
  if (options === undefined || isDefaultChallenge(options)) return error;
  const value = challengeFor(error, options);
  if (value !== undefined) (error.headers as Record<string, string>)['WWW-Authenticate'] = value;
  return error;
}

/** Whether `options` writes the same challenge as a verifier without options of its own. */
export function isDefaultChallenge(options: Readonly<ChallengeOptions>): boolean {
  return (
    options.realm === DEFAULT_REALM &&
    options.dpop === undefined &&
    options.resourceMetadata === undefined
  );
}

/**
 * Where the kit records, per request, the challenge of the verifier that
 * authenticated it, so standalone route helpers write the same challenge.
 * Only a non-default challenge is recorded: adding a property to every
 * request costs time on the hot path. Frameworks that want a fixed request
 * shape (Fastify) decorate requests with this key.
 */
export const CHALLENGE_KEY: unique symbol = Symbol.for('jwks-auth.challenge') as never;

export function recordChallenge(
  target: Record<PropertyKey, unknown>,
  challenge: Readonly<ChallengeOptions>,
): void {
  if (!isDefaultChallenge(challenge)) target[CHALLENGE_KEY] = challenge;
}

/** The challenge recorded on `target` by the kit, if any (the default otherwise). */
export function challengeOf(target: object): Readonly<ChallengeOptions> | undefined {
  return ((target as Record<PropertyKey, unknown>)[CHALLENGE_KEY] ?? undefined) as
    Readonly<ChallengeOptions> | undefined;
}
