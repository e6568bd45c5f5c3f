#!/usr/bin/env node
// @jwks-auth/redis benchmark. Run by `node bench/run.js --scenario=redis`, or alone:
//
//   node bench/redis.js                         5 interleaved rounds of 2 s per variant
//   node bench/redis.js --quick                 2 rounds of 0.5 s
//   node bench/redis.js --duration=300 --rounds=2 --processes=4   smoke run (ms per variant)
//   node bench/redis.js --out=FILE.json         also write the results as JSON (bench/run.js)
//   node bench/redis.js --json                  print the results as one JSON line instead of tables
//   --redis-cpu=N                               pin redis-server to CPU N (taskset)
//   --concurrency=N                             requests in flight (default 32)
//
// 1. DPoP requests per second through the core (verifier.handle, in process,
//    `--concurrency` requests in flight, a fresh proof per request) with the
//    in-memory replay store and with the Redis replay store on loopback:
//    ioredis, ioredis with enableAutoPipelining, node-redis (which pipelines
//    the commands of one tick by itself). Every round measures every variant
//    once, in an order rotated per round, so machine noise hits all of them
//    alike; each Redis variant is reported as its per-round ratio to the
//    in-memory store of the same round (median and spread).
// 2. Identity-provider key set fetches of N real processes (child processes
//    of this script, one Redis connection each) started together, then N
//    more processes joining the running fleet, then a key rotation seen by
//    all, with and without the shared key set store.
//
// Needs the packages built (it imports their dist) and `redis-server` on
// PATH; it starts its own on 127.0.0.1 and a free port, and stops it (and
// every worker) at the end, on error, on SIGINT/SIGTERM and when its own
// time budget (`--max-seconds`) runs out.
import { spawnSync } from 'node:child_process';
import { createHash, createPrivateKey, randomUUID, sign as cryptoSign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exportJWK } from 'jose';
import { createVerifier, memoryReplayStore } from '@jwks-auth/core';
import { redisKeySetStore, redisReplayStore } from '@jwks-auth/redis';
import { createDpopKey, createTestIssuer } from '@jwks-auth/testing';
import { Redis } from 'ioredis';
import { optionsFromArgv } from './lib/args.js';
import { killAll, sleep, spawnTracked, stopChild } from './lib/proc.js';
import { median } from './lib/stats.js';

