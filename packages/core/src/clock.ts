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

  start(): void {
    this.value = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.value = false;
    }, this.ms);
    this.timer.unref();
  }

  stop(): void {
    this.value = false;
    clearTimeout(this.timer);
  }
}
