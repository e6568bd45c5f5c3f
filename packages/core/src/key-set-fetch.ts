/**
 * The fetch-and-parse step of a key set refresh: download the JWKS document,
 * judge and parse its keys, and carry over the records the installed set
 * shares with it; and the error callers get when a refresh fails. When to
 * refresh, and what a failure costs (backoff, stale keys), is the key set's
 * business (key-set.ts).
 */
import { KeySetUnavailableError } from './errors.js';
import { fetchJson, FetchError } from './fetch-json.js';
import { parseKeySet } from './keys.js';
import type { KeyRecord } from './keys.js';
import type { ResolvedJwksOptions } from './options.js';

/** The keys to install after a good fetch, and how many listed keys were refused. */
export interface FetchedKeys {
  keys: KeyRecord[];
  refused: number;
}

/**
 * Fetches and parses the key set at `uri`. `previous` are the keys installed
 * now (a key set runs one fetch at a time, so they do not change meanwhile).
 * Throws a `FetchError` when the request fails, or when the document lists
 * no usable key while `previous` has some.
 */
export async function fetchKeys(
  uri: string,
  options: ResolvedJwksOptions,
  signal: AbortSignal,
  previous: readonly KeyRecord[],
  stats?: { bytes?: number | undefined },
): Promise<FetchedKeys> {
  const document = await fetchJson(uri, {
    fetch: options.fetch,
    timeoutDuration: options.timeoutDuration,
    maxResponseBytes: options.maxResponseBytes,
    signal,
    stats,
  });
  const parsed = parseKeySet(document);
  const { keys, unimportable } = carryOver(previous, parsed.keys);
  const refused = parsed.refused.length + unimportable;
  // One bad response must not wipe good keys: an issuer revokes keys by
  // publishing replacements, never by publishing nothing usable.
  if (keys.length === 0 && previous.length > 0) {
    throw new FetchError(
      `${uri} lists no usable key (${refused} refused); the last good keys stay in use`,
    );
  }
  return { keys, refused };
}

/**
 * A key the previous set listed too keeps its record (and its imported
 * key); a new key is imported now and dropped if node:crypto refuses it
 * (an EC point off its curve), so no unusable key ever takes one of a
 * token's candidate places, and both engines use the same keys.
 */
export function carryOver(
  previous: readonly KeyRecord[],
  parsed: KeyRecord[],
): { keys: KeyRecord[]; unimportable: number } {
  const byIdentity = new Map(previous.map((k) => [k.identity, k]));
  const keys: KeyRecord[] = [];
  let unimportable = 0;
  for (const key of parsed) {
    const same = byIdentity.get(key.identity);
    if (same !== undefined) keys.push(same);
    else if (key.importable()) keys.push(key);
    else unimportable += 1;
  }
  return { keys, unimportable };
}

/** Which step of a refresh failed: discovery, or the key set request itself. */
export type UnavailableCode = 'ERR_JWKS_UNAVAILABLE' | 'ERR_DISCOVERY_FAILED';

/** The 503 callers get while no key set can be had, retryable after `retryInMs`. */
export function unavailableError(
  code: UnavailableCode,
  cause: Error | undefined,
  retryInMs: number,
): KeySetUnavailableError {
  return new KeySetUnavailableError(
    code,
    // Details (URLs, network errors) stay in `cause`: some frameworks show 5xx messages.
    code === 'ERR_DISCOVERY_FAILED'
      ? 'the identity provider metadata is unavailable'
      : 'the signing keys are unavailable',
    { cause, retryAfter: Math.max(1, Math.ceil(retryInMs / 1000)) },
  );
}
