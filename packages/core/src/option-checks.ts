/**
 * The checks options share: each validates one value, applies its default,
 * and throws a `TypeError` naming the option, so a configuration mistake
 * fails when the app is built rather than on a request.
 */
import { isAllowedFetchUrl } from './http-url.js';

/** Longest delay Node's timers take (2^31 - 1 ms, about 24.8 days). */
export const MAX_TIMER = 2 ** 31 - 1;

/** Throws the `TypeError` for option `name`, saying which `rule` it breaks. */
export function fail(name: string, rule: string): never {
  throw new TypeError(`"${name}" option ${rule}`);
}

/** A safe integer of 0 or more, or `fallback` when absent. */
export function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    fail(name, 'must be a non-negative integer');
  }
  return value;
}

/** A finite number of 0 or more, or `fallback` when absent. */
export function nonNegativeNumber(name: string, value: unknown, fallback: number | undefined) {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(name, 'must be a non-negative finite number');
  }
  return value;
}

/** A boolean, or `fallback` when absent. */
export function boolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') fail(name, 'must be a boolean');
  return value;
}

/** A function, or undefined when absent. */
export function optionalFunction<T>(name: string, value: unknown): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') fail(name, 'must be a function');
  return value as T;
}

/** An absolute http(s) URL that {@link isAllowedFetchUrl} accepts. */
export function httpUrl(name: string, value: unknown, allowInsecureHttp: boolean): string {
  if (typeof value !== 'string' || !URL.canParse(value)) fail(name, 'must be an absolute URL');
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(name, 'must be an http(s) URL');
  if (!isAllowedFetchUrl(url, allowInsecureHttp)) {
    fail(name, 'must be https: (http: only on loopback hosts, or with "allowInsecureHttp: true")');
  }
  return value;
}

/** Refuses any member of `value` not in `known` (a misspelt option must not be silently ignored). */
export function rejectUnknown(prefix: string, value: object, known: ReadonlySet<string>): void {
  for (const name of Object.keys(value)) {
    if (!known.has(name)) fail(`${prefix}${name}`, 'is not a known option (check its spelling)');
  }
}

/** One of `allowed`, or its first entry when absent. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (value === undefined) return allowed[0]!;
  if (!(allowed as readonly unknown[]).includes(value)) {
    fail(name, `must be ${allowed.map((a) => JSON.stringify(a)).join(' or ')}`);
  }
  return value as T;
}
