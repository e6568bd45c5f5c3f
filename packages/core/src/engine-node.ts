import { validateClaims } from './claims.js';
import { badSignature, exhausted, noUsableKey } from './engine.js';
import type { Engine } from './engine.js';
import { verifySignature } from './jws.js';
import { MAX_CANDIDATES } from './key-index.js';
import { decodeSegment } from './token.js';
import type { ProtectedHeaderParameters } from './types.js';

/**
 * The default engine: signatures checked synchronously with `node:crypto`
 * (no promise once the keys are loaded), claims with the core's rules, which
 * follow jose's `jwtVerify` (the differential test holds them to it).
 */
export const nodeEngine: Engine = (token, parts, alg, issuer, candidates) => {
  let lastError: unknown;
  const tries = Math.min(candidates.length, MAX_CANDIDATES);
  for (let i = 0; i < tries; i += 1) {
    const key = candidates[i]!;
    const keyObject = key.keyObject();
    // A request that chose its keys before a refresh retired one must not use it.
    if (keyObject === null || !key.alive) {
      lastError = noUsableKey();
      continue;
    }
    if (!verifySignature(alg, keyObject, token, parts.lastDot)) {
      lastError = badSignature();
      continue;
    }
    const payload = decodeSegment(parts.payload, 'payload');
    validateClaims(parts.header, payload, issuer.rules, Date.now());
    return { payload, header: parts.header as ProtectedHeaderParameters, key, position: i };
  }
  throw exhausted(lastError, candidates.length);
};
