// Fastify + @fastify/jwt + get-jwks, the integration documented in the get-jwks README.
// FASTIFY_JWT_CACHE=1 turns on fast-jwt's verified-token cache (verify: { cache: true });
// fastify-jwt-cache.js is that variant.
import fastifyJwt from '@fastify/jwt';
import buildGetJwks from 'get-jwks';
import { requireAuthConfig } from './_common.js';
import { startFastify } from './_fastify.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
const cache = process.env.FASTIFY_JWT_CACHE === '1';
const jwksPath = new URL(jwksUri).pathname;
// get-jwks builds `${iss}/${jwksPath}`; pin it to our issuer and JWKS path.
const getJwks = buildGetJwks({ jwksPath, issuersWhitelist: [issuer] });

await startFastify(
  async (app) => {
    await app.register(fastifyJwt, {
      decode: { complete: true },
      secret: (_request, token) => {
        const {
          header: { kid, alg },
          payload: { iss },
        } = token;
        // get-jwks rejects untrusted issuers and unknown kids with errors that carry
        // no status (Fastify would answer 500): they are authentication failures.
        return getJwks.getPublicKey({ kid, domain: iss, alg }).catch((error) => {
          error.statusCode = 401;
          throw error;
        });
      },
      verify: {
        algorithms,
        allowedIss: issuer,
        allowedAud: audience,
        ...(cache ? { cache: true } : {}),
      },
    });
    app.addHook('onRequest', async (request) => {
      await request.jwtVerify();
    });
  },
  (request) => request.user?.payload?.sub ?? request.user?.sub,
);
