/**
 * `jwks-auth issuer`: @jwks-auth/testing's local issuer, started by hand. It
 * prints its URLs and a ready token and runs until SIGINT or SIGTERM.
 */
import { DEFAULT_CLAIMS, createTestIssuer, isTestAlg } from '@jwks-auth/testing';
import type { Io } from './io.js';
import { EXIT_OK, ISSUER_USAGE, UsageError, integer, parseCommand } from './usage.js';

/** Lifetime of the printed token: long enough to try an API by hand. */
const DEFAULT_LIFETIME = 3600;

const OPTIONS = {
  port: { type: 'string' },
  audience: { type: 'string' },
  scope: { type: 'string' },
  sub: { type: 'string' },
  alg: { type: 'string' },
  'expires-in': { type: 'string' },
} as const;

/** Runs `jwks-auth issuer`; resolves 0 once interrupted and closed. */
export async function issuer(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseCommand(args, OPTIONS, ISSUER_USAGE);
  if (values.help === true) {
    io.stdout.write(ISSUER_USAGE);
    return EXIT_OK;
  }
  if (positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`, ISSUER_USAGE);
  }
  const port = integer('port', values.port, ISSUER_USAGE) ?? 0;
  if (port > 65535) throw new UsageError('--port must be from 0 to 65535', ISSUER_USAGE);
  const alg = values.alg ?? 'RS256';
  if (!isTestAlg(alg))
    throw new UsageError(`--alg ${JSON.stringify(alg)} is not supported`, ISSUER_USAGE);
  const expiresIn = integer('expires-in', values['expires-in'], ISSUER_USAGE) ?? DEFAULT_LIFETIME;
  const audience = values.audience ?? DEFAULT_CLAIMS.aud;
  const claims: Record<string, unknown> = { aud: audience };
  if (values.scope !== undefined) claims.scope = values.scope;
  if (values.sub !== undefined) claims.sub = values.sub;

  const running = await createTestIssuer({ port, algorithms: [alg] });
  const token = await running.sign(claims, { expiresIn });
  const urls = {
    issuer: running.issuer,
    discovery: running.discoveryUrl,
    jwksUri: running.jwksUri,
    tokenEndpoint: running.tokenEndpoint,
  };
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify({ ...urls, audience, expiresIn, token })}\n`);
  } else {
    io.stdout.write(
      [
        'jwks-auth test issuer: for trying an API by hand, never a real issuer (it signs anything)',
        `issuer          ${urls.issuer}`,
        `discovery       ${urls.discovery}`,
        `jwks_uri        ${urls.jwksUri}`,
        `token endpoint  ${urls.tokenEndpoint}  (POST grant_type=client_credentials)`,
        '',
        `A token for audience ${audience}, valid ${expiresIn} s:`,
        token,
        '',
        'Try it, with TOKEN set to the token above:',
        '  curl -H "Authorization: Bearer $TOKEN" <a route of your API>',
        `  jwks-auth explain "$TOKEN" --issuer ${urls.issuer} --audience ${audience}`,
        'Stop with Ctrl-C.',
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return EXIT_OK;
}
