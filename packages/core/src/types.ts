import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

/** What a successful verification yields. Shared between requests when cached: treat as read-only (it is frozen). */
export interface VerifyResult {
  /** The verified claims. */
  readonly payload: Readonly<JWTPayload>;
  /** The verified protected header. */
  readonly header: Readonly<ProtectedHeaderParameters>;
  /** The raw token, as received. */
  readonly token: string;
  /**
   * How the token was presented: `'DPoP'` for a token bound to a DPoP key
   * (`cnf.jkt`), which passes only with a valid proof, `'Bearer'` otherwise.
   */
  readonly scheme: 'Bearer' | 'DPoP';
  /** The token's binding (`cnf`), for sender-constrained tokens: `jkt` (DPoP) and/or `x5t#S256` (mTLS). */
  readonly confirmation?: Readonly<Confirmation>;
}

/** The members of a token's `cnf` claim jwks-auth enforces (RFC 9449 §6, RFC 8705 §3). */
export interface Confirmation {
  /** RFC 7638 thumbprint of the DPoP key. */
  jkt?: string;
  /** SHA-256 thumbprint of the client certificate. */
  'x5t#S256'?: string;
}

/** A value now, or later. */
export type MaybePromise<T> = T | Promise<T>;

export type { JWTPayload, ProtectedHeaderParameters };
