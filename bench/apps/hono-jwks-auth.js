// Hono + jwks-auth (@jwks-auth/hono), default options.
import { jwksAuth } from '@jwks-auth/hono';
import { requireAuthConfig } from './_common.js';
import { startHono } from './_hono.js';

const { issuer, jwksUri, audience, algorithms } = requireAuthConfig();
startHono(jwksAuth({ issuer, jwksUri, audience, algorithms }), (c) => c.var.auth?.payload?.sub);
