import { createServer } from 'node:http';
import { HOST, listen, send, stopListening } from './http.js';
import type { KeySetServer } from './types.js';

/**
 * Starts a bare server (e.g. an attacker's `jku` / `x5u` target) that answers
 * every path with `body` and counts requests, so a test can assert that a
 * verifier never fetched it. Strings are sent verbatim; anything else as JSON.
 * Defaults to an empty JWKS.
 */
export async function createKeySetServer(body: unknown = { keys: [] }): Promise<KeySetServer> {
  const payload = typeof body === 'string' ? body : JSON.stringify(body);
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    send(res, { status: 200, body: payload });
  });
  const port = await listen(server, 0);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${HOST}:${port}/jwks`,
    get requests() {
      return requests;
    },
    close() {
      closing ??= stopListening(server);
      return closing;
    },
  };
}
