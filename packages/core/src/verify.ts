import type { webcrypto } from 'node:crypto';
import { jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyOptions } from 'jose';
import { TokenCache } from './cache.js';
import { applyChallenge } from './challenge.js';
import type { ChallengeOptions } from './challenge.js';
import {
  InvalidRequestError,
  InvalidTokenError,
  JwksAuthError,
  UnauthorizedError,
  VerifierClosedError,
} from './errors.js';
import { emitEvent } from './events.js';
import type { JwksAuthEvent } from './events.js';
import { assertB64Token, extractToken, isCorsPreflight } from './extract.js';
import { booleanResult, callHook } from './hooks.js';
import { RemoteKeySet } from './key-set.js';
import { MAX_CANDIDATES } from './keys.js';
import type { KeyRecord } from './keys.js';
import { resolveOptions } from './options.js';
import type { Algorithm, RequestLike, ResolvedOptions, VerifierOptions } from './options.js';
import { decodeSegment, mapJoseError, parseCompact } from './token.js';
import type { CompactParts } from './token.js';
import { validateClaims } from './claims.js';
import type { ClaimRules } from './claims.js';
import { checkCritical, rsaLengthOk, verifySignature } from './jws.js';
import type { MaybePromise, VerifyResult } from './types.js';

/** A configured verifier. Create one per app (or per middleware) and reuse it. */
export interface Verifier<O = RequestLike> {
  /** Verifies a compact JWS access token; resolves the verified claims or rejects with a `JwksAuthError`. */
  verify(token: string): Promise<VerifyResult>;
  /**
   * Extracts the token from a request and verifies it. Resolves `undefined`
   * when no token was sent and `credentialsRequired` is false.
   */
  authenticate(request: RequestLike, original?: O): Promise<VerifyResult | undefined>;
  /**
   * Like `authenticate`, but answers synchronously when it can (a cache hit
   * with no async hook), so adapters pay no promise on the hot path. It may
   * return a value, return a promise, or throw a `JwksAuthError`.
   * `original` is what `getToken` receives (the framework's own request);
   * `required` overrides `credentialsRequired` for this call (per-route optional auth).
   */
  handle(
    request: RequestLike,
    original?: O,
    required?: boolean,
  ): MaybePromise<VerifyResult | undefined>;
  /** Fetches every issuer's metadata and keys now; rejects with a 503 `JwksAuthError` if any fails. */
  warmup(): Promise<void>;
  /**
   * Aborts key set requests in flight and empties the cache. Every later call
   * fails with a 503 `ERR_VERIFIER_CLOSED` instead of verifying.
   */
  close(): void;
  /** The validated options, defaults applied. */
  readonly options: Readonly<ResolvedOptions>;
}

type WebCryptoKey = webcrypto.CryptoKey;

