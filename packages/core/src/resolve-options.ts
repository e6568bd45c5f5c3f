import { SUPPORTED_ALGORITHMS } from './algorithms.js';
import type { Algorithm } from './algorithms.js';
import { DEFAULT_REALM } from './challenge.js';
import { resolveDpop, resolveMtls } from './dpop-options.js';
import { DEFAULT_HOOK_TIMEOUT } from './hooks.js';
import {
  MAX_TIMER,
  boolean,
  fail,
  httpUrl,
  nonNegativeInteger,
  nonNegativeNumber,
  oneOf,
  optionalFunction,
  rejectUnknown,
} from './option-checks.js';
import { isKeySetStore } from './key-set-store.js';
import type { KeySetStore } from './key-set-store.js';
import { JWKS_DURATION_FLOORS } from './options.js';
import { NEEDS_NODE, NODE } from './platform.js';
import { assertWebPlatform, resolvePreload } from './web.js';
import { resolveProtectedResource, resourceAudience } from './protected-resource.js';
import type {
  CacheOptions,
  IssuerConfig,
  JwksOptions,
  ResolvedJwksOptions,
  ResolvedOptions,
  VerifierOptions,
} from './options.js';

/** Every option {@link createVerifier} knows; any other name is a `TypeError` (a typo must not fail open). */
const OPTION_NAMES = new Set([
  'issuer',
  'audience',
  'jwksUri',
  'algorithms',
  'clockTolerance',
  'maxTokenAge',
  'requiredClaims',
  'typ',
  'strict',
  'credentialsRequired',
  'getToken',
  'allowQueryToken',
  'allowBodyToken',
  'corsPreflight',
  'hookTimeout',
  'allowInsecureHttp',
  'realm',
  'maxTokenLength',
  'isRevoked',
  'jwks',
  'cache',
  'onEvent',
  'engine',
  'dpop',
  'mtls',
  'protectedResource',
]);
const JWKS_OPTION_NAMES = new Set([
  ...Object.keys(JWKS_DURATION_FLOORS),
  'maxResponseBytes',
  'fetch',
  'store',
  'preload',
]);

const STRICT_CLAIMS = ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'];

function resolveIssuers(
  issuer: unknown,
  jwksUri: unknown,
  allowInsecureHttp: boolean,
): IssuerConfig[] {
  const url = (name: string, value: unknown) => httpUrl(name, value, allowInsecureHttp);
  const list = typeof issuer === 'string' ? [issuer] : issuer;
  if (!Array.isArray(list) || list.length === 0) {
    fail('issuer', 'must be a string or a non-empty array of strings or { issuer, jwksUri }');
  }
  const issuers = list.map((entry: unknown): IssuerConfig => {
    if (typeof entry === 'string') return { issuer: url('issuer', entry) };
    if (typeof entry === 'object' && entry !== null && 'issuer' in entry) {
      rejectUnknown('issuer[].', entry, ISSUER_CONFIG_NAMES);
      const { issuer: iss, jwksUri: uri } = entry as IssuerConfig;
      const config: IssuerConfig = { issuer: url('issuer', iss) };
      if (uri !== undefined) config.jwksUri = url('issuer[].jwksUri', uri);
      return config;
    }
    return fail('issuer', 'entries must be strings or { issuer, jwksUri } objects');
  });
  if (new Set(issuers.map((i) => i.issuer)).size !== issuers.length) {
    fail('issuer', 'must not list the same issuer twice');
  }
  if (jwksUri !== undefined) {
    if (issuers.length !== 1)
      fail('jwksUri', 'applies to a single issuer; use { issuer, jwksUri }');
    issuers[0]!.jwksUri = url('jwksUri', jwksUri);
  }
  return issuers;
}

const ISSUER_CONFIG_NAMES = new Set(['issuer', 'jwksUri']);

function resolveAudience(audience: unknown): string | string[] | undefined {
  if (audience === null) return undefined;
  if (typeof audience === 'string' && audience.length > 0) return audience;
  if (
    Array.isArray(audience) &&
    audience.length > 0 &&
    audience.every((a) => typeof a === 'string' && a.length > 0)
  ) {
    return [...(audience as string[])];
  }
  return fail('audience', 'is required: a string, an array of strings, or null to opt out');
}

