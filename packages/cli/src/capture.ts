/**
 * What the verifier fetched: a `fetch` given to the verifier as its
 * `jwks.fetch` option, which records each response's status, caching
 * headers and body on the way through, so the CLI reports the exact
 * documents the verifier judged rather than fetching them a second time.
 */
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One response the verifier received. */
export interface Exchange {
  url: string;
  /** HTTP status; undefined when no response came (refused, timed out, DNS). */
  status: number | undefined;
  headers: Record<string, string>;
  /** The body of a 200 as read (at most the cap); undefined otherwise. */
  body: string | undefined;
  /** Bytes of the body read. */
  bytes: number;
  /** Why no response came. */
  error: string | undefined;
}

/** An exchange as the `--json` reports print it (no body; null for what is absent). */
export interface ExchangeJson {
  url: string;
  status: number | null;
  error: string | null;
  headers: Record<string, string>;
  bytes: number;
}

/** The `--json` form of an exchange. */
export function exchangeJson(e: Exchange): ExchangeJson {
  return {
    url: e.url,
    status: e.status ?? null,
    error: e.error ?? null,
    headers: e.headers,
    bytes: e.bytes,
  };
}

/** Headers worth reporting about a key set or metadata response. */
const KEPT_HEADERS = ['cache-control', 'expires', 'age', 'etag', 'last-modified', 'content-type'];

/** Records every exchange of a verifier; `fetch` is what to pass as `jwks.fetch`. */
export class Recorder {
  readonly exchanges: Exchange[] = [];

  constructor(
    /** Bytes read from a body at most; the verifier refuses anything larger anyway. */
    private readonly cap: number,
  ) {}

  /** The last exchange with `url`. */
  last(url: string | undefined): Exchange | undefined {
    if (url === undefined) return undefined;
    return this.exchanges.findLast((e) => e.url === url);
  }

  /**
   * A `fetch` for the verifier's `jwks.fetch` option that GETs with
   * `node:http` / `node:https` like the verifier's default transport (one
   * connection per request, no redirects followed, no port blocklist), and
   * records the exchange. A body is read only for a 200, up to one byte past
   * the cap; the verifier applies its own size limit to the same bytes.
   */
  readonly fetch = (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const url = input instanceof Request ? input.url : String(input);
    const exchange: Exchange = {
      url,
      status: undefined,
      headers: {},
      body: undefined,
      bytes: 0,
      error: undefined,
    };
    this.exchanges.push(exchange);
    const signal = init?.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      const fail = (error: unknown) => {
        const reason = signal?.aborted === true ? (signal.reason as Error | undefined) : undefined;
        exchange.error ??=
          reason === undefined
            ? describe(error)
            : reason.name === 'TimeoutError'
              ? 'timed out'
              : 'aborted';
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      const send = url.startsWith('https:') ? httpsRequest : httpRequest;
      const req = send(url, {
        method: 'GET',
        headers: { accept: 'application/json' },
        agent: false,
        ...(signal === undefined ? {} : { signal }),
      });
      req.on('error', fail);
      req.on('response', (res: IncomingMessage) => {
        res.on('error', fail);
        const status = res.statusCode ?? 0;
        exchange.status = status;
        for (const name of KEPT_HEADERS) {
          const value = res.headers[name];
          if (typeof value === 'string') exchange.headers[name] = value;
        }
        if (status !== 200) {
          res.resume();
          if (status < 200 || status > 599) fail(new Error(`unexpected status ${status}`));
          else resolve(new Response(null, { status }));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        const done = () => {
          exchange.bytes = size;
          const bytes = Buffer.concat(chunks, size);
          exchange.body = bytes.toString('utf8');
          resolve(new Response(bytes, { status, headers: { 'content-type': 'application/json' } }));
        };
        res.on('data', (chunk: Buffer) => {
          if (size > this.cap) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size > this.cap) {
            done();
            res.destroy();
          }
        });
        res.on('end', () => {
          if (size <= this.cap) done();
        });
        res.on('close', () => {
          if (!res.complete && size <= this.cap)
            fail(new Error('the connection closed before the body ended'));
        });
      });
      req.end();
    });
  };
}

/** A network error in one line, with its code when it has one (ECONNREFUSED, ENOTFOUND ...). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  if (error.message === 'fetch failed' && cause instanceof Error) return describe(cause);
  const code = (error as { code?: unknown }).code;
  if (error.name === 'TimeoutError') return 'the request timed out';
  if (typeof code === 'string' && !error.message.includes(code))
    return `${error.message} (${code})`;
  return error.message;
}
