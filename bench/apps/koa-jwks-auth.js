// Koa + jwks-auth (@jwks-auth/koa), default options.
import { jwksAuth } from '@jwks-auth/koa';
import { requireAuthConfig } from './_common.js';
import { startKoa } from './_koa.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
startKoa(jwksAuth({ issuer, jwksUri, audience, algorithms }), (ctx) => {
  const auth = ctx.state.auth ?? ctx.state.user;
  return auth?.payload?.sub ?? auth?.sub;
});
