// Fastify + jwks-auth (@jwks-auth/fastify), default options.
import { jwksAuth } from '@jwks-auth/fastify';
import { requireAuthConfig } from './_common.js';
import { startFastify } from './_fastify.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
await startFastify(
  async (app) => {
    await app.register(jwksAuth, { issuer, jwksUri, audience, algorithms });
  },
  (request) => request.auth?.payload?.sub ?? request.auth?.sub ?? request.user?.sub,
);
