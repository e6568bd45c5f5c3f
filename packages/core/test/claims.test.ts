/** The validity window (src/claims.ts): `windowBreach` and the cache's `validityInterval` agree. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { validityInterval, windowBreach } from '../src/claims.js';

const second = fc.integer({ min: 1_700_000_000, max: 1_700_010_000 });
const claim = fc.option(second, { nil: undefined });
const payload = fc.record({ iat: claim, nbf: claim, exp: claim }, { requiredKeys: [] });
const rules = fc.record({
  clockTolerance: fc.integer({ min: 0, max: 120 }),
  maxTokenAge: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
});

describe('validityInterval', () => {
  it('lies inside the window windowBreach accepts, and misses it by at most a millisecond per edge', () => {
    fc.assert(
      fc.property(
        payload,
        rules,
        fc.integer({ min: 1_699_990_000_000, max: 1_700_020_000_000 }),
        (p, r, nowMs) => {
          const { from, until } = validityInterval(p, r);
          const inside = nowMs >= from && nowMs < until;
          const accepted = windowBreach(p, r, nowMs / 1000) === undefined;
          if (inside) expect(accepted).toBe(true);
          // Away from the edges, the fast test and the exact one say the same.
          if (accepted && from !== Infinity && nowMs > from + 1 && nowMs < until - 1)
            expect(inside).toBe(true);
        },
      ),
      { numRuns: 20_000, seed: 20261201 },
    );
  });

  it('is empty for malformed claims, so the cache always asks windowBreach', () => {
    for (const p of [{ exp: '1' }, { nbf: null }, { iat: 'x' }]) {
      expect(validityInterval(p, { clockTolerance: 0, maxTokenAge: undefined })).toEqual({
        from: Infinity,
        until: -Infinity,
      });
    }
    expect(validityInterval({ exp: 10 }, { clockTolerance: 0, maxTokenAge: 60 })).toEqual({
      from: Infinity,
      until: -Infinity,
    });
  });
});
