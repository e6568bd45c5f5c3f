/**
 * Step-up authentication (RFC 9470) end to end against a real identity
 * provider: oidc-provider 9 on 127.0.0.1:0, the authorization code flow with
 * PKCE scripted through its interaction endpoints, JWT access tokens carrying
 * the `acr` and `auth_time` of the login the provider recorded (its
 * `extraTokenClaims` copies them from the authorization code). Each adapter
 * guards `/transfer` with `requiredAuthentication({ acrValues: ['urn:strong'] })`
 * and `/profile` with `requiredAuthentication({ maxAge: 600 })`; the client
 * reads what the 401 asks for and asks the provider for exactly that.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { RequestListener, Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { VerifierOptions } from '@jwks-auth/core';
import {
  jwksAuth as expressAuth,
  requiredAuthentication as expressStepUp,
} from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import {
  jwksAuth as fastifyAuth,
  requiredAuthentication as fastifyStepUp,
} from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth, requiredAuthentication as koaStepUp } from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import express from 'express';
import Fastify from 'fastify';
import { decodeJwt } from 'jose';
import Koa from 'koa';
import { ADAPTERS, listen, stop } from './harness.js';
import type { AdapterName } from './harness.js';
import { API, requestToken, startProvider } from './oidc.js';
import type { IdentityProvider } from './oidc.js';

const CLIENT = { id: 'step-up-client', secret: 'a-long-enough-client-secret-for-step-up' };
/** A client_credentials client: its tokens have no user login, so no acr and no auth_time. */
const MACHINE = { id: 'machine-client', secret: 'a-long-enough-client-secret-for-machines' };
const REDIRECT_URI = 'https://client.example.test/callback';
const STRONG = 'urn:strong';
const BASIC = 'urn:basic';
const MAX_AGE = 600;
/** How long ago the user's everyday (basic) login happened. */
const BASIC_LOGIN_AGE = 3600;
const METADATA = `${API}/.well-known/oauth-protected-resource`;

let idp: IdentityProvider;

