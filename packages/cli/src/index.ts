/**
 * @jwks-auth/cli: the `jwks-auth` command (explain a token's verdict, lint a
 * key set, run a local test issuer). The command is the product; `main` runs
 * it in-process for tools that embed it.
 *
 * @packageDocumentation
 */
export { main, version } from './main.js';
export type { Io } from './io.js';
export { EXIT_OK, EXIT_REFUSED, EXIT_ERROR } from './usage.js';
