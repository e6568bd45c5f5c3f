#!/usr/bin/env node
// Core micro-benchmark (no HTTP): token verifications per second in one
// process. The runner starts it pinned to one CPU (taskset -c 0), so the
// libuv thread pool that WebCrypto (jose) uses shares that CPU too.
//
//   node bench/micro.js                       standalone: own issuer and tokens
//   node bench/micro.js --config=FILE.json    driven by bench/run.js
//
// Cases per algorithm (RS256, ES256):
//   node:crypto.verify          the floor: only the signature check, inputs pre-decoded
//   jwks-auth verify            @jwks-auth/core createVerifier().verify(), cache on / off,
//                               node engine (node:crypto) and Web engine (jose on WebCrypto)
//   jose jwtVerify              with createLocalJWKSet (key lookup by kid, claims checked)
//   fast-jwt                    createVerifier with the PEM key (sync), cache off / on
// "hot" cycles through 100 tokens, "cold" through N distinct tokens (N > every
// cache size, so an LRU never hits). Async verifiers are driven 64 calls at a time.
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createVerifier } from '@jwks-auth/core';
import { createTestIssuer } from '@jwks-auth/testing';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { median } from './lib/stats.js';
import { mintTokens, signingKey } from './lib/tokens.js';

const BATCH = 64;

