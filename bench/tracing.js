#!/usr/bin/env node
// Cost of the diagnostics channels on the hot path (docs/observability.md):
// cached handle() hits with nobody subscribed vs with a subscriber like
// @jwks-auth/metrics (end + asyncEnd on jwks-auth:verify), paired and
// interleaved in one process on one verifier, so both sides share the JIT
// state. Run after `pnpm build`, pinned to one CPU:
//
//   taskset -c 0 node bench/tracing.js [--rounds=21] [--calls=200000]
//
// CORE=/abs/path/to/core/dist/index.js runs it against another build of
// @jwks-auth/core (an A/B of the untraced numbers across two commits).
import diagnosticsChannel from 'node:diagnostics_channel';
import { createTestIssuer } from '@jwks-auth/testing';

const args = Object.fromEntries(
  process.argv.slice(2).map((a) => /^--([^=]+)=(.*)$/.exec(a)?.slice(1) ?? [a, '']),
);
const ROUNDS = Number(args.rounds ?? 21);
const CALLS = Number(args.calls ?? 200_000);
const core = await import(process.env.CORE ?? '@jwks-auth/core');

const AUD = 'https://api.example.test';
const issuer = await createTestIssuer();
const tokens = await Promise.all(
  Array.from({ length: 100 }, (_, i) => issuer.sign({ aud: AUD, sub: `user-${i}` })),
);
const requests = tokens.map((t) => ({
  method: 'GET',
  url: '/',
  headers: { authorization: `Bearer ${t}` },
}));
const verifier = core.createVerifier({
  issuer: issuer.issuer,
  audience: AUD,
  jwksUri: issuer.jwksUri,
});
for (const t of tokens) await verifier.verify(t);

let sink = 0;
let events = 0;
/** ns per cached handle() call. */
function round() {
  const started = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) if (verifier.handle(requests[i % 100]) !== undefined) sink++;
  return Number(process.hrtime.bigint() - started) / CALLS;
}
const channel = diagnosticsChannel.tracingChannel('jwks-auth:verify');
const subscriber = {
  end: (context) => context.outcome !== undefined && events++,
  asyncEnd: () => events++,
};

const off = [];
const on = [];
round();
for (let r = 0; r < ROUNDS; r++) {
  off.push(round());
  channel.subscribe(subscriber);
  on.push(round());
  channel.unsubscribe(subscriber);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`cached handle(), ${ROUNDS} paired rounds of ${CALLS} calls`);
console.log(
  `  nobody subscribed   median ${median(off).toFixed(0)} ns, min ${Math.min(...off).toFixed(0)} ns`,
);
console.log(
  `  traced (subscriber) median ${median(on).toFixed(0)} ns, min ${Math.min(...on).toFixed(0)} ns`,
);
console.log(`  events seen while traced: ${events} (expected ${ROUNDS * CALLS}); checksum ${sink}`);
verifier.close();
await issuer.close();
