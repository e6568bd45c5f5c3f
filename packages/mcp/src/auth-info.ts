/**
 * A verified jwks-auth result in the MCP TypeScript SDK's `AuthInfo` shape:
 * what `requireBearerAuth` puts on `req.auth` and the SDK hands to tool
 * handlers as `extra.authInfo`.
 */
import { InvalidTokenError, applyChallenge, grantedScopes } from '@jwks-auth/core';
import type { JWTPayload, ResolvedOptions, Verifier, VerifyResult } from '@jwks-auth/core';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';

/** `extra` of an {@link AuthInfo} this package builds. */
export interface JwksAuthExtra extends Record<string, unknown> {
  /** The verified claims. */
  claims: Readonly<JWTPayload>;
  /** How the token was presented (`'Bearer'` through `verifyAccessToken`). */
  scheme: VerifyResult['scheme'];
}

function parsedUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * The RFC 8707 resource the token is for: `protectedResource.resource` when
 * configured (the verifier has then held `aud` to it), else the first of the
 * token's audiences the verifier expects that is a URL.
 */
function resourceOf(payload: JWTPayload, options: Readonly<ResolvedOptions>): URL | undefined {
  const configured = (options as { protectedResource?: { resource?: unknown } }).protectedResource;
  const resource = parsedUrl(configured?.resource);
  if (resource !== undefined) return resource;
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  const expected = options.audience === undefined ? undefined : [options.audience].flat();
  for (const aud of audiences) {
    if (expected !== undefined && !expected.includes(aud)) continue;
    const url = parsedUrl(aud);
    if (url !== undefined) return url;
  }
  return undefined;
}

/**
 * The client a token was issued to: `client_id` (RFC 9068 §2.2), else `azp`
 * (OpenID Connect; Auth0, Keycloak, Entra ID v2); undefined when neither is a
 * non-empty string. `sub` is never used: in a user's token it names the user.
 */
export function clientIdOf(payload: JWTPayload): string | undefined {
  for (const value of [payload.client_id, payload.azp]) {
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return undefined;
}

/** What {@link toAuthInfo} reads of a verifier: its options and its challenge. */
export type VerifierLike = Pick<Verifier<never>, 'options' | 'challenge'>;

/**
 * Converts a verified result into the SDK's `AuthInfo`. A token that names
 * no client (no `client_id`, no `azp`) throws a 401 `invalid_token`
 * `JwksAuthError` with the verifier's challenge: `AuthInfo.clientId` is
 * required, and an empty or invented one would mislead the SDK's handlers.
 *
 * @example
 * // Express, after const auth = jwksAuth({ ..., protectedResource }); app.use(auth):
 * const authInfo = toAuthInfo(req.auth, auth.verifier);
 */
export function toAuthInfo(
  result: VerifyResult,
  verifier: VerifierLike,
): AuthInfo & { extra: JwksAuthExtra } {
  const { payload } = result;
  const clientId = clientIdOf(payload);
  if (clientId === undefined) {
    throw applyChallenge(
      new InvalidTokenError('ERR_CLAIM_INVALID', 'the token names no client (client_id or azp)'),
      verifier.challenge,
    );
  }
  const info: AuthInfo & { extra: JwksAuthExtra } = {
    token: result.token,
    clientId,
    scopes: [...grantedScopes(payload)],
    extra: { claims: payload, scheme: result.scheme },
  };
  if (typeof payload.exp === 'number') info.expiresAt = payload.exp;
  const resource = resourceOf(payload, verifier.options);
  if (resource !== undefined) info.resource = resource;
  return info;
}

/**
 * The verified claims of an `AuthInfo` built by this package (`extra.claims`),
 * or undefined for one built elsewhere.
 *
 * @example
 * server.registerTool('whoami', {}, (_args, { authInfo }) => ({
 *   content: [{ type: 'text', text: String(claimsOf(authInfo)?.sub) }],
 * }));
 */
export function claimsOf(authInfo: AuthInfo | undefined): Readonly<JWTPayload> | undefined {
  const claims = authInfo?.extra?.claims;
  return typeof claims === 'object' && claims !== null ? (claims as JWTPayload) : undefined;
}
