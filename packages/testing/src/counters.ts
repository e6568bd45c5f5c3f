import type { RequestCounts, RequestKind } from './types.js';

/** Default timeout of {@link RequestCounter.waitFor}, in milliseconds. */
export const DEFAULT_WAIT_TIMEOUT_MS = 5000;

interface Waiter {
  kind: RequestKind;
  n: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Request counters with promise-based waiting, so tests never poll. */
export class RequestCounter {
  /** The live counts; mutated in place so references handed out stay current. */
  readonly counts: RequestCounts = { jwks: 0, discovery: 0, token: 0, total: 0 };
  readonly #waiters = new Set<Waiter>();

  /** Records one request of `kind` (`'other'` only bumps `total`). */
  record(kind: 'jwks' | 'discovery' | 'token' | 'other'): void {
    this.counts.total++;
    if (kind !== 'other') this.counts[kind]++;
    for (const waiter of this.#waiters) {
      if (this.counts[waiter.kind] >= waiter.n) this.#settle(waiter).resolve();
    }
  }

  /** Zeroes every counter; pending waiters then need `n` fresh requests. */
  reset(): void {
    this.counts.jwks = 0;
    this.counts.discovery = 0;
    this.counts.token = 0;
    this.counts.total = 0;
  }

  /** Resolves once `counts[kind] >= n`, rejecting after `timeoutMs`. */
  waitFor(kind: RequestKind, n: number, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS): Promise<void> {
    if (this.counts[kind] >= n) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        n,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#settle(waiter).reject(
            new Error(
              `Timed out after ${timeoutMs} ms waiting for ${n} ${kind} request(s); saw ${this.counts[kind]}`,
            ),
          );
        }, timeoutMs),
      };
      // A forgotten waiter must not keep the test process alive.
      waiter.timer.unref();
      this.#waiters.add(waiter);
    });
  }

  /** Rejects every pending waiter, e.g. because the server closed. */
  rejectAll(error: Error): void {
    for (const waiter of this.#waiters) this.#settle(waiter).reject(error);
  }

  #settle(waiter: Waiter): Waiter {
    clearTimeout(waiter.timer);
    this.#waiters.delete(waiter);
    return waiter;
  }
}
