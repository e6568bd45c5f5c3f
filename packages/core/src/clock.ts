import { NODE } from './platform.js';

/**
 * Durations run on a monotonic clock: a wall-clock step (NTP, a VM resume,
 * an operator) must neither freeze a backoff for an hour nor keep a removed
 * key trusted. `Date.now()` is only for token claims.
 */
export const monotonic = (): number => performance.now();

/**
 * A flag that holds for `ms` after each `start()` and is cleared by a timer
 * (unref'd, so it never keeps a process alive): a check that would compare a
 * clock reading with a deadline reads a boolean instead. A late timer only
 * makes the flag hold a little longer.
 */
export class FreshFor {
  value = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly ms: number) {}

  /** Sets the flag for `ms` (default: the whole span); a span already over clears it. */
  start(ms: number = this.ms): void {
    clearTimeout(this.timer);
    // Web runtimes (workerd) keep no timer between requests: without one the
    // flag stays false, and every check reads the clock instead.
    this.value = NODE && ms > 0;
    if (!this.value) return;
    this.timer = setTimeout(() => {
      this.value = false;
    }, ms);
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    this.value = false;
    clearTimeout(this.timer);
  }
}
