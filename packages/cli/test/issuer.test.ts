import { beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { decodeJwt } from 'jose';
import { BUILD_TIMEOUT, buildCli, closedPort, firstLine, runCli, startCli } from './run-cli.js';

beforeAll(async () => {
  await buildCli();
}, BUILD_TIMEOUT);

/** Stops a running `jwks-auth issuer` with `signal` and resolves its exit code. */
async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = once(child, 'exit');
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return code;
}

describe('jwks-auth issuer', () => {
  it('prints its URLs and a token that explain accepts, and stops on SIGTERM with exit 0', async () => {
    const child = startCli([
      'issuer',
      '--json',
      '--audience',
      'https://orders.example.test',
      '--scope',
      'orders:read orders:write',
      '--sub',
      'bob',
    ]);
    try {
      const printed = JSON.parse(await firstLine(child)) as Record<string, string>;
      const origin = /^http:\/\/127\.0\.0\.1:\d+$/;
      expect(printed.issuer).toMatch(origin);
      expect(printed).toMatchObject({
        discovery: `${printed.issuer}/.well-known/openid-configuration`,
        jwksUri: `${printed.issuer}/jwks`,
        tokenEndpoint: `${printed.issuer}/token`,
        audience: 'https://orders.example.test',
        expiresIn: 3600,
      });
      expect(decodeJwt(printed.token!)).toMatchObject({
        iss: printed.issuer,
        aud: 'https://orders.example.test',
        sub: 'bob',
        scope: 'orders:read orders:write',
      });
      // The issuer serves what it printed: the token checks out against it.
      const run = await runCli([
        'explain',
        printed.token!,
        '--issuer',
        printed.issuer!,
        '--audience',
        'https://orders.example.test',
        '--strict',
        '--json',
      ]);
      expect(JSON.parse(run.stdout)).toMatchObject({ verdict: 'accepted', exitCode: 0 });
      expect(run.code).toBe(0);
      // Its token endpoint answers too.
      const response = await fetch(printed.tokenEndpoint!, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      expect(response.status).toBe(200);
    } finally {
      expect(await stop(child, 'SIGTERM')).toBe(0);
    }
  });

  it('listens on --port, prints text, and stops on SIGINT with exit 0', async () => {
    const port = await closedPort();
    const child = startCli(['issuer', '--port', String(port)]);
    try {
      expect(await firstLine(child)).toBe(
        'jwks-auth test issuer: for trying an API by hand, never a real issuer (it signs anything)',
      );
      const metadata = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
      expect(await metadata.json()).toMatchObject({ issuer: `http://127.0.0.1:${port}` });
    } finally {
      expect(await stop(child, 'SIGINT')).toBe(0);
    }
  });

  it('refuses a bad option value with exit 2', async () => {
    const badPort = await runCli(['issuer', '--port', '70000']);
    expect(badPort.code).toBe(2);
    expect(badPort.stderr).toMatch(/^jwks-auth: --port must be from 0 to 65535/);
    const badAlg = await runCli(['issuer', '--alg', 'HS256']);
    expect(badAlg.code).toBe(2);
    expect(badAlg.stderr).toMatch(/^jwks-auth: --alg "HS256" is not supported/);
  });
});
