/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the `protectedResource`
 * option, validated once; the metadata document, built once; where it is
 * served (§3.1); and the URL every challenge points to (§5.1). The URL comes
 * from the resource identifier only, never from a request's `Host`.
 */
import { fail, httpUrl } from './option-checks.js';
import type { ResolvedDpop } from './dpop-options.js';
import type { IssuerConfig } from './options.js';

/** The well-known path of RFC 9728 §3; the resource's path is appended to it. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** `Cache-Control: public, max-age=` of the metadata document, in seconds (1 h). */
export const PROTECTED_RESOURCE_MAX_AGE = 3600;

/**
 * The `protectedResource` option: this API's RFC 9728 identity. Member
 * names are camelCase here and snake_case in the document.
 */
export interface ProtectedResourceOptions {
  /**
   * The resource identifier (RFC 9728 §1.2, RFC 8707): an absolute `https:`
   * URL (`http:` only on loopback or with `allowInsecureHttp`) without
   * fragment, query or user info. It is the document's `resource`, the
   * default `audience`, and names the metadata URL.
   */
  resource: string;
  /** `authorization_servers`: issuer identifiers of the servers whose tokens this API takes. Default: the configured issuers. */
  authorizationServers?: string[];
  /** `scopes_supported`: the scopes this API understands. Default: omitted. */
  scopesSupported?: string[];
  /** `resource_name`: a human-readable name. Default: omitted. */
  resourceName?: string;
  /** `resource_documentation`: URL of human-readable documentation. Default: omitted. */
  documentation?: string;
  /**
   * Further RFC 9728 members, as they go in the document (snake_case, such as
   * `tls_client_certificate_bound_access_tokens` or
   * `resource_signing_alg_values_supported`). Names with upper-case letters
   * are refused (a misspelt option), and so are the members jwks-auth
   * writes itself (see {@link COMPUTED_MEMBERS}).
   */
  [member: string]: unknown;
}

/** The option after validation: the document and where it lives. */
export interface ResolvedProtectedResource {
  /** The resource identifier, exactly as configured. */
  readonly resource: string;
  /** Absolute URL of the metadata document, for `resource_metadata` in challenges. */
  readonly metadataUrl: string;
  /** Path of the metadata document on this server: what adapters route. */
  readonly metadataPath: string;
  /** The metadata document (frozen). */
  readonly document: Readonly<Record<string, unknown>>;
  /** The document serialised once, as served. */
  readonly body: string;
}

/** What the document states besides the option itself: the verifier's configuration. */
export interface ProtectedResourceContext {
  issuers: readonly IssuerConfig[];
  allowInsecureHttp: boolean;
  allowQueryToken: boolean;
  allowBodyToken: boolean;
  /** A custom token lookup reads wherever it likes: no bearer method is claimed then. */
  customToken: boolean;
  dpop: ResolvedDpop | undefined;
}

const OPTION_MEMBERS: Readonly<Record<string, string>> = {
  resource: 'resource',
  authorizationServers: 'authorization_servers',
  scopesSupported: 'scopes_supported',
  resourceName: 'resource_name',
  documentation: 'resource_documentation',
};

/**
 * Members jwks-auth writes from the option or the verifier's configuration;
 * given as extra members they would contradict it, so they are refused.
 */
export const COMPUTED_MEMBERS: readonly string[] = Object.freeze([
  ...Object.values(OPTION_MEMBERS),
  'bearer_methods_supported',
  'dpop_signing_alg_values_supported',
  'dpop_bound_access_tokens_required',
]);

