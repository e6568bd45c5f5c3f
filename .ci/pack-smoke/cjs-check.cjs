/* global require, __dirname */
// require() of the ESM-only packages: Node >= 20.19 and >= 22.12 load ES
// modules without top-level await synchronously (require(esm)), no flag.
const { readFileSync } = require('node:fs');
const path = require('node:path');

const expected = JSON.parse(readFileSync(path.join(__dirname, 'expected-exports.json'), 'utf8'));
const failures = [];

if (process.features.require_module !== true) {
  console.error(
    `CJS check FAILED: Node ${process.version} has no require(esm) (process.features.require_module is not true)`,
  );
  process.exit(1);
}

for (const [name, exports] of Object.entries(expected)) {
  let mod;
  try {
    mod = require(name);
  } catch (error) {
    failures.push(`${name}: require() threw ${error.code ?? ''} ${error.message.split('\n')[0]}`);
    continue;
  }
  const missing = exports.filter((e) => mod[e] === undefined);
  if (missing.length > 0) failures.push(`${name}: missing ${missing.join(', ')}`);
  else console.log(`cjs  ok  ${name} (${exports.length} names)`);
}

// The Fastify plugin is also reachable the way CommonJS users write it.
const fastifyPlugin = require('@jwks-auth/fastify').default;
if (typeof fastifyPlugin !== 'function')
  failures.push('@jwks-auth/fastify: .default is not a function');

if (failures.length > 0) {
  console.error(`CJS check FAILED:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
