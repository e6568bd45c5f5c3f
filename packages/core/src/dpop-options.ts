/**
 * The `dpop` and `mtls` options (RFC 9449, RFC 8705): their types, and their
 * validation into what the proof and binding stages use. A mistake is a
 * `TypeError` when the verifier is built, never a silent opt-out.
 */
import type { X509Certificate } from 'node:crypto';
import { SUPPORTED_ALGORITHMS } from './algorithms.js';
import type { Algorithm } from './algorithms.js';
import { nonceIssuer } from './dpop-nonce.js';
import type { NonceIssuer } from './dpop-nonce.js';
import { memoryReplayStore } from './dpop-replay.js';
import { parseHttpUrl } from './http-url.js';
import { fail, optionalFunction, rejectUnknown } from './option-checks.js';

/**
 * Where proofs' `jti`s are remembered (RFC 9449 §11.1). `markUsed` returns
 * true when `key` is new (and records it for `ttlSeconds`), false when it
 * was already used: a replay. A throw, a rejection, or anything but a
 * boolean fails the request closed (503).
 */
export interface ReplayStore {
  markUsed(key: string, ttlSeconds: number): boolean | PromiseLike<boolean>;
}

/** The `dpop` option: accept DPoP-bound tokens with proofs (RFC 9449). */
export interface DpopOptions {
  /** Only DPoP passes; Bearer requests get 401 with a DPoP challenge. Default false. */
  required?: boolean;
  /** Proof algorithms. Default: every asymmetric one the core supports. */
  algorithms?: Algorithm[];
  /** Seconds a proof's `iat` may be from now, past or future (plus `clockTolerance`). Default 300. */
  maxProofAge?: number;
  /** Where `jti`s are remembered; `false` turns replay checks off. Default: in memory, bounded. */
  replay?: ReplayStore | false;
  /**
   * Server nonces (RFC 9449 §9), stateless: an HMAC of a time window with the
   * first secret (the others still verify, for rotation). A nonce is
   * accepted for at least `lifetime` seconds (default 300) and at most twice that.
   */
  nonce?: { secret: string | readonly string[]; lifetime?: number };
  /**
   * The public origin(s) of the API (`https://api.example.com`), from which
   * `htu` is built. Without it, the framework's proxy-aware protocol and host
   * are used, which are only as trustworthy as the proxy settings.
   */
  origin?: string | readonly string[];
}

/** The `mtls` option: certificate-bound tokens (RFC 8705). */
export interface MtlsOptions<O = unknown> {
  /**
   * The client certificate of a request: an `X509Certificate`, a PEM string
   * (from a header set by a trusted TLS-terminating proxy) or DER bytes.
   * A thenable is awaited (under `hookTimeout`). Default: the TLS peer
   * certificate of the request's socket.
   */
  getCertificate?: (
    request: O,
  ) =>
    | X509Certificate
    | string
    | Buffer
    | undefined
    | null
    | PromiseLike<X509Certificate | string | Buffer | undefined | null>;
}

/** The `dpop` option, validated. */
export interface ResolvedDpop {
  required: boolean;
  algorithms: readonly Algorithm[];
  maxProofAge: number;
  replay: ReplayStore | undefined;
  nonce: NonceIssuer | undefined;
  /** Normalised `scheme://host[:port]` origins; undefined: ask the adapter. */
  origins: readonly string[] | undefined;
}

const DPOP_NAMES = new Set(['required', 'algorithms', 'maxProofAge', 'replay', 'nonce', 'origin']);
const NONCE_NAMES = new Set(['secret', 'lifetime']);
const MTLS_NAMES = new Set(['getCertificate']);
/** Shortest nonce secret accepted, in characters: a guessable secret forges nonces. */
export const MIN_NONCE_SECRET_LENGTH = 32;

