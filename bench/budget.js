#!/usr/bin/env node
// Where a request's microseconds go inside @jwks-auth/core: each stage timed
// on its own in a tight loop (ns per call, median of interleaved rounds), on
// the cache-hit path and on the cache-off path, RS256 and ES256. The stages
// are the core's own modules (packages/core/dist), called as the verifier
// calls them. Tight-loop numbers are lower bounds: inside a real request,
// after the framework and OpenSSL have run, the same code finds colder
// caches (we measured 2-8x in situ), which is why docs/benchmarks.md also
// reports the time added per request over HTTP.
//
//   node bench/budget.js [--out=FILE.json] [--rounds=N]
import { createPublicKey, verify as cryptoVerify } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createVerifier } from '@jwks-auth/core';
import { authenticateInto, authenticateThen } from '@jwks-auth/core/adapter';
import { createTestIssuer } from '@jwks-auth/testing';
import { mintTokens, signingKey } from './lib/tokens.js';
import { optionsFromArgv } from './lib/args.js';

const args = optionsFromArgv();
const ROUNDS = Number(args.rounds ?? 7);
const ITERS = 200_000;
const dist = new URL('.', import.meta.resolve('@jwks-auth/core'));
const internal = (name) => import(new URL(name, dist).href);
const { extractToken } = await internal('extract.js');
const { windowBreach } = await internal('claims.js');
const { parseCompact, decodeSegment } = await internal('token.js');

/** ns per call of `fn` over `inputs`, median of ROUNDS rounds interleaved with the other cases. */
function measure(cases) {
  const names = Object.keys(cases);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const once = ([fn, inputs], iters) => {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iters; i += 1) if (fn(inputs[i % inputs.length]) === sink) sink += 1;
    return Number(process.hrtime.bigint() - t0) / iters;
  };
  for (const n of names) once(cases[n], ITERS >> 2); // warm-up
  for (let r = 0; r < ROUNDS; r += 1) {
    for (const n of r % 2 ? [...names].reverse() : names) {
      const iters = cases[n][2] ?? ITERS;
      samples[n].push(once(cases[n], iters));
    }
  }
  return Object.fromEntries(
    names.map((n) => {
      const s = [...samples[n]].sort((a, b) => a - b);
      return [n, { ns: s[s.length >> 1], min: s[0], max: s[s.length - 1] }];
    }),
  );
}

const audience = 'https://api.example.test';
const algs = ['RS256', 'ES256'];
const issuer = await createTestIssuer({ algorithms: algs });
const options = { issuer: issuer.issuer, jwksUri: issuer.jwksUri, audience, algorithms: algs };
const cached = createVerifier(options);
const uncached = createVerifier({ ...options, cache: false });
await cached.warmup();
await uncached.warmup();

// A request as Node's HTTP parser makes it: fresh header strings, rawHeaders included.
const requestFor = (token) => {
  const authorization = JSON.parse(JSON.stringify(`Bearer ${token}`));
  return {
    method: 'GET',
    url: '/hello',
    headers: { host: '127.0.0.1', 'user-agent': 'wrk', authorization },
    rawHeaders: ['Host', '127.0.0.1', 'User-Agent', 'wrk', 'Authorization', authorization],
  };
};

const results = {};
for (const alg of algs) {
  const key = signingKey(issuer.keys.find((k) => k.alg === alg));
  const hot = mintTokens({ key, issuer: issuer.issuer, audience, count: 100, prefix: 'b' });
  const cold = mintTokens({ key, issuer: issuer.issuer, audience, count: 2000, prefix: 'c' });
  const hotRequests = hot.map(requestFor);
  const coldRequests = cold.map(requestFor);
  for (const r of hotRequests) await cached.handle(r);
  const payloads = await Promise.all(hot.map(async (t) => (await cached.verify(t)).payload));
  const jwk = issuer.keys.find((k) => k.alg === alg).publicJwk;
  const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
  const signed = cold.map((t) => {
    const dot = t.lastIndexOf('.');
    return [Buffer.from(t.slice(0, dot)), Buffer.from(t.slice(dot + 1), 'base64url')];
  });
  const keyObject = alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey;
  const target = {};
  const done = () => undefined;
  const o = cached.options;
  const now = Date.now() / 1000;
  const payloadSegments = cold.map((t) => t.split('.')[1]);
  results[alg] = {
    hit: measure({
      extraction: [(r) => extractToken(r, o, r), hotRequests],
      'cache lookup and claims (handle minus extraction)': [(r) => cached.handle(r), hotRequests],
      'claims: validity window': [(p) => windowBreach(p, o, now), payloads],
      'adapter glue: authenticateInto (callback)': [
        (r) => authenticateInto(cached, r, r, target, done),
        hotRequests,
      ],
      'adapter glue: authenticateThen (promise-style)': [
        (r) => authenticateThen(cached, r, r, target, done),
        hotRequests,
      ],
    }),
    miss: measure({
      'parse: split, character scan, header (shared)': [(t) => parseCompact(t), cold],
      'parse: payload (base64url, UTF-8, JSON)': [
        (s) => decodeSegment(s, 'payload'),
        payloadSegments,
      ],
      'signature: crypto.verify alone': [
        ([data, sig]) => cryptoVerify('sha256', data, keyObject, sig),
        signed,
        20_000,
      ],
      'whole miss: handle() with the cache off': [(r) => uncached.handle(r), coldRequests, 20_000],
    }),
  };
  // The hit rows overlap: report handle() minus extraction as the cache and claims share.
  const hit = results[alg].hit;
  hit['cache lookup and claims (handle minus extraction)'].total =
    hit['cache lookup and claims (handle minus extraction)'].ns;
  const handleNs = hit['cache lookup and claims (handle minus extraction)'].ns;
  hit['cache lookup and claims (handle minus extraction)'].ns = handleNs - hit.extraction.ns;
  hit['adapter glue: authenticateInto (callback)'].ns -= handleNs;
  hit['adapter glue: authenticateThen (promise-style)'].ns -= handleNs;
  results[alg].hitTotalNs = handleNs;
  const miss = results[alg].miss;
  results[alg].missJsNs =
    miss['whole miss: handle() with the cache off'].ns - miss['signature: crypto.verify alone'].ns;
}
cached.close();
uncached.close();
await issuer.close();

const out = {
  method: `tight loop, ns per call, median of ${ROUNDS} interleaved rounds (${ITERS} calls per round; 20,000 for rows with a signature check)`,
  node: process.version,
  results,
};
for (const alg of algs) {
  console.log(`${alg}: hit ${(results[alg].hitTotalNs / 1000).toFixed(2)} µs in handle()`);
  for (const [name, r] of Object.entries({ ...results[alg].hit, ...results[alg].miss })) {
    console.log(`  ${name.padEnd(52)} ${(r.ns / 1000).toFixed(3).padStart(8)} µs`);
  }
  console.log(
    `  JavaScript around crypto.verify on a miss: ${(results[alg].missJsNs / 1000).toFixed(2)} µs`,
  );
}
if (args.out) writeFileSync(args.out, JSON.stringify(out, null, 2));
