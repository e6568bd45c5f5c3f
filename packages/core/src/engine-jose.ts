import type { webcrypto } from 'node:crypto';
import { jwtVerify } from 'jose';
import { ALGORITHMS } from './algorithms.js';
import { validateClaims } from './claims.js';
import { badSignature, exhausted, noUsableKey } from './engine.js';
import type { Engine } from './engine.js';
import { InvalidTokenError } from './errors.js';
import type { JwksAuthError } from './errors.js';
import { rsaLengthOk } from './jws.js';
import { MAX_CANDIDATES } from './key-index.js';
import type { KeyRecord } from './keys.js';
import { NODE } from './platform.js';

/**
 * The reference engine: jose's `jwtVerify` with WebCrypto keys, the engine
 * the node one is differentially tested against. The claim rules jose
 * leaves open (finite dates, `aud` shape) are applied after it, so both
 * engines give the same verdicts.
 */
export const joseEngine: Engine = async (token, parts, alg, issuer, candidates) => {
  let lastError: unknown;
  // The index may reorder its lists (promote) while this loop awaits: work on a copy.
  const tried = candidates.slice(0, MAX_CANDIDATES);
  for (let i = 0; i < tried.length; i += 1) {
    const key = tried[i]!;
    // Both engines use only keys that node:crypto imports (an EC point on its
    // curve, say); on the Web path, those WebCrypto imports (below).
    const keyObject = NODE ? key.keyObject() : undefined;
    if (keyObject === null) {
      lastError = noUsableKey();
      continue;
    }
    let cryptoKey: webcrypto.CryptoKey;
    try {
      cryptoKey = await key.cryptoKey(alg);
    } catch (error) {
      lastError = noUsableKey(error);
      continue;
    }
    // WebCrypto on OpenSSL also left-pads short RSA signatures: hold jose to
    // the exact length as well, so both engines keep one encoding per signature.
    if (
      ALGORITHMS[alg].kty === 'RSA' &&
      (keyObject === undefined
        ? !webRsaLengthOk(key, token.length - parts.lastDot - 1)
        : !rsaLengthOk(keyObject, Buffer.from(token.slice(parts.lastDot + 1), 'base64url')))
    ) {
      lastError = badSignature();
      continue;
    }
    let verified;
    try {
      verified = await jwtVerify(token, cryptoKey, issuer.joseOptions);
    } catch (error) {
      lastError = mapJoseError(error);
      // Only a signature mismatch justifies trying the next candidate key.
      if ((lastError as JwksAuthError).code !== 'ERR_SIGNATURE_INVALID') break;
      continue;
    }
    validateClaims(parts.header, verified.payload, issuer.rules, Date.now());
    // The key may have been retired by a refresh while jose was verifying.
    if (!key.alive) {
      lastError = noUsableKey();
      break;
    }
    return { payload: verified.payload, header: verified.protectedHeader, key, position: i };
  }
  throw exhausted(lastError, candidates.length);
};

/**
 * {@link rsaLengthOk} without `node:crypto`: the signature's byte length from
 * its base64url length, the modulus's from `n` (canonical, no leading zero
 * byte: the key judge saw to it).
 */
function webRsaLengthOk(key: KeyRecord, signatureChars: number): boolean {
  const n = key.jwk.n;
  return typeof n === 'string' && (signatureChars * 3) >> 2 === (n.length * 3) >> 2;
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
