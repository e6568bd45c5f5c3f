import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint } from 'jose';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer, TestKey } from '@jwks-auth/testing';
import { BUILD_TIMEOUT, buildCli, closedPort, runCli } from './run-cli.js';

const AUDIENCE = 'https://api.example.test';
const NOW = Math.floor(Date.now() / 1000);

let issuer: TestIssuer;
let key: TestKey;
let thumbprint: string;

beforeAll(async () => {
  await buildCli();
  issuer = await createTestIssuer({ cacheControl: 'max-age=300' });
  key = issuer.keys[0]!;
  thumbprint = await calculateJwkThumbprint(key.publicJwk, 'sha256');
}, BUILD_TIMEOUT);

afterAll(async () => {
  await issuer?.close();
});

/** The fixed claims of the tokens below, so the output can be written out in full. */
function claims(overrides: Record<string, unknown> = {}) {
  return {
    iss: issuer.issuer,
    sub: 'alice',
    aud: AUDIENCE,
    client_id: 'test-client',
    scope: 'read:messages',
    iat: NOW - 60,
    exp: NOW + 600,
    jti: 'token-1',
    ...overrides,
  };
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
const block = (value: unknown) =>
  JSON.stringify(value, null, 2)
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** The text `explain` prints, section by section. */
function report(parts: {
  header: Record<string, unknown>;
  claims: ReturnType<typeof claims>;
  keySet: string[];
  key: string;
  verdict: string[];
}): string {
  return [
    'Header',
    block(parts.header),
    'Claims',
    block(parts.claims),
    `  iat ${iso(parts.claims.iat)}`,
    `  exp ${iso(parts.claims.exp)}`,
    'Key set',
    ...parts.keySet,
    'Key',
    parts.key,
    'Verdict',
    ...parts.verdict,
    '',
  ].join('\n');
}

function fetchedKeySet(): string[] {
  return [
    `  issuer ${issuer.issuer}`,
    `  GET ${issuer.discoveryUrl}  200`,
    `  GET ${issuer.jwksUri}  200, 1 usable key, 0 refused, Cache-Control: max-age=300`,
  ];
}

const chosen = () => `  chosen: kid "${key.kid}", kty RSA, alg RS256, thumbprint ${thumbprint}`;

function refusal(code: string, description: string): string[] {
  return [
    `  refused: ${code} (${description})`,
    '  HTTP/1.1 401 Unauthorized',
    `  WWW-Authenticate: Bearer realm="api", error="invalid_token", error_description="${description}"`,
    '  Content-Type: application/json',
    '',
    `  {"error":"invalid_token","error_description":"${description}"}`,
  ];
}

const header = () => ({ alg: 'RS256', kid: key.kid, typ: 'at+jwt' });

describe('jwks-auth explain', () => {
  it('accepts a good token: header, claims, the key that verified it, exit 0', async () => {
    const c = claims();
    const token = await issuer.sign(c);
    const run = await runCli(['explain', token, '--issuer', issuer.issuer, '--audience', AUDIENCE]);
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: fetchedKeySet(),
        key: chosen(),
        verdict: ['  accepted', "  the request reaches the route's handler (Bearer)"],
      }),
    );
    expect(run.code).toBe(0);
  });

  it('reads the token from stdin with "-" (a pasted "Bearer ..." header value too)', async () => {
    const c = claims();
    const token = await issuer.sign(c);
    const run = await runCli(
      ['explain', '-', '--issuer', issuer.issuer, '--audience', AUDIENCE],
      `Bearer ${token}\n`,
    );
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: fetchedKeySet(),
        key: chosen(),
        verdict: ['  accepted', "  the request reaches the route's handler (Bearer)"],
      }),
    );
    expect(run.code).toBe(0);
  });

  it('refuses an expired token with ERR_TOKEN_EXPIRED and the 401 the API sends, exit 1', async () => {
    const c = claims({ iat: NOW - 7200, exp: NOW - 3600 });
    const token = await issuer.sign(c);
    const run = await runCli(['explain', token, '--issuer', issuer.issuer, '--audience', AUDIENCE]);
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: fetchedKeySet(),
        key: chosen(),
        verdict: refusal('ERR_TOKEN_EXPIRED', 'the token has expired'),
      }),
    );
    expect(run.code).toBe(1);
  });

  it('refuses a token for another audience with ERR_AUDIENCE_INVALID, exit 1', async () => {
    const c = claims({ aud: 'https://other.example.test' });
    const token = await issuer.sign(c);
    const run = await runCli(['explain', token, '--issuer', issuer.issuer, '--audience', AUDIENCE]);
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: fetchedKeySet(),
        key: chosen(),
        verdict: refusal('ERR_AUDIENCE_INVALID', 'the token audience is not accepted'),
      }),
    );
    expect(run.code).toBe(1);
  });

  it('says no key has the kid of a token signed with an unpublished key, exit 1', async () => {
    const hidden = await issuer.addKey('RS256', { kid: 'not-published', inJwks: false });
    const c = claims();
    const token = await issuer.sign(c, { kid: hidden.kid });
    const run = await runCli(['explain', token, '--issuer', issuer.issuer, '--audience', AUDIENCE]);
    expect(run.stdout).toBe(
      report({
        header: { alg: 'RS256', kid: 'not-published', typ: 'at+jwt' },
        claims: c,
        keySet: fetchedKeySet(),
        key: '  none fitted: no key has kid "not-published"',
        verdict: refusal('ERR_KEY_NOT_FOUND', 'no key in the key set matches the token'),
      }),
    );
    expect(run.code).toBe(1);
  });

  it('says the signature does not verify with the key that fits, exit 1', async () => {
    const forger = await issuer.addKey('RS256', { kid: 'forger', inJwks: false });
    const c = claims();
    // Signed by another key, naming the published key's kid.
    const token = await issuer.sign(c, { kid: forger.kid, header: { kid: key.kid } });
    const run = await runCli(['explain', token, '--issuer', issuer.issuer, '--audience', AUDIENCE]);
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: fetchedKeySet(),
        key: '  none fitted: the signature does not verify with the key that fits',
        verdict: refusal('ERR_SIGNATURE_INVALID', 'the token signature is invalid'),
      }),
    );
    expect(run.code).toBe(1);
  });

  it('exits 2, not 1, when the issuer cannot be reached: the token was not judged', async () => {
    const port = await closedPort();
    const down = `http://127.0.0.1:${port}`;
    const c = claims({ iss: down });
    const token = await issuer.sign(c);
    const run = await runCli(['explain', token, '--issuer', down, '--audience', AUDIENCE]);
    expect(run.stdout).toBe(
      report({
        header: header(),
        claims: c,
        keySet: [
          `  issuer ${down}`,
          `  GET ${down}/.well-known/openid-configuration  connect ECONNREFUSED 127.0.0.1:${port}`,
          `  GET ${down}/.well-known/oauth-authorization-server  connect ECONNREFUSED 127.0.0.1:${port}`,
        ],
        key: '  not looked up: the key set could not be fetched',
        verdict: [
          '  not judged: ERR_DISCOVERY_FAILED (the identity provider metadata is unavailable)',
          '  HTTP/1.1 503 Service Unavailable',
          '  Retry-After: 1',
          '  Content-Type: application/json',
          '',
          '  {"error":"temporarily_unavailable","error_description":"authentication is temporarily unavailable"}',
        ],
      }),
    );
    expect(run.code).toBe(2);
  });

  it('prints one JSON document with --json: accepted', async () => {
    const c = claims();
    const token = await issuer.sign(c);
    const run = await runCli([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--audience',
      AUDIENCE,
      '--json',
    ]);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toEqual({
      verdict: 'accepted',
      exitCode: 0,
      code: null,
      message: null,
      header: header(),
      claims: c,
      keySet: {
        issuer: issuer.issuer,
        jwksUri: issuer.jwksUri,
        keys: 1,
        refused: 0,
        error: null,
        exchanges: [
          {
            url: issuer.discoveryUrl,
            status: 200,
            error: null,
            headers: expect.objectContaining({ 'content-type': expect.stringMatching(/json/) }),
            bytes: expect.any(Number),
          },
          {
            url: issuer.jwksUri,
            status: 200,
            error: null,
            headers: expect.objectContaining({ 'cache-control': 'max-age=300' }),
            bytes: expect.any(Number),
          },
        ],
      },
      key: {
        chosen: {
          index: 0,
          kid: key.kid,
          kty: 'RSA',
          alg: 'RS256',
          thumbprint,
          usable: true,
          algorithms: ['RS256'],
          refused: null,
          duplicateOf: null,
        },
        reason: null,
        candidates: [expect.objectContaining({ kid: key.kid })],
      },
      response: null,
    });
  });

  it('prints one JSON document with --json: refused, with the response and the options applied', async () => {
    const token = await issuer.sign(claims(), { typ: 'JWT' });
    const run = await runCli([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--audience',
      AUDIENCE,
      '--typ',
      'at+jwt',
      '--realm',
      'orders',
      '--json',
    ]);
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      verdict: 'refused',
      exitCode: 1,
      code: 'ERR_TYP_INVALID',
      response: {
        status: 401,
        headers: {
          'WWW-Authenticate': expect.stringMatching(
            /^Bearer realm="orders", error="invalid_token"/,
          ),
        },
        body: { error: 'invalid_token', error_description: json.message },
      },
    });
  });

  it('refuses an algorithm left out of --algorithms before choosing a key', async () => {
    const token = await issuer.sign(claims());
    const run = await runCli([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--audience',
      AUDIENCE,
      '--algorithms',
      'ES256,EdDSA',
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ code: 'ERR_ALG_NOT_ALLOWED' });
  });

  it('is a usage error (exit 2, usage on stderr) without --audience, with a bad option value or an unknown flag', async () => {
    const token = await issuer.sign(claims());
    const noAudience = await runCli(['explain', token, '--issuer', issuer.issuer]);
    expect(noAudience.code).toBe(2);
    expect(noAudience.stdout).toBe('');
    expect(noAudience.stderr).toMatch(/^jwks-auth: explain needs --audience <aud>/);
    expect(noAudience.stderr).toContain('Usage: jwks-auth explain');

    const badAlg = await runCli([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--audience',
      AUDIENCE,
      '--algorithms',
      'HS256',
    ]);
    expect(badAlg.code).toBe(2);
    expect(badAlg.stderr).toMatch(
      /^jwks-auth: --algorithms must only contain asymmetric algorithms/,
    );

    const insecure = await runCli([
      'explain',
      token,
      '--issuer',
      'http://id.example.test',
      '--audience',
      AUDIENCE,
    ]);
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toMatch(/^jwks-auth: --issuer must be https:/);

    const unknown = await runCli([
      'explain',
      token,
      '--issuer',
      issuer.issuer,
      '--audince',
      AUDIENCE,
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^jwks-auth: Unknown option '--audince'/);

    const empty = await runCli(
      ['explain', '-', '--issuer', issuer.issuer, '--audience', AUDIENCE],
      '',
    );
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/^jwks-auth: the token is empty/);
  });
});

describe('jwks-auth', () => {
  it('prints its usage with --help (exit 0) and its version with --version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: jwks-auth <command> \[options\]/);
    const version = await runCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe('0.1.0\n');
    const commandHelp = await runCli(['check-jwks', '--help']);
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toMatch(/^Usage: jwks-auth check-jwks/);
  });

  it('answers an unknown or missing command with the usage on stderr and exit 2', async () => {
    const unknown = await runCli(['explian']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toMatch(/^jwks-auth: unknown command "explian"\n\nUsage: jwks-auth/);
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^jwks-auth: no command given\n\nUsage: jwks-auth/);
    const proto = await runCli(['toString']);
    expect(proto.code).toBe(2);
  });
});
