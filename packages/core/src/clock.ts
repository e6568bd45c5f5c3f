/**
 * Durations run on a monotonic clock: a wall-clock step (NTP, a VM resume,
 * an operator) must neither freeze a backoff for an hour nor keep a removed
 * key trusted. `Date.now()` is only for token claims.
 */
export const monotonic = (): number => performance.now();
