import { constants, randomUUID, sign as nodeSign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { CompactSign, base64url } from 'jose';
import type { JWK } from 'jose';
import { confirmationClaim } from './confirmation.js';
import type { HeldKey } from './keys.js';
import type { SignOptions } from './types.js';

/** Lifetime of issued tokens when `expiresIn` is not given, in seconds. */
export const DEFAULT_EXPIRES_IN = 300;

/** Claims every token carries unless overridden (`iss`, `iat`, `exp` and `jti` are added per token). */
export const DEFAULT_CLAIMS = {
  sub: 'test-user',
  aud: 'https://api.example.test',
  client_id: 'test-client',
  scope: 'read:messages',
} as const;

/** Builds the claims set: defaults first, caller's claims on top, `undefined` dropped. */
export function buildClaims(
  issuer: string,
  claims: Record<string, unknown>,
  options: SignOptions,
): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = { iss: issuer, ...DEFAULT_CLAIMS };
  if (!options.noIat) payload.iat = now;
  if (options.expiresIn !== null) payload.exp = now + (options.expiresIn ?? DEFAULT_EXPIRES_IN);
  payload.jti = randomUUID();
  if (options.boundTo !== undefined) payload.cnf = confirmationClaim(options.boundTo);
  Object.assign(payload, claims);
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) delete payload[name];
  }
  return payload;
}

/** Produces a compact JWS over `payload` with `key`. */
export async function signCompact(
  key: { privateKey: HeldKey['privateKey'] | JWK },
  header: Record<string, unknown> & { alg: string },
  payload: Record<string, unknown>,
): Promise<string> {
  const body = new TextEncoder().encode(JSON.stringify(payload));
  if (isKeyObject(key.privateKey)) return signWithKeyObject(key.privateKey, header, body);
  // Callers adding `crit` want a token that carries it; tell jose those
  // extensions are understood so it signs instead of refusing.
  const crit = Array.isArray(header.crit)
    ? Object.fromEntries(header.crit.filter((p) => typeof p === 'string').map((p) => [p, true]))
    : undefined;
  return new CompactSign(body)
    .setProtectedHeader(header)
    .sign(key.privateKey, crit ? { crit } : undefined);
}

function isKeyObject(value: HeldKey['privateKey'] | JWK): value is KeyObject {
  return typeof (value as KeyObject).export === 'function';
}

// Only reached for sub-2048-bit RSA keys, which jose will not sign with.
function signWithKeyObject(
  privateKey: KeyObject,
  header: Record<string, unknown> & { alg: string },
  body: Uint8Array,
): string {
  const match = /^(RS|PS)(256|384|512)$/.exec(header.alg);
  if (!match) throw new TypeError(`Cannot sign ${header.alg} with an RSA key`);
  const bits = Number(match[2]);
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(body)}`;
  const signature = nodeSign(
    `sha${bits}`,
    Buffer.from(input),
    match[1] === 'PS'
      ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bits / 8 }
      : privateKey,
  );
  return `${input}.${base64url.encode(signature)}`;
}
