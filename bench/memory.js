#!/usr/bin/env node
// Memory: pushes N distinct, valid ES256 tokens (default 1,000,000) through ONE
// @jwks-auth/core verifier with its verified-token cache on (default
// maxEntries 1000) and records the heap. Run with --expose-gc:
//
//   node --expose-gc bench/memory.js [--tokens=1000000] [--out=result.json]
//
// A worker thread signs tokens (node:crypto, ES256) in batches while the main
// thread verifies them, 64 calls in flight. Heap is sampled after every batch
// (raw heapUsed, garbage included) and after a forced GC every 1/20 of the run.
import { writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { createVerifier } from '@jwks-auth/core';
import { createTestIssuer } from '@jwks-auth/testing';
import { signingKey } from './lib/tokens.js';
import { optionsFromArgv } from './lib/args.js';

const MB = 2 ** 20;
const BATCH = 5000;
const IN_FLIGHT = 64;

const args = optionsFromArgv();
const total = Number(args.tokens ?? 1_000_000);
// Safety net for the 10-minute budget on a busy machine: stop early (and say so).
const maxSeconds = Number(args['max-seconds'] ?? Infinity);

if (typeof globalThis.gc !== 'function') {
  console.error('run with --expose-gc: node --expose-gc bench/memory.js');
  process.exit(2);
}

const heap = () => process.memoryUsage();
const settle = () => {
  globalThis.gc();
  globalThis.gc();
  return heap();
};
const mb = (bytes) => Math.round((bytes / MB) * 100) / 100;

/** Streams batches of freshly signed tokens from a worker, at most two batches ahead. */
function tokenSource(key, issuer, audience) {
  const worker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.tokensModule).then(({ mintTokens }) => {
      parentPort.on('message', ({ start, count }) => {
        parentPort.postMessage(mintTokens({ ...workerData.job, start, count, prefix: 'mem' }));
      });
    });
    `,
    {
      eval: true,
      workerData: {
        tokensModule: new URL('./lib/tokens.js', import.meta.url).href,
        job: { key, issuer, audience, lifetime: 3600 },
      },
    },
  );
  const queue = [];
  const waiting = [];
  let requested = 0;
  const ask = () => {
    if (requested >= total) return;
    const count = Math.min(BATCH, total - requested);
    worker.postMessage({ start: requested, count });
    requested += count;
  };
  worker.on('message', (tokens) => {
    const w = waiting.shift();
    if (w) w(tokens);
    else queue.push(tokens);
  });
  ask();
  ask();
  return {
    next() {
      ask();
      if (queue.length) return Promise.resolve(queue.shift());
      return new Promise((resolve) => waiting.push(resolve));
    },
    async close() {
      await worker.terminate();
      queue.length = 0; // batches signed ahead must not count as verifier memory
    },
  };
}

async function main() {
  const issuer = await createTestIssuer({ algorithms: ['ES256'] });
  const audience = 'https://api.example.test';
  const verifier = createVerifier({
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience,
    algorithms: ['ES256'],
  });
  await verifier.warmup();
  const key = signingKey(issuer.keys[0]);
  const source = tokenSource(key, issuer.issuer, audience);

  const before = settle();
  const started = Date.now();
  let verified = 0;
  let failures = 0;
  let firstFailure;
  let peakRaw = before.heapUsed;
  let peakRss = before.rss;
  const checkpoints = [];
  const every = Math.max(BATCH, Math.ceil(total / 20 / BATCH) * BATCH);
  let nextCheckpoint = Math.min(every, total);
  let afterFill;

  let stoppedEarly = false;
  while (verified < total) {
    if ((Date.now() - started) / 1000 > maxSeconds) {
      stoppedEarly = true;
      break;
    }
    const batch = await source.next();
    for (let i = 0; i < batch.length; i += IN_FLIGHT) {
      const slice = batch.slice(i, i + IN_FLIGHT);
      const outcomes = await Promise.allSettled(slice.map((t) => verifier.verify(t)));
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          failures += 1;
          firstFailure ??= `${o.reason?.code ?? ''} ${o.reason?.message ?? o.reason}`;
        }
      }
    }
    verified += batch.length;
    const h = heap();
    peakRaw = Math.max(peakRaw, h.heapUsed);
    peakRss = Math.max(peakRss, h.rss);
    if (afterFill === undefined && verified >= verifier.options.cacheMaxEntries * 5)
      afterFill = settle();
    if (verified >= nextCheckpoint) {
      const s = settle();
      checkpoints.push({ tokens: verified, heapUsedMB: mb(s.heapUsed), rssMB: mb(s.rss) });
      const rate = Math.round(verified / ((Date.now() - started) / 1000));
      console.log(
        `${String(verified).padStart(9)} tokens  heap ${mb(s.heapUsed).toFixed(1)} MB after GC  (${rate.toLocaleString('en-US')} tokens/s)`,
      );
      nextCheckpoint = Math.min(nextCheckpoint + every, total);
    }
  }
  const durationS = (Date.now() - started) / 1000;
  await source.close();
  const after = settle();
  const postGc = checkpoints.map((c) => c.heapUsedMB);
  const fill = afterFill ?? after;
  const growthAfterFillMB = mb(after.heapUsed - fill.heapUsed);
  const result = {
    tokens: verified,
    requestedTokens: total,
    stoppedEarly: stoppedEarly
      ? `time cap of ${maxSeconds} s reached after ${verified} tokens`
      : false,
    alg: 'ES256',
    verified: verified - failures,
    failures,
    firstFailure,
    cacheMaxEntries: verifier.options.cacheMaxEntries,
    durationS: Math.round(durationS * 10) / 10,
    tokensPerSec: Math.round(verified / durationS),
    heapBeforeMB: mb(before.heapUsed),
    heapAfterCacheFillMB: mb(fill.heapUsed),
    heapAfterMB: mb(after.heapUsed),
    heapPeakRawMB: mb(peakRaw),
    heapPeakPostGcMB: Math.max(...postGc, mb(after.heapUsed)),
    rssBeforeMB: mb(before.rss),
    rssAfterMB: mb(after.rss),
    rssPeakMB: mb(peakRss),
    growthAfterFillMB,
    perCachedTokenBytes: Math.round(
      (fill.heapUsed - before.heapUsed) / verifier.options.cacheMaxEntries,
    ),
    // Bounded: once the cache is full, pushing the rest of the tokens must not grow the heap
    // by more than what another full cache would hold (generous against GC noise).
    bounded:
      Math.abs(after.heapUsed - fill.heapUsed) <
      Math.max(2 * MB, 2 * (fill.heapUsed - before.heapUsed)),
    checkpoints,
  };
  verifier.close();
  await issuer.close();
  console.log(
    `heap before ${result.heapBeforeMB} MB, after cache fill ${result.heapAfterCacheFillMB} MB, after ${verified.toLocaleString('en-US')} tokens ${result.heapAfterMB} MB; ` +
      `peak ${result.heapPeakRawMB} MB raw / ${result.heapPeakPostGcMB} MB after GC; bounded: ${result.bounded}; failures ${failures}` +
      (stoppedEarly ? ` (STOPPED EARLY: ${result.stoppedEarly})` : ''),
  );
  if (args.out) writeFileSync(args.out, JSON.stringify(result, null, 2));
  if (failures > 0) {
    console.error(`${failures} tokens failed to verify, first: ${firstFailure}`);
    process.exit(1);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
