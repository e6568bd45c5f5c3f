/**
 * Abort signals for a key set's requests, one fresh `AbortController` per
 * request. Cloudflare's workerd refuses `new AbortController()` in a
 * module's global scope (where apps create verifiers and Hono middleware),
 * and ties each controller to the request it was made in, so one made for
 * an earlier request cannot abort a later one's fetch. A key set runs one
 * load at a time and its requests one after another, so aborting the
 * latest controller aborts whatever is in flight.
 */
export class LazyAbort {
  private controller: AbortController | undefined;
  /** Whether `abort()` was called. */
  aborted = false;

  /** A signal for the request about to start (already aborted after `abort()`). */
  get signal(): AbortSignal {
    if (this.aborted) return AbortSignal.abort();
    this.controller = new AbortController();
    return this.controller.signal;
  }

  abort(): void {
    this.aborted = true;
    this.controller?.abort();
  }
}
