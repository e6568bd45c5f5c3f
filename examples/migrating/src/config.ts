/**
 * What every before/after app of the migration guides is built from: the
 * values an API already has in its configuration when it uses one of the peers.
 */
export interface AppConfig {
  /** The identity provider's issuer identifier (the `iss` of its tokens). */
  issuer: string;
  /** Its JSON Web Key Set URL (what jwks-rsa and koa-jwt users configure). */
  jwksUri: string;
  /** This API's identifier (the `aud` its tokens must carry). */
  audience: string;
}

/**
 * What fastify-auth0-verify is configured with: the tenant `domain` (its key
 * set is always `https://DOMAIN/.well-known/jwks.json`) instead of a JWKS URL.
 */
export interface Auth0Config {
  /** The tenant's origin, e.g. `https://example.eu.auth0.com`. */
  domain: string;
  issuer: string;
  audience: string;
}

/** The scope `GET /messages` requires in every app. */
export const MESSAGES_SCOPE = 'read:messages';

/** What `GET /messages` answers to a token with {@link MESSAGES_SCOPE}. */
export const MESSAGES = [{ id: 1, text: 'hello' }] as const;
