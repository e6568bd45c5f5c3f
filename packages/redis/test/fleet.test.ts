/**
 * A fleet: four API processes (child processes running the sources, see
 * fleet/api-process.mjs) behind one real redis-server and one local issuer.
 * A proof used on one is refused on the other three; a key rotation across
 * the four makes one key set fetch (four without the store); a token revoked
 * through one is refused by all; with Redis killed mid-run key verification
 * keeps working, replay checks fail closed (503), and everything recovers
 * without a restart.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import type { DpopKey, TestIssuer } from '@jwks-auth/testing';
import { dpopHeaders, eventually, ORIGIN } from './api.js';
import { startRedis } from './redis-server.js';
import type { RedisServer } from './redis-server.js';

const here = fileURLToPath(new URL('./fleet/', import.meta.url));

interface Instance {
  base: string;
  child: ChildProcess;
}

let server: RedisServer;
let issuer: TestIssuer;
let key: DpopKey;
let fleet: Instance[] = [];
let alone: Instance[] = [];

function startInstance(sharedKeys: boolean): Promise<Instance> {
  const child = spawn(
    process.execPath,
    ['--no-warnings', '--import', `${here}register.mjs`, `${here}api-process.mjs`],
    {
      env: {
        ...process.env,
        ISSUER: issuer.issuer,
        REDIS_PORT: String(server.port),
        ORIGIN,
        SHARED_KEYS: sharedKeys ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const ready = /ready (\d+)/.exec(out);
      if (ready) resolve({ base: `http://127.0.0.1:${ready[1]}`, child });
    });
    child.once('exit', (code) => reject(new Error(`API process exited with ${code}`)));
  });
}

function stopInstance({ child }: Instance): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

const get = (instance: Instance, path: string, headers: Record<string, string>) =>
  fetch(`${instance.base}${path}`, { headers });

beforeAll(async () => {
  server = await startRedis();
  issuer = await createTestIssuer({ algorithms: ['ES256'] });
  key = await createDpopKey('ES256');
  [fleet, alone] = await Promise.all([
    Promise.all([1, 2, 3, 4].map(() => startInstance(true))),
    Promise.all([1, 2, 3, 4].map(() => startInstance(false))),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([...fleet, ...alone].map(stopInstance));
  await issuer.close();
  await server.close();
});

it('starts: the first process fetches the key set, the three others take it from Redis', async () => {
  issuer.resetCounts();
  for (const instance of fleet) {
    const res = await get(instance, '/orders', await dpopHeaders(issuer, key));
    expect(res.status).toBe(200);
  }
  expect(issuer.requests.jwks).toBe(1);
  for (const instance of alone) {
    expect((await get(instance, '/orders', await dpopHeaders(issuer, key))).status).toBe(200);
  }
  expect(issuer.requests.jwks).toBe(5);
});

it('a proof used on one process is refused on the other three', async () => {
  const headers = await dpopHeaders(issuer, key);
  expect((await get(fleet[0]!, '/orders', headers)).status).toBe(200);
  for (const instance of fleet.slice(1)) {
    const res = await get(instance, '/orders', headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/);
  }
});

it('a key rotation storm across the four makes one key set fetch in all; four without the store', async () => {
  await new Promise((r) => setTimeout(r, 150)); // past the per-process cooldown
  await issuer.rotate('ES256');
  await issuer.fail({ type: 'slow', delayMs: 200 }, { only: 'jwks' });
  try {
    const token = await issuer.sign({}, { boundTo: key });
    issuer.resetCounts();
    const storm = async (instances: Instance[]) => {
      const answers = await Promise.all(
        instances.flatMap((instance) =>
          [1, 2, 3].map(
            async () =>
              (await get(instance, '/orders', await dpopHeaders(issuer, key, token))).status,
          ),
        ),
      );
      expect(answers.every((status) => status === 200)).toBe(true);
    };
    await storm(fleet);
    expect(issuer.requests.jwks).toBe(1);
    issuer.resetCounts();
    await storm(alone);
    expect(issuer.requests.jwks).toBe(4);
  } finally {
    await issuer.heal();
  }
});

it('a token revoked through one process is refused by all four', async () => {
  const exp = Math.floor(Date.now() / 1000) + 300;
  const token = await issuer.sign({ exp }, { boundTo: key });
  for (const instance of fleet) {
    expect((await get(instance, '/orders', await dpopHeaders(issuer, key, token))).status).toBe(
      200,
    );
  }
  const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti as string;
  const revoked = await fetch(`${fleet[2]!.base}/admin/revoke?jti=${jti}&exp=${exp}`, {
    method: 'POST',
  });
  expect(revoked.status).toBe(200);
  for (const instance of fleet) {
    const res = await get(instance, '/orders', await dpopHeaders(issuer, key, token));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  }
});

it('with Redis killed: key verification keeps working (a rotation too), replay checks fail closed; recovery without a restart', async () => {
  const bearer = { authorization: `Bearer ${await issuer.sign()}` };
  for (const instance of fleet) expect((await get(instance, '/profile', bearer)).status).toBe(200);
  await server.kill();
  try {
    for (const instance of fleet) {
      const started = Date.now();
      const res = await get(instance, '/orders', await dpopHeaders(issuer, key));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Date.now() - started).toBeLessThan(2000);
      expect((await get(instance, '/profile', bearer)).status).toBe(200);
    }
    // A rotation during the outage: each process fetches the new keys from the identity provider.
    await new Promise((r) => setTimeout(r, 150));
    await issuer.rotate('ES256');
    issuer.resetCounts();
    const rotated = { authorization: `Bearer ${await issuer.sign()}` };
    for (const instance of fleet)
      expect((await get(instance, '/profile', rotated)).status).toBe(200);
    expect(issuer.requests.jwks).toBe(4);
  } finally {
    await server.start();
  }
  for (const instance of fleet) {
    await eventually(async () => {
      const headers = await dpopHeaders(issuer, key);
      expect((await get(instance, '/orders', headers)).status).toBe(200);
      expect(
        (await get(fleet[(fleet.indexOf(instance) + 1) % 4]!, '/orders', headers)).status,
      ).toBe(401);
    });
  }
});
