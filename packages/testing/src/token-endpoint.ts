import type { IncomingMessage } from 'node:http';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import type { JWK } from 'jose';
import { DPOP_TYP } from './dpop.js';
import { json } from './http.js';
import type { Reply } from './http.js';
import { TEST_ALGS } from './keys.js';
import { DEFAULT_CLAIMS, DEFAULT_EXPIRES_IN } from './sign.js';
import type { SignOptions } from './types.js';

/** Algorithms accepted for DPoP proofs (all asymmetric), advertised as `dpop_signing_alg_values_supported`. */
export const DPOP_SIGNING_ALGS: readonly string[] = TEST_ALGS;

/** How far a proof's `iat` may be from now, either way, in seconds. */
export const DPOP_PROOF_WINDOW_S = 300;

/**
 * How long a used proof `jti` is remembered: a proof first seen at `t` has `iat >= t - window`,
 * so it stops being acceptable by `t + 2 * window` at the latest.
 */
const JTI_MEMORY_MS = 2 * DPOP_PROOF_WINDOW_S * 1000;

/** Largest request body read, in bytes. */
const MAX_BODY_BYTES = 64 * 1024;

/** RFC 6749 §3.3 `scope`: space-separated scope-tokens of printable ASCII without `"` and `\`. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** RFC 6749 §5.1: token responses and their errors must not be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/** What the token endpoint needs from its issuer. */
export interface TokenEndpointConfig {
  /** The endpoint's absolute URL (read per request: the port is known only once listening). */
  url(): string;
  /** Refuse requests without a `DPoP` header. */
  requireDpop: boolean;
  /** The issuer's `sign`. */
  sign(claims: Record<string, unknown>, options: SignOptions): Promise<string>;
}

/** An OAuth error response (RFC 6749 §5.2). */
class OAuthError extends Error {
  constructor(
    readonly error: string,
    description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }

  reply(): Reply {
    return json(
      this.status,
      { error: this.error, error_description: this.message },
      { ...NO_STORE, ...this.headers },
    );
  }
}

/**
 * A client credentials token endpoint (RFC 6749 §4.4) with DPoP (RFC 9449 §5). Test-only: clients
 * are not authenticated, and every request for a supported grant gets a token.
 */
export class TokenEndpoint {
  readonly #config: TokenEndpointConfig;
  /** Used proof `jti`s and when each was first seen (ms); insertion order is time order. */
  readonly #seen = new Map<string, number>();

  constructor(config: TokenEndpointConfig) {
    this.#config = config;
  }

  /**
   * Starts reading the request body at once (so a faulted or delayed answer never stalls the
   * upload) and returns what answers the request.
   */
  accept(req: IncomingMessage): () => Promise<Reply> {
    const body = readBody(req);
    return async () => {
      try {
        const bytes = await body;
        if (bytes instanceof OAuthError) throw bytes;
        return await this.#answer(req, bytes);
      } catch (error) {
        if (error instanceof OAuthError) return error.reply();
        throw error;
      }
    };
  }

