import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import type { Express } from 'express';
import request from 'supertest';
import { createVerifier } from '@jwks-auth/core';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import {
  InsufficientScopeError,
  InvalidTokenError,
  ServerError,
} from '@modelcontextprotocol/sdk/server/auth/errors.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { claimsOf, clientIdOf, mcpTokenVerifier, toAuthInfo } from '@jwks-auth/mcp';

const RESOURCE = 'https://mcp.example.test/mcp';
const METADATA = 'https://mcp.example.test/.well-known/oauth-protected-resource/mcp';

let issuer: TestIssuer;
const closers: (() => void)[] = [];

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(async () => {
  for (const close of closers) close();
  await issuer.close();
});

/** The token's claims under an `alg: none` header, unsigned. */
function unsigned(token: string): string {
  const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
  return `${header}.${token.split('.')[1]}.`;
}

function verifierFor(audience: string | string[] = RESOURCE): ReturnType<typeof mcpTokenVerifier> {
  const v = mcpTokenVerifier({ issuer: issuer.issuer, audience });
  closers.push(() => v.verifier.close());
  return v;
}

describe('mcpTokenVerifier().verifyAccessToken', () => {
  it('answers AuthInfo: token, clientId, scopes, expiresAt, resource, claims in extra', async () => {
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await issuer.sign({
      aud: RESOURCE,
      sub: 'alice',
      client_id: 'agent-1',
      azp: 'other',
      scope: 'mcp:tools read',
      exp,
    });
    const info = await verifierFor().verifyAccessToken(token);
    expect(info).toMatchObject({ token, clientId: 'agent-1', expiresAt: exp });
    expect(info.scopes.sort()).toEqual(['mcp:tools', 'read']);
    expect(info.resource?.href).toBe(RESOURCE);
    expect(claimsOf(info)?.sub).toBe('alice');
    expect(info.extra.scheme).toBe('Bearer');
  });

  it('takes azp when there is no client_id, and scp arrays as scopes', async () => {
    const token = await issuer.sign({
      aud: RESOURCE,
      client_id: undefined,
      azp: 'spa',
      scope: undefined,
      scp: ['a', 'b'],
    });
    const info = await verifierFor().verifyAccessToken(token);
    expect(info.clientId).toBe('spa');
    expect(info.scopes.sort()).toEqual(['a', 'b']);
  });

  it('refuses a token that names no client with the SDK InvalidTokenError, never using sub', async () => {
    const token = await issuer.sign({ aud: RESOURCE, sub: 'alice', client_id: undefined });
    const failure = verifierFor().verifyAccessToken(token);
    await expect(failure).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(failure).rejects.toThrow('the token names no client (client_id or azp)');
    expect(clientIdOf({ sub: 'alice' })).toBeUndefined();
  });

  it('takes the resource from the audience the verifier expects, not any URL in aud', async () => {
    const token = await issuer.sign({ aud: ['https://other.example.test/', RESOURCE] });
    const info = await verifierFor([RESOURCE]).verifyAccessToken(token);
    expect(info.resource?.href).toBe(RESOURCE);
    const notUrl = await issuer.sign({ aud: 'api://orders' });
    expect((await verifierFor('api://orders').verifyAccessToken(notUrl)).resource).toBeDefined();
    const urn = await issuer.sign({ aud: 'orders' });
    expect((await verifierFor('orders').verifyAccessToken(urn)).resource).toBeUndefined();
  });

  it('maps every rejected token to the SDK InvalidTokenError (a 401 there), never a 500', async () => {
    const v = verifierFor();
    const cases = [
      'not-a-jwt',
      await issuer.sign({ aud: 'https://elsewhere.example.test' }),
      await issuer.sign({ aud: RESOURCE, exp: Math.floor(Date.now() / 1000) - 600 }),
      unsigned(await issuer.sign({ aud: RESOURCE })),
      '',
    ];
    for (const token of cases) {
      await expect(v.verifyAccessToken(token)).rejects.toBeInstanceOf(InvalidTokenError);
    }
  });

  it('refuses a DPoP-bound token (Bearer only: the SDK passes no proof)', async () => {
    const key = await createDpopKey('ES256');
    const token = await issuer.sign({ aud: RESOURCE }, { boundTo: key });
    await expect(verifierFor().verifyAccessToken(token)).rejects.toBeInstanceOf(InvalidTokenError);
  });

  it('maps an unavailable key set to the SDK ServerError (the token was not judged)', async () => {
    const down = await createTestIssuer();
    const v = mcpTokenVerifier({ issuer: down.issuer, audience: RESOURCE });
    const token = await down.sign({ aud: RESOURCE });
    await down.fail({ type: 'status', status: 500 });
    try {
      const failure = v.verifyAccessToken(token);
      await expect(failure).rejects.toBeInstanceOf(ServerError);
      await expect(failure).rejects.not.toBeInstanceOf(InvalidTokenError);
    } finally {
      v.verifier.close();
      await down.close();
    }
  });

  it('reuses a verifier it is given (its key set and cache) instead of making one', async () => {
    const shared = createVerifier({ issuer: issuer.issuer, audience: RESOURCE });
    closers.push(() => shared.close());
    const v = mcpTokenVerifier(shared);
    expect(v.verifier).toBe(shared);
    const info = await v.verifyAccessToken(await issuer.sign({ aud: RESOURCE }));
    expect(info.clientId).toBe('test-client');
    shared.close();
    await expect(v.verifyAccessToken(await issuer.sign({ aud: RESOURCE }))).rejects.toBeInstanceOf(
      ServerError,
    );
  });

  it('validates its options at creation', () => {
    expect(() => mcpTokenVerifier({ issuer: issuer.issuer } as never)).toThrow(TypeError);
    expect(() => mcpTokenVerifier(null as never)).toThrow(TypeError);
    expect(() =>
      mcpTokenVerifier({ issuer: issuer.issuer, audience: RESOURCE, nope: 1 } as never),
    ).toThrow(TypeError);
  });
});

