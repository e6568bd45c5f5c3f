// Hono + its own `jwk` middleware (hono/jwk) given the JWKS URI, as its docs show
// (https://hono.dev/docs/middleware/builtin/jwk): it fetches the key set (global
// fetch) for every request and keeps no token cache. Issuer and audience checked;
// `typ: 'at+jwt'` because it refuses any other `typ` than JWT unless told (RFC 9068 tokens).
import { jwk } from 'hono/jwk';
import { requireAuthConfig } from './_common.js';
import { startHono } from './_hono.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
startHono(
  jwk({
    jwks_uri: jwksUri,
    alg: algorithms,
    verification: { iss: issuer, aud: audience, typ: 'at+jwt' },
  }),
  (c) => c.get('jwtPayload')?.sub,
);
