/**
 * The part both exporters share: subscribes to the core's diagnostics
 * channels and turns each finished trace into one observation for a sink.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import { CHANNELS } from '@jwks-auth/core';
import type { FetchTraceContext, StaleMessage, VerifyTraceContext } from '@jwks-auth/core';

/** What an exporter does with the observations. */
export interface Sink {
  /** A finished verification (`outcome` is set). */
  verification(context: VerifyTraceContext): void;
  /** A finished key set fetch (`outcome` is set). */
  fetch(context: FetchTraceContext): void;
  /** One use of a stale key set. */
  stale(message: StaleMessage): void;
}

/** What the collector knows of each issuer's key set, for the gauges. */
export interface IssuerState {
  /** `Date.now()` of the last successful fetch. */
  lastSuccessAt: number | undefined;
  /** Keys installed by the last successful fetch. */
  keys: number | undefined;
}

export interface Collector {
  readonly issuers: ReadonlyMap<string, IssuerState>;
  /** Unsubscribes from every channel; idempotent. */
  close(): void;
}

/**
 * Subscribes `sink` to the verification, fetch and stale channels. A sink
 * that throws never breaks verification: diagnostics_channel reports a
 * subscriber's throw on `process`'s `uncaughtException`, so every call is
 * guarded here.
 */
export function collect(sink: Sink, issuers = new Map<string, IssuerState>()): Collector {
  const guard =
    <T>(fn: (message: T) => void) =>
    (message: unknown): void => {
      try {
        fn(message as T);
      } catch {
        // An exporter's failure must not reach the request.
      }
    };

  // A synchronous outcome is known at `end`; an asynchronous one at `asyncEnd`.
  const onVerify = guard<VerifyTraceContext>((context) => {
    if (context.outcome !== undefined) sink.verification(context);
  });
  const onFetch = guard<FetchTraceContext>((context) => {
    if (context.outcome === undefined) return;
    if (context.outcome === 'success') {
      issuers.set(context.issuer, { lastSuccessAt: Date.now(), keys: context.keys });
    } else if (!issuers.has(context.issuer)) {
      issuers.set(context.issuer, { lastSuccessAt: undefined, keys: undefined });
    }
    sink.fetch(context);
  });
  const onStale = guard<StaleMessage>((message) => sink.stale(message));

  const verify = diagnosticsChannel.tracingChannel(CHANNELS.verify);
  const fetch = diagnosticsChannel.tracingChannel(CHANNELS.jwksFetch);
  const verifyHandlers = { end: onVerify, asyncEnd: onVerify };
  const fetchHandlers = { end: onFetch, asyncEnd: onFetch };
  verify.subscribe(verifyHandlers as never);
  fetch.subscribe(fetchHandlers as never);
  diagnosticsChannel.subscribe(CHANNELS.jwksStale, onStale);

  let open = true;
  return {
    issuers,
    close() {
      if (!open) return;
      open = false;
      verify.unsubscribe(verifyHandlers as never);
      fetch.unsubscribe(fetchHandlers as never);
      diagnosticsChannel.unsubscribe(CHANNELS.jwksStale, onStale);
    },
  };
}

/** Seconds since `at` (epoch ms), for the refresh age gauges. */
export function secondsSince(at: number, now = Date.now()): number {
  return Math.max(0, (now - at) / 1000);
}

/** The `result` a fetch is counted under: `success`, or the reason code of the failure in lower case. */
export function fetchResult(
  context: FetchTraceContext,
): 'success' | 'jwks_unavailable' | 'discovery_failed' {
  if (context.outcome === 'success') return 'success';
  return context.reasonCode === 'ERR_DISCOVERY_FAILED' ? 'discovery_failed' : 'jwks_unavailable';
}

/** Whether a denial is the DPoP replay store failing (`ERR_HOOK_FAILED` from the `replay` hook). */
export function isReplayStoreError(context: VerifyTraceContext): boolean {
  return context.reason === 'ERR_HOOK_FAILED' && context.hook === 'replay';
}

/** Bucket bounds of the fetch duration histograms, in seconds. */
export const FETCH_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
