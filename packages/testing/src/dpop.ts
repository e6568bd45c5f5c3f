import { createHash, randomUUID, webcrypto } from 'node:crypto';
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';
import { isTestAlg } from './keys.js';
import { signCompact } from './sign.js';
import type { DpopKey, DpopProofOptions, TestAlg } from './types.js';

/** Protected header `typ` of DPoP proofs (RFC 9449 §4.2). */
export const DPOP_TYP = 'dpop+jwt';

/** The only members a DPoP proof's `jwk` header may carry for the supported key types. */
const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/**
 * Generates a DPoP (RFC 9449) client key pair for tests: it signs proofs with
 * {@link DpopKey.proof}, and `issuer.sign(claims, { boundTo: key })` issues access tokens bound
 * to it (`cnf.jkt`). A test tool: the private key is extractable and kept in memory.
 *
 * @param alg - Any `TestAlg`; default `'ES256'`. RSA keys are 2048 bits.
 * @throws TypeError for an unsupported algorithm.
 *
 * @example
 * ```ts
 * const dpop = await createDpopKey();
 * const token = await issuer.sign({}, { boundTo: dpop });
 * const proof = await dpop.proof({ htm: 'GET', htu: `${api.url}/messages`, accessToken: token });
 * await fetch(`${api.url}/messages`, { headers: { authorization: `DPoP ${token}`, dpop: proof } });
 * ```
 */
export async function createDpopKey(alg: TestAlg = 'ES256'): Promise<DpopKey> {
  if (!isTestAlg(alg)) throw new TypeError(`Unsupported algorithm: ${String(alg)}`);
  const pair = await generateKeyPair(alg, { extractable: true });
  const exported = await exportJWK(pair.publicKey);
  const members: Record<string, unknown> = {};
  for (const name of PUBLIC_MEMBERS) {
    if (exported[name] !== undefined) members[name] = exported[name];
  }
  const publicJwk = Object.freeze(members) as JWK;
  const thumbprint = await calculateJwkThumbprint(publicJwk, 'sha256');
  const key: DpopKey = {
    alg,
    publicJwk,
    privateKey: pair.privateKey,
    thumbprint,
    proof: (options) => signProof(key, options),
  };
  return Object.freeze(key);
}

async function signProof(key: DpopKey, options: DpopProofOptions): Promise<string> {
  if (options == null || typeof options.htm !== 'string' || typeof options.htu !== 'string') {
    throw new TypeError('proof() needs string htm and htu');
  }
  const header = withoutUndefined({
    typ: options.typ ?? DPOP_TYP,
    alg: options.alg ?? key.alg,
    jwk: options.jwk ?? { ...key.publicJwk },
    ...options.extraHeader,
  });
  const claims: Record<string, unknown> = {
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
  };
  if (options.accessToken !== undefined) claims.ath = accessTokenHash(options.accessToken);
  if (options.nonce !== undefined) claims.nonce = options.nonce;
  Object.assign(claims, options.extraClaims);
  for (const name of options.omit ?? []) delete claims[name];
  const payload = withoutUndefined(claims);

  const { alg } = header;
  if (typeof alg === 'string' && alg === key.alg) {
    return signCompact({ privateKey: key.privateKey }, { ...header, alg }, payload);
  }
  if (typeof alg === 'string' && canSign(key.alg, alg)) {
    // A WebCrypto key is tied to one algorithm; jose re-imports the private
    // JWK for the other one (EdDSA and Ed25519 share a key, RS*/PS* the modulus).
    const privateJwk = await exportJWK(key.privateKey);
    return signCompact({ privateKey: privateJwk }, { ...header, alg }, payload);
  }
  return signHeaderOnly(key, header, payload);
}

/** RFC 9449 §4.2 `ath`: base64url(SHA-256(access token)); tokens are ASCII, so UTF-8 is the same bytes. */
function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

function canSign(keyAlg: TestAlg, alg: string): boolean {
  const rsa = /^(RS|PS)(256|384|512)$/;
  if (rsa.test(keyAlg)) return rsa.test(alg);
  if (keyAlg === 'EdDSA' || keyAlg === 'Ed25519') return alg === 'EdDSA' || alg === 'Ed25519';
  return alg === keyAlg;
}

/**
 * Signs with the key's own algorithm under a header whose `alg` says
 * something else (or nothing): jose refuses to, so the JWS is built by hand.
 */
async function signHeaderOnly(
  key: DpopKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const signature = await webcrypto.subtle.sign(
    webCryptoParams(key.alg),
    key.privateKey as webcrypto.CryptoKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

function webCryptoParams(
  alg: TestAlg,
): webcrypto.AlgorithmIdentifier | webcrypto.RsaPssParams | webcrypto.EcdsaParams {
  const bits = Number(alg.slice(2));
  if (alg.startsWith('RS')) return { name: 'RSASSA-PKCS1-v1_5' };
  if (alg.startsWith('PS')) return { name: 'RSA-PSS', saltLength: bits / 8 };
  if (alg.startsWith('ES')) return { name: 'ECDSA', hash: `SHA-${bits}` };
  return { name: 'Ed25519' };
}

function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, member]) => member !== undefined));
}
