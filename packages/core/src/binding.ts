/**
 * The sender-constraint stage: a token bound to a key (`cnf.jkt`, RFC 9449)
 * or to a client certificate (`cnf["x5t#S256"]`, RFC 8705) passes only with
 * the proof of possession its binding names, whatever the options say. Runs
 * on every request, cache hits included: the token's verdict may be cached,
 * the proof or the certificate never.
 */
import type { X509Certificate as NodeX509 } from 'node:crypto';
import { nodeCrypto } from './platform.js';
import type { ResolvedDpop } from './dpop-options.js';
import { verifyProof } from './dpop.js';
import type { ProofOutcome } from './dpop.js';
import { InvalidTokenError } from './errors.js';
import type { AuthScheme } from './errors.js';
import { callHook } from './hooks.js';
import type { RequestLike } from './options.js';
import type { Confirmation, MaybePromise, VerifyResult } from './types.js';

const { X509Certificate, createHash } = nodeCrypto;

/** How an adapter tells the target URI of a request (for `htu`): its origin, if it knows one, and its path. */
export interface RequestTarget {
  /** `scheme://host[:port]` as the framework sees it (proxy-aware); undefined if unknown. */
  origin: string | undefined;
  /** The path and query as the client sent them (Express `originalUrl`). */
  path: string;
}

/** What the binding stage needs from the verifier. */
export interface BindingRules {
  dpop: ResolvedDpop | undefined;
  getCertificate: ((request: never) => unknown) | undefined;
  targetOf: ((original: never) => RequestTarget | undefined) | undefined;
  clockTolerance: number;
  hookTimeout: number;
}

/** The `cnf` of a verified payload, refused when malformed (RFC 7800 §3.1). */
export function confirmationOf(cnf: unknown): Confirmation | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) {
    throw new InvalidTokenError('ERR_CLAIM_INVALID', 'the cnf claim is malformed');
  }
  const { jkt } = cnf as Record<string, unknown>;
  const x5t = (cnf as Record<string, unknown>)['x5t#S256'];
  if (
    (jkt !== undefined && (typeof jkt !== 'string' || jkt.length === 0)) ||
    (x5t !== undefined && (typeof x5t !== 'string' || x5t.length === 0))
  ) {
    throw new InvalidTokenError('ERR_CLAIM_INVALID', 'the cnf claim is malformed');
  }
  if (jkt === undefined && x5t === undefined) return undefined;
  const confirmation: Confirmation = {};
  if (jkt !== undefined) confirmation.jkt = jkt as string;
  if (x5t !== undefined) confirmation['x5t#S256'] = x5t as string;
  return Object.freeze(confirmation);
}

function certificateDer(value: unknown): Buffer | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof X509Certificate) return value.raw;
  if (typeof value === 'string' || Buffer.isBuffer(value)) return new X509Certificate(value).raw;
  throw new TypeError('getCertificate must return an X509Certificate, a PEM string or DER bytes');
}

function peerCertificate(request: RequestLike): Buffer | undefined {
  const socket = (request as { socket?: { getPeerX509Certificate?: () => NodeX509 | undefined } })
    .socket;
  return socket?.getPeerX509Certificate?.()?.raw;
}

function checkCertificate(
  rules: BindingRules,
  expected: string,
  request: RequestLike,
  original: unknown,
  scheme: AuthScheme,
): MaybePromise<void> {
  const mismatch = () =>
    new InvalidTokenError(
      'ERR_CERTIFICATE_MISMATCH',
      'the client certificate does not match the token',
      { scheme },
    );
  const judge = (der: Buffer | undefined) => {
    if (der === undefined || createHash('sha256').update(der).digest('base64url') !== expected)
      throw mismatch();
  };
  const { getCertificate } = rules;
  if (getCertificate === undefined) return judge(peerCertificate(request));
  const der = callHook(
    'getCertificate',
    () => (getCertificate as (r: unknown) => unknown)(original),
    rules.hookTimeout,
    (value) => {
      try {
        return certificateDer(value);
      } catch {
        throw mismatch();
      }
    },
  );
  return der instanceof Promise ? der.then(judge) : judge(der);
}

/** The request URIs a proof's `htu` may name: one per configured origin, else the framework's. */
function targetUris(rules: BindingRules, request: RequestLike, original: unknown): string[] {
  const target = rules.targetOf?.(original as never);
  const path = target?.path ?? request.url ?? '/';
  const origins = rules.dpop?.origins ?? (target?.origin === undefined ? [] : [target.origin]);
  return origins.map((origin) => `${origin}${path}`);
}

/**
 * Checks a verified result against the request's proof of possession.
 * Returns what the response must carry (a fresh DPoP nonce), if anything.
 */
export function checkBinding(
  rules: BindingRules,
  result: VerifyResult,
  scheme: AuthScheme,
  request: RequestLike,
  original: unknown,
): MaybePromise<ProofOutcome | undefined> {
  const cnf = result.confirmation;
  let proof: MaybePromise<ProofOutcome> | undefined;
  if (scheme === 'DPoP') {
    if (cnf?.jkt === undefined) {
      throw new InvalidTokenError('ERR_TOKEN_NOT_BOUND', 'the token is not bound to a DPoP key', {
        scheme,
      });
    }
    proof = verifyProof(
      {
        proof: request.headers.dpop,
        method: request.method ?? 'GET',
        uris: targetUris(rules, request, original),
        accessToken: result.token,
        jkt: cnf.jkt,
        nowMs: Date.now(),
        clockTolerance: rules.clockTolerance,
        hookTimeout: rules.hookTimeout,
      },
      rules.dpop!,
    );
  } else if (cnf?.jkt !== undefined) {
    throw new InvalidTokenError(
      'ERR_TOKEN_BOUND',
      'a DPoP-bound token must be sent with the DPoP scheme',
      { scheme },
    );
  }
  const x5t = cnf?.['x5t#S256'];
  const certificate =
    x5t === undefined ? undefined : checkCertificate(rules, x5t, request, original, scheme);
  if (certificate instanceof Promise) {
    return certificate.then(() => proof);
  }
  return proof;
}

/**
 * The stage as the verifier runs it: checks the binding and returns the
 * result. A DPoP nonce the response must carry is left in `nonces` under
 * the framework's request object, for the adapter to send.
 */
export function bindingStage(
  rules: BindingRules,
  nonces: WeakMap<object, string>,
): (
  result: VerifyResult,
  scheme: AuthScheme,
  request: RequestLike,
  original: unknown,
) => MaybePromise<VerifyResult> {
  const done = (result: VerifyResult, original: unknown, outcome: ProofOutcome | undefined) => {
    if (outcome?.nextNonce !== undefined && typeof original === 'object' && original !== null) {
      nonces.set(original, outcome.nextNonce);
    }
    return result;
  };
  return (result, scheme, request, original) => {
    // Unbound tokens sent as Bearer: nothing to check (the hot path).
    if (result.confirmation === undefined && scheme === 'Bearer') return result;
    const outcome = checkBinding(rules, result, scheme, request, original);
    return outcome instanceof Promise
      ? outcome.then((o) => done(result, original, o))
      : done(result, original, outcome);
  };
}
