import { createRequire } from 'node:module';
import type * as PromClientModule from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';
import {
  FETCH_DURATION_BUCKETS,
  collect,
  fetchResult,
  isReplayStoreError,
  secondsSince,
} from './collector.js';
import type { IssuerState } from './collector.js';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Where the metrics are registered; default prom-client's global `register`. */
  registry?: Registry;
  /** Prepended to every metric name; default `'jwks_auth_'`. */
  prefix?: string;
}

/** Stops the metrics: unsubscribes from the channels and removes the metrics from the registry. */
export type StopMetrics = () => void;

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

type PromClient = typeof PromClientModule;

/**
 * prom-client, loaded on first use: it is an optional peer dependency, and
 * users of `openTelemetryMetrics` need not install it.
 */
function promClient(): PromClient {
  try {
    return createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (cause) {
    throw new Error('prometheusMetrics() needs the prom-client package: npm install prom-client', {
      cause,
    });
  }
}

/**
 * Counts every verification and key set fetch of every jwks-auth verifier in
 * this process into a prom-client registry, from the core's diagnostics
 * channels (see docs/observability.md for the names). Returns the function
 * that stops counting and unregisters the metrics.
 *
 * @example
 * import { Registry } from 'prom-client';
 * const registry = new Registry();
 * const stop = prometheusMetrics({ registry });
 * app.get('/metrics', async (_req, res) => {
 *   res.type(registry.contentType).send(await registry.metrics());
 * });
 */
export function prometheusMetrics(options: PrometheusMetricsOptions = {}): StopMetrics {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('prometheusMetrics() options must be an object');
  }
  const { prefix = 'jwks_auth_' } = options;
  if (typeof prefix !== 'string' || (prefix !== '' && !PREFIX.test(prefix))) {
    throw new TypeError('"prefix" option must be a valid Prometheus metric name prefix');
  }
  const client = promClient();
  const registry = options.registry ?? client.register;
  if (
    typeof registry !== 'object' ||
    registry === null ||
    typeof registry.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function' ||
    typeof registry.removeSingleMetric !== 'function'
  ) {
    throw new TypeError('"registry" option must be a prom-client Registry');
  }
  const registers = [registry];
  const issuers = new Map<string, IssuerState>();
  const names: string[] = [];
  const name = (suffix: string): string => {
    const full = prefix + suffix;
    // A name taken in the registry throws: unregister what was registered so far.
    if (registry.getSingleMetric(full) !== undefined) {
      for (const done of names) registry.removeSingleMetric(done);
      throw new Error(`the registry already has a metric named ${full}`);
    }
    names.push(full);
    return full;
  };

  // Labels hold configured issuers, reason codes and fixed words only: bounded.
  const requests: Counter<'outcome' | 'reason' | 'issuer'> = new client.Counter({
    name: name('requests_total'),
    help: 'Token verifications by outcome (allowed, denied, anonymous) and reason code of a denial',
    labelNames: ['outcome', 'reason', 'issuer'],
    registers,
  });
  const cache: Counter<'result'> = new client.Counter({
    name: name('cache_lookups_total'),
    help: 'Token cache lookups by result (hit: the signature was not checked again; miss)',
    labelNames: ['result'],
    registers,
  });
  const fetches: Counter<'issuer' | 'reason' | 'result'> = new client.Counter({
    name: name('jwks_fetches_total'),
    help: 'Key set fetches by issuer, reason (initial, refresh, expired, unknown_kid, no_matching_key, warmup) and result',
    labelNames: ['issuer', 'reason', 'result'],
    registers,
  });
  const duration: Histogram<'issuer' | 'result'> = new client.Histogram({
    name: name('jwks_fetch_duration_seconds'),
    help: 'Duration of key set fetches, discovery included',
    labelNames: ['issuer', 'result'],
    buckets: [...FETCH_DURATION_BUCKETS],
    registers,
  });
  const stale: Counter<'issuer'> = new client.Counter({
    name: name('jwks_stale_served_total'),
    help: 'Verifications that used a key set past cacheMaxAge because refreshing it failed',
    labelNames: ['issuer'],
    registers,
  });
  const replay: Counter = new client.Counter({
    name: name('dpop_replay_store_errors_total'),
    help: 'DPoP proofs refused because the replay store failed (ERR_HOOK_FAILED from the replay hook)',
    registers,
  });
  // Gauges read the collector's per-issuer state when the registry is scraped.
  new client.Gauge({
    name: name('jwks_time_since_refresh_seconds'),
    help: 'Seconds since the last successful key set fetch, per issuer',
    labelNames: ['issuer'],
    registers,
    collect() {
      const now = Date.now();
      for (const [issuer, state] of issuers) {
        if (state.lastSuccessAt !== undefined) {
          this.set({ issuer }, secondsSince(state.lastSuccessAt, now));
        }
      }
    },
  });
  new client.Gauge({
    name: name('jwks_keys'),
    help: 'Keys in the key set installed by the last successful fetch, per issuer',
    labelNames: ['issuer'],
    registers,
    collect() {
      for (const [issuer, state] of issuers) {
        if (state.keys !== undefined) this.set({ issuer }, state.keys);
      }
    },
  });

  const collector = collect(
    {
      verification(context) {
        requests.inc({
          outcome: context.outcome!,
          reason: context.reason ?? '',
          issuer: context.issuer ?? '',
        });
        if (context.cached !== undefined) cache.inc({ result: context.cached ? 'hit' : 'miss' });
        if (isReplayStoreError(context)) replay.inc();
      },
      fetch(context) {
        const result = fetchResult(context);
        fetches.inc({ issuer: context.issuer, reason: context.reason, result });
        if (context.durationMs !== undefined) {
          duration.observe(
            { issuer: context.issuer, result: result === 'success' ? 'success' : 'failure' },
            context.durationMs / 1000,
          );
        }
      },
      stale(message) {
        stale.inc({ issuer: message.issuer });
      },
    },
    issuers,
  );

  return () => {
    collector.close();
    for (const metric of names) registry.removeSingleMetric(metric);
    names.length = 0;
  };
}
