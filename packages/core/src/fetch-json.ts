import { httpGet, TooLargeError } from './http-get.js';
import type { GetResult } from './http-get.js';
import { NODE } from './platform.js';

/** Why a metadata or key set request failed. */
export class FetchError extends Error {
  /** The HTTP status when the server answered with one other than 200. */
  readonly status: number | undefined;

  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.name = 'FetchError';
    this.status = options?.status;
  }
}

export interface FetchJsonOptions {
  /** A custom `fetch` (the `jwks.fetch` option); `node:http` / `node:https` when undefined on Node, the global `fetch` on the Web path. */
  fetch: typeof globalThis.fetch | undefined;
  timeoutDuration: number;
  maxResponseBytes: number;
  signal?: AbortSignal | undefined;
  /** When given, receives the size in bytes of a body that was read (for tracing). */
  stats?: { bytes?: number | undefined } | undefined;
}

/**
 * GETs a JSON object with a deadline covering headers and body, and a size
 * cap enforced while streaming, so a slow or huge response cannot hold a
 * request or the heap. Redirects are not followed: the configured URL is the
 * one trusted.
 */
export async function fetchJson(
  url: string,
  options: FetchJsonOptions,
): Promise<Record<string, unknown>> {
  const timeout = AbortSignal.timeout(options.timeoutDuration);
  const signal =
    options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  // A custom `fetch` (or its body stream) may ignore the signal: the deadline
  // holds whatever it does, so a key set request can never hang its callers.
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([request(url, options, signal), deadline]);
  } catch (error) {
    if (error instanceof FetchError) throw error;
    if (timeout.aborted) {
      throw new FetchError(`${url} timed out after ${options.timeoutDuration} ms`, {
        cause: error,
      });
    }
    throw new FetchError(`${url} could not be fetched`, { cause: error });
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

async function request(
  url: string,
  options: FetchJsonOptions,
  signal: AbortSignal,
): Promise<Record<string, unknown>> {
  // Web runtimes have no node:http: their own fetch it is.
  const fetch = options.fetch ?? (NODE ? undefined : globalThis.fetch);
  const text =
    fetch === undefined
      ? await viaNode(url, options.maxResponseBytes, signal)
      : await viaFetch(url, fetch, options.maxResponseBytes, signal);
  if (options.stats !== undefined) options.stats.bytes = new TextEncoder().encode(text).byteLength;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new FetchError(`${url} did not return JSON`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FetchError(`${url} did not return a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

function tooLarge(url: string, limit: number): FetchError {
  return new FetchError(`${url} response is larger than ${limit} bytes`);
}

function notOk(url: string, status: number): FetchError {
  return new FetchError(`${url} answered HTTP ${status}`, { status });
}

async function viaNode(url: string, limit: number, signal: AbortSignal): Promise<string> {
  let got: GetResult;
  try {
    got = await httpGet(url, limit, signal);
  } catch (error) {
    if (error instanceof TooLargeError) throw tooLarge(url, limit);
    throw error;
  }
  if (got.status !== 200) throw notOk(url, got.status);
  return got.body;
}

async function viaFetch(
  url: string,
  fetch: typeof globalThis.fetch,
  limit: number,
  signal: AbortSignal,
): Promise<string> {
  const response = await fetch(url, {
    method: 'GET',
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal,
  });
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    throw notOk(url, response.status);
  }
  const declared = Number(response.headers.get('content-length'));
  if (declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw tooLarge(url, limit);
  }
  return readLimited(response, limit, url);
}

async function readLimited(response: Response, limit: number, url: string): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, limit);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
