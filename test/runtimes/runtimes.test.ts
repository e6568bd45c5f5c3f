/**
 * Smoke suites on the real runtimes: Bun, Deno and Cloudflare's workerd
 * (through Miniflare, without nodejs_compat), all from the npm registry.
 * Each serves test/runtimes/fixtures/app.mjs (a Hono app on
 * @jwks-auth/hono and a plain Fetch API handler on @jwks-auth/core) from the
 * PACKED packages, verifying tokens of @jwks-auth/testing's issuer running
 * here in Node on loopback.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createTestIssuer, DEFAULT_CLAIMS } from '@jwks-auth/testing';
import type { TestIssuer } from '@jwks-auth/testing';
import { BIN, ROOT, packedApp, run, serve, writeEntry } from './harness.js';
import type { PackedApp, Served } from './harness.js';

jest.setTimeout(60_000);

let app: PackedApp;

beforeAll(async () => {
  app = await packedApp();
}, 120_000);

afterAll(async () => {
  await app?.remove();
});

const entry = (config: object, body: string) =>
  `import { makeApp } from './app.mjs';\nconst app = makeApp(${JSON.stringify(config)});\n${body}\n`;

const RUNTIMES: Record<string, (config: object) => Promise<Served>> = {
  bun: async (config) => {
    const file = await writeEntry(
      app.dir,
      'bun-entry.mjs',
      entry(
        config,
        `const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: (request) => app(request, {}, undefined) });
console.log('LISTENING http://127.0.0.1:' + server.port);`,
      ),
    );
    return serve(join(BIN, 'bun'), ['run', file], { cwd: app.dir });
  },
  deno: async (config) => {
    const file = await writeEntry(
      app.dir,
      'deno-entry.mjs',
      entry(
        config,
        `Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => console.log('LISTENING http://127.0.0.1:' + port) }, (request) => app(request, {}, undefined));`,
      ),
    );
    return serve(
      join(BIN, 'deno'),
      [
        'run',
        '--allow-net',
        '--allow-read',
        '--allow-env',
        '--node-modules-dir=manual',
        '--no-lock',
        file,
      ],
      { cwd: app.dir, env: { DENO_DIR: join(app.dir, '.deno'), NO_COLOR: '1' } },
    );
  },
  workerd: async (config) => {
    const file = await writeEntry(
      app.dir,
      'worker-entry.mjs',
      entry(config, 'export default { fetch: (request, env, ctx) => app(request, env, ctx) };'),
    );
    const bundle = join(app.dir, 'worker.mjs');
    // What wrangler does: one ES module, resolved with the Workers conditions.
    await run(join(BIN, 'esbuild'), [
      file,
      '--bundle',
      '--format=esm',
      '--platform=neutral',
      '--conditions=workerd,worker,browser',
      '--main-fields=module,main',
      `--outfile=${bundle}`,
      '--log-level=error',
    ]);
    return serve(
      process.execPath,
      // workerd names modules by their path from its working directory.
      [join(ROOT, 'test', 'runtimes', 'fixtures', 'workerd-host.mjs'), 'worker.mjs'],
      { cwd: app.dir },
    );
  },
};

/** Sends `authorization` as two header lines (a Fetch client would join them into one). */
/**
 * A GET on a connection of its own (no keep-alive pool left open after the
 * runtimes stop), as a Fetch API `Response`. `headers` is Node's flat raw
 * list, so a header can be sent on two lines.
 */
