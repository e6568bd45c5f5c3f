/**
 * Prometheus (`prom-client`) and OpenTelemetry metrics for jwks-auth, fed
 * from the core's diagnostics channels (`jwks-auth:verify`,
 * `jwks-auth:jwks.fetch`, `jwks-auth:jwks.stale`). Neither peer is loaded
 * until its function is called.
 *
 * @packageDocumentation
 */
export { prometheusMetrics } from './prometheus.js';
export type { PrometheusMetricsOptions, StopMetrics } from './prometheus.js';
export { openTelemetryMetrics, METER_NAME } from './opentelemetry.js';
export type { OpenTelemetryMetricsOptions } from './opentelemetry.js';
