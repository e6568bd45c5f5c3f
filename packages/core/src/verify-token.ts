import type { Engine } from './engine.js';
import { InvalidTokenError } from './errors.js';
import type { JwksAuthError } from './errors.js';
import { assertB64Token } from './extract.js';
import type { IssuerState } from './issuers.js';
import { checkCritical } from './jws.js';
import type { KeyRecord } from './keys.js';
import type { Algorithm } from './options.js';
import { NOT_JWS_CHAR, parseCompact } from './token.js';
import type { CompactParts } from './token.js';
import type { JWTPayload, MaybePromise, ProtectedHeaderParameters, VerifyResult } from './types.js';

/** What the verifier supplies to check one token that the cache did not answer. */
export interface TokenStages {
  /** Accepted algorithms. */
  algorithms: readonly Algorithm[];
  /** Picks the issuer whose key set the token is checked against. */
  issuerOf: (payloadSegment: string) => IssuerState;
  /** The signature engine. */
  engine: Engine;
  /** Stores a verified token (freezing it, caching it) and returns the result. */
  remember: (
    token: string,
    payload: JWTPayload,
    header: ProtectedHeaderParameters,
    key: KeyRecord,
  ) => VerifyResult;
}

/**
 * Parsing, issuer and key selection, signature and claims: the stages a
 * token the cache did not answer goes through. Synchronous with the node
 * engine once the keys are loaded.
 */
export function verifyToken(
  stages: TokenStages,
  token: string,
  fromHeader: boolean,
): MaybePromise<VerifyResult> {
  // A token of JWS characters only is a valid b64token: one scan instead of two.
  if (fromHeader && NOT_JWS_CHAR.test(token)) assertB64Token(token);
  const parts = parseCompact(token);
  const alg = parts.header.alg as Algorithm;
  if (typeof parts.header.alg !== 'string' || !stages.algorithms.includes(alg)) {
    throw new InvalidTokenError('ERR_ALG_NOT_ALLOWED', 'the token algorithm is not allowed');
  }
  const kid = parts.header.kid;
  if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
    throw new InvalidTokenError('ERR_HEADER_INVALID', 'the kid header must be a string');
  }
  const issuer = stages.issuerOf(parts.payload);
  const attempt = kid === undefined ? withKeysOrRefetch : withKeys;
  const tag = (error: unknown): never => {
    if (typeof error === 'object' && error !== null) failedIssuers.set(error, issuer.issuer);
    throw error;
  };
  try {
    const candidates = issuer.keySet.candidates(alg, kid);
    const result =
      candidates instanceof Promise
        ? candidates.then((found) => attempt(stages, token, parts, alg, issuer, found))
        : attempt(stages, token, parts, alg, issuer, candidates);
    return result instanceof Promise ? result.catch(tag) : result;
  } catch (error) {
    return tag(error);
  }
}

/** The issuer a failure happened under, once one was selected (for `token_rejected` events). */
const failedIssuers = new WeakMap<object, string>();

/** The issuer selected for the token whose verification threw `error`, if one was. */
export function issuerOfFailure(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? failedIssuers.get(error) : undefined;
}

function withKeys(
  stages: TokenStages,
  token: string,
  parts: CompactParts,
  alg: Algorithm,
  issuer: IssuerState,
  candidates: readonly KeyRecord[],
): MaybePromise<VerifyResult> {
  if (candidates.length === 0) {
    throw new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no key in the key set matches the token');
  }
  checkCritical(parts.header);
  const verified = stages.engine(token, parts, alg, issuer, candidates);
  const accept = ({ payload, header, key, position }: Awaited<typeof verified>) => {
    if (position > 0) issuer.keySet.promote(key, alg);
    return stages.remember(token, payload, header, key);
  };
  return verified instanceof Promise ? verified.then(accept) : accept(verified);
}

/**
 * A token without `kid` that none of its candidate keys verifies may come
 * from a key the issuer rotated in since the last fetch: refetch (under the
 * same cooldown as an unknown kid) and try once more.
 */
function withKeysOrRefetch(
  stages: TokenStages,
  token: string,
  parts: CompactParts,
  alg: Algorithm,
  issuer: IssuerState,
  found: readonly KeyRecord[],
): MaybePromise<VerifyResult> {
  const retry = (error: unknown): Promise<VerifyResult> => {
    const code = (error as JwksAuthError).code;
    if (code !== 'ERR_SIGNATURE_INVALID' && code !== 'ERR_TOO_MANY_KEYS') throw error;
    const next = issuer.keySet.refetch(alg, undefined);
    if (next === undefined) throw error;
    return next.then(
      (keys) => withKeys(stages, token, parts, alg, issuer, keys),
      () => {
        throw error;
      },
    );
  };
  let result: MaybePromise<VerifyResult>;
  try {
    result = withKeys(stages, token, parts, alg, issuer, found);
  } catch (error) {
    return retry(error);
  }
  return result instanceof Promise ? result.catch(retry) : result;
}
