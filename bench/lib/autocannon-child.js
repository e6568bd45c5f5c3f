// Autocannon load generator (fallback when wrk is unavailable), run as its own
// pinned process. argv[2] is a JSON config: { url, tokensFile, offset,
// connections, duration, timeout }. Tokens are cycled round-robin with one
// shared counter across connections (setupRequest), like the wrk script.
// Prints one line "AC_JSON {...}" in the same shape as the wrk script.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const cfg = JSON.parse(process.argv[2]);
const tokens =
  cfg.tokensFile && cfg.tokensFile !== '-'
    ? readFileSync(cfg.tokensFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((t) => `Bearer ${t}`)
    : [];
let i = cfg.offset ?? 0;
const request = tokens.length
  ? {
      method: 'GET',
      setupRequest(req) {
        const authorization = tokens[i % tokens.length];
        i += 1;
        return { ...req, headers: { ...req.headers, authorization } };
      },
    }
  : { method: 'GET' };

const result = await autocannon({
  url: cfg.url,
  connections: cfg.connections,
  duration: cfg.duration,
  timeout: cfg.timeout ?? 10,
  pipelining: 1,
  requests: [request],
});
const statuses = {};
for (const [key, value] of Object.entries(result)) {
  // autocannon reports '1xx'..'5xx' counts; exact codes need a response hook.
  if (/^[1-5]xx$/.test(key) && value > 0) statuses[key] = value;
}
const ms = (v) => Math.round((v ?? 0) * 1000);
const summary = {
  requests: result.requests.total,
  duration_us: Math.round(result.duration * 1e6),
  bytes: result.throughput.total,
  errors: {
    connect: 0,
    read: result.errors,
    write: 0,
    status: result.non2xx,
    timeout: result.timeouts,
  },
  latency_us: {
    min: ms(result.latency.min),
    mean: ms(result.latency.mean),
    stdev: ms(result.latency.stddev),
    max: ms(result.latency.max),
    p50: ms(result.latency.p50),
    p90: ms(result.latency.p90),
    p99: ms(result.latency.p99),
    p999: ms(result.latency.p99_9),
  },
  statuses: cfg.countStatuses ? statuses : {},
};
process.stdout.write(`AC_JSON ${JSON.stringify(summary)}\n`);