const SELF = fileURLToPath(import.meta.url);
const flags = new Set(process.argv.slice(2).filter((a) => !a.includes('=')));
const args = optionsFromArgv();
const quick = flags.has('--quick');
const positive = (name, fallback) => {
  const value = Number(args[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
};
const DURATION = positive('duration', quick ? 500 : 2000); // ms per variant per round
const ROUNDS = Math.round(positive('rounds', quick ? 2 : 5));
const CONCURRENCY = Math.round(positive('concurrency', 32));
const PROCESSES = Math.round(positive('processes', 4));
const AUD = 'https://api.example.test';
const ORIGIN = 'https://api.example.test';
const HTU = `${ORIGIN}/orders`;
const COOLDOWN_MS = 100; // jwks.cooldownDuration of the fleet, so the rotation is not refused by design
const JWKS_DELAY_MS = 50; // the identity provider answers key set requests this slowly, so fetches overlap

/** The installed version of a dependency (for the report), undefined when unknown. */
function packageVersion(name) {
  try {
    const entry = fileURLToPath(import.meta.resolve(name));
    const dir = `/node_modules/${name}/`;
    const root = entry.slice(0, entry.lastIndexOf(dir) + dir.length);
    return JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
  } catch {
    return undefined;
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function ping(port) {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.setTimeout(500, () => (socket.destroy(), resolve(false)));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => (socket.destroy(), resolve(String(d).startsWith('+PONG'))));
    socket.once('error', () => resolve(false));
  });
}

let deathSigPrefix;
/**
 * `setpriv --pdeathsig KILL` (util-linux) when available: the kernel then kills
 * the child if this process dies without cleaning up (SIGKILL, a runner timeout).
 */
function deathSig() {
  deathSigPrefix ??=
    spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0
      ? ['setpriv', '--pdeathsig', 'KILL']
      : [];
  return deathSigPrefix;
}

/** A redis-server of our own on 127.0.0.1 and a free port; tracked, so it dies with this process. */
async function startRedis(cpu) {
  const version = /v=(\S+)/.exec(
    spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '',
  )?.[1];
  if (!version)
    throw new Error('redis-server not found on PATH (Debian: apt-get install redis-server)');
  const pin =
    cpu !== undefined &&
    spawnSync('taskset', ['-c', String(cpu), 'true'], { stdio: 'ignore' }).status === 0;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const server = [
      'redis-server',
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    // taskset here rather than lib/proc.js's canPin(): this process may be pinned to one CPU
    // itself (bench/run.js does that), where canPin() sees a single CPU and declines. setpriv
    // makes the kernel kill redis-server if this process dies without cleaning up (SIGKILL).
    const command = [...(pin ? ['taskset', '-c', String(cpu)] : []), ...deathSig(), ...server];
    const child = spawnTracked(command[0], command.slice(1), { stdio: 'ignore' });
    let exited = false;
    child.once('exit', () => (exited = true));
    child.once('error', () => (exited = true));
    for (let i = 0; i < 100 && !exited; i += 1) {
      if (await ping(port))
        return { port, version, pinned: pin ? cpu : undefined, stop: () => stopChild(child) };
      await sleep(50);
    }
    await stopChild(child); // port taken in between, or too slow: try another port
  }
  throw new Error('redis-server did not start');
}

/** Proofs signed with node:crypto (fast enough to make thousands per round). */
async function proofMaker(key, token) {
  const jwk = { ...key.publicJwk };
  const privateKey = createPrivateKey({ key: await exportJWK(key.privateKey), format: 'jwk' });
  const header = Buffer.from(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk })).toString(
    'base64url',
  );
  const ath = createHash('sha256').update(token).digest('base64url');
  return () => {
    const payload = Buffer.from(
      JSON.stringify({
        jti: randomUUID(),
        htm: 'GET',
        htu: HTU,
        iat: Math.floor(Date.now() / 1000),
        ath,
      }),
    ).toString('base64url');
    const input = `${header}.${payload}`;
    const sig = cryptoSign('sha256', Buffer.from(input), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${input}.${sig.toString('base64url')}`;
  };
}

/**
 * Requests per second through `verifier` for `ms`, `CONCURRENCY` in flight,
 * over `proofs` made beforehand (distinct, never seen by any store). Every
 * request must be accepted; a refusal aborts the benchmark.
 */
async function measure(verifier, token, proofs, ms) {
  let next = 0;
  let done = 0;
  const until = performance.now() + ms;
  const worker = async () => {
    while (performance.now() < until && next < proofs.length) {
      const dpop = proofs[next++];
      const result = await verifier.handle({
        method: 'GET',
        url: '/orders',
        headers: { authorization: `DPoP ${token}`, dpop },
      });
      if (!result) throw new Error('a DPoP request was not authenticated');
      done += 1;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const elapsed = performance.now() - started;
  return {
    rps: (done / elapsed) * 1000,
    requests: done,
    used: next,
    ranOut: next >= proofs.length && elapsed < ms,
  };
}

async function replayPhase(issuer, redisPort) {
  const key = await createDpopKey('ES256');
  const token = await issuer.sign({ aud: AUD }, { alg: 'ES256', boundTo: key, expiresIn: 7200 });
  const makeProof = await proofMaker(key, token);
  const closers = [];
  const ioredis = (auto) => {
    const c = new Redis(redisPort, '127.0.0.1', { enableAutoPipelining: auto });
    closers.push(() => c.disconnect());
    return c;
  };
  const { createClient } = await import('redis');
  const nodeRedis = createClient({ url: `redis://127.0.0.1:${redisPort}` });
  await nodeRedis.connect();
  closers.push(() => nodeRedis.destroy());
  const variants = [
    { name: 'in-memory store (`memoryReplayStore`)', client: null, replay: memoryReplayStore() },
    { name: 'Redis, ioredis', client: 'ioredis', replay: redisReplayStore(ioredis(false)) },
    {
      name: 'Redis, ioredis + `enableAutoPipelining`',
      client: 'ioredis',
      replay: redisReplayStore(ioredis(true)),
    },
    {
      name: 'Redis, node-redis (pipelines each tick by default)',
      client: 'redis',
      replay: redisReplayStore(nodeRedis),
    },
  ].map((v) => ({
    ...v,
    verifier: createVerifier({
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience: AUD,
      dpop: { origin: ORIGIN, replay: v.replay },
    }),
    runs: [],
  }));
  try {
    // Proofs are made before the clock starts, into a pool topped up to 2.5x the fastest rate
    // seen so far; what a run leaves unused (never sent) serves the next, until a minute old.
    const pool = [];
    let fastest = 0;
    const runOn = async (v, ms) => {
      const fresh = Date.now() - 60_000;
      while (pool.length && pool[0].at < fresh) pool.shift();
      const want = Math.max(2000, Math.ceil((fastest * 2.5 * ms) / 1000));
      while (pool.length < want) pool.push({ proof: makeProof(), at: Date.now() });
      const run = await measure(
        v.verifier,
        token,
        pool.map((p) => p.proof),
        ms,
      );
      pool.splice(0, run.used);
      fastest = Math.max(fastest, run.rps);
      return run;
    };
    // Warm-up: JIT, connections, key set, and a first rate.
    for (const v of variants) await runOn(v, Math.min(300, DURATION));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      for (const v of order)
        v.runs.push({ round, position: order.indexOf(v), ...(await runOn(v, DURATION)) });
    }
  } finally {
    for (const v of variants) v.verifier.close();
    for (const close of closers) close();
  }
  const base = variants[0].runs;
  return variants.map((v) => {
    const rates = v.runs.map((r) => r.rps);
    const ratios = v.runs.map((r, i) => r.rps / base[i].rps);
    return {
      variant: v.name,
      client: v.client,
      reqPerSec: median(rates),
      rates,
      ratios,
      ratioToMemory: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      proofsRanOut: v.runs.filter((r) => r.ranOut).length,
    };
  });
}