function parseArgs() {
  const out = {};
  for (const arg of process.argv.slice(2)) {
    const m = /^--([^=]+)=(.*)$/.exec(arg);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

async function loadConfig(args) {
  if (args.config)
    return { config: JSON.parse(readFileSync(args.config, 'utf8')), close: async () => {} };
  // Standalone: a local issuer and freshly signed tokens.
  const algs = ['RS256', 'ES256'];
  const issuer = await createTestIssuer({ algorithms: algs });
  const audience = 'https://api.example.test';
  const coldTokens = Number(args.cold ?? 5000);
  const hot = {};
  const cold = {};
  for (const alg of algs) {
    const key = signingKey(issuer.keys.find((k) => k.alg === alg));
    hot[alg] = mintTokens({ key, issuer: issuer.issuer, audience, count: 100, prefix: 'hot' });
    cold[alg] = mintTokens({
      key,
      issuer: issuer.issuer,
      audience,
      count: coldTokens,
      prefix: 'cold',
    });
  }
  return {
    config: {
      issuer: issuer.issuer,
      jwksUri: issuer.jwksUri,
      audience,
      algs,
      jwks: issuer.jwks(),
      hotTokens: hot,
      coldTokensList: cold,
      coldTokens,
      warmupMs: Number(args.warmup ?? 300),
      sampleMs: Number(args.sample ?? 400),
      samples: Number(args.samples ?? 3),
      out: args.out,
    },
    close: () => issuer.close(),
  };
}

const readTokens = (file, limit = Infinity) => {
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  return lines.length > limit ? lines.slice(0, limit) : lines;
};

/** Runs `fn` over `tokens` round-robin for `ms`; returns ops/s. */
async function measure(fn, tokens, ms) {
  const n = tokens.length;
  let i = 0;
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    let pending;
    for (let k = 0; k < BATCH; k += 1) {
      const r = fn(tokens[i]);
      i = i + 1 === n ? 0 : i + 1;
      if (r !== undefined && typeof r.then === 'function') (pending ??= []).push(r);
    }
    if (pending !== undefined) await Promise.all(pending);
    ops += BATCH;
    now = performance.now();
  }
  return ops / ((now - start) / 1000);
}

async function bench(fn, tokens, cfg) {
  await measure(fn, tokens, cfg.warmupMs);
  const samples = [];
  for (let s = 0; s < cfg.samples; s += 1) samples.push(await measure(fn, tokens, cfg.sampleMs));
  return {
    opsPerSec: median(samples),
    min: Math.min(...samples),
    max: Math.max(...samples),
    samples,
  };
}

/** Decodes a token once for the floor: signing input and raw signature. */
function floorInput(token) {
  const dot = token.lastIndexOf('.');
  return {
    data: Buffer.from(token.slice(0, dot)),
    sig: Buffer.from(token.slice(dot + 1), 'base64url'),
  };
}

async function main() {
  const args = parseArgs();
  const { config: cfg, close } = await loadConfig(args);
  const { issuer, jwksUri, audience, algs } = cfg;
  const jwks = createLocalJWKSet(cfg.jwks);
  const results = [];
  const print = (r) =>
    console.log(
      `${r.alg}  ${r.name.padEnd(36)} ${r.variant.padEnd(5)} ${Math.round(r.opsPerSec).toLocaleString('en-US').padStart(9)} ops/s`,
    );

  const cacheOn = createVerifier({ issuer, jwksUri, audience, algorithms: algs });
  const cacheOff = createVerifier({ issuer, jwksUri, audience, algorithms: algs, cache: false });
  await cacheOn.warmup();
  await cacheOff.warmup();
  // The Web engine (jose on WebCrypto, the default where there is no
  // node:crypto: workerd), measured here next to the node one, when the core has it.
  let joseEngine;
  let joseCached;
  try {
    const web = { issuer, jwksUri, audience, algorithms: algs, engine: 'jose' };
    joseEngine = createVerifier({ ...web, cache: false });
    joseCached = createVerifier(web);
    await joseEngine.warmup();
    await joseCached.warmup();
  } catch {
    joseEngine = undefined;
  }

  for (const alg of algs) {
    const hot = cfg.hotTokens?.[alg] ?? readTokens(cfg.hot[alg]);
    const cold = cfg.coldTokensList?.[alg] ?? readTokens(cfg.cold[alg], cfg.coldTokens);
    const jwk = cfg.jwks.keys.find((k) => k.alg === alg);
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const floorKey = alg.startsWith('ES')
      ? { key: publicKey, dsaEncoding: 'ieee-p1363' }
      : publicKey;
    const floorInputs = cold.map(floorInput);
    const fastJwtOptions = {
      key: pem,
      algorithms: [alg],
      allowedIss: issuer,
      allowedAud: audience,
    };
    const fastOff = createFastJwtVerifier({ ...fastJwtOptions, cache: false });
    const fastOn = createFastJwtVerifier({ ...fastJwtOptions, cache: true });
    const joseOptions = { issuer, audience, algorithms: [alg] };

    const cases = [
      {
        name: 'node:crypto.verify (floor)',
        lib: 'floor',
        variants: ['cold'],
        inputs: floorInputs,
        fn: ({ data, sig }) => {
          if (!cryptoVerify('sha256', data, floorKey, sig)) throw new Error('floor: bad signature');
        },
      },
      {
        name: 'jwks-auth verify, cache on',
        lib: 'jwks-auth',
        cache: true,
        fn: (t) => cacheOn.verify(t),
      },
      {
        name: 'jwks-auth verify, cache off',
        lib: 'jwks-auth',
        cache: false,
        fn: (t) => cacheOff.verify(t),
      },
      ...(joseEngine
        ? [
            {
              name: "jwks-auth verify, cache on, engine 'jose' (Web)",
              lib: 'jwks-auth',
              cache: true,
              fn: (t) => joseCached.verify(t),
            },
            {
              name: "jwks-auth verify, cache off, engine 'jose' (Web)",
              lib: 'jwks-auth',
              cache: false,
              variants: ['cold'],
              fn: (t) => joseEngine.verify(t),
            },
          ]
        : []),
      {
        name: 'jose jwtVerify + createLocalJWKSet',
        lib: 'jose',
        cache: false,
        fn: (t) => jwtVerify(t, jwks, joseOptions),
      },
      {
        name: 'fast-jwt verifier, cache off',
        lib: 'fast-jwt',
        cache: false,
        fn: (t) => fastOff(t),
      },
      { name: 'fast-jwt verifier, cache on', lib: 'fast-jwt', cache: true, fn: (t) => fastOn(t) },
    ];
    for (const c of cfg.floorOnly ? cases.filter((x) => x.lib === 'floor') : cases) {
      // Sanity: every case must accept a valid token (and report its subject).
      const out = await c.fn(c.inputs?.[0] ?? hot[0]);
      const sub = out?.payload?.sub ?? out?.sub;
      if (c.lib !== 'floor' && typeof sub !== 'string')
        throw new Error(`${c.name}: unexpected result ${JSON.stringify(out)}`);
      for (const variant of c.variants ?? ['hot', 'cold']) {
        const r = await bench(c.fn, c.inputs ?? (variant === 'hot' ? hot : cold), cfg);
        const row = {
          alg,
          name: c.name,
          lib: c.lib,
          cache: c.cache ?? null,
          variant,
          tokens: variant === 'hot' ? hot.length : cold.length,
          ...r,
        };
        results.push(row);
        print(row);
      }
    }
  }
  cacheOn.close();
  cacheOff.close();
  joseEngine?.close();
  joseCached?.close();
  const floor = Object.fromEntries(
    algs.map((a) => [a, results.find((r) => r.alg === a && r.lib === 'floor').opsPerSec]),
  );
  const out = {
    method: `ops/s, median of ${cfg.samples} x ${cfg.sampleMs} ms after ${cfg.warmupMs} ms warm-up; async verifiers driven ${BATCH} calls at a time`,
    node: process.version,
    floor,
    results,
  };
  if (cfg.out) writeFileSync(cfg.out, JSON.stringify(out, null, 2));
  await close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