/** RFC 6749 §3.3 scope token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1): the well-known
 * path inserted between host and path; a resource without a path (or with
 * `/` alone) gets none appended, any other path is appended as it is
 * (a trailing slash included).
 *
 * @example
 * protectedResourceMetadataUrl('https://api.example.com/mcp');
 * // 'https://api.example.com/.well-known/oauth-protected-resource/mcp'
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = new URL(resource);
  return `${url.origin}${metadataPathOf(url)}`;
}

function metadataPathOf(url: URL): string {
  return `${PROTECTED_RESOURCE_WELL_KNOWN}${url.pathname === '/' ? '' : url.pathname}`;
}

/** The resource identifier, checked: absolute http(s) URL under the core's URL rules, no fragment, query or user info. */
function resourceIdentifier(value: unknown, allowInsecureHttp: boolean): URL {
  const name = 'protectedResource.resource';
  if (typeof value !== 'string' || !/^[\x21-\x7e]+$/.test(value)) {
    fail(name, 'must be an absolute URL without spaces or control characters');
  }
  httpUrl(name, value, allowInsecureHttp);
  const url = new URL(value);
  // RFC 9728 §1.2: no fragment. A query is allowed there but discouraged;
  // refused here, so the metadata URL is a plain path adapters can route.
  if (value.includes('#')) fail(name, 'must not have a fragment (RFC 9728 §1.2)');
  if (value.includes('?')) fail(name, 'must not have a query');
  if (url.username !== '' || url.password !== '') fail(name, 'must not carry user info');
  // Clients compare it as a string (RFC 9728 §3.3, RFC 8707): one spelling
  // only, the URL parser's (lower-case host, no default port, resolved path).
  const rest = value.slice(url.origin.length);
  if (!value.startsWith(url.origin) || (rest !== '' && rest !== url.pathname)) {
    const canonical = `${url.origin}${rest === '' ? '' : url.pathname}`;
    fail(name, `must be in canonical form: "${canonical}"`);
  }
  return url;
}

function stringList(name: string, value: unknown, check: (s: string) => void): string[] {
  if (!Array.isArray(value) || value.length === 0) fail(name, 'must be a non-empty array');
  const list = value.map((entry: unknown) => {
    if (typeof entry !== 'string') fail(name, 'must only contain strings');
    check(entry);
    return entry;
  });
  if (new Set(list).size !== list.length) fail(name, 'must not list the same value twice');
  return list;
}

/** A JSON value (what `JSON.stringify` writes back as it is): no functions, symbols, bigints, undefined or non-finite numbers. */
function isJsonValue(value: unknown, depth = 0): boolean {
  if (depth > 32) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJsonValue(v, depth + 1));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((v) => isJsonValue(v, depth + 1));
  }
  return false;
}

/**
 * Validates the `protectedResource` option against the verifier's
 * configuration and builds its document once; undefined when absent.
 * Throws a `TypeError` naming the member at fault.
 */
