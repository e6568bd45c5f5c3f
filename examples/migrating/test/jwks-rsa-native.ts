/**
 * jwks-rsa as Node itself loads it, for Jest only (jest.config.ts maps
 * `jwks-rsa` here). jwks-rsa 4 is CommonJS and `require`s jose 6, which is
 * ESM-only: Node 20.19+ loads that natively (require(esm)), but Jest's own
 * CommonJS loader refuses it before Node 24.9, and Jest replaces
 * `createRequire`. A `Module` instance's `require` is still Node's loader, so
 * the module is the real one, unchanged; only the loader differs.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Module } from 'node:module';
import type JwksRsa from 'jwks-rsa';

interface NodeModuleStatics {
  _nodeModulePaths(from: string): string[];
}

const filename = fileURLToPath(import.meta.url);
const loader = new Module(filename);
loader.filename = filename;
loader.paths = (Module as unknown as NodeModuleStatics)._nodeModulePaths(dirname(filename));

const jwksRsa = loader.require('jwks-rsa') as typeof JwksRsa;

export default jwksRsa;
