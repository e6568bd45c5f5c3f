/**
 * The core's public surface minus the route checks (`requiredScopes`,
 * `requiredAuthentication`, `claimEquals`, `claimIncludes`, `claimCheck`): what every adapter
 * re-exports as it is, beside its own route helpers of those names, which
 * are framework handlers rather than checks.
 *
 * @packageDocumentation
 */
export { createVerifier } from './verify.js';
export type { AdapterHooks, Verifier } from './verify.js';
export { SUPPORTED_ALGORITHMS, JWKS_DURATION_FLOORS } from './options.js';
export type {
  Algorithm,
  CacheOptions,
  IssuerConfig,
  JwksOptions,
  RequestLike,
  ResolvedOptions,
  VerifierOptions,
} from './options.js';
export {
  JwksAuthError,
  UnauthorizedError,
  InvalidRequestError,
  InvalidTokenError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  KeySetUnavailableError,
  HookFailedError,
  VerifierClosedError,
  InvalidDpopProofError,
  UseDpopNonceError,
  bearerErrorBody,
  isJwksAuthError,
} from './errors.js';
export { DEFAULT_REALM, applyChallenge, bearerChallenge, dpopChallenge } from './challenge.js';
export type { ChallengeOptions } from './challenge.js';
export type {
  AuthScheme,
  JwksAuthErrorCode,
  BearerErrorName,
  BearerErrorBody,
  HookName,
} from './errors.js';
export { MIN_NONCE_SECRET_LENGTH } from './dpop-options.js';
export type { DpopOptions, MtlsOptions, ReplayStore, ResolvedDpop } from './dpop-options.js';
export { memoryReplayStore, DEFAULT_REPLAY_ENTRIES } from './dpop-replay.js';
export { KEY_SET_STORE_TIMEOUT } from './key-set-store.js';
export type { KeySetStore, StoredKeySet } from './key-set-store.js';
export { jwkThumbprint, accessTokenHash, MAX_PROOF_LENGTH } from './dpop.js';
export type { RequestTarget } from './binding.js';
export { MIN_RSA_BITS, MAX_RSA_BITS } from './keys.js';
export { MAX_CANDIDATES } from './key-index.js';
export { isCorsPreflight } from './extract.js';
export { errorToResponse } from './web.js';
export type { WebRequestLike } from './web.js';
export { grantedScopes } from './authorize.js';
export type {
  AuthCheck,
  RequiredAuthenticationOptions,
  RequiredScopesOptions,
} from './authorize.js';
export {
  PROTECTED_RESOURCE_MAX_AGE,
  PROTECTED_RESOURCE_WELL_KNOWN,
  protectedResourceMetadataUrl,
} from './protected-resource.js';
export type {
  ProtectedResourceOptions,
  ProtectedResourceResponse,
  ResolvedProtectedResource,
} from './protected-resource.js';
export type { JwksAuthEvent, FetchReason } from './events.js';
export { CHANNELS } from './tracing.js';
export type {
  VerifyTraceContext,
  FetchTraceContext,
  StaleMessage,
  TracedError,
} from './tracing.js';
export type {
  Confirmation,
  VerifyResult,
  MaybePromise,
  JWTPayload,
  ProtectedHeaderParameters,
} from './types.js';
