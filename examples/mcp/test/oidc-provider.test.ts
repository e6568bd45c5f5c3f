/**
 * The example MCP server end to end, as an MCP client meets it: the SDK's own
 * client (StreamableHTTPClientTransport + ClientCredentialsProvider) against
 * the example app and a real oidc-provider issuing RFC 9068 JWT access tokens
 * for the MCP server's resource (RFC 8707) through client_credentials. The
 * client starts with no token and only the server's URL; everything else
 * (RFC 9728 metadata, the authorization server, the token) it discovers.
 */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ClientCredentialsProvider } from '@modelcontextprotocol/sdk/client/auth-extensions.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { startProvider } from '../../../test/security/oidc.js';
import type { IdentityProvider } from '../../../test/security/oidc.js';
import { TOOLS_SCOPE, createApp } from '../src/app.js';

const AGENT = { id: 'mcp-agent', secret: 'a-long-enough-secret-for-the-mcp-agent' };
const LIMITED = { id: 'limited-agent', secret: 'a-long-enough-secret-for-the-limited-agent' };

interface Exchange {
  method: string;
  url: string;
  status: number;
  wwwAuthenticate: string | null;
}

let idp: IdentityProvider;
let mcp: Server;
let resource: string;
let metadataUrl: string;

beforeAll(async () => {
  // Listen first: the resource identifier carries the port, and the SDK
  // client requires the resource to be the URL it talks to (or a prefix).
  const current: { handler?: RequestListener } = {};
  mcp = createServer((req, res) => current.handler!(req, res));
  await new Promise<void>((resolve) => mcp.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(mcp.address() as AddressInfo).port}`;
  resource = `${origin}/mcp`;
  metadataUrl = `${origin}/.well-known/oauth-protected-resource/mcp`;

  idp = await startProvider(AGENT, {
    clients: [
      {
        client_id: LIMITED.id,
        client_secret: LIMITED.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    features: {
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The authorization server's policy: only mcp-agent may use the tools.
        getResourceServerInfo: (
          _ctx: unknown,
          indicator: string,
          client: { clientId: string },
        ) => ({
          scope: client.clientId === AGENT.id ? TOOLS_SCOPE : 'profile',
          audience: indicator,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
        useGrantedResource: () => true,
      },
    },
  });
  current.handler = createApp({
    issuer: idp.issuer,
    protectedResource: {
      resource,
      scopesSupported: [TOOLS_SCOPE],
      resourceName: 'jwks-auth MCP example',
    },
  });
});

afterAll(async () => {
  mcp.closeAllConnections();
  await new Promise((resolve) => mcp.close(resolve));
  await idp.close();
});

/** An SDK client for `client`, with every HTTP exchange it makes recorded in `log`. */
function mcpClient(client: typeof AGENT): {
  client: Client;
  transport: StreamableHTTPClientTransport;
  provider: ClientCredentialsProvider;
  log: Exchange[];
} {
  const log: Exchange[] = [];
  const provider = new ClientCredentialsProvider({
    clientId: client.id,
    clientSecret: client.secret,
    expectedIssuer: idp.issuer,
    // For client_credentials the SDK (1.32) requests this scope, not the one
    // a 403 or scopes_supported names.
    scope: TOOLS_SCOPE,
  });
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    authProvider: provider,
    fetch: async (url, init) => {
      const res = await fetch(url, init);
      log.push({
        method: init?.method ?? 'GET',
        url: String(url),
        status: res.status,
        wwwAuthenticate: res.headers.get('www-authenticate'),
      });
      return res;
    },
  });
  return {
    client: new Client({ name: 'jwks-auth-test', version: '1.0.0' }),
    transport,
    provider,
    log,
  };
}

describe('the MCP example against oidc-provider, driven by the SDK client', () => {
  it('discovers the authorization server from the 401, gets a token, and calls whoami', async () => {
    const { client, transport, provider, log } = mcpClient(AGENT);
    try {
      await client.connect(transport);
      const result = await client.callTool({ name: 'whoami', arguments: {} });

      const token = provider.tokens()?.access_token;
      expect(token).toBeDefined();
      const claims = decodeJwt(token!);
      expect(claims).toMatchObject({ aud: resource, client_id: AGENT.id, scope: TOOLS_SCOPE });
      expect(result.content).toEqual([{ type: 'text', text: claims.sub }]);

      // 1. No token: 401 pointing at the metadata by the resource's URL.
      expect(log[0]).toMatchObject({ method: 'POST', url: resource, status: 401 });
      expect(log[0]!.wwwAuthenticate).toBe(
        `Bearer realm="api", resource_metadata="${metadataUrl}"`,
      );
      // 2. The RFC 9728 document it named, then the authorization server's metadata.
      const urls = log.map((e) => `${e.method} ${e.url} ${e.status}`);
      expect(urls).toContain(`GET ${metadataUrl} 200`);
      expect(
        urls.some((u) => u.startsWith(`GET ${idp.issuer}/.well-known/`) && u.endsWith(' 200')),
      ).toBe(true);
      // 3. The token, then MCP calls that pass.
      expect(urls).toContain(`POST ${idp.issuer}/token 200`);
      expect(log.at(-1)).toMatchObject({ method: 'POST', url: resource, status: 200 });
      const order = (prefix: string) => urls.findIndex((u) => u.startsWith(prefix));
      expect(order(`GET ${metadataUrl}`)).toBeLessThan(order(`POST ${idp.issuer}/token`));
    } finally {
      await client.close();
    }
  });

  it('serves the metadata document the client read: resource, authorization server, scopes', async () => {
    const res = await fetch(metadataUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await res.json()).toMatchObject({
      resource,
      authorization_servers: [idp.issuer],
      scopes_supported: [TOOLS_SCOPE],
      bearer_methods_supported: ['header'],
      resource_name: 'jwks-auth MCP example',
    });
  });

  it('answers a token without the tools scope with 403 insufficient_scope, scope and resource_metadata', async () => {
    const { client, transport, provider, log } = mcpClient(LIMITED);
    try {
      // The client asks for mcp:tools; the authorization server grants it only
      // to mcp-agent. The SDK re-authorizes once on the 403 (its scope
      // step-up), gets the same answer, and gives up.
      await expect(client.connect(transport)).rejects.toThrow(/403/);
      const token = provider.tokens()?.access_token;
      expect(decodeJwt(token!)).toMatchObject({ aud: resource, client_id: LIMITED.id });
      expect(decodeJwt(token!).scope).toBeUndefined();

      const denied = log.filter((e) => e.url === resource && e.status === 403);
      expect(denied.length).toBeGreaterThan(0);
      for (const e of denied) {
        expect(e.wwwAuthenticate).toMatch(/^Bearer realm="api", error="insufficient_scope", /);
        expect(e.wwwAuthenticate).toContain(`scope="${TOOLS_SCOPE}"`);
        expect(e.wwwAuthenticate).toContain(`resource_metadata="${metadataUrl}"`);
      }
    } finally {
      await client.close();
    }
  });

  it('refuses a token the provider issued for another resource (audience = resource)', async () => {
    const res = await fetch(`${idp.issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${AGENT.id}:${AGENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        scope: TOOLS_SCOPE,
        resource: 'https://other.example.test/mcp',
      }),
    });
    const { access_token: token } = (await res.json()) as { access_token: string };
    expect(decodeJwt(token).aud).toBe('https://other.example.test/mcp');
    const call = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
    });
    expect(call.status).toBe(401);
    expect(call.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(call.headers.get('www-authenticate')).toContain(`resource_metadata="${metadataUrl}"`);
  });
});
