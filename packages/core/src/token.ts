import { InvalidTokenError } from './errors.js';
import type { JwksAuthError } from './errors.js';

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/** The decoded protected header and the raw payload segment of a compact JWS. */
export interface CompactParts {
  header: Record<string, unknown>;
  /** The payload segment, still encoded. */
  payload: string;
  /** Index of the dot before the signature: the signing input is `token.slice(0, lastDot)`. */
  lastDot: number;
}

const B64URL_VALUE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * Whether a base64url segment is the one canonical encoding of its bytes:
 * a length that is not 1 mod 4, and zero unused bits in the last character.
 * Lenient decoders map several strings to one signature; refusing the others
 * means a token is accepted only as the exact bytes that were signed.
 */
export function isCanonicalBase64url(segment: string): boolean {
  const rest = segment.length % 4;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = B64URL_VALUE.indexOf(segment[segment.length - 1]!);
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function malformed(description: string, cause?: unknown): InvalidTokenError {
  return new InvalidTokenError('ERR_TOKEN_MALFORMED', description, { cause });
}

/** Decodes one base64url JSON segment; it must be a JSON object. */
export function decodeSegment(
  segment: string,
  what: 'header' | 'payload',
): Record<string, unknown> {
  let value: unknown;
  try {
    if (segment.length % 4 === 1) throw new TypeError('invalid base64url length');
    value = JSON.parse(strictUtf8.decode(Buffer.from(segment, 'base64url')));
  } catch (cause) {
    throw malformed(`the token ${what} is not valid JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`the token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits a compact JWS and decodes its header, refusing anything that is not
 * three base64url segments (a five-part JWE included) before any crypto.
 */
export function parseCompact(token: string): CompactParts {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1) throw malformed('the token is not a JWT');
  if (token.indexOf('.', second + 1) !== -1) {
    if (token.split('.').length === 5) {
      throw new InvalidTokenError(
        'ERR_TOKEN_ENCRYPTED',
        'encrypted tokens (JWE) are not accepted',
        {},
      );
    }
    throw malformed('the token is not a JWT');
  }
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (
    header.length === 0 ||
    payload.length === 0 ||
    signature.length === 0 ||
    !SEGMENT.test(header) ||
    !SEGMENT.test(payload) ||
    !SEGMENT.test(signature)
  ) {
    throw malformed('the token is not a JWT');
  }
  if (!isCanonicalBase64url(signature)) {
    throw malformed('the token signature is not canonical base64url');
  }
  return { header: decodeSegment(header, 'header'), payload, lastDot: second };
}

const CLAIM_CODES: Record<string, [JwksAuthError['code'], string]> = {
  iss: ['ERR_ISSUER_INVALID', 'the token issuer is not accepted'],
  aud: ['ERR_AUDIENCE_INVALID', 'the token audience is not accepted'],
  typ: ['ERR_TYP_INVALID', 'the token type (typ header) is not accepted'],
  nbf: ['ERR_TOKEN_NOT_YET_VALID', 'the token is not yet valid'],
};

/** Turns a jose failure into an `invalid_token` error, by jose's `code`. Never echoes the token. */
export function mapJoseError(error: unknown): JwksAuthError {
  const { code, claim, reason } = (error ?? {}) as {
    code?: string;
    claim?: string;
    reason?: string;
  };
  const init = { cause: error };
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return claim === 'iat'
        ? new InvalidTokenError('ERR_TOKEN_TOO_OLD', 'the token is older than allowed', init)
        : new InvalidTokenError('ERR_TOKEN_EXPIRED', 'the token has expired', init);
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (reason === 'missing' && typeof claim === 'string' && /^[\w:.-]{1,64}$/.test(claim)) {
        return new InvalidTokenError('ERR_CLAIM_INVALID', `the ${claim} claim is missing`, init);
      }
      if (reason === 'invalid' && typeof claim === 'string' && /^[\w:.-]{1,64}$/.test(claim)) {
        return new InvalidTokenError('ERR_CLAIM_INVALID', `the ${claim} claim is malformed`, init);
      }
      if (claim === 'iat') {
        return new InvalidTokenError(
          'ERR_CLAIM_INVALID',
          'the token is issued in the future',
          init,
        );
      }
      const known = claim === undefined ? undefined : CLAIM_CODES[claim];
      if (known !== undefined) return new InvalidTokenError(known[0], known[1], init);
      return new InvalidTokenError('ERR_CLAIM_INVALID', 'a token claim is not accepted', init);
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return new InvalidTokenError('ERR_SIGNATURE_INVALID', 'the token signature is invalid', init);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return new InvalidTokenError(
        'ERR_ALG_NOT_ALLOWED',
        'the token algorithm is not allowed',
        init,
      );
    case 'ERR_JOSE_NOT_SUPPORTED':
      return new InvalidTokenError(
        'ERR_HEADER_INVALID',
        'the token uses an unsupported header parameter',
        init,
      );
    default:
      return new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token is malformed', init);
  }
}
