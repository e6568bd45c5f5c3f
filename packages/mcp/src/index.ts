/**
 * Protect Model Context Protocol servers with jwks-auth: a token verifier for
 * the MCP TypeScript SDK's `requireBearerAuth`, and the conversion of a
 * verified token into the SDK's `AuthInfo` for servers behind a jwks-auth
 * adapter.
 *
 * @packageDocumentation
 */
export { mcpTokenVerifier } from './token-verifier.js';
export type { McpTokenVerifier } from './token-verifier.js';
export { toAuthInfo, claimsOf, clientIdOf } from './auth-info.js';
export type { JwksAuthExtra, VerifierLike } from './auth-info.js';
