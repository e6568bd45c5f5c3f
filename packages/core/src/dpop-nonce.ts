/**
 * Stateless DPoP server nonces (RFC 9449 §9): a nonce is a time window and
 * an HMAC of it, so every server holding the secret issues and accepts the
 * same nonces without a shared store. Windows last `lifetime` seconds; the
 * current and the previous window are accepted, so a nonce lives at least
 * `lifetime` and at most twice that. The first secret signs; all verify.
 */
import { nodeCrypto } from './platform.js';

const { createHmac, timingSafeEqual } = nodeCrypto;

/** What a nonce check found. */
export type NonceVerdict =
  /** Issued in the current window. */
  | 'current'
  /** Issued in the previous window: still accepted; send the next one. */
  | 'ageing'
  /** Missing, forged, malformed or expired. */
  | 'refused';

/** Issues and checks nonces for one verifier. */
export interface NonceIssuer {
  /** The nonce of the current window. */
  current(nowMs: number): string;
  check(nonce: unknown, nowMs: number): NonceVerdict;
}

const MAX_NONCE_LENGTH = 128;

export function nonceIssuer(secrets: readonly string[], lifetime: number): NonceIssuer {
  const windowMs = lifetime * 1000;
  const mac = (secret: string, window: number) =>
    createHmac('sha256', secret).update(`jwks-auth dpop nonce ${window}`).digest();
  const make = (window: number) =>
    `${window.toString(36)}.${mac(secrets[0]!, window).toString('base64url')}`;
  let cached: { window: number; nonce: string } | undefined;
  return {
    current(nowMs) {
      const window = Math.floor(nowMs / windowMs);
      if (cached?.window !== window) cached = { window, nonce: make(window) };
      return cached.nonce;
    },
    check(nonce, nowMs) {
      if (typeof nonce !== 'string' || nonce.length > MAX_NONCE_LENGTH) return 'refused';
      const dot = nonce.indexOf('.');
      if (dot < 1 || !/^[0-9a-z]+$/.test(nonce.slice(0, dot))) return 'refused';
      const window = parseInt(nonce.slice(0, dot), 36);
      const now = Math.floor(nowMs / windowMs);
      if (window !== now && window !== now - 1) return 'refused';
      const given = Buffer.from(nonce.slice(dot + 1), 'base64url');
      const ok = secrets.some((secret) => {
        const expected = mac(secret, window);
        return given.length === expected.length && timingSafeEqual(given, expected);
      });
      if (!ok) return 'refused';
      return window === now ? 'current' : 'ageing';
    },
  };
}
