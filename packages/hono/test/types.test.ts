import { describe, it } from '@jest/globals';
import { expectFixtureCompiles } from '../../../test/tsc-fixture.js';

describe('types', () => {
  it('compile, and every @ts-expect-error in test/types/variables.ts is still an error', async () => {
    // The adapter's sources are compiled too; Hono ships its own types.
    await expectFixtureCompiles(new URL('./types/tsconfig.json', import.meta.url), {
      source: new URL('../src/index.ts', import.meta.url),
      types: [],
    });
  }, 60_000);
});