export function resolveProtectedResource(
  option: unknown,
  context: ProtectedResourceContext,
): ResolvedProtectedResource | undefined {
  if (option === undefined) return undefined;
  if (typeof option !== 'object' || option === null || Array.isArray(option)) {
    fail('protectedResource', 'must be an object with a "resource" URL');
  }
  const o = option as ProtectedResourceOptions;
  const url = resourceIdentifier(o.resource, context.allowInsecureHttp);

  const document: Record<string, unknown> = { resource: o.resource };
  document.authorization_servers =
    o.authorizationServers === undefined
      ? context.issuers.map((i) => i.issuer)
      : stringList('protectedResource.authorizationServers', o.authorizationServers, (s) =>
          httpUrl('protectedResource.authorizationServers', s, context.allowInsecureHttp),
        );
  if (o.scopesSupported !== undefined) {
    document.scopes_supported = stringList(
      'protectedResource.scopesSupported',
      o.scopesSupported,
      (s) => {
        if (!SCOPE_TOKEN.test(s)) {
          fail(
            'protectedResource.scopesSupported',
            'must only contain scope tokens (RFC 6749 §3.3)',
          );
        }
      },
    );
  }
  if (!context.customToken) {
    const methods = ['header'];
    if (context.allowBodyToken) methods.push('body');
    if (context.allowQueryToken) methods.push('query');
    document.bearer_methods_supported = methods;
  }
  if (context.dpop !== undefined) {
    document.dpop_signing_alg_values_supported = [...context.dpop.algorithms];
    document.dpop_bound_access_tokens_required = context.dpop.required;
  }
  if (o.resourceName !== undefined) {
    if (typeof o.resourceName !== 'string' || o.resourceName.trim().length === 0) {
      fail('protectedResource.resourceName', 'must be a non-empty string');
    }
    document.resource_name = o.resourceName;
  }
  if (o.documentation !== undefined) {
    const ok =
      typeof o.documentation === 'string' &&
      URL.canParse(o.documentation) &&
      /^https?:$/.test(new URL(o.documentation).protocol);
    if (!ok) fail('protectedResource.documentation', 'must be an absolute http(s) URL');
    document.resource_documentation = o.documentation;
  }

  for (const [name, value] of Object.entries(o)) {
    if (Object.hasOwn(OPTION_MEMBERS, name)) continue;
    const option = `protectedResource.${name}`;
    if (COMPUTED_MEMBERS.includes(name)) {
      const from = Object.keys(OPTION_MEMBERS).find((k) => OPTION_MEMBERS[k] === name);
      fail(
        option,
        from === undefined
          ? 'is written by jwks-auth from the verifier options and cannot be set'
          : `is written by jwks-auth: use "protectedResource.${from}"`,
      );
    }
    if (/[A-Z]/.test(name)) {
      fail(option, 'is not a known option; extra metadata members are snake_case (RFC 9728 §2)');
    }
    if (value === undefined) continue;
    if (!isJsonValue(value)) fail(option, 'must be a JSON value');
    // Defined, not assigned: a member named `__proto__` stays a member.
    Object.defineProperty(document, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }

  return Object.freeze({
    resource: o.resource,
    metadataUrl: `${url.origin}${metadataPathOf(url)}`,
    metadataPath: metadataPathOf(url),
    document: deepFreeze(document),
    body: JSON.stringify(document),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The audience a resource implies (RFC 8707: a token for this resource names
 * it in `aud`): the identifier with and without one trailing slash, the only
 * normalisation.
 */
export function resourceAudience(resource: string): string[] {
  const other = resource.endsWith('/') ? resource.slice(0, -1) : `${resource}/`;
  return [resource, other];
}

/** What the adapter kit answers for a request to the metadata path. */
export interface ProtectedResourceResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  /** The JSON document for GET; undefined for HEAD, OPTIONS and a refused method. */
  body: string | undefined;
}

const CORS = { 'Access-Control-Allow-Origin': '*' } as const;

/** The answers for one document, made once per verifier. */
export interface ProtectedResourceAnswers {
  readonly path: string;
  readonly get: ProtectedResourceResponse;
  readonly head: ProtectedResourceResponse;
  readonly preflight: ProtectedResourceResponse;
  readonly refused: ProtectedResourceResponse;
}

/**
 * The responses for the metadata path: the document for GET and HEAD
 * (public, cacheable, readable from any origin: it is public by design),
 * a CORS preflight answer for OPTIONS (MCP clients in browsers send their
 * own headers), 405 for anything else.
 */
export function protectedResourceAnswers(
  resolved: ResolvedProtectedResource,
): ProtectedResourceAnswers {
  const headers = Object.freeze({
    ...CORS,
    'Cache-Control': `public, max-age=${PROTECTED_RESOURCE_MAX_AGE}`,
    // The charset Express and Fastify add to JSON anyway: the same bytes on every adapter.
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(new TextEncoder().encode(resolved.body).byteLength),
  });
  const allow = 'GET, HEAD, OPTIONS';
  return Object.freeze({
    path: resolved.metadataPath,
    get: Object.freeze({ status: 200, headers, body: resolved.body }),
    head: Object.freeze({ status: 200, headers, body: undefined }),
    preflight: Object.freeze({
      status: 204,
      headers: Object.freeze({
        ...CORS,
        'Access-Control-Allow-Methods': 'GET, HEAD',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Max-Age': String(PROTECTED_RESOURCE_MAX_AGE),
      }),
      body: undefined,
    }),
    refused: Object.freeze({
      status: 405,
      headers: Object.freeze({ Allow: allow }),
      body: undefined,
    }),
  });
}

const answersOf = new WeakMap<ResolvedProtectedResource, ProtectedResourceAnswers>();

/**
 * The answer to `method` on `url` (its query ignored) when `url` is the
 * metadata path of `resolved`; undefined otherwise (or without the option).
 */
export function answerFor(
  resolved: ResolvedProtectedResource | undefined,
  method: string | undefined,
  url: string | undefined,
): ProtectedResourceResponse | undefined {
  if (resolved === undefined || typeof url !== 'string') return undefined;
  if (!url.startsWith(resolved.metadataPath)) return undefined;
  let answers = answersOf.get(resolved);
  if (answers === undefined) {
    answers = protectedResourceAnswers(resolved);
    answersOf.set(resolved, answers);
  }
  const end = url.indexOf('?');
  if ((end === -1 ? url.length : end) !== answers.path.length) return undefined;
  if (method === 'GET') return answers.get;
  if (method === 'HEAD') return answers.head;
  if (method === 'OPTIONS') return answers.preflight;
  return answers.refused;
}
