/**
 * The DPoP proof stage (RFC 9449 §4.3): one proof JWT per request, checked
 * against the request (method and URI), the access token (`ath`, `cnf.jkt`),
 * the clock, the replay store and the server's nonces. Proofs are never
 * cached; the access token's own verdict may be.
 */
import { nodeCrypto } from './platform.js';
import type { KeyObject } from 'node:crypto';
import type { Algorithm } from './algorithms.js';
import type { ResolvedDpop } from './dpop-options.js';
import { ReplayStoreFullError } from './dpop-replay.js';
import { HookFailedError, InvalidDpopProofError, UseDpopNonceError } from './errors.js';
import { booleanResult, settleHook } from './hooks.js';
import { judgeJwk } from './jwk-judge.js';
import { checkCritical, verifySignature } from './jws.js';
import { decodeSegment, parseCompact } from './token.js';
import { parseHttpUrl } from './http-url.js';
import type { MaybePromise } from './types.js';

const { createHash, createPublicKey } = nodeCrypto;

/** Longest proof accepted, in characters (an RSA-4096 proof with its key is about 1.8 KB). */
export const MAX_PROOF_LENGTH = 4096;
/** Longest `jti` accepted. */
export const MAX_JTI_LENGTH = 256;

/** What the proof is checked against. */
export interface ProofContext {
  /** The `DPoP` header value(s) as received. */
  proof: string | string[] | undefined;
  method: string;
  /** The request URI as the client addressed it (`scheme://host[:port]/path[?query]`), one per public origin. */
  uris: readonly string[];
  accessToken: string;
  /** The token's `cnf.jkt`. */
  jkt: string;
  nowMs: number;
  clockTolerance: number;
  hookTimeout: number;
}

/** A nonce to send with the response when the proof's is ageing. */
export interface ProofOutcome {
  nextNonce: string | undefined;
}

const invalid = (description: string) => new InvalidDpopProofError(description);

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key's required members. */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const members =
    jwk.kty === 'RSA'
      ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
      : jwk.kty === 'EC'
        ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
        : { crv: jwk.crv, kty: jwk.kty, x: jwk.x };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

/** base64url(SHA-256(token)): the proof's `ath` (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * The target URI as RFC 9449 §4.3 compares it: without query and fragment,
 * scheme and host lower-cased, default ports dropped. Undefined if it is not
 * an absolute http(s) URI.
 */
export function normalizeHtu(value: string): string | undefined {
  const url = parseHttpUrl(value);
  return url && `${url.protocol}//${url.host}${url.pathname}`;
}

/** A judged and imported proof key. */
interface ProofKey {
  key: KeyObject;
  algorithms: readonly Algorithm[];
  thumbprint: string;
}

/**
 * Imported proof keys by their `jwk` object. Decoded headers are shared per
 * header segment (token.ts), so a client's proofs hand over the same frozen
 * `jwk` object and its key is judged and imported once (importing a JWK costs
 * as much as a signature check); entries go when the header cache lets go.
 */
const proofKeys = new WeakMap<object, ProofKey>();

function importProofKey(jwk: unknown, alg: Algorithm): ProofKey {
  let known = typeof jwk === 'object' && jwk !== null ? proofKeys.get(jwk) : undefined;
  if (known === undefined) {
    const verdict = judgeJwk(jwk);
    if (!verdict.ok) throw invalid(`the proof jwk is not usable: ${verdict.reason}`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk as never, format: 'jwk' });
    } catch (cause) {
      throw new InvalidDpopProofError('the proof jwk could not be imported', { cause });
    }
    const thumbprint = jwkThumbprint(jwk as Record<string, unknown>);
    known = { key, algorithms: verdict.algorithms, thumbprint };
    if (Object.isFrozen(jwk)) proofKeys.set(jwk as object, known);
  }
  if (!known.algorithms.includes(alg)) throw invalid('the proof jwk does not fit its alg');
  return known;
}

