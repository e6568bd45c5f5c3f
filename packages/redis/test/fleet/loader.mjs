/**
 * Lets a child process of the fleet test run the TypeScript sources, as Jest
 * does: `@jwks-auth/<name>` resolves to `packages/<name>/src/index.ts`, a
 * relative `.js` specifier to its `.ts` file, and `.ts` files are compiled
 * with SWC (the compiler Jest uses here). Registered with
 * `node --import ./register.mjs`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFile } from 'node:fs/promises';
import swc from '@swc/core';

const root = new URL('../../../../', import.meta.url);
const PACKAGE = /^@jwks-auth\/(core|express|redis|testing)(\/common|\/adapter)?$/;

export async function resolve(specifier, context, next) {
  const pkg = PACKAGE.exec(specifier);
  if (pkg) {
    const file = pkg[2] ? `${pkg[2].slice(1)}.ts` : 'index.ts';
    return { url: new URL(`packages/${pkg[1]}/src/${file}`, root).href, shortCircuit: true };
  }
  if (
    specifier.startsWith('.') &&
    specifier.endsWith('.js') &&
    context.parentURL?.endsWith('.ts')
  ) {
    const ts = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(ts))) return { url: ts.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const source = await readFile(fileURLToPath(url), 'utf8');
  const { code } = await swc.transform(source, {
    filename: fileURLToPath(url),
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
    sourceMaps: 'inline',
  });
  return { format: 'module', source: code, shortCircuit: true };
}

export const rootUrl = pathToFileURL(fileURLToPath(root)).href;
