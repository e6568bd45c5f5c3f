#!/usr/bin/env node
// Time jwks-auth adds per request, in process: each framework's bare app and
// its jwks-auth app answer GET /hello (the same body shape) through
// light-my-request (Fastify's own inject for Fastify), in batches of 50
// requests, alternating A, B, B, A ... for a fixed time. Each pair of
// neighbouring batches gives one difference (ns per request) and one ratio;
// the median over hundreds of pairs resolves well under a microsecond, which
// wrk over loopback on this kind of host (±8 µs per pair) cannot. The token is
// the same on every request: the cache-hit ("hot") path.
//
//   node bench/added.js [--seconds=S] [--out=FILE.json]
import { writeFileSync } from 'node:fs';
import { jwksAuth as expressAuth } from '@jwks-auth/express';
import { jwksAuth as fastifyAuth } from '@jwks-auth/fastify';
import { jwksAuth as koaAuth } from '@jwks-auth/koa';
import { createTestIssuer } from '@jwks-auth/testing';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import inject from 'light-my-request';
import { BASELINE_SUBJECT, helloBody } from './apps/_common.js';
import { mintTokens, signingKey } from './lib/tokens.js';
import { optionsFromArgv } from './lib/args.js';

const args = optionsFromArgv();
const SECONDS = Number(args.seconds ?? 8);
const BATCH = 50;
const audience = 'https://api.example.test';
const algs = ['RS256', 'ES256'];

// The issuer serves the key set once per app (warm-up), before any timing.
const issuer = await createTestIssuer({ algorithms: algs });
const options = { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience, algorithms: algs };
const closers = [];

async function expressApp(auth) {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  if (auth) {
    const middleware = expressAuth(options);
    await middleware.verifier.warmup();
    closers.push(() => middleware.verifier.close());
    app.use(middleware);
  }
  app.get('/hello', (req, res) => res.json(helloBody(req.auth?.payload.sub ?? BASELINE_SUBJECT)));
  return (headers) => inject(app, { method: 'GET', url: '/hello', headers });
}

async function koaApp(auth) {
  const app = new Koa();
  app.silent = true;
  if (auth) {
    const middleware = koaAuth(options);
    await middleware.verifier.warmup();
    closers.push(() => middleware.verifier.close());
    app.use(middleware);
  }
  app.use((ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/hello') {
      ctx.body = helloBody(ctx.state.auth?.payload.sub ?? BASELINE_SUBJECT);
    }
  });
  const callback = app.callback();
  return (headers) => inject(callback, { method: 'GET', url: '/hello', headers });
}

async function fastifyApp(auth) {
  const app = Fastify({ logger: false });
  if (auth) await app.register(fastifyAuth, options);
  app.get('/hello', async (request) => helloBody(request.auth?.payload.sub ?? BASELINE_SUBJECT));
  await app.ready();
  if (auth) await app.jwksAuth.verifier.warmup();
  closers.push(() => app.close());
  return (headers) => app.inject({ method: 'GET', url: '/hello', headers });
}

async function batch(send, headers) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < BATCH; i += 1) await send(headers);
  return Number(process.hrtime.bigint() - t0) / BATCH;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const results = [];
for (const [framework, make] of [
  ['express', expressApp],
  ['fastify', fastifyApp],
  ['koa', koaApp],
]) {
  for (const alg of algs) {
    const key = signingKey(issuer.keys.find((k) => k.alg === alg));
    const [token] = mintTokens({ key, issuer: issuer.issuer, audience, count: 1, prefix: 'a' });
    const headers = { authorization: `Bearer ${token}`, host: 'localhost' };
    const bare = await make(false);
    const ours = await make(true);
    for (const [name, send] of [
      ['bare', bare],
      ['jwks-auth', ours],
    ]) {
      const res = await send(headers);
      if (res.statusCode !== 200)
        throw new Error(`${framework} ${name}: ${res.statusCode} ${res.body}`);
    }
    for (let i = 0; i < 40; i += 1) {
      await batch(bare, headers);
      await batch(ours, headers);
    }
    const diffs = [];
    const ratios = [];
    const bareNs = [];
    const end = Date.now() + SECONDS * 1000;
    for (let round = 0; Date.now() < end; round += 1) {
      // A B, then B A: neither side always runs first.
      const first = round % 2 === 0;
      const a = first ? await batch(bare, headers) : undefined;
      const b = await batch(ours, headers);
      const a2 = first ? a : await batch(bare, headers);
      diffs.push(b - a2);
      ratios.push(a2 / b);
      bareNs.push(a2);
    }
    const entry = {
      framework,
      alg,
      pairs: diffs.length,
      batch: BATCH,
      bareNsPerRequest: median(bareNs),
      addedNs: median(diffs),
      addedNsP25: [...diffs].sort((x, y) => x - y)[Math.floor(diffs.length / 4)],
      addedNsP75: [...diffs].sort((x, y) => x - y)[Math.floor((diffs.length * 3) / 4)],
      ratio: median(ratios),
    };
    results.push(entry);
    console.log(
      `${framework.padEnd(8)} ${alg}  bare ${(entry.bareNsPerRequest / 1000).toFixed(1)} µs/request, ` +
        `jwks-auth adds ${(entry.addedNs / 1000).toFixed(2)} µs (IQR ${(entry.addedNsP25 / 1000).toFixed(2)} to ` +
        `${(entry.addedNsP75 / 1000).toFixed(2)}), ratio ${entry.ratio.toFixed(3)} over ${entry.pairs} pairs`,
    );
  }
}
for (const close of closers) await close();
await issuer.close();
if (args.out) {
  writeFileSync(
    args.out,
    JSON.stringify(
      {
        method: `in process (light-my-request; Fastify's inject), batches of ${BATCH} requests alternating bare and jwks-auth for ${SECONDS} s per row; median of paired differences`,
        node: process.version,
        results,
      },
      null,
      2,
    ),
  );
}
