// The "floor app" helper: the bare app plus exactly one node:crypto.verify per
// request (no claim checks, no cache, no JSON parsing: the key is chosen by the
// signature length). It measures, over real HTTP, what an app can reach when
// it does nothing but serve the route and check one signature, i.e. the
// achievable version of the ideal cold bound 1/(1/bare + 1/crypto.verify).
import { createPublicKey, verify } from 'node:crypto';
import { getJson, requireAuthConfig } from './_common.js';

const { jwksUri } = requireAuthConfig();
const { keys } = await getJson(jwksUri);
const bySignatureLength = new Map();
for (const jwk of keys) {
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  if (jwk.alg === 'RS256') bySignatureLength.set(342, key); // 256-byte signature in base64url
  if (jwk.alg === 'ES256') bySignatureLength.set(86, { key, dsaEncoding: 'ieee-p1363' }); // 64 bytes
}

/** True when the Authorization header carries a token whose signature verifies. */
export function signatureValid(authorization) {
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return false;
  const dot = authorization.lastIndexOf('.');
  const key = bySignatureLength.get(authorization.length - dot - 1);
  if (dot < 7 || key === undefined) return false;
  try {
    return verify(
      'sha256',
      Buffer.from(authorization.slice(7, dot), 'latin1'),
      key,
      Buffer.from(authorization.slice(dot + 1), 'base64url'),
    );
  } catch {
    return false;
  }
}
