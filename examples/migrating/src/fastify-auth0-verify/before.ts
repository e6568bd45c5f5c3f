import Fastify from 'fastify';
import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import fastifyAuth0Verify from 'fastify-auth0-verify';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { Auth0Config } from '../config.js';

/** The claims fastify-auth0-verify leaves on `request.user` (the bare payload). */
interface Claims {
  sub?: string;
  scope?: string;
}

/** fastify-auth0-verify has no scope helper: the usual hand-written check. */
function requireScope(scope: string): preHandlerHookHandler {
  return async (request, reply) => {
    const granted = (request.user as Claims).scope?.split(' ') ?? [];
    if (!granted.includes(scope)) await reply.code(403).send({ message: 'insufficient scope' });
  };
}

/** BEFORE: fastify-auth0-verify 4, set up as its README shows. */
export async function buildApp({
  domain,
  issuer,
  audience,
}: Auth0Config): Promise<FastifyInstance> {
  const app = Fastify();

  await app.register(fastifyAuth0Verify, { domain, issuer, audience });

  app.addHook('onRequest', app.authenticate);

  app.get('/me', async (request) => ({ sub: (request.user as Claims).sub }));

  app.get('/messages', { preHandler: requireScope(MESSAGES_SCOPE) }, async () => ({
    messages: MESSAGES,
  }));

  return app;
}
