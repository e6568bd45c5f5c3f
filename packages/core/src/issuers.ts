import type { JWTVerifyOptions } from 'jose';
import type { ClaimRules } from './claims.js';
import { InvalidTokenError } from './errors.js';
import { RemoteKeySet } from './key-set.js';
import type { ResolvedOptions } from './options.js';
import { decodeSegment } from './token.js';

/** One trusted issuer: its key set and the claim rules its tokens must meet. */
export interface IssuerState {
  readonly issuer: string;
  readonly keySet: RemoteKeySet;
  readonly rules: ClaimRules;
  /** The same rules in jose's vocabulary, for the jose engine. */
  readonly joseOptions: JWTVerifyOptions;
}

/** The issuers of a verifier, each with its key set and rules, built once from the options. */
export function createIssuers(o: ResolvedOptions): Map<string, IssuerState> {
  const joseBase: JWTVerifyOptions = {
    algorithms: o.algorithms,
    clockTolerance: o.clockTolerance,
    requiredClaims: o.requiredClaims,
  };
  if (o.audience !== undefined) joseBase.audience = o.audience;
  if (o.maxTokenAge !== undefined) joseBase.maxTokenAge = o.maxTokenAge;
  if (o.typ !== undefined) joseBase.typ = o.typ;
  const present = [...o.requiredClaims];
  if (o.maxTokenAge !== undefined) present.push('iat');
  if (o.audience !== undefined) present.push('aud');
  present.push('iss');

  const issuers = new Map<string, IssuerState>();
  for (const { issuer, jwksUri } of o.issuers) {
    const keySet = new RemoteKeySet({
      issuer,
      options: o.jwks,
      onEvent: o.onEvent,
      jwksUri,
      allowInsecureHttp: o.allowInsecureHttp,
    });
    const rules: ClaimRules = {
      issuer,
      audience: typeof o.audience === 'string' ? [o.audience] : o.audience,
      present: [...new Set(present)],
      clockTolerance: o.clockTolerance,
      maxTokenAge: o.maxTokenAge,
      typ: o.typ,
    };
    issuers.set(issuer, { issuer, keySet, rules, joseOptions: { ...joseBase, issuer } });
  }
  return issuers;
}

/**
 * Chooses the issuer whose key set a token is checked against. With one
 * issuer, always that one; with several, the token's unverified `iss` only
 * picks the key set (the claim checks hold `iss` to the signed payload), and
 * an unlisted one is refused without any network request.
 */
export function issuerSelector(
  issuers: ReadonlyMap<string, IssuerState>,
): (payloadSegment: string) => IssuerState {
  if (issuers.size === 1) {
    const only = [...issuers.values()][0]!;
    return () => only;
  }
  return (payloadSegment) => {
    const { iss } = decodeSegment(payloadSegment, 'payload');
    const state = typeof iss === 'string' ? issuers.get(iss) : undefined;
    if (state === undefined) {
      throw new InvalidTokenError('ERR_ISSUER_INVALID', 'the token issuer is not trusted');
    }
    return state;
  };
}