function checkClaims(
  payload: Record<string, unknown>,
  context: ProofContext,
  dpop: ResolvedDpop,
): void {
  if (payload.htm !== context.method)
    throw invalid('the proof htm does not match the request method');
  const htu = typeof payload.htu === 'string' ? normalizeHtu(payload.htu) : undefined;
  if (htu === undefined || !context.uris.some((uri) => normalizeHtu(uri) === htu)) {
    throw invalid('the proof htu does not match the request URI');
  }
  const { iat } = payload;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('the proof iat is missing');
  const window = dpop.maxProofAge + context.clockTolerance;
  if (Math.abs(context.nowMs / 1000 - iat) > window)
    throw invalid('the proof is outside its time window');
  const { jti } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw invalid('the proof jti is missing or too long');
  }
  if (payload.ath !== accessTokenHash(context.accessToken)) {
    throw invalid('the proof ath does not match the access token');
  }
}

/**
 * Verifies the request's proof. Resolves (or returns) the outcome, or
 * throws a 401 `invalid_dpop_proof` / `use_dpop_nonce`; a failing replay
 * store is a 503.
 */
export function verifyProof(context: ProofContext, dpop: ResolvedDpop): MaybePromise<ProofOutcome> {
  const { proof } = context;
  if (proof === undefined) throw invalid('the DPoP header is missing');
  if (typeof proof !== 'string' || proof.includes(',')) throw invalid('more than one DPoP header');
  if (proof.length > MAX_PROOF_LENGTH) throw invalid('the proof is too large');
  let parts;
  try {
    parts = parseCompact(proof);
  } catch (cause) {
    throw new InvalidDpopProofError('the proof is not a JWS', { cause });
  }
  const { header } = parts;
  if (header.typ !== 'dpop+jwt') throw invalid('the proof typ is not dpop+jwt');
  const alg = header.alg as Algorithm;
  if (typeof header.alg !== 'string' || !dpop.algorithms.includes(alg)) {
    throw invalid('the proof algorithm is not allowed');
  }
  try {
    checkCritical(header);
  } catch (cause) {
    throw new InvalidDpopProofError('the proof crit header is not supported', { cause });
  }
  const { key, thumbprint } = importProofKey(header.jwk, alg);
  if (!verifySignature(alg, key, proof, parts.lastDot))
    throw invalid('the proof signature is invalid');
  let payload: Record<string, unknown>;
  try {
    payload = decodeSegment(parts.payload, 'payload');
  } catch (cause) {
    throw new InvalidDpopProofError('the proof payload is not a JSON object', { cause });
  }
  checkClaims(payload, context, dpop);
  if (thumbprint !== context.jkt) throw invalid('the proof key does not match the token cnf.jkt');
  let nextNonce: string | undefined;
  if (dpop.nonce !== undefined) {
    const verdict = dpop.nonce.check(payload.nonce, context.nowMs);
    if (verdict === 'refused') throw new UseDpopNonceError(dpop.nonce.current(context.nowMs));
    if (verdict === 'ageing') nextNonce = dpop.nonce.current(context.nowMs);
  }
  if (dpop.replay === undefined) return { nextNonce };
  // Kept as long as the proof could still be accepted: until iat + window.
  const window = dpop.maxProofAge + context.clockTolerance;
  const ttl = Math.ceil((payload.iat as number) + window - context.nowMs / 1000) + 1;
  let marked: unknown;
  try {
    marked = dpop.replay.markUsed(`${thumbprint}.${payload.jti as string}`, ttl);
  } catch (cause) {
    throw new HookFailedError(
      'replay',
      cause instanceof ReplayStoreFullError ? cause.message : 'the DPoP replay store failed',
      { cause },
    );
  }
  const settled = settleHook('replay', marked, context.hookTimeout, booleanResult('replay'));
  const judge = (fresh: boolean): ProofOutcome => {
    if (!fresh) throw invalid('the proof was already used');
    return { nextNonce };
  };
  return settled instanceof Promise ? settled.then(judge) : judge(settled);
}
