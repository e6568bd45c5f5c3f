import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import jwksAuth, { requiredScopes } from '@jwks-auth/fastify';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { AppConfig } from '../config.js';

/** AFTER: the same API on @jwks-auth/fastify. */
export async function buildApp({ issuer, audience }: AppConfig): Promise<FastifyInstance> {
  const app = Fastify();

  await app.register(jwksAuth, { issuer, audience, algorithms: ['RS256'] });

  app.get('/me', async (request) => ({ sub: request.auth?.payload.sub }));

  app.get('/messages', { preHandler: requiredScopes(MESSAGES_SCOPE) }, async () => ({
    messages: MESSAGES,
  }));

  return app;
}
