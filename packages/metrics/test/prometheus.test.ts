import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { prometheusMetrics } from '@jwks-auth/metrics';
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

function metricsOn(registry: Registry, prefix?: string) {
  const stop = prometheusMetrics(prefix === undefined ? { registry } : { registry, prefix });
  cleanup.push(stop);
  return stop;
}

/** The value of the sample `name{labels}` in the text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('prometheusMetrics', () => {
  it('counts requests by outcome and reason, cache hits and misses, fetches and the key set age', async () => {
    const issuer = await issuerFor();
    const registry = new Registry();
    metricsOn(registry);
    await scriptedRun(issuer, verifierFor(issuer));
    const text = await registry.metrics();
    const iss = `issuer="${issuer.issuer}"`;

    expect(text).toContain('# TYPE jwks_auth_requests_total counter');
    expect(sample(text, `jwks_auth_requests_total{outcome="allowed",reason="",${iss}}`)).toBe(2);
    expect(
      sample(text, `jwks_auth_requests_total{outcome="denied",reason="ERR_TOKEN_EXPIRED",${iss}}`),
    ).toBe(1);
    expect(
      sample(text, 'jwks_auth_requests_total{outcome="denied",reason="ERR_NO_TOKEN",issuer=""}'),
    ).toBe(1);
    expect(sample(text, 'jwks_auth_cache_lookups_total{result="hit"}')).toBe(1);
    expect(sample(text, 'jwks_auth_cache_lookups_total{result="miss"}')).toBe(2);
    expect(
      sample(text, `jwks_auth_jwks_fetches_total{${iss},reason="initial",result="success"}`),
    ).toBe(1);
    expect(
      sample(text, `jwks_auth_jwks_fetch_duration_seconds_count{${iss},result="success"}`),
    ).toBe(1);
    expect(sample(text, `jwks_auth_jwks_keys{${iss}}`)).toBe(1);
    const age = sample(text, `jwks_auth_jwks_time_since_refresh_seconds{${iss}}`);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(10);
    expect(text).toContain('# TYPE jwks_auth_dpop_replay_store_errors_total counter');
    expect(sample(text, 'jwks_auth_dpop_replay_store_errors_total')).toBe(0);
    // Neither tokens nor claims reach the labels.
    expect(text).not.toMatch(/eyJ/);
    expect(text).not.toContain(AUD);
  });

  it('counts a failed key set fetch by result, and the seconds since the last good one grow', async () => {
    const issuer = await issuerFor();
    const registry = new Registry();
    metricsOn(registry);
    const v = verifierFor(issuer, {
      jwksUri: issuer.jwksUri,
      cache: false,
      jwks: { cacheMaxAge: 1000, maxStaleAge: 5000, backoffInitial: 50, backoffMax: 50 },
    });
    const token = await issuer.sign({ aud: AUD });
    await v.verify(token);
    await issuer.fail({ type: 'status', status: 500 }, { only: 'jwks' });
    await sleep(1050);
    await v.verify(token); // stale: a background refresh starts and fails
    await issuer.waitForRequests('jwks', 2);
    await sleep(30);
    await v.verify(token); // stale, after the failure
    const text = await registry.metrics();
    const iss = `issuer="${issuer.issuer}"`;
    expect(
      sample(
        text,
        `jwks_auth_jwks_fetches_total{${iss},reason="expired",result="jwks_unavailable"}`,
      ),
    ).toBe(1);
    expect(sample(text, `jwks_auth_jwks_stale_served_total{${iss}}`)).toBeGreaterThanOrEqual(1);
    expect(sample(text, `jwks_auth_jwks_time_since_refresh_seconds{${iss}}`)).toBeGreaterThan(1);
    expect(sample(text, `jwks_auth_requests_total{outcome="allowed",reason="",${iss}}`)).toBe(3);
  });

  it('counts replay store errors when DPoP is on', async () => {
    const issuer = await issuerFor();
    const registry = new Registry();
    metricsOn(registry);
    await replayStoreFailure(issuer);
    const text = await registry.metrics();
    expect(sample(text, 'jwks_auth_dpop_replay_store_errors_total')).toBe(1);
    expect(
      sample(text, 'jwks_auth_requests_total{outcome="denied",reason="ERR_HOOK_FAILED",issuer=""}'),
    ).toBe(1);
  });

  it('takes a prefix, and stops counting and unregisters when stopped', async () => {
    const issuer = await issuerFor();
    const registry = new Registry();
    const stop = metricsOn(registry, 'api_');
    const v = verifierFor(issuer);
    await v.verify(await issuer.sign({ aud: AUD }));
    let text = await registry.metrics();
    expect(text).toContain('api_requests_total{outcome="allowed"');
    expect(text).not.toContain('jwks_auth_');

    stop();
    expect((await registry.metrics()).trim()).toBe('');
    // The same registry takes them again; what happened meanwhile was not counted.
    await v.verify(await issuer.sign({ aud: AUD }));
    metricsOn(registry, 'api_');
    text = await registry.metrics();
    expect(text).toContain('# TYPE api_requests_total counter');
    expect(text).not.toContain('api_requests_total{');
  });

  it('refuses a wrong option at once, and a registry that already holds its names', () => {
    expect(() => prometheusMetrics({ prefix: '1bad-' })).toThrow(TypeError);
    expect(() => prometheusMetrics({ registry: {} as Registry })).toThrow(TypeError);
    expect(() => prometheusMetrics(null as never)).toThrow(TypeError);
    const registry = new Registry();
    metricsOn(registry);
    expect(() => prometheusMetrics({ registry })).toThrow(/already has a metric/);
    // The failed call left the first set intact.
    expect(registry.getSingleMetric('jwks_auth_requests_total')).toBeDefined();
  });
});
