import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '@jwks-auth/testing';
import { createApp } from './app.js';

// Starts a local issuer (discovery + JWKS on an OS-chosen port), the Express
// API on 127.0.0.1:3000 (PORT overrides; a free port if 3000 is taken), and
// prints curl commands with freshly signed tokens. SIGINT/SIGTERM stop both.

const HOST = '127.0.0.1';
const DEFAULT_PORT = 3000;
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

function listenOn(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError).once('listening', onListening).listen(port, HOST);
  });
}

/** Listens on `PORT` if set, else on 3000, else (3000 taken) on a free port. */
async function listen(server: Server): Promise<number> {
  const port = requestedPort();
  if (port !== undefined) return listenOn(server, port);
  try {
    return await listenOn(server, DEFAULT_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.log(
      `Port ${DEFAULT_PORT} is in use; listening on a free port instead (PORT sets one).`,
    );
    return listenOn(server, 0);
  }
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

const issuer = await createTestIssuer();
const server = createServer(createApp({ issuer: issuer.issuer, audience: AUDIENCE }));
let api: string;
try {
  api = `http://${HOST}:${await listen(server)}`;
} catch (error) {
  await issuer.close();
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
  setTimeout(() => server.closeAllConnections(), 2000).unref();
  await Promise.all([close(server), issuer.close()]);
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
jwks-auth Express example
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
