/**
 * What the core reads of a Hono request: on `@hono/node-server`, the Node
 * request itself (its `rawHeaders` count Authorization lines, its socket has
 * the TLS client certificate), as the Node adapters do; anywhere else (Bun,
 * Deno, workerd, `app.request()`), the Web `Request`.
 */
import type { RequestLike, RequestTarget } from '@jwks-auth/core';
import { webRequestLike } from '@jwks-auth/core/adapter';
import type { Context } from 'hono';

/** Where `@hono/node-server` keeps the Node request on its `Request` objects. */
let incomingKey: symbol | undefined;

function nodeKeyOf(raw: object): symbol | undefined {
  return (incomingKey ??= Object.getOwnPropertySymbols(raw).find(
    (s) => s.description === 'incomingKey',
  ));
}

/**
 * The Node request behind `c.req.raw`, only when `c.env.incoming` is the one
 * `@hono/node-server` built this very `Request` from: a rewritten or cloned
 * request passed on with the same `env` is read as the Web request it is.
 */
export function nodeRequestOf(c: Context): RequestLike | undefined {
  const env: unknown = c.env;
  if (typeof env !== 'object' || env === null) return undefined;
  const incoming = (env as { incoming?: Partial<RequestLike> }).incoming;
  if (typeof incoming !== 'object' || incoming === null || !Array.isArray(incoming.rawHeaders)) {
    return undefined;
  }
  const raw = c.req.raw as unknown as Record<symbol, unknown>;
  const key = nodeKeyOf(raw);
  return key !== undefined && raw[key] === incoming ? (incoming as RequestLike) : undefined;
}

/**
 * The request the core reads for `c`: the Node request on `@hono/node-server`,
 * else the Fetch API `Request` itself (the core reads its headers, method and
 * URL, never its body).
 */
export function requestOf(c: Context): RequestLike | Request {
  return nodeRequestOf(c) ?? c.req.raw;
}

/** Methods whose requests carry no body (RFC 6750 §2.2 forbids the body method with GET). */
const BODYLESS = new Set(['GET', 'HEAD']);

/** Whether `c` may carry a form-body token (`allowBodyToken`): the core reads only these bodies. */
export function hasFormBody(c: Context): boolean {
  if (BODYLESS.has(c.req.method)) return false;
  const type = c.req.header('content-type');
  return type !== undefined && /^application\/x-www-form-urlencoded\s*(;|$)/i.test(type);
}

/**
 * `c` with its form body read as text (Hono caches it, so handlers can still
 * `parseBody()`), for `allowBodyToken`.
 */
export async function withBody(c: Context): Promise<RequestLike> {
  const body = await c.req.text();
  const node = nodeRequestOf(c);
  if (node === undefined) return webRequestLike(c.req.raw, body);
  const { method, url, headers, rawHeaders, socket } = node;
  return { method, url, headers, rawHeaders, socket, body };
}

/**
 * The runtime's `waitUntil` for `c` (Cloudflare Workers, through Hono's
 * `c.executionCtx`), which lets a key set refresh the request started
 * finish after the response; undefined where there is none (Node, Bun,
 * Deno: Hono's getter throws there).
 */
export function waitUntilOf(c: Context): ((promise: Promise<unknown>) => void) | undefined {
  try {
    const ctx = c.executionCtx;
    return ctx.waitUntil.bind(ctx);
  } catch {
    return undefined;
  }
}

/**
 * The origin and path (with query) of `c.req.url`, for DPoP's `htu`. On Node
 * that URL is built from the Host header and the socket's protocol: no
 * `X-Forwarded-*` header is trusted; set `dpop.origin` behind a proxy.
 */
export function targetOf(c: Context): RequestTarget {
  const url = c.req.url;
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1
    ? { origin: url, path: '/' }
    : { origin: url.slice(0, slash), path: url.slice(slash) };
}
