import { InvalidTokenError } from './errors.js';
import { base64urlBytes } from './platform.js';

const SEGMENT = /^[A-Za-z0-9_-]*$/;

/**
 * Any character outside base64url and the dot. One scan of the whole token
 * finds that a token is made of JWS characters only, which is what every
 * valid token is; the per-segment checks then run only when it is not.
 */
export const NOT_JWS_CHAR = /[^A-Za-z0-9_.-]/;

/** The decoded protected header and the raw payload segment of a compact JWS. */
export interface CompactParts {
  /** Deeply frozen, and shared by every token with the same header segment. */
  header: Readonly<Record<string, unknown>>;
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
    value = JSON.parse(strictUtf8.decode(base64urlBytes(segment)));
  } catch (cause) {
    throw malformed(`the token ${what} is not valid JSON`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`the token ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Decoded headers by their exact segment text. An issuer's tokens share a
 * handful of headers (one per key and type), so a cold token usually skips
 * the header's decode and freeze. The same bytes always give the same
 * parse; the map is bounded (and segments over 512 characters, which no
 * real issuer sends, are not kept), so a client sending many headers only
 * costs itself the decode.
 */
const headers = new Map<string, Readonly<Record<string, unknown>>>();
const MAX_HEADERS = 64;
const MAX_KEPT_HEADER = 512;

/** Freezes `value` and everything it holds (parsed JSON: plain objects and arrays). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const name in value) deepFreeze((value as Record<string, unknown>)[name]);
  }
  return value;
}

/** The decoded, deeply frozen header of a segment. */
function headerOf(segment: string): Readonly<Record<string, unknown>> {
  let header = headers.get(segment);
  if (header === undefined) {
    header = deepFreeze(decodeSegment(segment, 'header'));
    if (segment.length <= MAX_KEPT_HEADER) {
      if (headers.size >= MAX_HEADERS) headers.clear();
      headers.set(segment, header);
    }
  }
  return header;
}

/**
 * Splits a compact JWS and decodes its header (deeply frozen), refusing anything that is not
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
    (NOT_JWS_CHAR.test(token) &&
      (!SEGMENT.test(header) || !SEGMENT.test(payload) || !SEGMENT.test(signature)))
  ) {
    throw malformed('the token is not a JWT');
  }
  if (!isCanonicalBase64url(signature)) {
    throw malformed('the token signature is not canonical base64url');
  }
  return { header: headerOf(header), payload, lastDot: second };
}