interface IssuerState {
  issuer: string;
  keySet: RemoteKeySet;
  rules: ClaimRules;
  joseOptions: JWTVerifyOptions;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Creates a verifier. Options are validated now: a mistake throws a
 * `TypeError` naming the option, never at the first request.
 *
 * @example
 * const verifier = createVerifier({ issuer: 'https://id.example.com/', audience: 'https://api.example.com' });
 * const { payload } = await verifier.verify(token);
 */
export function createVerifier<O = RequestLike>(options: VerifierOptions<O>): Verifier<O> {
  const o = resolveOptions(options as VerifierOptions<never>);
  const { onEvent, isRevoked, credentialsRequired, maxTokenLength } = o;
  const challenge: ChallengeOptions = { realm: o.realm };
  const cache = o.cacheMaxEntries > 0 ? new TokenCache(o.cacheMaxEntries) : undefined;
  const passPreflight = o.corsPreflight === 'pass';
  const revocationResult = booleanResult('isRevoked');
  let closed = false;

  const baseVerifyOptions: JWTVerifyOptions = {
    algorithms: o.algorithms,
    clockTolerance: o.clockTolerance,
    requiredClaims: o.requiredClaims,
  };
  if (o.audience !== undefined) baseVerifyOptions.audience = o.audience;
  if (o.maxTokenAge !== undefined) baseVerifyOptions.maxTokenAge = o.maxTokenAge;
  if (o.typ !== undefined) baseVerifyOptions.typ = o.typ;
  const issuers = new Map<string, IssuerState>();
  for (const config of o.issuers) {
    const issuer = config.issuer;
    const keySet = new RemoteKeySet({
      issuer,
      options: o.jwks,
      onEvent,
      jwksUri: config.jwksUri,
      allowInsecureHttp: o.allowInsecureHttp,
    });
    const present = [...o.requiredClaims];
    if (o.maxTokenAge !== undefined) present.push('iat');
    if (o.audience !== undefined) present.push('aud');
    present.push('iss');
    const rules: ClaimRules = {
      issuer,
      audience: typeof o.audience === 'string' ? [o.audience] : o.audience,
      present: [...new Set(present)],
      clockTolerance: o.clockTolerance,
      maxTokenAge: o.maxTokenAge,
      typ: o.typ,
    };
    issuers.set(issuer, { issuer, keySet, rules, joseOptions: { ...baseVerifyOptions, issuer } });
  }
  const onlyIssuer = issuers.size === 1 ? [...issuers.values()][0] : undefined;

  function emit(event: JwksAuthEvent): void {
    emitEvent(onEvent, event);
  }

  function rejected(error: unknown, issuer?: string): JwksAuthError {
    const err =
      error instanceof JwksAuthError
        ? error
        : new InvalidTokenError('ERR_TOKEN_MALFORMED', 'the token could not be verified', {
            cause: error,
          });
    if (onEvent !== undefined) {
      emit({ type: 'token_rejected', code: err.code, status: err.status, issuer });
    }
    // The edge: the only place this verifier's configuration shapes the challenge.
    return applyChallenge(err, challenge);
  }

  function pickIssuer(payloadSegment: string): IssuerState {
    if (onlyIssuer !== undefined) return onlyIssuer;
    // Several issuers: the unverified `iss` only chooses which key set to
    // consult; jose checks it again against the signed payload.
    const payload = decodeSegment(payloadSegment, 'payload');
    const iss = payload.iss;
    const state = typeof iss === 'string' ? issuers.get(iss) : undefined;
    if (state === undefined) {
      throw new InvalidTokenError('ERR_ISSUER_INVALID', 'the token issuer is not trusted');
    }
    return state;
  }

  /** Full verification. Synchronous with the node engine once keys are loaded. */
  function verifyUncached(token: string, fromHeader: boolean): MaybePromise<VerifyResult> {
    if (fromHeader) assertB64Token(token);
    const parts = parseCompact(token);
    const alg = parts.header.alg as Algorithm;
    if (typeof parts.header.alg !== 'string' || !o.algorithms.includes(alg)) {
      throw new InvalidTokenError('ERR_ALG_NOT_ALLOWED', 'the token algorithm is not allowed');
    }
    const kid = parts.header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length === 0)) {
      throw new InvalidTokenError('ERR_HEADER_INVALID', 'the kid header must be a string');
    }
    const state = pickIssuer(parts.payload);
    const candidates = state.keySet.candidates(alg, kid);
    const attempt = kid === undefined ? verifyKidless : verifyWithKeys;
    if (candidates instanceof Promise) {
      return candidates.then((found) => attempt(token, parts, alg, state, found));
    }
    return attempt(token, parts, alg, state, candidates);
  }

  /**
   * A token without `kid` that none of its candidate keys verifies may come
   * from a key the issuer rotated in since the last fetch: refetch (under
   * the same cooldown as an unknown kid) and try once more.
   */
  function verifyKidless(
    token: string,
    parts: CompactParts,
    alg: Algorithm,
    state: IssuerState,
    found: readonly KeyRecord[],
  ): MaybePromise<VerifyResult> {
    const retry = (error: unknown): Promise<VerifyResult> => {
      const code = (error as JwksAuthError).code;
      if (code !== 'ERR_SIGNATURE_INVALID' && code !== 'ERR_TOO_MANY_KEYS') throw error;
      const next = state.keySet.refetch(alg, undefined);
      if (next === undefined) throw error;
      return next.then(
        (keys) => verifyWithKeys(token, parts, alg, state, keys),
        () => {
          throw error;
        },
      );
    };
    let result: MaybePromise<VerifyResult>;
    try {
      result = verifyWithKeys(token, parts, alg, state, found);
    } catch (error) {
      return retry(error);
    }
    return result instanceof Promise ? result.catch(retry) : result;
  }

  function verifyWithKeys(
    token: string,
    parts: CompactParts,
    alg: Algorithm,
    state: IssuerState,
    candidates: readonly KeyRecord[],
  ): MaybePromise<VerifyResult> {
    if (candidates.length === 0) {
      throw new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no key in the key set matches the token');
    }
    checkCritical(parts.header);
    return o.engine === 'node'
      ? verifyWithNode(token, parts, alg, state, candidates)
      : verifyWithJose(token, parts, alg, state, candidates);
  }

  function verifyWithNode(
    token: string,
    parts: CompactParts,
    alg: Algorithm,
    state: IssuerState,
    candidates: readonly KeyRecord[],
  ): VerifyResult {
    let lastError: JwksAuthError | undefined;
    const tries = Math.min(candidates.length, MAX_CANDIDATES);
    for (let i = 0; i < tries; i += 1) {
      const key = candidates[i]!;
      const keyObject = key.keyObject();
      // A request that chose its keys before a refresh retired one must not use it.
      if (keyObject === null || !key.alive) {
        lastError = new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no usable key matches the token');
        continue;
      }
      if (!verifySignature(alg, keyObject, token, parts.lastDot)) {
        lastError = new InvalidTokenError(
          'ERR_SIGNATURE_INVALID',
          'the token signature is invalid',
        );
        continue;
      }
      const payload = decodeSegment(parts.payload, 'payload');
      validateClaims(parts.header, payload, state.rules, Date.now());
      if (i > 0) state.keySet.promote(key, alg);
      return remember(token, payload, parts.header as VerifyResult['header'], key);
    }
    throw candidates.length > tries && lastError!.code === 'ERR_SIGNATURE_INVALID'
      ? tooManyKeys(lastError)
      : lastError!;
  }

  /** More keys fit the token than are tried, and none of those tried verified it. */
  function tooManyKeys(cause: unknown): InvalidTokenError {
    return new InvalidTokenError(
      'ERR_TOO_MANY_KEYS',
      `the token matches more than ${MAX_CANDIDATES} keys and none of those tried verified it; sign with a kid`,
      { cause },
    );
  }

  async function verifyWithJose(
    token: string,
    parts: CompactParts,
    alg: Algorithm,
    state: IssuerState,
    candidates: readonly KeyRecord[],
  ): Promise<VerifyResult> {
    let lastError: unknown;
    // The index may reorder its lists (promote) while this loop awaits: work on a copy.
    const tried = candidates.slice(0, MAX_CANDIDATES);
    const tries = tried.length;
    for (let i = 0; i < tries; i += 1) {
      const key = tried[i]!;
      // Both engines use only keys that node:crypto imports (an EC point on its curve, say).
      const keyObject = key.keyObject();
      if (keyObject === null) {
        lastError = new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no usable key matches the token');
        continue;
      }
      let cryptoKey: WebCryptoKey;
      try {
        cryptoKey = await key.cryptoKey(alg);
      } catch (error) {
        lastError = new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no usable key matches the token', {
          cause: error,
        });
        continue;
      }
      // WebCrypto on OpenSSL also left-pads short RSA signatures: hold jose to
      // the exact length as well, so both engines keep one encoding per signature.
      if (
        (alg.startsWith('RS') || alg.startsWith('PS')) &&
        !rsaLengthOk(keyObject, Buffer.from(token.slice(parts.lastDot + 1), 'base64url'))
      ) {
        lastError = new InvalidTokenError(
          'ERR_SIGNATURE_INVALID',
          'the token signature is invalid',
        );
        continue;
      }
      let verified;
      try {
        verified = await jwtVerify(token, cryptoKey, state.joseOptions);
      } catch (error) {
        lastError = mapJoseError(error);
        // Only a signature mismatch justifies trying the next candidate key.
        if ((lastError as JwksAuthError).code !== 'ERR_SIGNATURE_INVALID') break;
        continue;
      }
      // The rules jose leaves open (finite dates, aud type) apply to both engines.
      validateClaims(parts.header, verified.payload, state.rules, Date.now());
      // The key may have been retired by a refresh while jose was verifying.
      if (!key.alive) {
        lastError = new InvalidTokenError('ERR_KEY_NOT_FOUND', 'no usable key matches the token');
        break;
      }
      if (i > 0) state.keySet.promote(key, alg);
      return remember(token, verified.payload, verified.protectedHeader, key);
    }
    const signatureFailed =
      (lastError as JwksAuthError | undefined)?.code === 'ERR_SIGNATURE_INVALID';
    throw candidates.length > tries && signatureFailed ? tooManyKeys(lastError) : lastError;
  }

  function remember(
    token: string,
    payload: JWTPayload,
    header: VerifyResult['header'],
    key: KeyRecord,
  ): VerifyResult {
    const result: VerifyResult = Object.freeze({
      payload: deepFreeze(payload),
      header: deepFreeze(header),
      token,
    });
    if (cache !== undefined) {
      const tolerance = o.clockTolerance;
      let notAfter = ((payload.exp as number) + tolerance) * 1000;
      if (o.maxTokenAge !== undefined && typeof payload.iat === 'number') {
        notAfter = Math.min(notAfter, (payload.iat + o.maxTokenAge + tolerance) * 1000);
      }
      const notBefore =
        typeof payload.nbf === 'number'
          ? (payload.nbf - tolerance) * 1000
          : Number.NEGATIVE_INFINITY;
      cache.set(result, key, notBefore, notAfter);
    }
    return result;
  }

  /** Runs `isRevoked` (awaited under `hookTimeout`; anything but a boolean fails closed). */
  function checkRevoked(result: VerifyResult): MaybePromise<VerifyResult> {
    const verdict = callHook(
      'isRevoked',
      () => isRevoked!(result),
      o.hookTimeout,
      revocationResult,
    );
    if (verdict instanceof Promise) {
      return verdict.then((revoked) => (revoked ? revokedAnswer() : result));
    }
    return verdict ? revokedAnswer() : result;
  }

  function revokedAnswer(): never {
    throw new InvalidTokenError('ERR_TOKEN_REVOKED', 'the token has been revoked');
  }

  /** Cache, then full verification, then revocation. Sync on a hit. */
  function check(token: string, fromHeader: boolean): MaybePromise<VerifyResult> {
    if (token.length > maxTokenLength) {
      throw new InvalidTokenError('ERR_TOKEN_TOO_LARGE', 'the token is too large');
    }
    if (cache !== undefined) {
      const hit = cache.get(token, Date.now());
      if (hit !== undefined) return isRevoked === undefined ? hit : checkRevoked(hit);
    }
    const verified = verifyUncached(token, fromHeader);
    if (isRevoked === undefined) return verified;
    return verified instanceof Promise ? verified.then(checkRevoked) : checkRevoked(verified);
  }

  function afterExtract(
    token: string | undefined,
    request: RequestLike,
    required: boolean,
  ): MaybePromise<VerifyResult | undefined> {
    if (token === undefined) {
      if (required) throw new UnauthorizedError();
      return undefined;
    }
    const fromHeader = o.getToken === undefined && request.headers.authorization !== undefined;
    return check(token, fromHeader);
  }

  function handle(
    request: RequestLike,
    original: unknown = request,
    required: boolean = credentialsRequired,
  ): MaybePromise<VerifyResult | undefined> {
    try {
      if (closed) throw new VerifierClosedError();
      if (typeof request !== 'object' || request === null || typeof request.headers !== 'object') {
        throw new InvalidRequestError('the request has no headers');
      }
      // Only on explicit opt-in: any client can make a request look like a preflight.
      if (passPreflight && isCorsPreflight(request)) return undefined;
      const token = extractToken(request, o, original);
      const outcome =
        token instanceof Promise
          ? token.then((t) => afterExtract(t, request, required))
          : afterExtract(token, request, required);
      if (outcome instanceof Promise) {
        return outcome.catch((error: unknown) => {
          throw rejected(error);
        });
      }
      return outcome;
    } catch (error) {
      throw rejected(error);
    }
  }

  return {
    options: o,
    handle,
    async authenticate(request, original) {
      return handle(request, original);
    },
    async verify(token) {
      if (closed) throw rejected(new VerifierClosedError());
      if (typeof token !== 'string' || token.length === 0) {
        throw rejected(new UnauthorizedError());
      }
      try {
        return await check(token, false);
      } catch (error) {
        throw rejected(error);
      }
    },
    async warmup() {
      if (closed) throw new VerifierClosedError();
      const results = await Promise.allSettled(
        [...issuers.values()].map((s) => s.keySet.refresh('warmup')),
      );
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    },
    close() {
      closed = true;
      for (const state of issuers.values()) state.keySet.close();
      cache?.clear();
    },
  };
}
