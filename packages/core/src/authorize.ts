import {
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  UnauthorizedError,
} from './errors.js';
import { DEFAULT_HOOK_TIMEOUT, settleHook } from './hooks.js';
import type { JWTPayload, MaybePromise, VerifyResult } from './types.js';

/**
 * A route-level check: returns (or resolves) when the verified token
 * satisfies it, throws (or rejects with) a 401/403 `JwksAuthError`
 * otherwise. Only `claimCheck` with an async predicate answers with a promise.
 * The error carries the default challenge; the adapter that runs the check
 * writes its verifier's (`applyChallenge`).
 */
export type AuthCheck = (auth: VerifyResult | null | undefined) => MaybePromise<void>;

/** Options of {@link requiredScopes}. */
export interface RequiredScopesOptions {
  /** Pass when any one of the scopes is granted, instead of all. Default false. */
  any?: boolean;
}

function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((s) => s.length > 0);
  if (Array.isArray(value)) return value.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Scopes granted by a token: `scope` (space-separated, RFC 8693/9068), `scp` and `permissions` arrays. */
export function grantedScopes(payload: JWTPayload): Set<string> {
  return new Set([...words(payload.scope), ...words(payload.scp), ...words(payload.permissions)]);
}

function requireAuth(auth: VerifyResult | null | undefined): VerifyResult {
  if (auth === undefined || auth === null) throw new UnauthorizedError();
  return auth;
}

/**
 * Requires scopes (all of them, or any one with `{ any: true }`). Failure is
 * 403 `insufficient_scope` with `scope="..."` naming what is needed.
 *
 * @example
 * const canRead = requiredScopes('read:messages');
 * canRead(result); // throws InsufficientScopeError when the scope is missing
 */
export function requiredScopes(
  scopes: string | readonly string[],
  options: RequiredScopesOptions = {},
): AuthCheck {
  const needed = typeof scopes === 'string' ? words(scopes) : [...scopes];
  if (
    needed.length === 0 ||
    !needed.every((s) => typeof s === 'string' && /^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))
  ) {
    throw new TypeError('"scopes" must be one or more scope tokens (RFC 6749 §3.3)');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('"options" of requiredScopes must be an object');
  }
  for (const name of Object.keys(options)) {
    if (name !== 'any') throw new TypeError(`"${name}" is not an option of requiredScopes`);
  }
  if (options.any !== undefined && typeof options.any !== 'boolean') {
    throw new TypeError('"any" option of requiredScopes must be a boolean');
  }
  const any = options.any === true;
  const scope = needed.join(' ');
  return (auth) => {
    const granted = grantedScopes(requireAuth(auth).payload);
    const ok = any ? needed.some((s) => granted.has(s)) : needed.every((s) => granted.has(s));
    if (!ok) {
      throw new InsufficientScopeError(
        'ERR_INSUFFICIENT_SCOPE',
        any ? 'the token has none of the required scopes' : 'the token lacks a required scope',
        { scope },
      );
    }
  };
}

/** Options of {@link requiredAuthentication}: at least one of the two. */
export interface RequiredAuthenticationOptions {
  /** Accepted authentication context classes: the token's `acr` must be one of them. */
  acrValues?: readonly string[];
  /** Largest age in seconds of the user's authentication: `auth_time` must be at most this old. */
  maxAge?: number;
}

const AUTHENTICATION_OPTIONS = new Set(['acrValues', 'maxAge']);

/** Seconds an `auth_time` may lie in the future (clock skew), as the core's default `clockTolerance`. */
const AUTH_TIME_SKEW = 5;

/** An `acr` value that fits a space-separated, quoted `acr_values` (RFC 9470 §3). */
const ACR_VALUE = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * Requires a strong or recent enough user authentication (RFC 9470 step-up):
 * the token's `acr` must be one of `acrValues`, and its `auth_time` at most
 * `maxAge` seconds old (a missing or non-numeric `auth_time` fails, and so
 * does one more than 5 s in the future). Failure
 * is 401 `insufficient_user_authentication` whose challenge names every
 * requirement (`acr_values`, `max_age`), so the new token the client asks for
 * meets them all at once.
 *
 * @example
 * const mfa = requiredAuthentication({ acrValues: ['urn:example:mfa'], maxAge: 300 });
 * mfa(result); // throws InsufficientUserAuthenticationError when acr or auth_time falls short
 */
