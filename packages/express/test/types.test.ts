import { describe, it } from '@jest/globals';
import { expectFixtureCompiles } from '../../../test/tsc-fixture.js';

// One fixture, test/types/augmentation.ts, compiled against each @types/express major;
// types-express4/tsconfig.json maps 'express' to the `@types/express4` alias.
describe.each([
  {
    against: '@types/express 5',
    project: './types/tsconfig.json',
    types: ['@types/express-serve-static-core@5', '@types/express@5'],
  },
  {
    against: '@types/express 4',
    project: './types-express4/tsconfig.json',
    types: ['@types/express-serve-static-core@4', '@types/express@4'],
  },
])('type augmentations against $against', ({ project, types }) => {
  it('compile, and every @ts-expect-error in test/types/augmentation.ts is still an error', async () => {
    // The adapter's sources are compiled too, against these @types only.
    await expectFixtureCompiles(new URL(project, import.meta.url), {
      source: new URL('../src/index.ts', import.meta.url),
      types,
    });
  }, 30_000);
});
