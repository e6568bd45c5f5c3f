/**
 * The command line's words: its usage text, the usage error (exit status 2),
 * and the argument parsing every command shares (`node:util` `parseArgs`).
 */
import { parseArgs } from 'node:util';

/** Exit statuses: the token (or key set) passed, was refused, or the question could not be answered. */
export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_ERROR = 2;

export const USAGE = `Usage: jwks-auth <command> [options]

Commands:
  explain <token|-> --issuer <url> --audience <aud>
                         verify a token as the middleware would and say why it
                         passes or is refused ("-" reads the token from stdin)
  check-jwks <issuer-or-jwks-url>
                         fetch and lint a key set as the verifier sees it
  issuer                 start a local test issuer and print a ready token

Options of every command:
  --json                 one JSON document on stdout, for scripts
  -h, --help             this help (or a command's: jwks-auth <command> --help)
  -V, --version          the version

Exit status: 0 accepted / no problem, 1 refused / the verifier refuses part of
the key set, 2 usage error, or the key set or issuer could not be reached.
`;

export const EXPLAIN_USAGE = `Usage: jwks-auth explain <token|-> --issuer <url> --audience <aud> [options]

Fetches discovery and the key set as the middleware would, verifies the token
with the same code and options, and prints its header and claims, the key that
verifies it (or why none fits), and the verdict: the reason code and the
RFC 6750 response the API sends.

Options:
  --issuer <url>            trusted issuer (repeatable); the token's iss must equal one
  --audience <aud>          expected audience (repeatable); "*" skips the check
  --jwks-uri <url>          key set URL (default: discovered from the issuer)
  --algorithms <list>       accepted algorithms, comma-separated (default: all asymmetric)
  --typ <typ>               expected typ header, e.g. at+jwt
  --strict                  RFC 9068 profile (typ at+jwt, iss exp aud sub client_id iat jti)
  --required-claims <list>  claims that must be present, comma-separated
  --clock-tolerance <s>     allowed clock skew in seconds (default 5)
  --max-token-age <s>       maximum age since iat in seconds
  --realm <realm>           realm of the WWW-Authenticate challenge (default api)
  --timeout <ms>            timeout of each discovery or key set request (default 5000)
  --allow-insecure-http     allow http: URLs on hosts other than loopback
  --json                    print one JSON document

Exit status: 0 accepted, 1 refused, 2 usage error or key set unavailable (503).
`;

export const CHECK_JWKS_USAGE = `Usage: jwks-auth check-jwks <issuer-or-jwks-url> [options]

Fetches a key set (through discovery when given an issuer or its metadata URL)
and lints it as the verifier sees it: keys it refuses (weak, unsupported,
private or symmetric, use/alg/key_ops that do not allow verifying), duplicate
or missing kids, x5c that does not match the key, and caching headers.

Options:
  --timeout <ms>            timeout of each request (default 5000)
  --allow-insecure-http     allow http: URLs on hosts other than loopback
  --json                    print one JSON document

Exit status: 0 no errors (warnings do not fail), 1 the verifier refuses part
of the key set, 2 usage error or the key set could not be fetched.
`;

export const ISSUER_USAGE = `Usage: jwks-auth issuer [options]

Starts @jwks-auth/testing's local issuer on 127.0.0.1 and prints its URLs and
a ready token, for trying an API by hand. It signs whatever it is asked to:
never use it as a real issuer. Runs until interrupted (Ctrl-C, SIGTERM).

Options:
  --port <port>             port to listen on (default: any free port)
  --audience <aud>          aud of the printed token (default https://api.example.test)
  --scope <scope>           scope of the printed token (default read:messages)
  --sub <sub>               sub of the printed token (default test-user)
  --alg <alg>               signing algorithm (default RS256)
  --expires-in <s>          lifetime of the printed token in seconds (default 3600)
  --json                    print one JSON line
`;

/** A mistake in the command line: usage on stderr, exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage: string = USAGE,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** A command's own flags, in `parseArgs` form. */
export type CommandOptions = Record<
  string,
  { type: 'string' | 'boolean'; multiple?: boolean; short?: string }
>;

/** The `parseArgs` configuration of a command with flags `O`. */
export interface CommandConfig<O extends CommandOptions> {
  args: string[];
  options: O & typeof COMMON_OPTIONS;
  allowPositionals: true;
  strict: true;
}

/**
 * Runs a command's strict `parseArgs` over its flags and {@link COMMON_OPTIONS},
 * positionals allowed: any unknown or malformed flag becomes a
 * {@link UsageError} carrying the command's usage.
 */
export function parseCommand<const O extends CommandOptions>(
  args: string[],
  options: O,
  usage: string,
): ReturnType<typeof parseArgs<CommandConfig<O>>> {
  const config: CommandConfig<O> = {
    args,
    options: { ...options, ...COMMON_OPTIONS },
    allowPositionals: true,
    strict: true,
  };
  try {
    return parseArgs(config);
  } catch (error) {
    throw new UsageError((error as Error).message, usage);
  }
}

/** A comma-separated list, blanks dropped. */
export function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v.length > 0);
}

/** A non-negative number given on the command line. */
export function number(name: string, value: string | undefined, usage: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed < 0) {
    throw new UsageError(
      `--${name} must be a non-negative number, got ${JSON.stringify(value)}`,
      usage,
    );
  }
  return parsed;
}

/** A non-negative integer given on the command line. */
export function integer(
  name: string,
  value: string | undefined,
  usage: string,
): number | undefined {
  const parsed = number(name, value, usage);
  if (parsed !== undefined && !Number.isSafeInteger(parsed)) {
    throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(value)}`, usage);
  }
  return parsed;
}
