import { describe, it } from '@jest/globals';
import { expectFixtureCompiles } from '../../../test/tsc-fixture.js';

// One fixture, test/types/augmentation.ts, compiled against each @types/koa major;
// types-koa2/tsconfig.json maps 'koa' to the `@types/koa2` alias.
describe.each([
  { against: '@types/koa 3', project: './types/tsconfig.json', types: ['@types/koa@3'] },
  { against: '@types/koa 2', project: './types-koa2/tsconfig.json', types: ['@types/koa@2'] },
])('type augmentations against $against', ({ project, types }) => {
  it('compile, and every @ts-expect-error in test/types/augmentation.ts is still an error', async () => {
    // The adapter's sources are compiled too, against these @types only.
    await expectFixtureCompiles(new URL(project, import.meta.url), {
      source: new URL('../src/index.ts', import.meta.url),
      types,
    });
  }, 30_000);
});
