import type { Config } from 'jest';

// Tests run against the TypeScript sources (no build step): workspace imports
// such as `@jwks-auth/core` map to `packages/core/src/index.ts` (and
// `@jwks-auth/example-shared` to `examples/shared/src/index.ts`), and relative
// `.js` specifiers (NodeNext style) map back to their `.ts` files.
const config: Config = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleNameMapper: {
    '^@jwks-auth/(core|testing|express|koa|fastify|redis|mcp|hono|metrics|cli)$':
      '<rootDir>/packages/$1/src/index.ts',
    '^@jwks-auth/core/adapter$': '<rootDir>/packages/core/src/adapter.ts',
    '^@jwks-auth/core/common$': '<rootDir>/packages/core/src/common.ts',
    '^@jwks-auth/example-shared$': '<rootDir>/examples/shared/src/index.ts',
    // jwks-rsa requires ESM-only jose: load it with Node's own require (see the file).
    '^jwks-rsa$': '<rootDir>/examples/migrating/test/jwks-rsa-native.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  testTimeout: 20000,
};

export default config;
