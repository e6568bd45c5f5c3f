import type { FastifyInstance } from 'fastify';
import { createTestIssuer } from '@jwks-auth/testing';
import { buildApp } from './app.js';

// Starts a local issuer (discovery + JWKS on an OS-chosen port), the Fastify
// API on 127.0.0.1:3002 (PORT overrides; a free port if 3002 is taken), and
// prints curl commands with freshly signed tokens. SIGINT/SIGTERM stop both.

const HOST = '127.0.0.1';
const DEFAULT_PORT = 3002;
const AUDIENCE = 'https://api.example.test';
/** Lifetime of the printed tokens, in seconds. */
const TOKEN_LIFETIME = 3600;

/** `PORT` from the environment, or undefined to try {@link DEFAULT_PORT}. */
function requestedPort(): number | undefined {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

/** Listens on `PORT` if set, else on 3002, else (3002 taken) on a free port; resolves the origin. */
async function listen(app: FastifyInstance): Promise<string> {
  const port = requestedPort();
  if (port !== undefined) return app.listen({ host: HOST, port });
  try {
    return await app.listen({ host: HOST, port: DEFAULT_PORT });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.log(
      `Port ${DEFAULT_PORT} is in use; listening on a free port instead (PORT sets one).`,
    );
    return app.listen({ host: HOST, port: 0 });
  }
}

const issuer = await createTestIssuer();
const app = await buildApp({ issuer: issuer.issuer, audience: AUDIENCE });
let api: string;
try {
  api = await listen(app);
} catch (error) {
  await Promise.all([app.close(), issuer.close()]);
  console.error(`Cannot start the API: ${(error as Error).message}`);
  process.exit(1);
}

const signed = { sub: 'demo-user', aud: AUDIENCE };
const reader = await issuer.sign(
  { ...signed, scope: 'read:messages' },
  { expiresIn: TOKEN_LIFETIME },
);
const noScope = await issuer.sign({ ...signed, scope: 'profile' }, { expiresIn: TOKEN_LIFETIME });
const curl = (path: string, token?: string): string =>
  token === undefined
    ? `curl -i ${api}${path}`
    : `curl -i -H 'Authorization: Bearer ${token}' ${api}${path}`;

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  // pnpm forwards the terminal's SIGINT to its script, so one Ctrl-C can
  // arrive twice.
  if (stopping) return;
  stopping = true;
  // Requests in flight get a moment to finish, then their connections are cut.
  setTimeout(() => app.server.closeAllConnections(), 2000).unref();
  // app.close() also closes the jwks-auth verifier (its onClose hook).
  await Promise.all([app.close(), issuer.close()]);
  console.log(`${signal}: stopped the API and the issuer.`);
  // Exit now rather than once the event loop has drained: a late duplicate
  // SIGINT landing during that teardown would end the process by the signal.
  process.exit(0);
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stop(signal).catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

// Handlers first: whoever waits for this banner may signal as soon as it appears.
console.log(`
jwks-auth Fastify example
  API     ${api}
  issuer  ${issuer.issuer} (local, for the demo; audience ${AUDIENCE})

Routes: GET /public (no token), GET /api/me (any valid token: its claims),
        GET /api/messages (a token with the read:messages scope)

Try it (the tokens expire in ${TOKEN_LIFETIME / 60} minutes):

# 200: your claims (token with scope read:messages)
${curl('/api/me', reader)}

# 200: the messages (token with scope read:messages)
${curl('/api/messages', reader)}

# 401: no token, WWW-Authenticate: Bearer realm="api"
${curl('/api/me')}

# 403: insufficient_scope (token with scope profile only)
${curl('/api/messages', noScope)}

Ctrl-C stops both servers (pid ${process.pid}).`);