function resolveOrigins(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    fail('dpop.origin', 'must be an origin string or a non-empty array of them');
  }
  return list.map((entry: unknown) => {
    // scheme://host[:port], lower-cased and without a default port; nothing after it.
    const url = typeof entry === 'string' ? parseHttpUrl(entry) : undefined;
    if (url === undefined || url.pathname.length > 1 || /[?#]/.test(entry as string)) {
      return fail(
        'dpop.origin',
        `${JSON.stringify(entry)} is not an http(s) origin such as https://api.example.com`,
      );
    }
    return `${url.protocol}//${url.host}`;
  });
}

function resolveNonce(value: unknown): NonceIssuer | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null)
    fail('dpop.nonce', 'must be { secret, lifetime? }');
  rejectUnknown('dpop.nonce.', value, NONCE_NAMES);
  const { secret, lifetime = 300 } = value as { secret?: unknown; lifetime?: unknown };
  const secrets = typeof secret === 'string' ? [secret] : secret;
  if (
    !Array.isArray(secrets) ||
    secrets.length === 0 ||
    !secrets.every((s) => typeof s === 'string' && s.length >= MIN_NONCE_SECRET_LENGTH)
  ) {
    fail(
      'dpop.nonce.secret',
      `must be a string (or non-empty array of strings) of at least ${MIN_NONCE_SECRET_LENGTH} characters`,
    );
  }
  if (
    typeof lifetime !== 'number' ||
    !Number.isInteger(lifetime) ||
    lifetime < 10 ||
    lifetime > 86_400
  ) {
    fail('dpop.nonce.lifetime', 'must be an integer number of seconds from 10 to 86400');
  }
  return nonceIssuer(secrets as string[], lifetime);
}

function resolveReplay(value: unknown): ReplayStore | undefined {
  if (value === false) return undefined;
  if (value === undefined) return memoryReplayStore();
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as ReplayStore).markUsed !== 'function'
  ) {
    fail('dpop.replay', 'must be false or an object with a markUsed(key, ttlSeconds) method');
  }
  return value as ReplayStore;
}

/** Validates `dpop`: undefined or `false` is off; an object turns DPoP on. */
export function resolveDpop(value: unknown): ResolvedDpop | undefined {
  if (value === undefined || value === false) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fail('dpop', 'must be false or an object');
  }
  rejectUnknown('dpop.', value, DPOP_NAMES);
  const o = value as Record<string, unknown>;
  if (o.required !== undefined && typeof o.required !== 'boolean')
    fail('dpop.required', 'must be a boolean');
  let algorithms: readonly Algorithm[] = SUPPORTED_ALGORITHMS;
  if (o.algorithms !== undefined) {
    if (
      !Array.isArray(o.algorithms) ||
      o.algorithms.length === 0 ||
      !o.algorithms.every((a) => (SUPPORTED_ALGORITHMS as readonly unknown[]).includes(a))
    ) {
      fail('dpop.algorithms', `must be a non-empty array of ${SUPPORTED_ALGORITHMS.join(', ')}`);
    }
    algorithms = [...new Set(o.algorithms as Algorithm[])];
  }
  const maxProofAge = o.maxProofAge ?? 300;
  if (
    typeof maxProofAge !== 'number' ||
    !Number.isFinite(maxProofAge) ||
    maxProofAge <= 0 ||
    maxProofAge > 3600
  ) {
    fail('dpop.maxProofAge', 'must be a number of seconds above 0 and at most 3600');
  }
  return {
    required: o.required === true,
    algorithms,
    maxProofAge,
    replay: resolveReplay(o.replay),
    nonce: resolveNonce(o.nonce),
    origins: resolveOrigins(o.origin),
  };
}

/** Validates `mtls`: undefined keeps the default (the socket's peer certificate). */
export function resolveMtls(
  value: unknown,
): Required<MtlsOptions<never>> | { getCertificate: undefined } {
  if (value === undefined) return { getCertificate: undefined };
  if (typeof value !== 'object' || value === null) fail('mtls', 'must be an object');
  rejectUnknown('mtls.', value, MTLS_NAMES);
  const getCertificate = optionalFunction<(request: never) => unknown>(
    'mtls.getCertificate',
    (value as MtlsOptions).getCertificate,
  );
  return { getCertificate } as Required<MtlsOptions<never>>;
}
