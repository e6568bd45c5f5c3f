import { DEFAULT_REALM, bearerChallenge } from './errors.js';
import type { JwksAuthError } from './errors.js';

/**
 * What the edge knows when it writes a `WWW-Authenticate` challenge: the
 * verifier's configuration, never the stage that failed. Stages throw errors
 * that say what failed (code, status, RFC 6750 error, description, scope);
 * this is the one place that decides how the challenge reads.
 */
export interface ChallengeOptions {
  /** Realm of the `Bearer` challenge. */
  realm: string;
}

/** The challenge of a verifier with no options of its own. */
export const DEFAULT_CHALLENGE: Readonly<ChallengeOptions> = Object.freeze({
  realm: DEFAULT_REALM,
});

/** The `WWW-Authenticate` value for `error` under `options`, or undefined when none applies (5xx). */
export function challengeFor(error: JwksAuthError, options: ChallengeOptions): string | undefined {
  if (error.status !== 400 && error.status !== 401 && error.status !== 403) return undefined;
  return bearerChallenge(options.realm, error.error, error.error_description, error.scope);
}

/**
 * Writes the challenge of `options` into `error.headers` (errors are made
 * per request, so this never touches another request's error). Errors
 * already carry the default challenge, so the default configuration costs
 * nothing here.
 */
export function applyChallenge<E extends JwksAuthError>(error: E, options: ChallengeOptions): E {
  if (options.realm === DEFAULT_REALM) return error;
  const value = challengeFor(error, options);
  if (value !== undefined) (error.headers as Record<string, string>)['WWW-Authenticate'] = value;
  return error;
}
