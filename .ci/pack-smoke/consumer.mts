// An ESM TypeScript consumer (module/moduleResolution nodenext, strict).
import { createVerifier, isJwksAuthError, requiredScopes as coreScopes } from '@jwks-auth/core';
import type { VerifyResult, VerifierOptions } from '@jwks-auth/core';
import { jwksAuth as expressAuth, requiredScopes } from '@jwks-auth/express';
import fastifyAuth from '@jwks-auth/fastify';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import { createTestIssuer } from '@jwks-auth/testing';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';

const options: VerifierOptions = {
  issuer: 'https://id.example.com',
  audience: 'https://api.example.com',
};

const verifier = createVerifier(options);
export async function check(token: string): Promise<string | undefined> {
  try {
    const result: VerifyResult = await verifier.verify(token);
    coreScopes('read:messages')(result);
    return result.payload.sub;
  } catch (error) {
    if (isJwksAuthError(error)) return error.code;
    throw error;
  }
}

const app = express();
app.use(expressAuth(options));
app.get('/me', requiredScopes('read:messages'), (req, res) => {
  // The adapter's augmentation of Express's Request.
  const sub: string | undefined = req.auth?.payload.sub;
  res.json({ sub });
});

const koa = new Koa();
koa.use(koaAuth(options));
koa.use((ctx) => {
  ctx.body = { sub: ctx.state.auth?.payload.sub };
});

export async function fastify(): Promise<void> {
  const f = Fastify();
  await f.register(fastifyAuth, options);
  f.get('/me', async (request) => ({ sub: request.auth?.payload.sub ?? null }));
  const issuer = await createTestIssuer();
  await issuer.close();
}