export function requiredAuthentication(options: RequiredAuthenticationOptions): AuthCheck {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('"options" of requiredAuthentication must be an object');
  }
  for (const name of Object.keys(options)) {
    if (!AUTHENTICATION_OPTIONS.has(name)) {
      throw new TypeError(`"${name}" is not an option of requiredAuthentication`);
    }
  }
  const { acrValues, maxAge } = options;
  if (acrValues === undefined && maxAge === undefined) {
    throw new TypeError('requiredAuthentication needs "acrValues", "maxAge" or both');
  }
  if (
    acrValues !== undefined &&
    (!Array.isArray(acrValues) ||
      acrValues.length === 0 ||
      !acrValues.every((v) => typeof v === 'string' && ACR_VALUE.test(v)))
  ) {
    throw new TypeError(
      '"acrValues" option of requiredAuthentication must be a non-empty array of acr values (printable, no spaces or quotes)',
    );
  }
  if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new TypeError(
      '"maxAge" option of requiredAuthentication must be a non-negative integer (seconds)',
    );
  }
  const accepted = acrValues === undefined ? undefined : new Set<string>(acrValues);
  const init = {
    ...(acrValues === undefined ? {} : { acrValues: [...accepted!].join(' ') }),
    ...(maxAge === undefined ? {} : { maxAge }),
  };
  return (auth) => {
    const { acr, auth_time: authTime } = requireAuth(auth).payload;
    if (accepted !== undefined && !(typeof acr === 'string' && accepted.has(acr))) {
      throw new InsufficientUserAuthenticationError(
        'a stronger authentication of the user is required',
        init,
      );
    }
    if (maxAge !== undefined) {
      const age = typeof authTime === 'number' ? Math.floor(Date.now() / 1000) - authTime : NaN;
      // NaN (absent, not a number, not finite) fails both; an authentication
      // in the future (beyond the core's default clock tolerance) is a
      // broken claim, not a fresh one.
      const fresh = age >= -AUTH_TIME_SKEW && age <= maxAge;
      if (!fresh) {
        throw new InsufficientUserAuthenticationError(
          'a more recent authentication of the user is required',
          init,
        );
      }
    }
  };
}

function claimFailure(claim: string): InsufficientScopeError {
  return new InsufficientScopeError('ERR_CLAIM_CHECK_FAILED', `the ${claim} claim check failed`);
}

function claimName(claim: unknown): string {
  if (typeof claim !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]+$/.test(claim)) {
    throw new TypeError('"claim" must be a non-empty printable claim name');
  }
  return claim;
}

/**
 * Requires a claim to equal a value (strict equality on strings, numbers, booleans, null).
 *
 * @example
 * claimEquals('org_id', 'acme')(result);
 */
export function claimEquals(claim: string, value: string | number | boolean | null): AuthCheck {
  const name = claimName(claim);
  return (auth) => {
    if (requireAuth(auth).payload[name] !== value) throw claimFailure(name);
  };
}

/**
 * Requires a claim (an array, or a space-separated string) to include every given value.
 *
 * @example
 * claimIncludes('roles', 'admin')(result);
 */
export function claimIncludes(
  claim: string,
  ...values: Array<string | number | boolean>
): AuthCheck {
  const name = claimName(claim);
  if (values.length === 0) throw new TypeError('claimIncludes needs at least one value');
  return (auth) => {
    const actual = requireAuth(auth).payload[name];
    const list: unknown[] =
      typeof actual === 'string' ? actual.split(' ') : Array.isArray(actual) ? actual : [];
    if (!values.every((v) => list.includes(v))) throw claimFailure(name);
  };
}

/**
 * Requires a custom predicate over the verified claims. `description` goes
 * into `error_description`, so keep it free of secrets. The predicate may be
 * async (any thenable is awaited, for at most 3 s: past that the request
 * fails with 503 `ERR_HOOK_FAILED`). Only `true` passes: `false`, any other
 * value, a throw or a rejection is a 403.
 *
 * @example
 * claimCheck((p) => p.email_verified === true, 'email must be verified')(result);
 */
export function claimCheck(
  check: (payload: Readonly<JWTPayload>) => boolean | PromiseLike<boolean>,
  description: string,
): AuthCheck {
  if (typeof check !== 'function') throw new TypeError('"check" must be a function');
  if (typeof description !== 'string' || description.length === 0) {
    throw new TypeError('"description" must be a non-empty string');
  }
  return (auth) => {
    const payload = requireAuth(auth).payload;
    const refused = () => new InsufficientScopeError('ERR_CLAIM_CHECK_FAILED', description);
    let result: unknown;
    try {
      result = check(payload);
    } catch {
      throw refused();
    }
    const verdict = settleHook(
      'claimCheck',
      result,
      DEFAULT_HOOK_TIMEOUT,
      (value) => {
        if (value !== true) throw refused();
      },
      () => refused(),
    );
    return verdict;
  };
}
