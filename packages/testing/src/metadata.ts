import { DPOP_SIGNING_ALGS } from './token-endpoint.js';
import type { TestIssuerOptions } from './types.js';

/** Well-known paths of one issuer, relative to the server origin. */
export interface IssuerPaths {
  /** Issuer path suffix, `''` or `/segment[/segment...]`. */
  base: string;
  jwks: string;
  /** OpenID Connect Discovery 1.0: appended to the issuer. */
  oidc: string;
  /** RFC 8414 §3: inserted between the origin and the issuer path. */
  oauth: string;
  token: string;
  authorize: string;
}

/** Normalises the `path` option to `''` or a leading-slash, no-trailing-slash path. */
export function normalizeIssuerPath(path: string | undefined): string {
  const trimmed = (path ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/** Computes every path served for an issuer with path suffix `base`. */
export function issuerPaths(base: string): IssuerPaths {
  return {
    base,
    jwks: `${base}/jwks`,
    oidc: `${base}/.well-known/openid-configuration`,
    oauth: `/.well-known/oauth-authorization-server${base}`,
    token: `${base}/token`,
    authorize: `${base}/authorize`,
  };
}

/** Builds the discovery / authorization server metadata document. */
export function metadataDocument(
  kind: 'oidc' | 'oauth',
  origin: string,
  paths: IssuerPaths,
  algorithms: readonly string[],
  options: Pick<TestIssuerOptions, 'issuerInDiscovery'>,
): Record<string, unknown> {
  const common = {
    issuer: options.issuerInDiscovery ?? origin + paths.base,
    authorization_endpoint: origin + paths.authorize,
    token_endpoint: origin + paths.token,
    jwks_uri: origin + paths.jwks,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'client_credentials'],
    id_token_signing_alg_values_supported: [...algorithms],
    // RFC 9449 §5.1: the token endpoint always accepts DPoP proofs.
    dpop_signing_alg_values_supported: [...DPOP_SIGNING_ALGS],
  };
  return kind === 'oidc'
    ? { ...common, subject_types_supported: ['public'] }
    : { ...common, token_endpoint_auth_methods_supported: ['client_secret_basic'] };
}
