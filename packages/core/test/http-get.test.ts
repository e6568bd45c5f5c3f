/** The default transport (src/http-get.ts through src/fetch-json.ts), against real servers on 127.0.0.1. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createVerifier } from '@jwks-auth/core';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { FetchError, fetchJson } from '../src/fetch-json.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let handler: Handler = (_req, res) => res.end('{}');
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path = '/', maxResponseBytes = 1024, timeoutDuration = 2000) =>
  fetchJson(`${base}${path}`, { fetch: undefined, maxResponseBytes, timeoutDuration });

describe('fetchJson over node:http', () => {
  it('GETs a JSON object, asking for JSON', async () => {
    let accept: string | undefined;
    handler = (req, res) => {
      accept = req.headers.accept;
      res.setHeader('content-type', 'application/json');
      res.end('{"keys":[]}');
    };
    await expect(get()).resolves.toEqual({ keys: [] });
    expect(accept).toBe('application/json');
  });

  it('does not follow a redirect', async () => {
    let followed = false;
    handler = (req, res) => {
      if (req.url === '/elsewhere') {
        followed = true;
        res.end('{"keys":[]}');
        return;
      }
      res.writeHead(302, { location: '/elsewhere' }).end();
    };
    await expect(get('/start')).rejects.toMatchObject({ name: 'FetchError', status: 302 });
    expect(followed).toBe(false);
  });

  it('refuses a declared Content-Length over the limit without reading the body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 5000 });
      res.write('{"keys":');
    };
    await expect(get('/', 1024)).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('cuts a streamed body at the limit', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write(`{"pad":"${'x'.repeat(2000)}`);
    };
    await expect(get('/', 1024)).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('fails, rather than hangs, when the connection is cut mid-body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 100 });
      res.write('{"keys":');
      setTimeout(() => res.socket?.destroy(), 20);
    };
    await expect(get()).rejects.toBeInstanceOf(FetchError);
  });

  it('holds the deadline over a server that never answers', async () => {
    handler = () => undefined;
    const started = Date.now();
    await expect(get('/', 1024, 150)).rejects.toThrow(/timed out after 150 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses a body that is not a JSON object', async () => {
    handler = (_req, res) => res.end('[1,2]');
    await expect(get()).rejects.toThrow(/not return a JSON object/);
    handler = (_req, res) => res.end('{"keys":');
    await expect(get()).rejects.toThrow(/did not return JSON/);
  });
});

describe('the verifier’s transport', () => {
  let issuer: TestIssuer;
  const realFetch = globalThis.fetch;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('is node:http by default, never the global fetch', async () => {
    let globalCalls = 0;
    globalThis.fetch = (() => {
      globalCalls += 1;
      return Promise.reject(new Error('the global fetch was used'));
    }) as typeof fetch;
    const verifier = createVerifier({ issuer: issuer.issuer, audience: null });
    try {
      await verifier.warmup(); // discovery, then the key set
      await expect(verifier.verify(await issuer.sign())).resolves.toHaveProperty('payload');
      expect(globalCalls).toBe(0);
      expect(verifier.options.jwks.fetch).toBeUndefined();
    } finally {
      verifier.close();
    }
  });

  it('is jwks.fetch when one is given', async () => {
    const seen: string[] = [];
    const verifier = createVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: null,
      jwks: {
        fetch: (input, init) => {
          seen.push(String(input));
          return realFetch(input, init);
        },
      },
    });
    try {
      await expect(verifier.verify(await issuer.sign())).resolves.toHaveProperty('payload');
      expect(seen).toEqual([issuer.jwksUri]);
    } finally {
      verifier.close();
    }
  });
});
