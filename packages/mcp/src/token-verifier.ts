/**
 * `mcpTokenVerifier`: jwks-auth behind the MCP TypeScript SDK's
 * `OAuthTokenVerifier` interface, for `requireBearerAuth({ verifier })`.
 */
import { createVerifier, isJwksAuthError } from '@jwks-auth/core';
import type { JwksAuthError, Verifier, VerifierOptions } from '@jwks-auth/core';
import {
  InsufficientScopeError,
  InvalidRequestError,
  InvalidTokenError,
  ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthError } from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { OAuthTokenVerifier } from '@modelcontextprotocol/sdk/server/auth/provider.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { toAuthInfo } from './auth-info.js';
import type { JwksAuthExtra } from './auth-info.js';

/** The verifier `mcpTokenVerifier` returns: the SDK's interface plus the jwks-auth verifier it wraps. */
export interface McpTokenVerifier extends OAuthTokenVerifier {
  /** Verifies a bearer token; rejects with the SDK's `InvalidTokenError` (401), `InsufficientScopeError` (403) or `ServerError` (500). */
  verifyAccessToken(token: string): Promise<AuthInfo & { extra: JwksAuthExtra }>;
  /** The jwks-auth verifier (for `warmup()` and `close()`). */
  readonly verifier: Verifier<never>;
}

// requireBearerAuth writes the message, unescaped, inside a quoted
// error_description: keep to RFC 6750's character set for it (§3),
// which has no quote and no backslash.
function description(error: JwksAuthError): string {
  const text = error.error_description ?? error.message;
  return text.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, ' ');
}

/** The SDK error `requireBearerAuth` turns into the same status (401, 403, 400; 500 for the rest). */
function toSdkError(error: unknown): OAuthError {
  if (!isJwksAuthError(error)) return new ServerError('token verification failed');
  if (error.status === 401) return new InvalidTokenError(description(error));
  if (error.status === 403) return new InsufficientScopeError(description(error));
  if (error.status === 400) return new InvalidRequestError(description(error));
  // 503 (keys unavailable, a hook failed, verifier closed): the SDK has no
  // 503, and its 500 is the honest near miss: the token was not judged.
  return new ServerError(description(error));
}

function isVerifier(value: object): value is Verifier<never> {
  const v = value as Partial<Verifier<never>>;
  return typeof v.verify === 'function' && typeof v.options === 'object' && v.options !== null;
}

/**
 * A token verifier for the MCP SDK's `requireBearerAuth`, from jwks-auth
 * options or an existing verifier (e.g. `auth.verifier` of an adapter, to
 * share its key set and cache). Bearer only: a DPoP-bound token is refused
 * (the SDK passes the token, not the proof). Options are validated now.
 *
 * @example
 * app.post('/mcp', requireBearerAuth({
 *   verifier: mcpTokenVerifier({ issuer: 'https://id.example.com', audience: 'https://mcp.example.com/mcp' }),
 *   requiredScopes: ['mcp:tools'],
 *   resourceMetadataUrl: 'https://mcp.example.com/.well-known/oauth-protected-resource/mcp',
 * }), handler);
 */
export function mcpTokenVerifier(source: VerifierOptions | Verifier<never>): McpTokenVerifier {
  if (typeof source !== 'object' || source === null) {
    throw new TypeError('mcpTokenVerifier() takes jwks-auth options or a verifier');
  }
  const verifier = isVerifier(source)
    ? source
    : createVerifier<never>(source as VerifierOptions<never>);
  return {
    verifier,
    async verifyAccessToken(token) {
      try {
        return toAuthInfo(await verifier.verify(token), verifier);
      } catch (error) {
        throw toSdkError(error);
      }
    },
  };
}
