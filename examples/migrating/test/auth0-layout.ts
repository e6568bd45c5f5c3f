import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestIssuer } from '@jwks-auth/testing';

/** A server in front of a test issuer that serves its key set where Auth0 tenants do. */
export interface Auth0Layout {
  /** `http://127.0.0.1:PORT`: the tenant "domain". */
  readonly domain: string;
  close(): Promise<void>;
}

/**
 * fastify-auth0-verify only ever fetches `DOMAIN/.well-known/jwks.json`; the
 * test issuer serves its key set at `/jwks`. This relays that one path to the
 * issuer's real key set, status and body as they are, and drops the
 * connection when the issuer cannot be reached, so the issuer's faults reach
 * the app as a failed fetch. Every other path is a 404.
 */
export async function auth0Layout(issuer: TestIssuer): Promise<Auth0Layout> {
  const server = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetch(issuer.jwksUri).then(
      async (upstream) => {
        const body = await upstream.text();
        res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(body);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    domain: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
