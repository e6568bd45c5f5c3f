#!/usr/bin/env node
/** The `jwks-auth` executable (`npx @jwks-auth/cli ...`). */
import { main } from './main.js';

// `jwks-auth ... | head` closes the pipe early: stop quietly, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
}

process.exitCode = await main(process.argv.slice(2), process);
