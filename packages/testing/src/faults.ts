import { json } from './http.js';
import type { Answer, Reply } from './http.js';
import type { FaultMode, FaultTarget } from './types.js';

/** Size of an `oversized` response when `bytes` is not given: 2 MiB. */
export const DEFAULT_OVERSIZED_BYTES = 2 * 1024 * 1024;

/** Body served by the `garbage` fault: looks like a proxy error page, is not JSON. */
export const GARBAGE_BODY = '<!doctype html><html><body>502 Bad Gateway</body></html>{"keys":';

/** The endpoint a request was for, as far as faults are concerned. */
export type FaultableKind = 'jwks' | 'discovery' | 'token';

/** Throws if `mode` is not a fault this server can simulate. */
export function assertFaultMode(mode: FaultMode): void {
  switch (mode.type) {
    case 'refuse':
    case 'hang':
    case 'garbage':
    case 'empty':
      return;
    case 'status':
      if (!Number.isInteger(mode.status) || mode.status < 200 || mode.status > 599) {
        throw new RangeError(`Fault status must be an integer in 200-599, got ${mode.status}`);
      }
      return;
    case 'slow':
      if (!(mode.delayMs >= 0)) throw new RangeError('Fault delayMs must be >= 0');
      return;
    case 'oversized':
      if (mode.bytes !== undefined && !(mode.bytes >= 0)) {
        throw new RangeError('Fault bytes must be >= 0');
      }
      return;
    default:
      throw new TypeError(`Unknown fault type: ${String((mode as { type: unknown }).type)}`);
  }
}

/** Whether a fault scoped to `target` affects a request for `kind`. */
export function faultApplies(target: FaultTarget, kind: FaultableKind): boolean {
  return target === 'all' || target === kind;
}

/**
 * The reply for faults that change the response itself (not its timing or
 * connection); `undefined` means answer normally.
 */
export function faultReply(
  mode: FaultMode,
  kind: FaultableKind,
  normal: object,
): Reply | undefined {
  switch (mode.type) {
    case 'status':
      return json(mode.status, { error: 'injected_fault', status: mode.status });
    case 'garbage':
      return { status: 200, body: GARBAGE_BODY };
    case 'empty':
      // An empty discovery document (or token response) is `{}`: equally
      // useless to a client, and a JWKS-shaped body there would be a different fault.
      return json(200, kind === 'jwks' ? { keys: [] } : {});
    case 'oversized':
      return { status: 200, body: padJson(normal, mode.bytes ?? DEFAULT_OVERSIZED_BYTES) };
    default:
      return undefined;
  }
}

/**
 * The faulted reply of an endpoint whose normal answer has to be computed per
 * request (the token endpoint). `status`, `garbage` and `empty` never run
 * `answer`, so no token is issued and no DPoP proof is used up; `oversized`
 * pads the normal answer and keeps its status and headers.
 */
export async function faultAnswer(
  mode: FaultMode,
  kind: FaultableKind,
  answer: Answer,
): Promise<Reply> {
  if (mode.type !== 'oversized') return faultReply(mode, kind, {}) ?? answer();
  const normal = await answer();
  const value = JSON.parse(normal.body) as object;
  return { ...normal, body: padJson(value, mode.bytes ?? DEFAULT_OVERSIZED_BYTES) };
}

/**
 * Serialises `value` with an extra `x-padding` member sized so the result is
 * exactly `bytes` long (or as short as possible, if `value` alone is bigger).
 * Keeping the real members means a client with no size limit still succeeds.
 */
export function padJson(value: object, bytes: number): string {
  const base = JSON.stringify({ ...value, 'x-padding': '' });
  const missing = Math.max(0, bytes - Buffer.byteLength(base));
  return JSON.stringify({ ...value, 'x-padding': 'x'.repeat(missing) });
}
