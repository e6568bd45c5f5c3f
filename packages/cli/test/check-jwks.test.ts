import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import type { JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import type { JWK } from 'jose';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { BUILD_TIMEOUT, buildCli, closedPort, runCli } from './run-cli.js';

/** A real HTTP server answering every GET with `body` and `headers`. */
async function serve(body: unknown, headers: Record<string, string>) {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/jwks`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const publicJwk = (type: 'rsa' | 'ec', size: number | string): JsonWebKey => {
  const { publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: size as number })
      : generateKeyPairSync('ec', { namedCurve: size as string });
  return publicKey.export({ format: 'jwk' });
};

/** A self-signed certificate (DER, base64) for another key than the JWK it is put in. */
function otherCertificate(): string {
  const dir = mkdtempSync(join(tmpdir(), 'jwks-auth-cli-'));
  try {
    const der = join(dir, 'cert.der');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-subj',
        '/CN=jwks-auth-test',
        '-days',
        '1',
        '-outform',
        'DER',
        '-out',
        der,
      ],
      { stdio: 'ignore' },
    );
    return readFileSync(der).toString('base64');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let issuer: TestIssuer;

beforeAll(async () => {
  await buildCli();
  issuer = await createTestIssuer({ cacheControl: 'public, max-age=600' });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await issuer?.close();
});

describe('jwks-auth check-jwks', () => {
  it('finds nothing wrong with a clean key set, through discovery: exit 0', async () => {
    const key = issuer.keys[0]!;
    const thumbprint = await calculateJwkThumbprint(key.publicJwk, 'sha256');
    const run = await runCli(['check-jwks', issuer.issuer]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      [
        `issuer ${issuer.issuer}`,
        `  GET ${issuer.discoveryUrl}  200`,
        `  GET ${issuer.jwksUri}  200, Cache-Control: public, max-age=600`,
        'keys 1 listed, 1 usable',
        `  #0 usable   kid "${key.kid}", kty RSA, alg RS256, thumbprint ${thumbprint}`,
        'findings none',
        'result 0 errors, 0 warnings: the verifier uses this key set as it is',
        '',
      ].join('\n'),
    );
    expect(run.code).toBe(0);
  });

  it('takes the key set URL itself, and the metadata URL, as well as the issuer', async () => {
    const direct = await runCli(['check-jwks', issuer.jwksUri, '--json']);
    expect(direct.code).toBe(0);
    expect(JSON.parse(direct.stdout)).toMatchObject({
      kind: 'jwks',
      issuer: null,
      jwksUri: issuer.jwksUri,
      errors: 0,
      warnings: 0,
      exchanges: [{ url: issuer.jwksUri, status: 200 }],
    });
    const metadata = await runCli(['check-jwks', issuer.discoveryUrl, '--json']);
    expect(metadata.code).toBe(0);
    expect(JSON.parse(metadata.stdout)).toMatchObject({
      kind: 'metadata',
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
    });
  });

  describe('a key set with problems, from a real server', () => {
    let server: Awaited<ReturnType<typeof serve>>;
    let keys: Array<Record<string, unknown>>;

    beforeAll(async () => {
      const good = { ...publicJwk('rsa', 2048), kid: 'good', alg: 'RS256', use: 'sig' };
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      keys = [
        good,
        { ...publicJwk('rsa', 1024), kid: 'weak', alg: 'RS256' },
        { ...privateKey.export({ format: 'jwk' }), kid: 'leak' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'secret', alg: 'HS256' },
        { ...publicJwk('ec', 'P-256'), kid: 'enc', use: 'enc' },
        { ...publicJwk('ec', 'P-256'), kid: 'verify-less', key_ops: ['encrypt'] },
        { ...publicJwk('ec', 'secp256k1'), kid: 'k1' },
        { ...publicJwk('ec', 'P-384'), kid: 'good', alg: 'ES384' },
        { ...publicJwk('ec', 'P-256'), alg: 'ES256', use: 'sig', key_ops: ['verify'] },
        { ...publicJwk('rsa', 2048), kid: 'x5c', alg: 'RS256', x5c: [otherCertificate()] },
        good,
      ];
      server = await serve({ keys }, { 'cache-control': 'no-store' });
    });

    afterAll(async () => {
      await server?.close();
    });

    it('reports each problem with its code and exits 1 (--json)', async () => {
      const run = await runCli(['check-jwks', server.url, '--json']);
      expect(run.code).toBe(1);
      const json = JSON.parse(run.stdout) as {
        findings: Array<{ severity: string; code: string; key: number | null; message: string }>;
        keys: Array<{ index: number; usable: boolean; refused: string | null }>;
      };
      expect(json.findings.map((f) => [f.severity, f.code, f.key])).toEqual([
        ['error', 'weak_key', 1],
        ['error', 'private_member', 2],
        ['error', 'symmetric_key', 3],
        ['error', 'use_mismatch', 4],
        ['error', 'use_mismatch', 5],
        ['error', 'unsupported_key', 6],
        ['warning', 'use_and_key_ops', 8],
        ['warning', 'missing_kid', 8],
        ['warning', 'x5c_mismatch', 9],
        ['warning', 'duplicate_key', 10],
        ['warning', 'duplicate_kid', null],
        ['warning', 'cache_control_no_store', null],
      ]);
      expect(json.findings[0]!.message).toBe(
        '#1 (kid "weak"): refused by the verifier: RSA modulus of 1024 bits is below 2048',
      );
      expect(json.findings[1]!.message).toBe(
        '#2 (kid "leak"): publishes private member d: the private key is exposed; remove it and rotate the key',
      );
      expect(json.findings[10]!.message).toBe(
        'kid "good" is listed by keys #0, #7: a token naming it is tried against each',
      );
      expect(json.keys.map((k) => k.usable)).toEqual([
        true,
        false,
        false,
        false,
        false,
        false,
        false,
        true,
        true,
        true,
        false,
      ]);
    });

    it('prints the keys and findings as text', async () => {
      const run = await runCli(['check-jwks', server.url]);
      expect(run.code).toBe(1);
      const lines = run.stdout.split('\n');
      expect(lines[0]).toBe(`key set ${server.url}`);
      expect(lines[1]).toBe(`  GET ${server.url}  200, Cache-Control: no-store`);
      expect(lines[2]).toBe('keys 11 listed, 4 usable');
      expect(lines).toContain(
        '  #1 refused  kid "weak", kty RSA, alg RS256, thumbprint ' +
          `${await calculateJwkThumbprint(keys[1] as JWK, 'sha256')}`,
      );
      expect(lines).toContain(
        '  error    weak_key  #1 (kid "weak"): refused by the verifier: RSA modulus of 1024 bits is below 2048',
      );
      expect(lines.at(-2)).toBe(
        'result 6 errors, 6 warnings: the verifier refuses part of this key set',
      );
    });

    it('exits 0 for warnings alone', async () => {
      const warned = await serve({ keys: [keys[8]] }, {});
      try {
        const run = await runCli(['check-jwks', warned.url, '--json']);
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({
          errors: 0,
          warnings: 3,
          findings: [
            { code: 'use_and_key_ops' },
            { code: 'missing_kid' },
            { code: 'cache_control_missing' },
          ],
        });
      } finally {
        await warned.close();
      }
    });

    it('exits 1 when no key is usable', async () => {
      const none = await serve({ keys: [keys[1]] }, { 'cache-control': 'max-age=300' });
      try {
        const run = await runCli(['check-jwks', none.url, '--json']);
        expect(run.code).toBe(1);
        expect(JSON.parse(run.stdout).findings.map((f: { code: string }) => f.code)).toEqual([
          'weak_key',
          'no_usable_key',
        ]);
      } finally {
        await none.close();
      }
    });
  });

  it('exits 1 when the verifier refuses the metadata (issuer mismatch)', async () => {
    const spoofed = await createTestIssuer({ issuerInDiscovery: 'https://evil.example.test' });
    try {
      const run = await runCli(['check-jwks', spoofed.issuer, '--json']);
      expect(run.code).toBe(1);
      const json = JSON.parse(run.stdout);
      expect(json.findings).toEqual([
        {
          severity: 'error',
          code: 'document_refused',
          key: null,
          message: `${spoofed.discoveryUrl} names issuer "https://evil.example.test", expected ${JSON.stringify(spoofed.issuer)}`,
        },
      ]);
    } finally {
      await spoofed.close();
    }
  });

  it('exits 2 when nothing answers, and on a usage error', async () => {
    const port = await closedPort();
    const run = await runCli(['check-jwks', `http://127.0.0.1:${port}`]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `jwks-auth: GET http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}\n`,
    );
    const insecure = await runCli(['check-jwks', 'http://id.example.test/']);
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/--allow-insecure-http/);
    const none = await runCli(['check-jwks']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^jwks-auth: check-jwks takes one URL/);
  });

  it('exits 2 when the key set answers with an error status', async () => {
    const broken = await createTestIssuer();
    try {
      await broken.fail({ type: 'status', status: 500 }, { only: 'jwks' });
      const run = await runCli(['check-jwks', broken.issuer]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe(
        [
          `issuer ${broken.issuer}`,
          `  GET ${broken.discoveryUrl}  200`,
          `  GET ${broken.jwksUri}  500`,
          '',
        ].join('\n'),
      );
      expect(run.stderr).toBe(
        `jwks-auth: the key set could not be fetched: GET ${broken.jwksUri}: status 500\n`,
      );
    } finally {
      await broken.close();
    }
  });
});