function resolveAlgorithms(algorithms: unknown): Algorithm[] {
  if (algorithms === undefined) return [...SUPPORTED_ALGORITHMS];
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail('algorithms', 'must be a non-empty array');
  }
  for (const alg of algorithms) {
    if (!(SUPPORTED_ALGORITHMS as readonly unknown[]).includes(alg)) {
      fail('algorithms', `must only contain asymmetric algorithms, got ${JSON.stringify(alg)}`);
    }
  }
  return [...(algorithms as Algorithm[])];
}

function resolveJwks(jwks: unknown): ResolvedJwksOptions {
  if (jwks !== undefined && (typeof jwks !== 'object' || jwks === null)) {
    fail('jwks', 'must be an object');
  }
  const o = (jwks ?? {}) as JwksOptions;
  rejectUnknown('jwks.', o, JWKS_OPTION_NAMES);
  const fetchImpl = optionalFunction<typeof fetch>('jwks.fetch', o.fetch);
  const duration = (name: keyof typeof JWKS_DURATION_FLOORS, fallback: number): number => {
    const value = nonNegativeInteger(`jwks.${name}`, o[name], fallback);
    const floor = JWKS_DURATION_FLOORS[name];
    if (value < floor) fail(`jwks.${name}`, `must be at least ${floor} (ms)`);
    return value;
  };
  const resolved: ResolvedJwksOptions = {
    cacheMaxAge: duration('cacheMaxAge', 600_000),
    cooldownDuration: duration('cooldownDuration', 30_000),
    timeoutDuration: duration('timeoutDuration', 5_000),
    maxStaleAge: duration('maxStaleAge', 6 * 3_600_000),
    maxResponseBytes: nonNegativeInteger('jwks.maxResponseBytes', o.maxResponseBytes, 512 * 1024),
    backoffInitial: duration('backoffInitial', 1_000),
    backoffMax: duration('backoffMax', 60_000),
    fetch: fetchImpl,
    store: resolveKeySetStore(o.store),
    preload: resolvePreload(o.preload),
  };
  if (resolved.maxResponseBytes === 0) fail('jwks.maxResponseBytes', 'must be greater than 0');
  // Timers clamp (setTimeout) or throw (AbortSignal.timeout) beyond this.
  if (resolved.timeoutDuration > MAX_TIMER) {
    fail('jwks.timeoutDuration', `must be at most ${MAX_TIMER} (ms)`);
  }
  if (resolved.backoffMax < resolved.backoffInitial) {
    fail('jwks.backoffMax', 'must be at least "jwks.backoffInitial"');
  }
  return resolved;
}

function resolveKeySetStore(store: unknown): KeySetStore | undefined {
  if (store === undefined) return undefined;
  if (!isKeySetStore(store))
    fail('jwks.store', 'must be an object with get, set, lock and unlock methods');
  return store;
}

function resolveCache(cache: unknown): number {
  if (cache === false) return 0;
  if (cache === undefined || cache === true) return 1000;
  if (typeof cache !== 'object' || cache === null) fail('cache', 'must be an object or false');
  rejectUnknown('cache.', cache, CACHE_OPTION_NAMES);
  return nonNegativeInteger('cache.maxEntries', (cache as CacheOptions).maxEntries, 1000);
}

const CACHE_OPTION_NAMES = new Set(['maxEntries']);

function resolveEngine(engine: unknown): 'node' | 'jose' {
  // Without node:crypto (workerd, browsers) WebCrypto it is.
  if (engine === undefined) return NODE ? 'node' : 'jose';
  if (engine !== 'node' && engine !== 'jose') fail('engine', 'must be "node" or "jose"');
  if (engine === 'node' && !NODE) fail('engine', `"node" ${NEEDS_NODE}`);
  return engine;
}

/**
 * Validates options and applies defaults. Throws a `TypeError` naming the
 * option, so a configuration mistake fails when the app is built.
 */
