/**
 * Tracing through Node's `diagnostics_channel`: a `TracingChannel` per
 * verification (`jwks-auth:verify`) and per key set fetch
 * (`jwks-auth:jwks.fetch`), and a plain channel for each use of a stale key
 * set (`jwks-auth:jwks.stale`). Their messages carry reason codes, issuers,
 * URIs and counts, never a token, a claim or an error's `cause` (a library's
 * or a hook's error may hold claims).
 *
 * The module is obtained lazily through `process.getBuiltinModule`, so the
 * core loads where no `node:` module may be imported (a Web runtime); there,
 * and on a Node without it, every channel reports no subscribers and nothing
 * is published. Callers test `hasSubscribers` first: with nobody listening a
 * verification pays one property read.
 */
import type * as DiagnosticsChannel from 'node:diagnostics_channel';
import type { AuthScheme, HookName, JwksAuthError, JwksAuthErrorCode } from './errors.js';
import type { FetchReason } from './events.js';
import type { MaybePromise, VerifyResult } from './types.js';
import { issuerOfFailure } from './verify-token.js';

/** Names of the channels jwks-auth publishes on. */
export const CHANNELS = Object.freeze({
  /** TracingChannel: one trace per `verify()` / `handle()` / `authenticate()` call. */
  verify: 'jwks-auth:verify',
  /** TracingChannel: one trace per key set fetch (discovery when needed, then the JWKS). */
  jwksFetch: 'jwks-auth:jwks.fetch',
  /** Channel: a verification was served from a key set past `cacheMaxAge` because refreshing failed. */
  jwksStale: 'jwks-auth:jwks.stale',
});

/**
 * The context object of a `jwks-auth:verify` trace. The same object is
 * passed to `start`, `end`, `asyncStart`, `asyncEnd` and `error`; the result
 * fields are filled before `end` (synchronous outcome) or before `asyncStart`
 * (asynchronous outcome), and are undefined at `start`.
 */
export interface VerifyTraceContext {
  /** `verify` for `verifier.verify(token)`, `handle` for a request (`handle`, `authenticate`, the adapters). */
  operation: 'verify' | 'handle';
  /**
   * `allowed`: a token was accepted; `denied`: the call failed (see `reason`);
   * `anonymous`: no token and credentials not required.
   */
  outcome: 'allowed' | 'denied' | 'anonymous' | undefined;
  /** The reason code of a denial. */
  reason: JwksAuthErrorCode | undefined;
  /** HTTP status of the answer: 200 when allowed or anonymous, the error's status when denied. */
  status: number | undefined;
  /** The issuer whose key set judged the token, when one was selected. */
  issuer: string | undefined;
  /**
   * Whether the token cache answered (`true`: the signature was not checked
   * again), or missed (`false`); undefined when the call never reached the
   * cache (no token, a request refused before, or the cache is off).
   */
  cached: boolean | undefined;
  /** The scheme the credentials used, when known. */
  scheme: AuthScheme | undefined;
  /** For `ERR_HOOK_FAILED`: which hook failed (`replay` is the DPoP replay store). */
  hook: HookName | undefined;
  /**
   * Set for the `error` event only: a copy of the denial with `name`,
   * `message`, `code` and `status` (no `cause`, no stack of the original).
   */
  error?: TracedError;
}

/**
 * The context object of a `jwks-auth:jwks.fetch` trace: `issuer`, `reason`
 * and `uri` (the last known JWKS URI, empty before discovery) at `start`;
 * the rest before `asyncStart`.
 */
export interface FetchTraceContext {
  issuer: string;
  /** The JWKS URI; updated once discovery has found it. */
  uri: string;
  reason: FetchReason;
  outcome: 'success' | 'failure' | undefined;
  /** The key set response's HTTP status, when a response came (200 on success). */
  status: number | undefined;
  /** Bytes of the key set document, when one was read (also on a failure it caused). */
  bytes: number | undefined;
  /** Keys installed (success only). */
  keys: number | undefined;
  /** Keys the document listed that were refused (success only). */
  refused: number | undefined;
  /** Wall time of the whole attempt in ms, discovery included. */
  durationMs: number | undefined;
  /** On failure: `ERR_DISCOVERY_FAILED` or `ERR_JWKS_UNAVAILABLE`. */
  reasonCode: 'ERR_DISCOVERY_FAILED' | 'ERR_JWKS_UNAVAILABLE' | undefined;
  /** Set for the `error` event only: a copy of the failure (no `cause`). */
  error?: TracedError;
}

