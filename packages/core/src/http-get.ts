/**
 * The default transport of metadata and key set requests: one GET with
 * `node:http` / `node:https`, on a connection of its own that closes after
 * the answer. Not the global `fetch`: loading and running undici in a
 * process that serves HTTP with `node:http` left Express measurably slower
 * for the rest of its life (see docs/benchmarks.md), and a request every few
 * minutes gains nothing from a pooled client.
 */
import type * as NodeHttp from 'node:http';
import type { IncomingMessage } from 'node:http';
import type * as NodeHttps from 'node:https';
import { builtin } from './platform.js';

/** What a GET answered: its status and, for a 200, its body (at most `maxBytes`). */
export interface GetResult {
  status: number;
  body: string;
}

/** Thrown when the body is larger than allowed, declared or streamed. */
export class TooLargeError extends Error {}

/**
 * GETs `url` (redirects are not followed: a 3xx is returned as its status).
 * A body is read only for a 200, up to `maxBytes`; `signal` aborts the
 * request at any point.
 */
export function httpGet(url: string, maxBytes: number, signal: AbortSignal): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    // Loaded on first use (a key set request every few minutes), never on the Web path.
    const module = url.startsWith('https:')
      ? builtin<typeof NodeHttps>('node:https')
      : builtin<typeof NodeHttp>('node:http');
    if (module === undefined) throw new Error('node:http is not available on this runtime');
    const send = module.request;
    const req = send(url, {
      method: 'GET',
      headers: { accept: 'application/json' },
      agent: false,
      signal,
    });
    req.on('error', reject);
    req.on('response', (res: IncomingMessage) => {
      res.on('error', reject);
      if (res.statusCode !== 200) {
        res.resume();
        resolve({ status: res.statusCode ?? 0, body: '' });
        return;
      }
      if (Number(res.headers['content-length']) > maxBytes) {
        res.destroy();
        reject(new TooLargeError());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          res.destroy();
          reject(new TooLargeError());
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: 200, body: Buffer.concat(chunks, size).toString() }));
      // A connection cut mid-body ends the response without 'end'.
      res.on('close', () => {
        if (!res.complete) reject(new Error('the connection closed before the body ended'));
      });
    });
    req.end();
  });
}
