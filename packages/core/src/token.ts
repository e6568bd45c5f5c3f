import { InvalidTokenError } from './errors.js';

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
