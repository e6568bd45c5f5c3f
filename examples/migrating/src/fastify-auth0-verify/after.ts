import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import jwksAuth, { requiredScopes } from '@jwks-auth/fastify';
import { MESSAGES, MESSAGES_SCOPE } from '../config.js';
import type { Auth0Config } from '../config.js';

/**
 * AFTER: the same API on @jwks-auth/fastify. With a real Auth0 tenant,
 * `issuer: 'https://TENANT.auth0.com/'` alone is enough (discovery finds the
 * key set); `jwksUri` names Auth0's fixed key set path, as
 * fastify-auth0-verify did, for tenants reached under another name.
 */
export async function buildApp({
  domain,
  issuer,
  audience,
}: Auth0Config): Promise<FastifyInstance> {
  const app = Fastify();

  await app.register(jwksAuth, {
    issuer,
    jwksUri: new URL('/.well-known/jwks.json', domain).href,
    audience,
    algorithms: ['RS256'],
  });

  app.get('/me', async (request) => ({ sub: request.auth?.payload.sub }));

  app.get('/messages', { preHandler: requiredScopes(MESSAGES_SCOPE) }, async () => ({
    messages: MESSAGES,
  }));

  return app;
}
