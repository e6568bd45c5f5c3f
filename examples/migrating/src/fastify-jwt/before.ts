import Fastify from 'fastify';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import fastifyJwt from '@fastify/jwt';
import type { JwtHeader, TokenOrHeader } from '@fastify/jwt';
import buildGetJwks from 'get-jwks';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** The claims @fastify/jwt leaves on `request.user` (the bare payload). */
interface Claims {
  sub?: string;
  scope?: string;
}

/** @fastify/jwt has no scope helper: the usual hand-written check. */
function requireScope(scope: string): preHandlerHookHandler {
  return async (request, reply) => {
    const granted = (request.user as Claims).scope?.split(' ') ?? [];
    if (!granted.includes(scope)) await reply.code(403).send({ message: 'insufficient scope' });
  };
}

/** BEFORE: @fastify/jwt 10 + get-jwks 11, set up as get-jwks's README shows. */
export async function buildApp({ issuer, audience }: AppConfig): Promise<FastifyInstance> {
  const app = Fastify();
  const getJwks = buildGetJwks({ providerDiscovery: true, issuersWhitelist: [issuer] });

  await app.register(fastifyJwt, {
    decode: { complete: true },
    secret: async (_request: FastifyRequest, token: TokenOrHeader) => {
      const { header, payload } = token as { header: JwtHeader; payload: { iss: string } };
      return getJwks.getPublicKey({ kid: header.kid ?? '', alg: header.alg, domain: payload.iss });
    },
    verify: { allowedIss: issuer, allowedAud: audience, algorithms: ['RS256'] },
  });

  app.addHook('onRequest', async (request) => {
    await request.jwtVerify();
  });

  app.get('/me', async (request) => ({ sub: (request.user as Claims).sub }));

  app.get('/messages', { preHandler: requireScope(MESSAGES_SCOPE) }, async () => ({
    messages: MESSAGES,
  }));

  return app;
}