/** The message of `jwks-auth:jwks.stale`. */
export interface StaleMessage {
  issuer: string;
  uri: string;
  /** Age of the key set in ms (past `cacheMaxAge`). */
  ageMs: number;
}

/** What an `error` event carries instead of the original error. */
export class TracedError extends Error {
  constructor(
    name: string,
    message: string,
    readonly code: string | undefined,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = name;
  }
}

/** The parts of a TracingChannel this module uses (present on Node, Bun, Deno). */
interface Tracing<C extends object> {
  readonly hasSubscribers: boolean;
  readonly start: DiagnosticsChannel.Channel;
  readonly end: DiagnosticsChannel.Channel;
  readonly asyncStart: DiagnosticsChannel.Channel;
  readonly asyncEnd: DiagnosticsChannel.Channel;
  readonly error: DiagnosticsChannel.Channel;
  /** Phantom: the context type. */
  readonly context?: C;
}

/** A channel with no subscribers, where no `diagnostics_channel` exists. */
const SILENT = Object.freeze({ hasSubscribers: false });

function diagnostics(): typeof DiagnosticsChannel | undefined {
  try {
    const process = (globalThis as { process?: { getBuiltinModule?: (name: string) => unknown } })
      .process;
    const dc = process?.getBuiltinModule?.('node:diagnostics_channel') as
      typeof DiagnosticsChannel | undefined;
    return typeof dc?.tracingChannel === 'function' ? dc : undefined;
  } catch {
    return undefined;
  }
}

const dc = diagnostics();

function tracing<C extends object>(name: string): Tracing<C> {
  if (dc === undefined) return SILENT as Tracing<C>;
  const channel = dc.tracingChannel(name) as unknown as Tracing<C>;
  // Node < 20.13 and Bun have no TracingChannel#hasSubscribers: ask each channel.
  if (typeof channel.hasSubscribers === 'boolean') return channel;
  const parts = [
    channel.start,
    channel.end,
    channel.asyncStart,
    channel.asyncEnd,
    channel.error,
  ] as const;
  return Object.defineProperty(Object.create(channel) as Tracing<C>, 'hasSubscribers', {
    get: () => parts.some((c) => c.hasSubscribers),
  });
}

/** `jwks-auth:verify`. Test `verifyTracing.hasSubscribers` before anything else. */
export const verifyTracing: Tracing<VerifyTraceContext> = tracing(CHANNELS.verify);
/** `jwks-auth:jwks.fetch`. */
export const fetchTracing: Tracing<FetchTraceContext> = tracing(CHANNELS.jwksFetch);
/** `jwks-auth:jwks.stale`. */
export const staleChannel: { readonly hasSubscribers: boolean; publish?(message: unknown): void } =
  dc === undefined ? SILENT : dc.channel(CHANNELS.jwksStale);

/** What a traced call's outcome tells its context. */
type Settle<C, R> = (context: C, result: R | undefined, error: unknown) => void;

/**
 * Runs `call` as one trace on `channel`: `start` (with the channel's bound
 * stores, so an AsyncLocalStorage span follows the call), then `end`; for a
 * promise, `error` (on failure), `asyncStart` and `asyncEnd` when it
 * settles: the order of `TracingChannel#tracePromise`. Unlike it, no
 * `result` is put on the context (a verification result holds the token and
 * its claims): `settle` copies what may be published.
 */
