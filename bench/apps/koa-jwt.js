// Koa + koa-jwt + jwks-rsa (koaJwtSecret; jsonwebtoken; signing keys cached by kid).
import koaJwt from 'koa-jwt';
import jwksRsa from 'jwks-rsa';
import { requireAuthConfig } from './_common.js';
import { startKoa } from './_koa.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
startKoa(
  koaJwt({
    secret: jwksRsa.koaJwtSecret({ jwksUri, cache: true }),
    audience,
    issuer,
    algorithms,
  }),
  (ctx) => ctx.state.user?.sub,
);
