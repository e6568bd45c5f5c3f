/**
 * The `jwks-auth` command: picks the command, runs it, and turns a usage
 * mistake into the usage text on stderr and exit status 2.
 */
import { createRequire } from 'node:module';
import { checkJwks } from './check-jwks.js';
import { explain } from './explain.js';
import type { Io } from './io.js';
import { issuer } from './issuer.js';
import { EXIT_ERROR, EXIT_OK, USAGE, UsageError } from './usage.js';

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = {
  explain,
  'check-jwks': checkJwks,
  issuer,
};

/** The package's version, from its package.json (one directory up from `src/` and `dist/`). */
export function version(): string {
  const pkg = createRequire(import.meta.url)('../package.json') as { version: string };
  return pkg.version;
}

/**
 * Runs the command line `args` (without `node` and the script) and resolves
 * the exit status: 0 accepted or clean, 1 refused, 2 usage error or an
 * issuer or key set that could not be reached.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), process);
 */
export async function main(args: readonly string[], io: Io): Promise<number> {
  const [first, ...rest] = args;
  if (first === '-h' || first === '--help' || first === 'help') {
    io.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (first === '-V' || first === '--version') {
    io.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  const command = first === undefined ? undefined : COMMANDS[first];
  try {
    if (command === undefined || !Object.hasOwn(COMMANDS, first!)) {
      throw new UsageError(
        first === undefined ? 'no command given' : `unknown command ${JSON.stringify(first)}`,
      );
    }
    return await command(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`jwks-auth: ${error.message}\n\n${error.usage}`);
      return EXIT_ERROR;
    }
    io.stderr.write(`jwks-auth: ${(error as Error)?.message ?? String(error)}\n`);
    return EXIT_ERROR;
  }
}
