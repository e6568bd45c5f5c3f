// Fastify + @fastify/jwt + get-jwks with fast-jwt's verified-token cache on (verify: { cache: true }).
process.env.FASTIFY_JWT_CACHE = '1';
await import('./fastify-jwt.js');
