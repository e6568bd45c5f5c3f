import type { JWTPayload, ProtectedHeaderParameters } from 'jose';

/** What a successful verification yields. Shared between requests when cached: treat as read-only (it is frozen). */
export interface VerifyResult {
  /** The verified claims. */
  readonly payload: Readonly<JWTPayload>;
  /** The verified protected header. */
  readonly header: Readonly<ProtectedHeaderParameters>;
  /** The raw token, as received. */
  readonly token: string;
}

/** A value now, or later. */
export type MaybePromise<T> = T | Promise<T>;

export type { JWTPayload, ProtectedHeaderParameters };