beforeAll(async () => {
  idp = await startProvider(CLIENT, {
    client: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT_URI],
    },
    clients: [
      {
        client_id: MACHINE.id,
        client_secret: MACHINE.secret,
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    config: {
      acrValues: [BASIC, STRONG],
      interactions: {
        url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}`,
      },
      // The access token carries the authentication the code was issued for.
      extraTokenClaims: (ctx: {
        oidc: { entities: { AuthorizationCode?: { acr?: string; authTime?: number } } };
      }) => {
        const code = ctx.oidc.entities.AuthorizationCode;
        return code === undefined ? undefined : { acr: code.acr, auth_time: code.authTime };
      },
    },
  });
  const { provider } = idp;
  // The login page, scripted: the user's everyday login (urn:basic, an hour
  // old) unless the client asks for urn:strong or a max_age, which the user
  // answers with a fresh second-factor login (urn:strong, now).
  provider.use(async (ctx, next) => {
    if (!/^\/interaction\/[\w-]+$/.test(ctx.path)) return next();
    const { params } = await provider.interactionDetails(ctx.req, ctx.res);
    const asked = String(params.acr_values ?? '').split(' ');
    const now = Math.floor(Date.now() / 1000);
    const stepUp = asked.includes(STRONG) || params.max_age !== undefined;
    const grant = new provider.Grant({ accountId: 'alice', clientId: CLIENT.id });
    grant.addOIDCScope('openid');
    grant.addResourceScope(API, 'read:messages');
    const location = await provider.interactionResult(
      ctx.req,
      ctx.res,
      {
        login: stepUp
          ? { accountId: 'alice', acr: STRONG, amr: ['pwd', 'otp'], ts: now }
          : { accountId: 'alice', acr: BASIC, amr: ['pwd'], ts: now - BASIC_LOGIN_AGE },
        consent: { grantId: await grant.save() },
      },
      { mergeWithLastSubmission: false },
    );
    ctx.redirect(location);
  });
});

afterAll(() => idp.close());

/** Cookies by name, sent back on every request (paths aside: one flow, one origin). */
class CookieJar {
  private readonly cookies = new Map<string, string>();
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const at = pair.indexOf('=');
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
}

/**
 * The authorization code flow with PKCE, as a browser would follow it:
 * /auth, the login interaction, the resume, the redirect with the code;
 * then the token request. `extra` carries acr_values / max_age.
 */
async function authorize(extra: Record<string, string> = {}): Promise<string> {
  const verifier = randomBytes(32).toString('base64url');
  const jar = new CookieJar();
  let url = `${idp.issuer}/auth?${new URLSearchParams({
    client_id: CLIENT.id,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid read:messages',
    resource: API,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    ...extra,
  })}`;
  for (let hops = 0; !url.startsWith(REDIRECT_URI); hops++) {
    if (hops > 8) throw new Error(`too many redirects, at ${url}`);
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header() } });
    jar.store(res);
    const location = res.headers.get('location');
    if (location === null) throw new Error(`${res.status} at ${url}: ${await res.text()}`);
    url = new URL(location, url).href;
  }
  const code = new URL(url).searchParams.get('code');
  if (code === null) throw new Error(`no code in ${url}`);
  const res = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
      resource: API,
    }),
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200 || typeof body.access_token !== 'string') {
    throw new Error(`token endpoint answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.access_token;
}

interface StepUpApi {
  base: string;
  close(): Promise<void>;
}

/** `/transfer` needs acr urn:strong, `/profile` a login at most MAX_AGE seconds old. */
async function serveStepUpApi(name: AdapterName, options: VerifierOptions): Promise<StepUpApi> {
  const strong = { acrValues: [STRONG] };
  const recent = { maxAge: MAX_AGE };
  const ok = (sub: unknown) => ({ sub });
  if (name === 'fastify') {
    const app = Fastify({ logger: false });
    await app.register(fastifyAuth, options as unknown as FastifyOptions);
    app.get('/transfer', { preHandler: fastifyStepUp(strong) }, async (req) =>
      ok(req.auth?.payload.sub),
    );
    app.get('/profile', { preHandler: fastifyStepUp(recent) }, async (req) =>
      ok(req.auth?.payload.sub),
    );
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return { base, close: () => app.close() };
  }
  let handler: RequestListener;
  let closeVerifier: () => void;
  if (name === 'express') {
    const app = express();
    const auth = expressAuth(options as ExpressOptions);
    app.use(auth);
    app.get('/transfer', expressStepUp(strong), (req, res) => res.json(ok(req.auth?.payload.sub)));
    app.get('/profile', expressStepUp(recent), (req, res) => res.json(ok(req.auth?.payload.sub)));
    handler = app;
    closeVerifier = () => auth.verifier.close();
  } else {
    const app = new Koa();
    app.silent = true;
    const auth = koaAuth(options as unknown as KoaOptions);
    const guards = { '/transfer': koaStepUp(strong), '/profile': koaStepUp(recent) };
    app.use(auth);
    app.use(async (ctx, next) => {
      const guard = guards[ctx.path as keyof typeof guards];
      if (guard === undefined) return next();
      await guard(ctx, async () => {
        ctx.body = ok(ctx.state.auth?.payload.sub);
      });
    });
    handler = app.callback();
    closeVerifier = () => auth.verifier.close();
  }
  const server: Server = createServer(handler);
  const base = await listen(server);
  return {
    base,
    async close() {
      closeVerifier();
      await stop(server);
    },
  };
}

/** The auth-params of a challenge, unquoted. */
function challengeParams(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, name, value] of (header ?? '').matchAll(/([\w-]+)="([^"]*)"/g)) out[name!] = value!;
  return out;
}

describe.each(ADAPTERS)('step-up against oidc-provider (%s)', (name) => {
  let api: StepUpApi;

  beforeAll(async () => {
    api = await serveStepUpApi(name, {
      issuer: idp.issuer,
      protectedResource: { resource: API },
    } as VerifierOptions);
  });

  afterAll(() => api.close());

  const get = (path: string, token: string) =>
    fetch(`${api.base}${path}`, { headers: { authorization: `Bearer ${token}` } });

  it('answers a basic login 401 insufficient_user_authentication with acr_values; a strong one passes', async () => {
    const basic = await authorize();
    expect(decodeJwt(basic)).toMatchObject({ sub: 'alice', acr: BASIC, aud: API });

    const refused = await get('/transfer', basic);
    expect(refused.status).toBe(401);
    const challenge = refused.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer realm="api", error="insufficient_user_authentication", /);
    const params = challengeParams(challenge);
    expect(params).toMatchObject({ acr_values: STRONG, resource_metadata: METADATA });
    expect(params.max_age).toBeUndefined();

    // The client asks the provider for what the challenge names.
    const strong = await authorize({ acr_values: params.acr_values! });
    expect(decodeJwt(strong)).toMatchObject({ sub: 'alice', acr: STRONG });
    const passed = await get('/transfer', strong);
    expect(passed.status).toBe(200);
    expect(await passed.json()).toEqual({ sub: 'alice' });
  });

  it('answers a login older than maxAge 401 with max_age; a fresh login passes', async () => {
    const basic = await authorize();
    const { auth_time: authTime, iat } = decodeJwt(basic) as { auth_time: number; iat: number };
    expect(iat - authTime).toBeGreaterThanOrEqual(BASIC_LOGIN_AGE);

    const refused = await get('/profile', basic);
    expect(refused.status).toBe(401);
    const params = challengeParams(refused.headers.get('www-authenticate'));
    expect(params).toMatchObject({
      error: 'insufficient_user_authentication',
      max_age: String(MAX_AGE),
      resource_metadata: METADATA,
    });

    const fresh = await authorize({ max_age: params.max_age! });
    const claims = decodeJwt(fresh) as { auth_time: number; iat: number };
    expect(claims.iat - claims.auth_time).toBeLessThan(MAX_AGE);
    expect((await get('/profile', fresh)).status).toBe(200);
  });

  it('refuses a client_credentials token (no acr, no auth_time) on both routes', async () => {
    const { token } = await requestToken(idp.issuer, MACHINE);
    const claims = decodeJwt(token);
    expect(claims.acr).toBeUndefined();
    expect(claims.auth_time).toBeUndefined();
    for (const [path, param] of [
      ['/transfer', 'acr_values'],
      ['/profile', 'max_age'],
    ] as const) {
      const res = await get(path, token);
      expect(res.status).toBe(401);
      const params = challengeParams(res.headers.get('www-authenticate'));
      expect(params.error).toBe('insufficient_user_authentication');
      expect(params[param]).toBeDefined();
    }
  });
});
