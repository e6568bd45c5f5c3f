import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import { jwksAuth, requiredScopes } from '@jwks-auth/fastify';
import type { JwksAuthOptions } from '@jwks-auth/fastify';

/** What `GET /api/messages` returns to a token with the `read:messages` scope. */
export const MESSAGES = [
  { id: 1, text: 'Hello from a protected API' },
  { id: 2, text: 'Only tokens with the read:messages scope can read this' },
] as const;

/**
 * Builds the example API without listening: every route needs a valid bearer
 * token except `GET /public` (`config: { jwksAuth: false }`), and
 * `GET /api/messages` also needs the `read:messages` scope. Fastify's error
 * handler renders rejections with their status and `WWW-Authenticate` header.
 * `app.close()` also closes the verifier.
 *
 * @example
 * const app = await buildApp({ issuer: 'https://id.example.com', audience: 'https://api.example.com' });
 * await app.listen({ port: 3000 });
 */
export async function buildApp(options: JwksAuthOptions): Promise<FastifyInstance> {
  const app = Fastify();

  await app.register(jwksAuth, options);

  app.get('/public', { config: { jwksAuth: false } }, async () => ({
    message: 'Public: no token needed',
  }));

  app.get('/api/me', async (request) => ({ claims: request.auth?.payload }));

  app.get('/api/messages', { preHandler: requiredScopes('read:messages') }, async () => ({
    messages: MESSAGES,
  }));

  return app;
}
