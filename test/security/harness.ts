/**
 * Shared plumbing for the security suite: the three adapters mounted on real
 * apps (Express and Koa behind a real HTTP server on 127.0.0.1:0 driven by
 * supertest, Fastify through `inject`), and small helpers for outcomes.
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isJwksAuthError } from '@jwks-auth/core';
import type { JwksAuthError, VerifierOptions, VerifyResult } from '@jwks-auth/core';
import { jwksAuth as expressAuth, requiredScopes as expressScopes } from '@jwks-auth/express';
import type { JwksAuthOptions as ExpressOptions } from '@jwks-auth/express';
import { jwksAuth as fastifyAuth, requiredScopes as fastifyScopes } from '@jwks-auth/fastify';
import type { JwksAuthOptions as FastifyOptions } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth, requiredScopes as koaScopes } from '@jwks-auth/koa';
import type { JwksAuthOptions as KoaOptions } from '@jwks-auth/koa';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import request from 'supertest';

/** The adapters under test. */
export type AdapterName = 'express' | 'koa' | 'fastify';
export const ADAPTERS: readonly AdapterName[] = ['express', 'koa', 'fastify'];

/** A response, normalised across supertest and inject. */
export interface AppResponse {
  status: number;
  /** Lower-case names; multi-valued headers joined with ", ". */
  headers: Record<string, string>;
  body: string;
}

/**
 * An app with the adapter installed the documented way and three routes:
 * `/` (any valid token), `/read` (scope read:messages), `/write` (scope write:messages).
 */
export interface AdapterApp {
  readonly name: AdapterName;
  /** How requests reach the app. */
  readonly transport: 'http' | 'inject';
  /** Sends `GET path` with this Authorization header value (none when undefined). */
  get(authorization: string | undefined, path?: string): Promise<AppResponse>;
  close(): Promise<void>;
}

/** Large enough for the 64 KiB-token profile; Node's default (16 KiB) would answer 431 first. */
const MAX_HEADER_SIZE = 256 * 1024;

function claimsBody(auth: VerifyResult | null | undefined) {
  return {
    sub: auth?.payload.sub ?? null,
    iss: auth?.payload.iss ?? null,
    scope: auth?.payload.scope ?? null,
    kid: auth?.header.kid ?? null,
  };
}

function normaliseHeaders(raw: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

/** Listens on 127.0.0.1, port 0; resolves the base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Closes a server and its open connections. */
export function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function viaSupertest(
  base: string,
  authorization: string | undefined,
  path: string,
): Promise<AppResponse> {
  let req = request(base).get(path);
  if (authorization !== undefined) req = req.set('Authorization', authorization);
  const res = await req;
  return {
    status: res.status,
    headers: normaliseHeaders(res.headers as Record<string, unknown>),
    body: res.text ?? '',
  };
}

/** Mounts an adapter on a fresh app with `options`. */
export async function startAdapter(
  name: AdapterName,
  options: VerifierOptions,
): Promise<AdapterApp> {
  switch (name) {
    case 'express': {
      const app = express();
      const auth = expressAuth(options as ExpressOptions);
      app.use(auth);
      app.get('/', (req, res) => {
        res.json(claimsBody(req.auth));
      });
      app.get('/read', expressScopes('read:messages'), (req, res) => {
        res.json(claimsBody(req.auth));
      });
      app.get('/write', expressScopes('write:messages'), (req, res) => {
        res.json(claimsBody(req.auth));
      });
      const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, app);
      const base = await listen(server);
      return {
        name,
        transport: 'http',
        get: (authorization, path = '/') => viaSupertest(base, authorization, path),
        async close() {
          auth.verifier.close();
          await stop(server);
        },
      };
    }
    case 'koa': {
      const app = new Koa();
      // 503s are not "exposed" errors, so Koa would log each one to stderr.
      app.silent = true;
      const auth = koaAuth(options as unknown as KoaOptions);
      const read = koaScopes('read:messages');
      const write = koaScopes('write:messages');
      app.use(auth);
      app.use(async (ctx, next) => {
        const respond = async () => {
          ctx.body = claimsBody(ctx.state.auth);
        };
        if (ctx.path === '/read') return read(ctx, respond);
        if (ctx.path === '/write') return write(ctx, respond);
        if (ctx.path === '/') return respond();
        return next();
      });
      const server = createServer({ maxHeaderSize: MAX_HEADER_SIZE }, app.callback());
      const base = await listen(server);
      return {
        name,
        transport: 'http',
        get: (authorization, path = '/') => viaSupertest(base, authorization, path),
        async close() {
          auth.verifier.close();
          await stop(server);
        },
      };
    }
    case 'fastify': {
      const app = Fastify({
        logger: false,
        // Same header limit as the Express and Koa servers when driven over HTTP.
        serverFactory: (handler) => createServer({ maxHeaderSize: MAX_HEADER_SIZE }, handler),
      });
      await app.register(fastifyAuth, options as unknown as FastifyOptions);
      app.get('/', async (req) => claimsBody(req.auth));
      app.get('/read', { preHandler: fastifyScopes('read:messages') }, async (req) =>
        claimsBody(req.auth),
      );
      app.get('/write', { preHandler: fastifyScopes('write:messages') }, async (req) =>
        claimsBody(req.auth),
      );
      await app.ready();
      return {
        name,
        transport: 'inject',
        async get(authorization, path = '/') {
          const res = await app.inject({
            method: 'GET',
            url: path,
            headers: authorization === undefined ? {} : { authorization },
          });
          return {
            status: res.statusCode,
            headers: normaliseHeaders(res.headers as Record<string, unknown>),
            body: res.body,
          };
        },
        close: () => app.close(),
      };
    }
  }
}

/** The settled outcome of a verification. */
export type Outcome =
  { ok: true; result: VerifyResult | undefined } | { ok: false; error: JwksAuthError | unknown };

/** Never throws: the outcome of `promise`. */
export async function settle(promise: Promise<VerifyResult | undefined>): Promise<Outcome> {
  try {
    return { ok: true, result: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The jwks-auth error of a failed outcome, or a descriptive failure. */
export function errorOf(outcome: Outcome): JwksAuthError {
  if (outcome.ok) throw new Error('expected the request to be rejected, but it was ACCEPTED');
  if (!isJwksAuthError(outcome.error)) {
    throw new Error(`expected a JwksAuthError, got ${String(outcome.error)}`);
  }
  return outcome.error;
}

/** A request as the core sees it. */
export function bearerRequest(token: string): { headers: Record<string, string> } {
  return { headers: { authorization: `Bearer ${token}` } };
}

/** A monotonic millisecond clock. */
export function now(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Segments of `token` long enough that finding one in a response means the
 * token leaked (short ones such as `e30` could appear by chance).
 */
export function leakProbes(token: string): string[] {
  const probes = token.split('.').filter((s) => s.length >= 16);
  if (token.length >= 16) probes.push(token);
  return probes;
}