export function traced<C extends object, R>(
  channel: Tracing<C>,
  context: C,
  settle: Settle<C, R>,
  call: () => Promise<R>,
): Promise<R>;
export function traced<C extends object, R>(
  channel: Tracing<C>,
  context: C,
  settle: Settle<C, R>,
  call: () => MaybePromise<R>,
): MaybePromise<R>;
export function traced<C extends object, R>(
  channel: Tracing<C>,
  context: C,
  settle: Settle<C, R>,
  call: () => MaybePromise<R>,
): MaybePromise<R> {
  const { start, end, asyncStart, asyncEnd, error } = channel;
  const failed = (reason: unknown): void => {
    settle(context, undefined, reason);
    if (error.hasSubscribers) {
      (context as { error?: TracedError }).error = tracedError(reason);
      error.publish(context);
    }
  };
  return start.runStores(context, () => {
    let result: MaybePromise<R>;
    try {
      result = call();
    } catch (reason) {
      failed(reason);
      end.publish(context);
      throw reason;
    }
    if (!(result instanceof Promise)) {
      settle(context, result, undefined);
      end.publish(context);
      return result;
    }
    end.publish(context);
    return result.then(
      (value) => {
        settle(context, value, undefined);
        asyncStart.publish(context);
        asyncEnd.publish(context);
        return value;
      },
      (reason: unknown) => {
        failed(reason);
        asyncStart.publish(context);
        asyncEnd.publish(context);
        throw reason;
      },
    );
  });
}

/** The `error` event's stand-in for `error`: its name, message, code and status only. */
export function tracedError(error: unknown): TracedError {
  const { name, message, code, status } = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    status?: unknown;
  };
  return new TracedError(
    typeof name === 'string' ? name : 'Error',
    typeof message === 'string' ? message : 'verification failed',
    typeof code === 'string' ? code : undefined,
    typeof status === 'number' ? status : undefined,
  );
}

/** A new `jwks-auth:verify` context, before the call. */
export function verifyContext(operation: VerifyTraceContext['operation']): VerifyTraceContext {
  return {
    operation,
    outcome: undefined,
    reason: undefined,
    status: undefined,
    issuer: undefined,
    cached: undefined,
    scheme: undefined,
    hook: undefined,
  };
}

/** Copies what may be published of a verification's outcome into its context. */
export function settleVerify(
  context: VerifyTraceContext,
  result: VerifyResult | undefined,
  error: unknown,
): void {
  if (error !== undefined) {
    const err = error as Partial<JwksAuthError> & { hook?: HookName };
    context.outcome = 'denied';
    context.reason = err.code;
    context.status = err.status;
    context.scheme = err.scheme;
    context.issuer = issuerOfFailure(error);
    context.hook = err.code === 'ERR_HOOK_FAILED' ? err.hook : undefined;
    return;
  }
  context.status = 200;
  if (result === undefined) {
    context.outcome = 'anonymous';
    return;
  }
  context.outcome = 'allowed';
  context.scheme = result.scheme;
  // Verified equal to a configured issuer: configuration, not a claim of the client's choosing.
  const iss = result.payload.iss;
  context.issuer = typeof iss === 'string' ? iss : undefined;
}

/** A new `jwks-auth:jwks.fetch` context, before the attempt. */
export function fetchContext(issuer: string, uri: string, reason: FetchReason): FetchTraceContext {
  return {
    issuer,
    uri,
    reason,
    outcome: undefined,
    status: undefined,
    bytes: undefined,
    keys: undefined,
    refused: undefined,
    durationMs: undefined,
    reasonCode: undefined,
  };
}

/** Records a good key set response on a fetch context (`bytes` was set by the fetch itself). */
export function fetchedKeys(
  context: FetchTraceContext,
  uri: string,
  keys: number,
  refused: number,
): void {
  context.uri = uri;
  context.status = 200;
  context.keys = keys;
  context.refused = refused;
}

/** Copies a fetch attempt's outcome into its context. */
export function settleFetch(
  context: FetchTraceContext,
  error: unknown,
  durationMs: number,
  uri: string | undefined,
  status: number | undefined,
): void {
  context.durationMs = durationMs;
  if (uri !== undefined) context.uri = uri;
  if (error === undefined) {
    context.outcome = 'success';
    return;
  }
  context.outcome = 'failure';
  context.status = status;
  const code = (error as { code?: unknown }).code;
  context.reasonCode = code === 'ERR_DISCOVERY_FAILED' ? code : 'ERR_JWKS_UNAVAILABLE';
}
