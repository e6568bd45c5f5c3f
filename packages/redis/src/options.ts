/** Validation of this package's options: a wrong value is a `TypeError` when the store is made. */

/** Default deadline of one Redis command, in ms. */
export const DEFAULT_TIMEOUT = 1000;
/** Longest `timeout` accepted, in ms. */
export const MAX_TIMEOUT = 60_000;
/** Default prefix of every key this package writes. */
export const DEFAULT_PREFIX = 'jwks-auth:';

/** What to do when Redis cannot answer: refuse the request (503) or let it through. */
export type OnUnavailable = 'deny' | 'allow';

/** Options every helper of this package takes. */
export interface RedisOptions {
  /** Prefix of the keys written. Default `'jwks-auth:'`. */
  prefix?: string;
  /** Deadline of one Redis command, in ms, whatever the client's own retries. Default 1000. */
  timeout?: number;
}

export function fail(name: string, message: string): never {
  throw new TypeError(`"${name}" option ${message}`);
}

export function rejectUnknown(options: object, names: readonly string[]): void {
  for (const name of Object.keys(options)) {
    if (!names.includes(name)) fail(name, `is not an option of this function`);
  }
}

export function checkObject(options: unknown): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError('options must be an object');
  }
  return options as Record<string, unknown>;
}

export function resolvePrefix(value: unknown): string {
  if (value === undefined) return DEFAULT_PREFIX;
  // Braces are allowed: `{app}:` puts every key in one Cluster hash slot.
  if (typeof value !== 'string' || value.length > 200 || /[\s\0]/.test(value)) {
    fail('prefix', 'must be a string of at most 200 characters without whitespace');
  }
  return value;
}

export function resolveTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT) {
    fail('timeout', `must be an integer number of ms from 1 to ${MAX_TIMEOUT}`);
  }
  return value;
}

export function resolveOnUnavailable(value: unknown): OnUnavailable {
  if (value === undefined) return 'deny';
  if (value !== 'deny' && value !== 'allow') fail('onUnavailable', 'must be "deny" or "allow"');
  return value;
}
