import { createRequire } from 'node:module';
import type * as OpenTelemetryApi from '@opentelemetry/api';
import type { Meter, MeterProvider, ObservableCallback, ObservableGauge } from '@opentelemetry/api';
import {
  FETCH_DURATION_BUCKETS,
  collect,
  fetchResult,
  isReplayStoreError,
  secondsSince,
} from './collector.js';
import type { StopMetrics } from './prometheus.js';

/** Options of {@link openTelemetryMetrics}: a meter, or a provider to get one from. */
export interface OpenTelemetryMetricsOptions {
  /** The meter the instruments are created on. */
  meter?: Meter;
  /** A provider to get the `@jwks-auth/metrics` meter from; default the global one (`@opentelemetry/api`'s `metrics`). */
  meterProvider?: MeterProvider;
}

/** The meter name (the instrumentation scope) used with a provider. */
export const METER_NAME = '@jwks-auth/metrics';

function globalMeterProvider(): MeterProvider {
  try {
    const api = createRequire(import.meta.url)('@opentelemetry/api') as typeof OpenTelemetryApi;
    return api.metrics.getMeterProvider();
  } catch (cause) {
    throw new Error(
      'openTelemetryMetrics() without a meter needs @opentelemetry/api: npm install @opentelemetry/api',
      { cause },
    );
  }
}

function isMeter(value: unknown): value is Meter {
  const meter = value as Partial<Meter> | null;
  return (
    typeof meter === 'object' &&
    meter !== null &&
    typeof meter.createCounter === 'function' &&
    typeof meter.createHistogram === 'function' &&
    typeof meter.createObservableGauge === 'function'
  );
}

/**
 * Records every verification and key set fetch of every jwks-auth verifier
 * in this process as OpenTelemetry metrics, from the core's diagnostics
 * channels (see docs/observability.md for the names and attributes). Returns
 * the function that stops recording (the instruments stay on the meter,
 * without new data).
 *
 * @example
 * import { metrics } from '@opentelemetry/api';
 * const stop = openTelemetryMetrics({ meterProvider: metrics.getMeterProvider() });
 */
export function openTelemetryMetrics(options: OpenTelemetryMetricsOptions = {}): StopMetrics {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('openTelemetryMetrics() options must be an object');
  }
  const { meter: given, meterProvider } = options;
  if (given !== undefined && meterProvider !== undefined) {
    throw new TypeError('pass either the "meter" option or "meterProvider", not both');
  }
  if (
    meterProvider !== undefined &&
    (typeof meterProvider !== 'object' ||
      meterProvider === null ||
      typeof meterProvider.getMeter !== 'function')
  ) {
    throw new TypeError('"meterProvider" option must be an OpenTelemetry MeterProvider');
  }
  const meter = given ?? (meterProvider ?? globalMeterProvider()).getMeter(METER_NAME);
  if (!isMeter(meter)) throw new TypeError('"meter" option must be an OpenTelemetry Meter');

  const requests = meter.createCounter('jwks_auth.requests', {
    description:
      'Token verifications by outcome (allowed, denied, anonymous) and reason code of a denial',
    unit: '{request}',
  });
  const cache = meter.createCounter('jwks_auth.cache.lookups', {
    description: 'Token cache lookups by result (hit: the signature was not checked again; miss)',
    unit: '{lookup}',
  });
  const fetches = meter.createCounter('jwks_auth.jwks.fetches', {
    description: 'Key set fetches by issuer, reason and result',
    unit: '{fetch}',
  });
  const duration = meter.createHistogram('jwks_auth.jwks.fetch.duration', {
    description: 'Duration of key set fetches, discovery included',
    unit: 's',
    advice: { explicitBucketBoundaries: [...FETCH_DURATION_BUCKETS] },
  });
  const stale = meter.createCounter('jwks_auth.jwks.stale_served', {
    description: 'Verifications that used a key set past cacheMaxAge because refreshing it failed',
    unit: '{request}',
  });
  const replay = meter.createCounter('jwks_auth.dpop.replay_store.errors', {
    description: 'DPoP proofs refused because the replay store failed',
    unit: '{error}',
  });
  const age: ObservableGauge = meter.createObservableGauge('jwks_auth.jwks.time_since_refresh', {
    description: 'Seconds since the last successful key set fetch, per issuer',
    unit: 's',
  });
  const keys: ObservableGauge = meter.createObservableGauge('jwks_auth.jwks.keys', {
    description: 'Keys in the key set installed by the last successful fetch, per issuer',
    unit: '{key}',
  });

  const collector = collect({
    verification(context) {
      requests.add(1, {
        'jwks_auth.outcome': context.outcome!,
        ...(context.reason === undefined ? {} : { 'error.type': context.reason }),
        ...(context.issuer === undefined ? {} : { 'jwks_auth.issuer': context.issuer }),
      });
      if (context.cached !== undefined) {
        cache.add(1, { 'jwks_auth.cache.result': context.cached ? 'hit' : 'miss' });
      }
      if (isReplayStoreError(context)) replay.add(1);
    },
    fetch(context) {
      const result = fetchResult(context);
      const attributes = {
        'jwks_auth.issuer': context.issuer,
        'jwks_auth.fetch.reason': context.reason,
        'jwks_auth.fetch.result': result,
      };
      fetches.add(1, attributes);
      if (context.durationMs !== undefined) {
        duration.record(context.durationMs / 1000, {
          'jwks_auth.issuer': context.issuer,
          'jwks_auth.fetch.result': result,
        });
      }
    },
    stale(message) {
      stale.add(1, { 'jwks_auth.issuer': message.issuer });
    },
  });

  const observeAge: ObservableCallback = (result) => {
    const now = Date.now();
    for (const [issuer, state] of collector.issuers) {
      if (state.lastSuccessAt !== undefined) {
        result.observe(secondsSince(state.lastSuccessAt, now), { 'jwks_auth.issuer': issuer });
      }
    }
  };
  const observeKeys: ObservableCallback = (result) => {
    for (const [issuer, state] of collector.issuers) {
      if (state.keys !== undefined) result.observe(state.keys, { 'jwks_auth.issuer': issuer });
    }
  };
  age.addCallback(observeAge);
  keys.addCallback(observeKeys);

  return () => {
    collector.close();
    age.removeCallback(observeAge);
    keys.removeCallback(observeKeys);
  };
}
