import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '../src/index.js';

/** A port nothing listens on: bound by the OS, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createTestIssuer({ port })', () => {
  it('listens on the port asked for', async () => {
    const port = await freePort();
    const issuer = await createTestIssuer({ port });
    try {
      expect(issuer.url).toBe(`http://127.0.0.1:${port}`);
      const response = await fetch(`${issuer.issuer}/.well-known/openid-configuration`);
      expect(await response.json()).toMatchObject({ issuer: issuer.issuer });
    } finally {
      await issuer.close();
    }
  });

  it('refuses a port that is not an integer from 0 to 65535', async () => {
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      await expect(createTestIssuer({ port })).rejects.toThrow(TypeError);
    }
  });
});
