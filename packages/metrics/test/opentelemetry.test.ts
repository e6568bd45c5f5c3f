import { afterEach, describe, expect, it } from '@jest/globals';
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { METER_NAME, openTelemetryMetrics } from '@jwks-auth/metrics';
import {
  AUD,
  cleanup,
  issuerFor,
  replayStoreFailure,
  runCleanup,
  scriptedRun,
  sleep,
  verifierFor,
} from './helpers.js';

afterEach(runCleanup);

/** A real SDK MeterProvider whose reader exports to memory on demand. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  cleanup.push(() => provider.shutdown());
  /** The data points of instrument `name` after a flush. */
  async function points(name: string): Promise<Array<DataPoint<unknown>>> {
    exporter.reset();
    await reader.forceFlush();
    const found = exporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics)
      .filter((s) => s.scope.name === METER_NAME)
      .flatMap((s) => s.metrics)
      .filter((m) => m.descriptor.name === name);
    return found.flatMap((m) => m.dataPoints as Array<DataPoint<unknown>>);
  }
  /** The value of the point whose attributes equal `attributes`. */
  async function value(name: string, attributes: Attributes): Promise<unknown> {
    const match = (await points(name)).find(
      (p) => JSON.stringify(sorted(p.attributes)) === JSON.stringify(sorted(attributes)),
    );
    return match?.value;
  }
  return { provider, points, value };
}

const sorted = (a: Attributes) => Object.fromEntries(Object.entries(a).sort());

describe('openTelemetryMetrics', () => {
  it('records requests, cache lookups, fetches and the key set gauges on a real SDK meter', async () => {
    const issuer = await issuerFor();
    const { provider, points, value } = sdk();
    cleanup.push(openTelemetryMetrics({ meterProvider: provider }));
    await scriptedRun(issuer, verifierFor(issuer));
    const iss = { 'jwks_auth.issuer': issuer.issuer };

    expect(await value('jwks_auth.requests', { 'jwks_auth.outcome': 'allowed', ...iss })).toBe(2);
    expect(
      await value('jwks_auth.requests', {
        'jwks_auth.outcome': 'denied',
        'error.type': 'ERR_TOKEN_EXPIRED',
        ...iss,
      }),
    ).toBe(1);
    expect(
      await value('jwks_auth.requests', {
        'jwks_auth.outcome': 'denied',
        'error.type': 'ERR_NO_TOKEN',
      }),
    ).toBe(1);
    expect(await value('jwks_auth.cache.lookups', { 'jwks_auth.cache.result': 'hit' })).toBe(1);
    expect(await value('jwks_auth.cache.lookups', { 'jwks_auth.cache.result': 'miss' })).toBe(2);
    expect(
      await value('jwks_auth.jwks.fetches', {
        ...iss,
        'jwks_auth.fetch.reason': 'initial',
        'jwks_auth.fetch.result': 'success',
      }),
    ).toBe(1);
    const [duration] = await points('jwks_auth.jwks.fetch.duration');
    expect((duration!.value as Histogram).count).toBe(1);
    expect(await value('jwks_auth.jwks.keys', iss)).toBe(1);
    const age = (await value('jwks_auth.jwks.time_since_refresh', iss)) as number;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(10);
    expect(JSON.stringify(await points('jwks_auth.requests'))).not.toContain(AUD);
  });

  it('records replay store errors when DPoP is on', async () => {
    const issuer = await issuerFor();
    const { provider, value } = sdk();
    cleanup.push(openTelemetryMetrics({ meter: provider.getMeter(METER_NAME) }));
    await replayStoreFailure(issuer);
    expect(await value('jwks_auth.dpop.replay_store.errors', {})).toBe(1);
  });

  it('stops recording when stopped, gauges included', async () => {
    const issuer = await issuerFor();
    const { provider, value } = sdk();
    const stop = openTelemetryMetrics({ meterProvider: provider });
    const v = verifierFor(issuer);
    const iss = { 'jwks_auth.issuer': issuer.issuer };
    await v.verify(await issuer.sign({ aud: AUD }));
    const allowed = { 'jwks_auth.outcome': 'allowed', 'jwks_auth.issuer': issuer.issuer };
    expect(await value('jwks_auth.requests', allowed)).toBe(1);
    stop();
    await v.verify(await issuer.sign({ aud: AUD }));
    expect(await value('jwks_auth.requests', allowed)).toBe(1);
    // The SDK keeps a gauge's last point; without the callback it no longer moves.
    const before = await value('jwks_auth.jwks.time_since_refresh', iss);
    await sleep(50);
    expect(await value('jwks_auth.jwks.time_since_refresh', iss)).toBe(before);
  });

  it('refuses a wrong option at once', () => {
    const { provider } = sdk();
    expect(() => openTelemetryMetrics({ meter: {} as never })).toThrow(TypeError);
    expect(() => openTelemetryMetrics({ meterProvider: {} as never })).toThrow(TypeError);
    expect(() =>
      openTelemetryMetrics({ meterProvider: provider, meter: provider.getMeter('x') }),
    ).toThrow(TypeError);
  });
});
