import { fetchJson, FetchError } from './fetch-json.js';
import { isAllowedFetchUrl } from './http-url.js';
import type { JwksOptions } from './options.js';

/**
 * Where an issuer's metadata lives: OpenID Connect Discovery appends the
 * well-known path to the issuer; RFC 8414 inserts it between host and path.
 */
export function discoveryUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  const oidc = `${url.origin}${path}/.well-known/openid-configuration`;
  const oauth = `${url.origin}/.well-known/oauth-authorization-server${path}`;
  return [oidc, oauth];
}

/**
 * Finds an issuer's `jwks_uri`: OpenID Connect Discovery first, then RFC 8414
 * metadata. The document's `issuer` must equal the configured one exactly
 * (OIDC Discovery §4.3, RFC 8414 §3.3), so a misconfigured or spoofed
 * document is refused.
 */
export async function discoverJwksUri(
  issuer: string,
  options: Required<JwksOptions>,
  signal: AbortSignal,
  allowInsecureHttp = false,
): Promise<{ jwksUri: string; documentUrl: string }> {
  const failures: string[] = [];
  for (const documentUrl of discoveryUrls(issuer)) {
    let document: Record<string, unknown>;
    try {
      document = await fetchJson(documentUrl, { ...options, signal });
    } catch (error) {
      failures.push((error as Error).message);
      continue;
    }
    if (document.issuer !== issuer) {
      throw new FetchError(
        `${documentUrl} names issuer ${JSON.stringify(document.issuer)}, expected ${JSON.stringify(issuer)}`,
      );
    }
    const { jwks_uri: jwksUri } = document;
    if (typeof jwksUri !== 'string' || !URL.canParse(jwksUri)) {
      throw new FetchError(`${documentUrl} has no valid jwks_uri`);
    }
    const url = new URL(jwksUri);
    // An https issuer never hands its keys over plain http; an http one only
    // on loopback or with the explicit opt-in.
    if (
      (new URL(issuer).protocol === 'https:' && url.protocol !== 'https:') ||
      !isAllowedFetchUrl(url, allowInsecureHttp)
    ) {
      throw new FetchError(
        `${documentUrl} has a jwks_uri with a disallowed scheme ${url.protocol}`,
      );
    }
    return { jwksUri, documentUrl };
  }
  throw new FetchError(`discovery failed for ${issuer}: ${failures.join('; ')}`);
}