function get(url: string, headers: string[] = []): Promise<Response> {
  return new Promise((resolve, reject) => {
    const raw = ['Host', new URL(url).host, ...headers];
    const req = httpRequest(url, { headers: raw, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const answer = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) {
          answer.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        }
        const status = res.statusCode ?? 0;
        resolve(new Response(Buffer.concat(chunks), { status, headers: answer }));
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ENGINES: Record<string, string> = { bun: 'node', deno: 'node', workerd: 'jose' };

describe.each(Object.keys(RUNTIMES))('%s', (runtime) => {
  let issuer: TestIssuer;
  let served: Served;
  let base: string;
  const paths = ['/plain', '/hono'];

  const call = (path: string, token?: string) =>
    get(`${base}${path}`, token === undefined ? [] : ['Authorization', `Bearer ${token}`]);

  beforeAll(async () => {
    issuer = await createTestIssuer();
    const config = {
      runtime,
      issuer: issuer.issuer,
      audience: DEFAULT_CLAIMS.aud,
      preload: issuer.jwks(),
    };
    served = await RUNTIMES[runtime]!(config);
    base = served.url;
  }, 60_000);

  afterAll(async () => {
    await served?.stop();
    await issuer?.close();
  });

  it('verifies tokens with one key set fetch for many requests, on the expected engine', async () => {
    issuer.resetCounts();
    const tokens = await Promise.all(
      Array.from({ length: 10 }, (_, i) => issuer.sign({ sub: `user-${i}` })),
    );
    for (const [n, path] of paths.entries()) {
      // Concurrent first requests: one fetch however many wait for it (single flight).
      const responses = await Promise.all(
        [...tokens, ...tokens, ...tokens].map((token) => call(`${path}/me`, token)),
      );
      const bodies = await Promise.all(
        responses.map((r) => r.json() as Promise<Record<string, unknown>>),
      );
      expect(responses.map((r) => r.status)).toEqual(responses.map(() => 200));
      expect(bodies[3]).toMatchObject({
        sub: 'user-3',
        runtime,
        engine: ENGINES[runtime],
      });
      // Each verifier (the plain one, then Hono's) fetched the key set once.
      expect(issuer.requests.jwks).toBe(n + 1);
    }
    if (runtime === 'workerd') {
      // Loaded without nodejs_compat: there is no process at all.
      expect(
        ((await (await call('/plain/me', tokens[0])).json()) as { process: string }).process,
      ).toBe('undefined');
    }
  });

  it('answers 401 with the exact challenge', async () => {
    const expired = await issuer.sign({
      exp: Math.floor(Date.now() / 1000) - 3600,
      iat: undefined,
    });
    for (const path of paths) {
      const none = await call(`${path}/me`);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      const old = await call(`${path}/me`, expired);
      expect(old.status).toBe(401);
      expect(old.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
      );
      expect(await old.json()).toEqual({
        error: 'invalid_token',
        error_description: 'the token has expired',
      });
    }
  });

  it('answers 403 insufficient_scope on a route that needs a scope the token lacks', async () => {
    const token = await issuer.sign();
    for (const path of paths) {
      const response = await call(`${path}/admin`, token);
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="api", error="insufficient_scope", error_description="the token lacks a required scope", scope="admin"',
      );
      expect(((await response.json()) as { error: string }).error).toBe('insufficient_scope');
    }
  });

  it('refuses two Authorization headers with 400 invalid_request', async () => {
    const token = await issuer.sign();
    for (const path of paths) {
      // As the app sees them: Headers.get joins repeated lines with ", ".
      const joined = await call(`${path}/me`, `${token}, Bearer ${token}`);
      expect(joined.status).toBe(400);
      expect(await joined.json()).toMatchObject({ error: 'invalid_request' });
      // Two real lines: workerd's HTTP server refuses them before the worker runs.
      const line = `Bearer ${token}`;
      const two = await get(`${base}${path}/me`, ['Authorization', line, 'Authorization', line]);
      expect(two.status).toBe(400);
      if (runtime !== 'workerd') {
        expect(await two.json()).toMatchObject({ error: 'invalid_request' });
      }
    }
  });

  it('verifies with jwks.preload while the key set endpoint fails', async () => {
    await issuer.fail({ type: 'status', status: 503 }, { only: 'jwks' });
    try {
      const response = await call('/preload/me', await issuer.sign({ sub: 'preloaded' }));
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ sub: 'preloaded' });
    } finally {
      await issuer.heal();
    }
  });

  it('follows a key rotation: the new key verifies, the retired one no longer does', async () => {
    const before = await issuer.sign({ sub: 'before' });
    for (const path of paths) expect((await call(`${path}/me`, before)).status).toBe(200);
    await issuer.rotate();
    await sleep(150); // past the 100 ms cooldown
    const after = await issuer.sign({ sub: 'after' });
    const fetched = issuer.requests.jwks;
    for (const path of paths) {
      const response = await call(`${path}/me`, after);
      expect({ status: response.status, body: await response.json() }).toMatchObject({
        status: 200,
        body: { sub: 'after' },
      });
      // The refetch retired the old key: its cached verdict is gone too.
      expect((await call(`${path}/me`, before)).status).toBe(401);
    }
    expect(issuer.requests.jwks).toBe(fetched + 2);
  });

  it('refreshes ahead of expiry from a request, with no timer between requests', async () => {
    const token = await issuer.sign({ sub: 'refresh' });
    expect((await call('/plain/me', token)).status).toBe(200);
    const fetched = issuer.requests.jwks;
    // cacheMaxAge is 3000 ms: refresh-ahead from 2400 ms after the last fetch.
    await sleep(2600);
    expect((await call('/plain/me', token)).status).toBe(200);
    await issuer.waitForRequests('jwks', fetched + 1, 5000);
  });
});
