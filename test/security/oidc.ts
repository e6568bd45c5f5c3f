/**
 * Shared parts of the end-to-end suites against oidc-provider: the provider
 * on 127.0.0.1:0 issuing RFC 9068 JWT access tokens through
 * client_credentials, a token request, and a one-route API behind each
 * adapter (over HTTP, or HTTPS asking for client certificates).
 */
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { ServerOptions as HttpsOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { VerifierOptions, VerifyResult } from '@jwks-auth/core';
import { jwksAuth as expressAuth } from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import { jwksAuth as fastifyAuth } from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import express from 'express';
import Fastify from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import Koa from 'koa';
import type { default as ProviderClass } from 'oidc-provider';
import { stop } from './harness.js';
import type { AdapterName } from './harness.js';

/** The resource (audience) the provider issues tokens for. */
export const API = 'https://api.example.test';

export interface Client {
  id: string;
  secret: string;
}

export interface IdentityProvider {
  issuer: string;
  /** The running provider (e.g. to add interaction routes with `provider.use`). */
  provider: ProviderClass;
  close(): Promise<void>;
}

/**
 * Starts oidc-provider with one confidential client (client_secret_basic,
 * client_credentials), one ES256 signing key, JWT access tokens for
 * {@link API}, and `features` / `client` extras (DPoP, mTLS, ...), more
 * `clients`, and other configuration (`config`, e.g. `extraTokenClaims`).
 */
export async function startProvider(
  client: Client,
  extra: {
    features?: Record<string, unknown>;
    client?: Record<string, unknown>;
    clients?: Record<string, unknown>[];
    config?: Record<string, unknown>;
  } = {},
): Promise<IdentityProvider> {
  const { default: Provider } = await import('oidc-provider');
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const signing = { ...(await exportJWK(privateKey)), kid: 'es-1', alg: 'ES256', use: 'sig' };
  // Listen first, so the issuer URL carries the port the provider is then made with.
  const current: { provider?: ProviderClass } = {};
  const server = createServer((req, res) => current.provider!.callback()(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  current.provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.id,
        client_secret: client.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        // The provider's one key is ES256; its RS256 default would refuse the client.
        id_token_signed_response_alg: 'ES256',
        ...extra.client,
      },
      ...(extra.clients ?? []),
    ],
    jwks: { keys: [signing] },
    cookies: { keys: [`${client.id}-cookie-key`] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        getResourceServerInfo: (_ctx: unknown, resource: string) => ({
          scope: 'read:messages',
          audience: resource,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
        useGrantedResource: () => true,
      },
      ...extra.features,
    },
    ...extra.config,
  });
  return {
    issuer,
    provider: current.provider,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A client_credentials token request for {@link API}; resolves the token response. */
export async function requestToken(
  issuer: string,
  client: Client,
  headers: Record<string, string> = {},
): Promise<{ token: string; type: string }> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'read:messages',
      resource: API,
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return { token: body.access_token, type: String(body.token_type) };
}

export interface Api {
  base: string;
  close(): Promise<void>;
}

/** `GET /messages` behind adapter `name`, answering `respond(auth)` as JSON; HTTPS when `tls` is given. */
export async function serveApi(
  name: AdapterName,
  options: VerifierOptions,
  respond: (auth: VerifyResult | null | undefined) => unknown,
  tls?: HttpsOptions,
): Promise<Api> {
  const scheme = tls === undefined ? 'http' : 'https';
  if (name === 'fastify') {
    const app = Fastify({ logger: false, ...(tls === undefined ? {} : { https: tls }) });
    await app.register(fastifyAuth, options as unknown as FastifyOptions);
    app.get('/messages', async (req) => respond(req.auth));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    return { base: `${scheme}://127.0.0.1:${port}`, close: () => app.close() };
  }
  let handler: RequestListener;
  let closeVerifier: () => void;
  if (name === 'express') {
    const app = express();
    const auth = expressAuth(options as ExpressOptions);
    app.use(auth);
    app.get('/messages', (req, res) => res.json(respond(req.auth)));
    handler = app;
    closeVerifier = () => auth.verifier.close();
  } else {
    const app = new Koa();
    app.silent = true;
    const auth = koaAuth(options as unknown as KoaOptions);
    app.use(auth);
    app.use((ctx) => {
      if (ctx.path === '/messages') ctx.body = respond(ctx.state.auth);
    });
    handler = app.callback();
    closeVerifier = () => auth.verifier.close();
  }
  const server: Server =
    tls === undefined ? createServer(handler) : (createHttpsServer(tls, handler) as never);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `${scheme}://127.0.0.1:${port}`,
    async close() {
      closeVerifier();
      await stop(server);
    },
  };
}
