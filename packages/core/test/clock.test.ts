import { describe, expect, it } from '@jest/globals';
import { FreshFor } from '../src/clock.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FreshFor (the no-clock-read window of a key set)', () => {
  it('holds for the whole span after a fetch, then clears', async () => {
    const fresh = new FreshFor(40);
    fresh.start();
    expect(fresh.value).toBe(true);
    await sleep(80);
    expect(fresh.value).toBe(false);
  });

  it('holds only for what is left of a set installed already aged (adopted from a store)', async () => {
    const fresh = new FreshFor(60_000);
    fresh.start(30);
    expect(fresh.value).toBe(true);
    await sleep(70);
    expect(fresh.value).toBe(false);
  });

  it('does not set the flag for a set already past its span, and clears a running one', () => {
    const fresh = new FreshFor(60_000);
    fresh.start();
    expect(fresh.value).toBe(true);
    fresh.start(0);
    expect(fresh.value).toBe(false);
    fresh.start(-5_000);
    expect(fresh.value).toBe(false);
  });
});