describe('toAuthInfo', () => {
  it('throws a 401 JwksAuthError with the verifier challenge for a token without a client', async () => {
    const v = createVerifier({ issuer: issuer.issuer, audience: RESOURCE, realm: 'mcp' });
    closers.push(() => v.close());
    const result = await v.verify(await issuer.sign({ aud: RESOURCE, client_id: undefined }));
    expect(() => toAuthInfo(result, v)).toThrow(
      expect.objectContaining({
        status: 401,
        headers: expect.objectContaining({
          'WWW-Authenticate': expect.stringContaining('realm="mcp", error="invalid_token"'),
        }),
      }),
    );
  });
});

describe("the SDK's requireBearerAuth with mcpTokenVerifier", () => {
  let app: Express;
  const seen: AuthInfo[] = [];

  beforeAll(() => {
    app = express();
    app.post(
      '/mcp',
      requireBearerAuth({
        verifier: verifierFor(),
        requiredScopes: ['mcp:tools'],
        resourceMetadataUrl: METADATA,
        expectedResource: new URL(RESOURCE),
      }),
      (req, res) => {
        // requireBearerAuth sets the SDK's AuthInfo; @jwks-auth/express's
        // augmentation, loaded in this program too, types req.auth otherwise.
        const authInfo = (req as unknown as { auth: AuthInfo }).auth;
        seen.push(authInfo);
        res.json({ sub: claimsOf(authInfo)?.sub });
      },
    );
  });

  it('passes a valid token with the scope, with AuthInfo on req.auth', async () => {
    const token = await issuer.sign({ aud: RESOURCE, sub: 'alice', scope: 'mcp:tools' });
    const res = await request(app).post('/mcp').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ sub: 'alice' });
    expect(seen.at(-1)?.clientId).toBe('test-client');
  });

  it('answers 401 invalid_token with resource_metadata for a bad token', async () => {
    const token = await issuer.sign({ aud: 'https://elsewhere.example.test', scope: 'mcp:tools' });
    const res = await request(app).post('/mcp').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token", /);
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`);
  });

  it('answers 403 insufficient_scope with scope and resource_metadata', async () => {
    const token = await issuer.sign({ aud: RESOURCE, scope: 'read' });
    const res = await request(app).post('/mcp').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(403);
    expect(res.headers['www-authenticate']).toContain('error="insufficient_scope"');
    expect(res.headers['www-authenticate']).toContain('scope="mcp:tools"');
    expect(res.headers['www-authenticate']).toContain(`resource_metadata="${METADATA}"`);
  });

  it('never answers 500 to a token it rejects (an alg none token, a token without a client)', async () => {
    const none = unsigned(await issuer.sign({ aud: RESOURCE, scope: 'mcp:tools' }));
    const noClient = await issuer.sign({ aud: RESOURCE, scope: 'mcp:tools', client_id: undefined });
    for (const token of [none, noClient, 'x.y.z']) {
      const res = await request(app).post('/mcp').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(401);
      // The description stays inside its quotes.
      expect(res.headers['www-authenticate']).toMatch(/error_description="[^"\\]*"/);
    }
  });

  it('is what requireBearerAuth needs to tell 401 from 403: SDK error classes, not jwks-auth ones', async () => {
    const v = verifierFor();
    await expect(v.verifyAccessToken('x')).rejects.toBeInstanceOf(InvalidTokenError);
    await expect(v.verifyAccessToken('x')).rejects.not.toBeInstanceOf(InsufficientScopeError);
  });
});
