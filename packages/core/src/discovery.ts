import { monotonic } from './clock.js';
import { emitEvent } from './events.js';
import type { JwksAuthEvent } from './events.js';
import { fetchJson, FetchError } from './fetch-json.js';
import { isAllowedFetchUrl } from './http-url.js';
import type { ResolvedJwksOptions } from './options.js';

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
  options: ResolvedJwksOptions,
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

/** Consecutive failed fetches after which discovery runs again before the next one. */
const REDISCOVER_AFTER_FAILURES = 2;

/** What a {@link JwksLocator} needs to know of its issuer. */
export interface LocatorContext {
  issuer: string;
  options: ResolvedJwksOptions;
  onEvent: ((event: JwksAuthEvent) => unknown) | undefined;
  /** The configured JWKS URL; when absent it is discovered. */
  jwksUri: string | undefined;
  allowInsecureHttp: boolean;
}

/**
 * Where an issuer's key set lives: the configured `jwksUri`, or the one
 * discovery finds. Discovery runs again before a fetch after
 * {@link REDISCOVER_AFTER_FAILURES} failed fetches in a row, after a 404 or
 * 410, and at least once per `cacheMaxAge`; when it fails, the last known
 * URL stays in use. Called only from a key set's single-flight fetch, so it
 * shares its single flight and backoff.
 */
export class JwksLocator {
  private known: string | undefined;
  private discoveredAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly context: LocatorContext,
    /** Read when a discovery request starts (the key set's `LazyAbort`). */
    private readonly abort: { readonly signal: AbortSignal },
  ) {}

  /** The URL for the next fetch, given how the previous ones went. */
  async locate(failures: number, lastStatus: number | undefined): Promise<string> {
    const { context } = this;
    if (context.jwksUri !== undefined) return context.jwksUri;
    const started = monotonic();
    const known = this.known;
    const due =
      known === undefined ||
      failures >= REDISCOVER_AFTER_FAILURES ||
      lastStatus === 404 ||
      lastStatus === 410 ||
      started - this.discoveredAt >= context.options.cacheMaxAge;
    if (!due) return known;
    let found;
    try {
      found = await discoverJwksUri(
        context.issuer,
        context.options,
        this.abort.signal,
        context.allowInsecureHttp,
      );
    } catch (error) {
      if (known === undefined) throw error;
      emitEvent(context.onEvent, {
        type: 'discovery_failed',
        issuer: context.issuer,
        error: error instanceof Error ? error : new Error(String(error)),
        jwksUri: known,
      });
      return known;
    }
    this.known = found.jwksUri;
    this.discoveredAt = monotonic();
    emitEvent(context.onEvent, {
      type: 'discovery',
      issuer: context.issuer,
      uri: found.documentUrl,
      jwksUri: found.jwksUri,
      durationMs: this.discoveredAt - started,
    });
    return found.jwksUri;
  }
}
