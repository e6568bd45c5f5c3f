// The "@jwks-auth/redis" section of the benchmark report (results.redis, from bench/redis.js).
// Every number comes from the results; nothing is typed in by hand.

const num = (n, d = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d })
    : '–';
const ratio = (n) => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '–');

/** Markdown lines of the section; empty when the run has no redis results. */
export function redisSection(redis) {
  if (!redis) return [];
  const s = redis.settings;
  const L = [];
  L.push('## DPoP replay store and shared key sets on Redis (`@jwks-auth/redis`)');
  L.push('');
  L.push(
    `\`bench/redis.js\` (Node ${redis.node}; redis-server ${s.redisServer ?? '?'} on 127.0.0.1, ` +
      `${Number.isInteger(s.redisPinned) ? `pinned to CPU ${s.redisPinned}` : 'not pinned'}; ioredis ${s.ioredis ?? '?'}, node-redis ${s.nodeRedis ?? '?'}). ` +
      `Requests per second through the core with each replay store: ${redis.method}. ` +
      'Each round gives one pair per Redis variant (its req/s ÷ the in-memory store in the same round); ' +
      'the pairs are listed in round order and the median pair is the result.',
  );
  L.push('');
  L.push(
    '| Replay store | req/s (median) | min–max req/s | × in-memory per round (pairs) | × in-memory (median) | spread of pairs |',
  );
  L.push('|---|--:|--:|---|--:|--:|');
  for (const r of redis.replay) {
    const base = r.client === null;
    L.push(
      `| ${r.variant} | ${num(r.reqPerSec)} | ${num(Math.min(...r.rates))}–${num(Math.max(...r.rates))} | ` +
        `${base ? 'baseline' : r.ratios.map((x) => x.toFixed(2)).join(' / ')} | ${base ? '1.00×' : `**${ratio(r.ratioToMemory)}**`} | ` +
        `${base ? '' : `${ratio(r.ratioMin)} to ${ratio(r.ratioMax)}`} |`,
    );
  }
  L.push('');
  const short = redis.replay.filter((r) => r.proofsRanOut > 0);
  if (short.length)
    L.push(
      `Note: the pre-made proofs ran out before the end of ${short.map((r) => `${r.proofsRanOut} run(s) of "${r.variant}"`).join(', ')}; ` +
        'those runs are shorter (the rate is still requests ÷ elapsed time).',
      '',
    );
  L.push(
    `Identity-provider key set fetches of a fleet of real processes (one verifier and one Redis connection each), ` +
      `the key set endpoint answering in ${s.jwksDelayMs} ms so that concurrent fetches overlap: ` +
      `${s.processes} processes verify their first token at the same moment (cold start), ${s.processes} more ` +
      'processes join the running fleet and verify one token each, then the issuer rotates its key and all ' +
      `${2 * s.processes} verify a token signed with the new key at the same moment.`,
  );
  L.push('');
  L.push(
    '| Key sets | processes | fetches at cold start | fetches when processes join | fetches on key rotation |',
  );
  L.push('|---|--:|--:|--:|--:|');
  for (const f of redis.fetches)
    L.push(
      `| ${f.store ? '`jwks.store: redisKeySetStore(client)`' : 'no store (each process fetches)'} | ` +
        `${f.processes} + ${f.processes} | ${num(f.coldStart)} | ${num(f.joining)} | ${num(f.rotation)} |`,
    );
  L.push('');
  return L;
}
