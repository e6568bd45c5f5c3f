// Imports every packed package as ESM, checks its exported names, then runs
// each adapter for real: a local issuer (from the packed @jwks-auth/testing)
// signs a token and each framework answers 200 with it and 401 without.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const expected = JSON.parse(readFileSync(new URL('./expected-exports.json', import.meta.url)));
const failures = [];

for (const [name, exports] of Object.entries(expected)) {
  const mod = await import(name);
  const missing = exports.filter((e) => mod[e] === undefined);
  if (missing.length > 0) failures.push(`${name}: missing ${missing.join(', ')}`);
  else console.log(`esm  ok  ${name} (${exports.length} names)`);
}

const { createTestIssuer } = await import('@jwks-auth/testing');
const issuer = await createTestIssuer({ algorithms: ['ES256'] });
const token = await issuer.sign();
const options = { issuer: issuer.issuer, audience: 'https://api.example.test' };

async function overHttp(handler, run) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    return await run(base);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

async function statuses(base) {
  const ok = await fetch(`${base}/`, { headers: { authorization: `Bearer ${token}` } });
  const body = await ok.json();
  const denied = await fetch(`${base}/`);
  return [ok.status, body.sub, denied.status];
}

const EXPECTED = JSON.stringify([200, 'test-user', 401]);
const results = {};
try {
  {
    const { default: express } = await import('express');
    const { jwksAuth, jwksAuthErrorHandler } = await import('@jwks-auth/express');
    const app = express();
    const auth = jwksAuth(options);
    app.use(auth);
    app.get('/', (req, res) => res.json({ sub: req.auth?.payload.sub }));
    app.use(jwksAuthErrorHandler());
    results.express = await overHttp(app, statuses);
    auth.verifier.close();
  }
  {
    const { default: Koa } = await import('koa');
    const { jwksAuth } = await import('@jwks-auth/koa');
    const app = new Koa();
    app.silent = true;
    const auth = jwksAuth(options);
    app.use(auth);
    app.use((ctx) => {
      ctx.body = { sub: ctx.state.auth?.payload.sub };
    });
    results.koa = await overHttp(app.callback(), statuses);
    auth.verifier.close();
  }
  {
    const { default: Fastify } = await import('fastify');
    const { default: jwksAuth } = await import('@jwks-auth/fastify');
    const app = Fastify();
    await app.register(jwksAuth, options);
    app.get('/', async (request) => ({ sub: request.auth?.payload.sub }));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    results.fastify = await statuses(base);
    await app.close();
  }
} finally {
  await issuer.close();
}
for (const [framework, got] of Object.entries(results)) {
  if (JSON.stringify(got) === EXPECTED)
    console.log(`esm  ok  ${framework}: 200 with token, 401 without`);
  else failures.push(`${framework}: expected ${EXPECTED}, got ${JSON.stringify(got)}`);
}

if (failures.length > 0) {
  console.error(`ESM check FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
