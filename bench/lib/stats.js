// Small statistics helpers.

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const min = (values) => Math.min(...values);
export const max = (values) => Math.max(...values);

/** Summary of repeated load runs: median req/s and its min–max spread, median p99. */
export function summarizeRuns(runs) {
  const rps = runs.map((r) => r.rps);
  const med = median(rps);
  return {
    rps: med,
    rpsMin: min(rps),
    rpsMax: max(rps),
    spreadPct: med > 0 ? ((max(rps) - min(rps)) / med) * 100 : NaN,
    p50Ms: median(runs.map((r) => r.latencyMs.p50)),
    p99Ms: median(runs.map((r) => r.latencyMs.p99)),
    maxMs: max(runs.map((r) => r.latencyMs.max)),
    requests: runs.reduce((s, r) => s + r.requests, 0),
    errors: runs.reduce((s, r) => s + r.errors.status + r.errors.socket + r.errors.timeout, 0),
  };
}
