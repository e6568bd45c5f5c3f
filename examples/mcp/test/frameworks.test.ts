/**
 * The wiring docs/mcp.md shows for Koa and Fastify, run: the example's MCP
 * server (one tool, whoami) behind each adapter with `protectedResource`,
 * driven by the SDK's client with a token from the local test issuer.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { jwksAuth as fastifyAuth } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import { toAuthInfo } from '@jwks-auth/mcp';
import { createTestIssuer } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import Fastify from 'fastify';
import Koa from 'koa';
import { TOOLS_SCOPE, serveMcp } from '../src/app.js';
import { whoami } from './whoami.js';

/** The options each server is built with, once its origin is known. */
interface McpOptions {
  issuer: string;
  protectedResource: { resource: string; scopesSupported: string[] };
}

interface Running {
  origin: string;
  close(): Promise<void>;
}

/** Koa: the adapter serves the metadata and authenticates; the route hands Node's req/res to the SDK. */
async function koaMcp(options: (origin: string) => McpOptions): Promise<Running> {
  const current: { handler?: ReturnType<Koa['callback']> } = {};
  const server: Server = createServer((req, res) => current.handler!(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const app = new Koa();
  app.silent = true;
  const auth = koaAuth(options(origin));
  const canUseTools = auth.requiredScopes(TOOLS_SCOPE);
  app.use(auth);
  app.use(async (ctx, next) => {
    if (ctx.path !== '/mcp') return next();
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST');
      ctx.status = 405;
      return;
    }
    await canUseTools(ctx, async () => {
      ctx.respond = false; // the SDK writes the response
      const authInfo = toAuthInfo(ctx.state.auth!, auth.verifier);
      await serveMcp(Object.assign(ctx.req, { auth: authInfo }), ctx.res);
    });
  });
  current.handler = app.callback();
  return {
    origin,
    async close() {
      auth.verifier.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Fastify: the plugin registers the metadata route; the route hijacks the reply for the SDK. */
async function fastifyMcp(options: (origin: string) => McpOptions): Promise<Running> {
  // Fastify's server, listening before the plugin is registered: the
  // resource identifier carries the port.
  let server: Server | undefined;
  const app = Fastify({
    logger: false,
    serverFactory: (handler) => (server = createServer(handler)),
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  await app.register(fastifyAuth, options(origin));
  app.post(
    '/mcp',
    { preHandler: app.jwksAuth.requiredScopes(TOOLS_SCOPE) },
    async (request, reply) => {
      reply.hijack(); // the SDK writes the response
      const authInfo = toAuthInfo(request.auth!, app.jwksAuth.verifier);
      await serveMcp(Object.assign(request.raw, { auth: authInfo }), reply.raw, request.body);
    },
  );
  await app.ready();
  return {
    origin,
    async close() {
      await app.close();
      server!.closeAllConnections();
      await new Promise((resolve) => server!.close(resolve));
    },
  };
}

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});

afterAll(() => issuer.close());

describe.each([
  ['koa', koaMcp],
  ['fastify', fastifyMcp],
] as const)('an MCP server behind %s', (_name, start) => {
  let running: Running;
  let resource: string;

  beforeAll(async () => {
    running = await start((origin) => ({
      issuer: issuer.issuer,
      protectedResource: { resource: `${origin}/mcp`, scopesSupported: [TOOLS_SCOPE] },
    }));
    resource = `${running.origin}/mcp`;
  });

  afterAll(() => running.close());

  it('serves the RFC 9728 document and names it in the 401', async () => {
    const metadataUrl = `${running.origin}/.well-known/oauth-protected-resource/mcp`;
    const doc = await fetch(metadataUrl);
    expect(doc.status).toBe(200);
    expect(await doc.json()).toMatchObject({ resource, authorization_servers: [issuer.issuer] });
    const res = await fetch(resource, { method: 'POST' });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="api", resource_metadata="${metadataUrl}"`,
    );
  });

  it("answers whoami with the caller's sub through the SDK client", async () => {
    const token = await issuer.sign({ aud: resource, sub: 'bob', scope: TOOLS_SCOPE });
    expect(await whoami(resource, token)).toEqual([{ type: 'text', text: 'bob' }]);
  });

  it('answers a token without the tools scope 403 with scope and resource_metadata', async () => {
    const token = await issuer.sign({ aud: resource, scope: 'profile' });
    const res = await fetch(resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('www-authenticate')).toContain(`scope="${TOOLS_SCOPE}"`);
    expect(res.headers.get('www-authenticate')).toContain('resource_metadata="');
  });
});
