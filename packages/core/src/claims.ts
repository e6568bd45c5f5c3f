import { InvalidTokenError } from './errors.js';
import type { JwksAuthError } from './errors.js';

/** The claim rules of one issuer, precomputed once per verifier. */
export interface ClaimRules {
  issuer: string;
  audience: readonly string[] | undefined;
  /** Claims that must be present, in the order they are checked. */
  present: readonly string[];
  clockTolerance: number;
  maxTokenAge: number | undefined;
  typ: string | undefined;
}

/** jose's `typ` comparison: case-insensitive, `application/` implied when there is no slash. */
export function normalizeTyp(value: string): string {
  const lower = value.toLowerCase();
  return value.includes('/') ? lower : `application/${lower}`;
}

function fail(code: JwksAuthError['code'], description: string): never {
  throw new InvalidTokenError(code, description);
}

/** The part of the claim rules that decides when a verdict holds (the verifier's, for every issuer). */
export type WindowRules = Pick<ClaimRules, 'clockTolerance' | 'maxTokenAge'>;

type Breach = readonly [JwksAuthError['code'], string];

const MALFORMED: Record<string, Breach> = {
  iat: ['ERR_CLAIM_INVALID', 'the iat claim is malformed'],
  nbf: ['ERR_CLAIM_INVALID', 'the nbf claim is malformed'],
  exp: ['ERR_CLAIM_INVALID', 'the exp claim is malformed'],
};
const NOT_YET_VALID: Breach = ['ERR_TOKEN_NOT_YET_VALID', 'the token is not yet valid'];
const EXPIRED: Breach = ['ERR_TOKEN_EXPIRED', 'the token has expired'];
const TOO_OLD: Breach = ['ERR_TOKEN_TOO_OLD', 'the token is older than allowed'];
const FUTURE: Breach = ['ERR_CLAIM_INVALID', 'the token is issued in the future'];

/**
 * The validity window, written once: the first rule of `nbf`, `exp` and
 * `maxTokenAge` (with `clockTolerance`) that a token breaks at `now` (epoch
 * seconds, floored, as jose counts), in jose's order, or undefined while the
 * token is inside its window. Claim checks throw what it returns; the token
 * cache serves a verdict only while it returns undefined.
 */
export function windowBreach(
  payload: Readonly<Record<string, unknown>>,
  rules: WindowRules,
  now: number,
): Breach | undefined {
  const tolerance = rules.clockTolerance;
  const { iat, nbf, exp } = payload;
  if (iat === undefined ? rules.maxTokenAge !== undefined : typeof iat !== 'number') {
    return MALFORMED.iat;
  }
  if (nbf !== undefined) {
    if (typeof nbf !== 'number') return MALFORMED.nbf;
    if (nbf > now + tolerance) return NOT_YET_VALID;
  }
  if (exp !== undefined) {
    if (typeof exp !== 'number') return MALFORMED.exp;
    if (exp <= now - tolerance) return EXPIRED;
  }
  if (rules.maxTokenAge !== undefined) {
    const age = now - (iat as number);
    if (age - tolerance > rules.maxTokenAge) return TOO_OLD;
    if (age < -tolerance) return FUTURE;
  }
  return undefined;
}

/**
 * The same window as an interval of epoch milliseconds, for the token
 * cache's fast test: while `from <= now < until`, {@link windowBreach}
 * returns undefined (the test suite holds the two to each other). The
 * interval is a millisecond narrower at each end and empty for malformed
 * claims, so at its edges and outside it the cache asks `windowBreach`.
 */
export function validityInterval(
  payload: Readonly<Record<string, unknown>>,
  rules: WindowRules,
): { from: number; until: number } {
  const tolerance = rules.clockTolerance;
  const { iat, nbf, exp } = payload;
  const timed = rules.maxTokenAge !== undefined;
  if (
    (iat === undefined ? timed : typeof iat !== 'number') ||
    (nbf !== undefined && typeof nbf !== 'number') ||
    (exp !== undefined && typeof exp !== 'number')
  ) {
    return { from: Infinity, until: -Infinity };
  }
  let from = typeof nbf === 'number' ? nbf - tolerance : -Infinity;
  let until = typeof exp === 'number' ? exp + tolerance : Infinity;
  if (timed) {
    from = Math.max(from, (iat as number) - tolerance);
    until = Math.min(until, (iat as number) + rules.maxTokenAge! + tolerance);
  }
  return { from: from * 1000 + 1, until: until * 1000 - 1 };
}

/**
 * Validates a verified claims set the way jose's `jwtVerify` does (same
 * checks, same order, seconds with floor), plus two rules jose leaves open:
 * NumericDates must be finite and `aud`, when present, must be a string or
 * an array of strings. Run by both engines so their verdicts agree.
 */
export function validateClaims(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  rules: ClaimRules,
  nowMs: number,
): void {
  if (
    rules.typ !== undefined &&
    (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== normalizeTyp(rules.typ))
  ) {
    fail('ERR_TYP_INVALID', 'the token type (typ header) is not accepted');
  }
  for (const claim of rules.present) {
    if (!Object.hasOwn(payload, claim)) {
      fail('ERR_CLAIM_INVALID', `the ${claim} claim is missing`);
    }
  }
  if (payload.iss !== rules.issuer) {
    fail('ERR_ISSUER_INVALID', 'the token issuer is not accepted');
  }
  const { aud } = payload;
  if (rules.audience !== undefined) {
    const ok =
      typeof aud === 'string'
        ? rules.audience.includes(aud)
        : Array.isArray(aud) && rules.audience.some((a) => aud.includes(a));
    if (!ok) fail('ERR_AUDIENCE_INVALID', 'the token audience is not accepted');
  }
  const breach = windowBreach(payload, rules, Math.floor(nowMs / 1000));
  if (breach !== undefined) fail(breach[0], breach[1]);
  // Beyond jose, after its checks so both engines name the same failure:
  // JSON can carry 1e309 (Infinity), a date that never arrives; and `aud`
  // must have the shape RFC 7519 §4.1.3 gives it even when it is not checked.
  for (const claim of ['iat', 'nbf', 'exp']) {
    const value = payload[claim];
    if (value !== undefined && !Number.isFinite(value)) {
      fail('ERR_CLAIM_INVALID', `the ${claim} claim is malformed`);
    }
  }
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
  ) {
    fail('ERR_CLAIM_INVALID', 'the aud claim is malformed');
  }
}