// ------------------------------------------------ fleet of processes (key set fetches)

/** A worker process: one verifier (and one Redis connection); verifies the tokens sent on stdin. */
async function workerMain() {
  process.stdin.once('end', () => process.exit(0)); // the fleet is stopped, or its parent is gone
  const client = new Redis(Number(args['redis-port']), '127.0.0.1');
  const verifier = createVerifier({
    issuer: args.issuer,
    jwksUri: args['jwks-uri'],
    audience: AUD,
    cache: false,
    jwks: {
      cooldownDuration: COOLDOWN_MS,
      ...(args.shared === 'true' ? { store: redisKeySetStore(client) } : {}),
    },
  });
  await client.ping();
  process.stdout.write('ready\n');
  for await (const line of createInterface({ input: process.stdin })) {
    const { id, token } = JSON.parse(line);
    verifier.verify(token).then(
      () => process.stdout.write(`${JSON.stringify({ id, ok: true })}\n`),
      (error) =>
        process.stdout.write(`${JSON.stringify({ id, ok: false, error: String(error) })}\n`),
    );
  }
  // stdin closed: the 'end' handler above exits (verifier and connection go with the process).
}

/** Starts `n` worker processes and resolves once each has its verifier and its Redis connection. */
async function startFleet(n, { issuer, redisPort, shared }) {
  const workers = Array.from({ length: n }, () => {
    const [command, ...prefix] = [...deathSig(), process.execPath];
    const child = spawnTracked(
      command,
      [
        ...prefix,
        SELF,
        '--worker=true',
        `--redis-port=${redisPort}`,
        `--issuer=${issuer.issuer}`,
        `--jwks-uri=${issuer.jwksUri}`,
        `--shared=${shared}`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const pending = new Map();
    let ready;
    const isReady = new Promise((resolve, reject) => {
      ready = resolve;
      child.once('exit', (code) => reject(new Error(`fleet worker exited (${code})`)));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'ready') return ready();
      const reply = JSON.parse(line);
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    });
    let ids = 0;
    return {
      child,
      isReady,
      verify(token) {
        const id = ids++;
        return new Promise((resolve) => {
          pending.set(id, resolve);
          child.stdin.write(`${JSON.stringify({ id, token })}\n`);
        });
      },
    };
  });
  await Promise.all(workers.map((w) => w.isReady));
  return workers;
}

async function stopFleet(workers) {
  await Promise.all(
    workers.map((w) => {
      w.child.stdin.end(); // the worker exits when its stdin closes
      return stopChild(w.child, 3000);
    }),
  );
}

/** Every worker verifies `token` at the same moment; resolves the key set fetches this caused. */
async function fetchesFor(issuer, workers, token) {
  issuer.resetCounts();
  const replies = await Promise.all(workers.map((w) => w.verify(token)));
  const refused = replies.filter((r) => !r.ok);
  if (refused.length) throw new Error(`fleet refused a valid token: ${refused[0].error}`);
  return issuer.requests.jwks;
}

async function fetchPhase(issuer, redisPort) {
  const admin = new Redis(redisPort, '127.0.0.1');
  const run = async (shared) => {
    await admin.flushall();
    const fleet = await startFleet(PROCESSES, { issuer, redisPort, shared });
    const late = [];
    try {
      await issuer.fail({ type: 'slow', delayMs: JWKS_DELAY_MS }, { only: 'jwks' });
      const first = await issuer.sign({ aud: AUD }, { alg: 'ES256' });
      const coldStart = await fetchesFor(issuer, fleet, first);
      late.push(...(await startFleet(PROCESSES, { issuer, redisPort, shared })));
      const joining = await fetchesFor(issuer, late, first);
      await sleep(COOLDOWN_MS * 1.5);
      await issuer.rotate('ES256');
      const rotated = await issuer.sign({ aud: AUD }, { alg: 'ES256' });
      const rotation = await fetchesFor(issuer, [...fleet, ...late], rotated);
      return {
        setup: shared ? 'redisKeySetStore' : 'no store (each process fetches)',
        store: shared,
        processes: PROCESSES,
        coldStart,
        joining,
        rotation,
      };
    } finally {
      await issuer.heal();
      await stopFleet([...fleet, ...late]);
    }
  };
  try {
    return [await run(false), await run(true)];
  } finally {
    admin.disconnect();
  }
}

async function main() {
  // Bounded: stops itself (and everything it started) if the machine is too busy for the budget.
  const maxSeconds = positive(
    'max-seconds',
    30 + (ROUNDS * 4 * (DURATION + 1500) + 4 * 1000) / 1000 + PROCESSES * 4,
  );
  setTimeout(() => {
    console.error(`redis.js: still running after ${maxSeconds} s, stopping`);
    process.exit(1); // the exit hook of lib/proc.js kills redis-server and the workers
  }, maxSeconds * 1000).unref();

  const redis = await startRedis(
    args['redis-cpu'] === undefined ? undefined : Number(args['redis-cpu']),
  );
  const issuer = await createTestIssuer({ algorithms: ['ES256'] });
  try {
    const replay = await replayPhase(issuer, redis.port);
    const fetches = await fetchPhase(issuer, redis.port);
    const results = {
      node: process.versions.node,
      method:
        `${ROUNDS} rounds of ${DURATION} ms per variant, order rotated per round, ` +
        `${CONCURRENCY} requests in flight through verifier.handle() in one process, a fresh ES256 proof per request`,
      settings: {
        durationMs: DURATION,
        rounds: ROUNDS,
        concurrency: CONCURRENCY,
        processes: PROCESSES,
        jwksDelayMs: JWKS_DELAY_MS,
        redisServer: redis.version,
        redisPinned: redis.pinned,
        ioredis: packageVersion('ioredis'),
        nodeRedis: packageVersion('redis'),
      },
      replay,
      fetches,
    };
    if (args.out) await writeFile(args.out, `${JSON.stringify(results, null, 2)}\n`);
    if (flags.has('--json') || args.json === 'true') {
      console.log(JSON.stringify(results));
      return;
    }
    console.log(`DPoP replay store, in process: ${results.method}`);
    console.table(
      replay.map((r) => ({
        variant: r.variant,
        'req/s (median)': Math.round(r.reqPerSec),
        '× in-memory per round': r.ratios.map((x) => x.toFixed(2)).join(' / '),
        median: r.ratioToMemory.toFixed(3),
      })),
    );
    console.log(
      `Identity-provider key set fetches: ${PROCESSES} processes start together, ${PROCESSES} more join, then one key rotation`,
    );
    console.table(fetches, ['setup', 'processes', 'coldStart', 'joining', 'rotation']);
  } finally {
    await issuer.close();
    await redis.stop();
  }
}

if (args.worker === 'true') {
  workerMain().catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main()
    .catch((error) => {
      console.error(error);
      process.exitCode = 1;
    })
    .finally(killAll);
}
