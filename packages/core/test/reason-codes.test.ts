/** docs/reason-codes.md documents exactly the codes `JwksAuthErrorCode` lists, each once. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

const root = new URL('../../../', import.meta.url);
const source = readFileSync(new URL('packages/core/src/errors.ts', root), 'utf8');
const doc = readFileSync(new URL('docs/reason-codes.md', root), 'utf8');

const union = /export type JwksAuthErrorCode =([^;]*);/.exec(source)![1]!;
const codes = [...union.matchAll(/'(ERR_[A-Z_]+)'/g)].map((m) => m[1]!);
const rows = [...doc.matchAll(/^\| `(ERR_[A-Z_]+)` *\| (\d{3}) *\|/gm)].map((m) => ({
  code: m[1]!,
  status: Number(m[2]),
}));

describe('docs/reason-codes.md', () => {
  it('has one row per reason code, and no row for a code that does not exist', () => {
    expect(codes.length).toBeGreaterThan(25);
    expect(rows.map((r) => r.code).sort()).toEqual([...codes].sort());
  });

  it('states the status each error class gives its codes', () => {
    const status = Object.fromEntries(rows.map((r) => [r.code, r.status]));
    expect(status.ERR_INVALID_REQUEST).toBe(400);
    expect(status.ERR_INSUFFICIENT_SCOPE).toBe(403);
    expect(status.ERR_CLAIM_CHECK_FAILED).toBe(403);
    for (const code of [
      'ERR_JWKS_UNAVAILABLE',
      'ERR_DISCOVERY_FAILED',
      'ERR_HOOK_FAILED',
      'ERR_VERIFIER_CLOSED',
    ]) {
      expect(status[code]).toBe(503);
    }
    const other = rows.filter((r) => ![400, 403, 503].includes(r.status));
    expect(other.every((r) => r.status === 401)).toBe(true);
  });
});