  async #answer(req: IncomingMessage, body: Buffer): Promise<Reply> {
    if (req.method !== 'POST') {
      throw new OAuthError('invalid_request', 'The token endpoint only accepts POST', 405, {
        allow: 'POST',
      });
    }
    const params = formParams(req, body);
    const grantType = single(params, 'grant_type');
    if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      throw new OAuthError(
        'unsupported_grant_type',
        `Only client_credentials is supported, not ${JSON.stringify(grantType)}`,
      );
    }
    const scope = single(params, 'scope');
    if (scope !== undefined && !SCOPE.test(scope)) {
      throw new OAuthError('invalid_scope', 'scope must be space-separated RFC 6749 scope tokens');
    }
    const audience = resources(params);
    const clientId = single(params, 'client_id') ?? basicClientId(req);
    const jkt = await this.#dpopThumbprint(req);

    const claims: Record<string, unknown> = {};
    if (scope !== undefined) claims.scope = scope;
    if (audience !== undefined) claims.aud = audience;
    if (clientId !== undefined) claims.client_id = clientId;
    const accessToken = await this.#config.sign(claims, {
      expiresIn: DEFAULT_EXPIRES_IN,
      ...(jkt === undefined ? {} : { boundTo: { jkt } }),
    });
    return json(
      200,
      {
        access_token: accessToken,
        token_type: jkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: DEFAULT_EXPIRES_IN,
        scope: scope ?? DEFAULT_CLAIMS.scope,
      },
      NO_STORE,
    );
  }

  /** Checks the `DPoP` header (RFC 9449 §4.3) and returns its key's thumbprint, if there is one. */
  async #dpopThumbprint(req: IncomingMessage): Promise<string | undefined> {
    const headers = req.headersDistinct.dpop;
    if (headers === undefined) {
      if (this.#config.requireDpop) {
        throw new OAuthError('invalid_request', 'A DPoP proof is required (requireDpop)');
      }
      return undefined;
    }
    if (headers.length !== 1) throw invalidProof('Exactly one DPoP header is allowed');
    const proof = headers[0] ?? '';

    let payload: Record<string, unknown>;
    let jwk: JWK | undefined;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, {
        typ: DPOP_TYP,
        algorithms: [...DPOP_SIGNING_ALGS],
      });
      payload = verified.payload;
      jwk = verified.protectedHeader.jwk;
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw invalidProof(`DPoP proof rejected: ${reason}`);
    }
    const { jti, htm, htu, iat } = payload;
    if (typeof jti !== 'string' || jti === '') throw invalidProof('DPoP proof needs a jti');
    if (htm !== 'POST') throw invalidProof('DPoP proof htm must be POST');
    if (!sameEndpoint(htu, this.#config.url())) {
      throw invalidProof(`DPoP proof htu must be ${this.#config.url()}`);
    }
    const now = Date.now();
    if (typeof iat !== 'number' || !Number.isFinite(iat)) {
      throw invalidProof('DPoP proof needs a numeric iat');
    }
    if (Math.abs(now / 1000 - iat) > DPOP_PROOF_WINDOW_S) {
      throw invalidProof(`DPoP proof iat is more than ${DPOP_PROOF_WINDOW_S} s from now`);
    }
    if (payload.ath !== undefined) {
      throw invalidProof('A DPoP proof for the token endpoint must not carry ath');
    }
    if (jwk === undefined) throw invalidProof('DPoP proof has no jwk header');
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    // Checked and recorded with no await in between, so concurrent replays
    // cannot both pass.
    this.#forgetBefore(now - JTI_MEMORY_MS);
    if (this.#seen.has(jti)) throw invalidProof('DPoP proof jti has already been used');
    this.#seen.set(jti, now);
    return thumbprint;
  }

  #forgetBefore(cutoff: number): void {
    for (const [jti, seenAt] of this.#seen) {
      if (seenAt >= cutoff) return;
      this.#seen.delete(jti);
    }
  }
}

function invalidProof(description: string): OAuthError {
  return new OAuthError('invalid_dpop_proof', description);
}

/** Whether `htu` is `endpoint`, ignoring query and fragment (RFC 9449 §4.3 step 9). */
function sameEndpoint(htu: unknown, endpoint: string): boolean {
  if (typeof htu !== 'string') return false;
  let url: URL;
  try {
    url = new URL(htu);
  } catch {
    return false;
  }
  url.search = '';
  url.hash = '';
  return url.href === new URL(endpoint).href;
}

/**
 * Reads the body. Never rejects: nobody may be waiting yet (a hung request), so a failure is
 * handed over as an {@link OAuthError} value when the answer is asked for.
 */
function readBody(req: IncomingMessage): Promise<Buffer | OAuthError> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (result: Buffer | OAuthError): void => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    const fail = (description: string): void =>
      settle(new OAuthError('invalid_request', description));
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining (without keeping) so the connection stays usable.
      if (size > MAX_BODY_BYTES) fail(`Request body is larger than ${MAX_BODY_BYTES} bytes`);
      else chunks.push(chunk);
    });
    req.on('end', () => settle(Buffer.concat(chunks)));
    req.on('error', () => fail('Request body could not be read'));
    req.on('close', () => fail('Request body was cut off'));
  });
}

/** Parses an `application/x-www-form-urlencoded` body (RFC 6749 §3.2). */
function formParams(req: IncomingMessage, body: Buffer): URLSearchParams {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  }
  const params = new URLSearchParams(body.toString('utf8'));
  for (const name of new Set(params.keys())) {
    // RFC 8707 §2 lets `resource` repeat; RFC 6749 §3.2 forbids the rest to.
    if (name !== 'resource' && params.getAll(name).length > 1) {
      throw new OAuthError('invalid_request', `${name} must not be given more than once`);
    }
  }
  return params;
}

/** A parameter's value; an empty one counts as absent (RFC 6749 §3.2). */
function single(params: URLSearchParams, name: string): string | undefined {
  const value = params.get(name);
  return value === null || value === '' ? undefined : value;
}

/** The `aud` for the RFC 8707 `resource` parameters: absolute URIs without a fragment. */
function resources(params: URLSearchParams): string | string[] | undefined {
  const values = params.getAll('resource').filter((value) => value !== '');
  for (const value of values) {
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {
      url = undefined;
    }
    if (url === undefined || value.includes('#')) {
      throw new OAuthError(
        'invalid_target',
        `resource must be an absolute URI without a fragment, not ${JSON.stringify(value)}`,
      );
    }
  }
  if (values.length === 0) return undefined;
  return values.length === 1 ? values[0] : values;
}

/** The client id of an HTTP Basic `Authorization` header (RFC 6749 §2.3.1); the secret is ignored. */
function basicClientId(req: IncomingMessage): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
