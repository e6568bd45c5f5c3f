// Rotation-storm load generator, run as its own pinned process by bench/run.js.
// Uses autocannon (whatever the main load generator is) because the storm has
// to switch tokens mid-run on the SAME, already established connections and
// time-stamp every response: a fresh wrk run with 500 new connections mostly
// measures connection start-up (p99 ≈ 1.5 s even on a bare app).
//
// argv[2]: JSON { url, tokensA, tokensB, connections, warmup, steady, storm }.
// Protocol: after warm-up + steady seconds it prints "ROTATE"; the runner
// switches the key set and answers "GO" on stdin; from then on every request
// carries a kid-B token. Finally it prints "STORM_JSON {...}".
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const read = (file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((t) => `Bearer ${t}`);
const tokensA = read(cfg.tokensA);
const tokensB = read(cfg.tokensB);
let tokens = tokensA;
let i = 0;

const samples = []; // [timeMs, latencyMs, status]
const t0 = performance.now();
let goAt;

const instance = autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.warmup + cfg.steady + cfg.storm + 30, // stopped explicitly
  timeout: 30,
  pipelining: 1,
  requests: [
    {
      method: 'GET',
      setupRequest(req) {
        const authorization = tokens[i % tokens.length];
        i += 1;
        return { ...req, headers: { ...req.headers, authorization } };
      },
    },
  ],
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  samples.push([performance.now() - t0, responseTime, statusCode]);
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lines = createInterface({ input: process.stdin });
const go = new Promise((resolve) => lines.on('line', (l) => l.trim() === 'GO' && resolve()));

await sleep((cfg.warmup + cfg.steady) * 1000);
const steadyFrom = cfg.warmup * 1000;
const steadyTo = performance.now() - t0;
process.stdout.write('ROTATE\n');
await go;
goAt = performance.now() - t0;
tokens = tokensB;
await sleep(cfg.storm * 1000);
const stormTo = performance.now() - t0;
instance.stop();
await sleep(200);

function windowStats(from, to) {
  const w = samples.filter(([t]) => t >= from && t < to);
  const lat = w.map((s) => s[1]).sort((a, b) => a - b);
  const pct = (p) =>
    lat.length ? lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] : NaN;
  const statuses = {};
  for (const [, , status] of w) statuses[status] = (statuses[status] ?? 0) + 1;
  return {
    requests: w.length,
    rps: w.length / ((to - from) / 1000),
    p50Ms: pct(50),
    p99Ms: pct(99),
    maxMs: lat.length ? lat[lat.length - 1] : NaN,
    statuses,
  };
}
// Responses completed during the first second after the switch: the wave the
// key-set fetch has to absorb.
const out = {
  steady: windowStats(steadyFrom, steadyTo),
  storm: windowStats(goAt, stormTo),
  stormFirstSecond: windowStats(goAt, Math.min(stormTo, goAt + 1000)),
  rotateLatencyMs: goAt - steadyTo,
};
process.stdout.write(`STORM_JSON ${JSON.stringify(out)}\n`);
process.exit(0);
