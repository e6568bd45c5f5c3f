/**
 * The other way in docs/mcp.md, run: the SDK's own `requireBearerAuth` with
 * jwks-auth's `mcpTokenVerifier`, the metadata served from the verifier's
 * resolved `protectedResource`, driven by the SDK's client.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mcpTokenVerifier } from '@jwks-auth/mcp';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { requireBearerAuth } from '@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import express from 'express';
import { TOOLS_SCOPE, serveMcp } from '../src/app.js';
import { whoami } from './whoami.js';

type SdkRequest = IncomingMessage & { auth?: AuthInfo };

let issuer: TestIssuer;
let server: Server;
let verifier: ReturnType<typeof mcpTokenVerifier>;
let resource: string;
let metadataUrl: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  const current: { handler?: RequestListener } = {};
  server = createServer((req, res) => current.handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;

  verifier = mcpTokenVerifier({ issuer: issuer.issuer, protectedResource: { resource } });
  const { metadataPath, metadataUrl: url, document } = verifier.verifier.options.protectedResource!;
  metadataUrl = url;
  const app = express();
  app.get(metadataPath, (_req, res) => res.set('Access-Control-Allow-Origin', '*').json(document));
  app.post(
    '/mcp',
    requireBearerAuth({
      verifier,
      requiredScopes: [TOOLS_SCOPE],
      resourceMetadataUrl: metadataUrl,
    }),
    express.json(),
    (req, res, next) => {
      // req.auth is the SDK's AuthInfo here; @jwks-auth/express, loaded in
      // this program too, types it as its own verify result.
      serveMcp(req as unknown as SdkRequest, res, req.body).catch(next);
    },
  );
  current.handler = app;
});

afterAll(async () => {
  verifier.verifier.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await issuer.close();
});

describe("the SDK's requireBearerAuth with mcpTokenVerifier", () => {
  it('serves the metadata from the verifier options; 401 names it', async () => {
    const doc = await fetch(metadataUrl);
    expect(await doc.json()).toMatchObject({ resource, authorization_servers: [issuer.issuer] });
    const res = await fetch(resource, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain(`resource_metadata="${metadataUrl}"`);
  });

  it("answers whoami with the caller's sub (AuthInfo from the verifier reaches the tool)", async () => {
    const token = await issuer.sign({ aud: resource, sub: 'carol', scope: TOOLS_SCOPE });
    expect(await whoami(resource, token)).toEqual([{ type: 'text', text: 'carol' }]);
  });

  it('refuses a token for another resource 401, one without the scope 403 with scope', async () => {
    const elsewhere = await issuer.sign({
      aud: 'https://other.example.test/mcp',
      scope: TOOLS_SCOPE,
    });
    const denied = await fetch(resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${elsewhere}` },
    });
    expect(denied.status).toBe(401);
    const noScope = await issuer.sign({ aud: resource, scope: 'profile' });
    const forbidden = await fetch(resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${noScope}` },
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain(`scope="${TOOLS_SCOPE}"`);
    expect(forbidden.headers.get('www-authenticate')).toContain(
      `resource_metadata="${metadataUrl}"`,
    );
  });
});