export function resolveOptions(options: VerifierOptions<never>): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('options must be an object');
  }
  const o = options as VerifierOptions<never> & Record<string, unknown>;
  rejectUnknown('', o, OPTION_NAMES);
  const allowInsecureHttp = boolean('allowInsecureHttp', o.allowInsecureHttp, false);
  const hookTimeout = nonNegativeInteger('hookTimeout', o.hookTimeout, DEFAULT_HOOK_TIMEOUT);
  if (hookTimeout === 0 || hookTimeout > MAX_TIMER) {
    fail('hookTimeout', `must be from 1 to ${MAX_TIMER} (ms)`);
  }
  const strict = boolean('strict', o.strict, false);
  let typ: string | undefined;
  if (o.typ !== undefined) {
    if (typeof o.typ !== 'string' || o.typ.length === 0) fail('typ', 'must be a non-empty string');
    typ = o.typ;
  }
  if (strict) {
    if (typ !== undefined && typ.replace(/^application\//i, '').toLowerCase() !== 'at+jwt') {
      fail('typ', 'must be "at+jwt" (or omitted) when "strict" is true');
    }
    typ = 'at+jwt';
  }
  if (o.requiredClaims !== undefined) {
    if (
      !Array.isArray(o.requiredClaims) ||
      !o.requiredClaims.every((c) => typeof c === 'string' && c.length > 0)
    ) {
      fail('requiredClaims', 'must be an array of claim names');
    }
  }
  const requiredClaims = new Set<string>(['exp', ...(o.requiredClaims ?? [])]);
  if (strict) for (const claim of STRICT_CLAIMS) requiredClaims.add(claim);

  const realm = o.realm ?? DEFAULT_REALM;
  if (typeof realm !== 'string' || !/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(realm)) {
    fail('realm', 'must be a string of printable ASCII without quotes or backslashes');
  }
  const maxTokenLength = nonNegativeInteger('maxTokenLength', o.maxTokenLength, 8192);
  if (maxTokenLength === 0) fail('maxTokenLength', 'must be greater than 0');

  // `protectedResource` names the audience unless `audience` does (RFC 8707).
  const resourceNamesAudience = o.protectedResource !== undefined && o.audience === undefined;
  const resolved: ResolvedOptions = {
    issuers: resolveIssuers(o.issuer, o.jwksUri, allowInsecureHttp),
    audience: resourceNamesAudience ? undefined : resolveAudience(o.audience),
    algorithms: resolveAlgorithms(o.algorithms),
    clockTolerance: nonNegativeNumber('clockTolerance', o.clockTolerance, 5)!,
    maxTokenAge: nonNegativeNumber('maxTokenAge', o.maxTokenAge, undefined),
    requiredClaims: [...requiredClaims],
    typ,
    credentialsRequired: boolean('credentialsRequired', o.credentialsRequired, true),
    getToken: optionalFunction('getToken', o.getToken),
    allowQueryToken: boolean('allowQueryToken', o.allowQueryToken, false),
    allowBodyToken: boolean('allowBodyToken', o.allowBodyToken, false),
    corsPreflight: oneOf('corsPreflight', o.corsPreflight, ['authenticate', 'pass'] as const),
    hookTimeout,
    allowInsecureHttp,
    realm,
    maxTokenLength,
    isRevoked: optionalFunction('isRevoked', o.isRevoked),
    jwks: resolveJwks(o.jwks),
    cacheMaxEntries: resolveCache(o.cache),
    onEvent: optionalFunction('onEvent', o.onEvent),
    engine: resolveEngine(o.engine),
    dpop: resolveDpop(o.dpop),
    mtls: resolveMtls(o.mtls),
    protectedResource: undefined,
  };
  resolved.protectedResource = resolveProtectedResource(o.protectedResource, {
    ...resolved,
    customToken: resolved.getToken !== undefined,
  });
  if (resourceNamesAudience && resolved.protectedResource !== undefined) {
    resolved.audience = resourceAudience(resolved.protectedResource.resource);
  }
  assertWebPlatform(resolved);
  return resolved;
}
