import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '@jwks-auth/testing';

// The demo around each example's app, the same for every framework: starts a
// local issuer (discovery + JWKS on an OS-chosen port), the API on
// 127.0.0.1:<defaultPort> (PORT overrides; a free port if that one is taken),
// and prints curl commands with freshly signed tokens. SIGINT/SIGTERM stop both.
// Nothing here is needed to use jwks-auth: each example's src/app.ts is.

const HOST = '127.0.0.1';
const AUDIENCE = 'https://api.example.test';
/** Lifetime of the printed tokens, in seconds. */
const TOKEN_LIFETIME = 3600;

/** What a Fastify instance offers that the demo uses (typed here so this package needs no Fastify). */
export interface ListeningApp {
  /** Listens and resolves the address, e.g. `http://127.0.0.1:3002`. */
  listen(options: { host: string; port: number }): Promise<string>;
  close(): PromiseLike<unknown>;
  readonly server: Server;
}

export interface DemoOptions {
  /** The framework's name, for the banner: `jwks-auth <framework> example`. */
  framework: string;
  /** Where the API listens when `PORT` is not set (and it is free). */
  defaultPort: number;
  /**
   * Builds the API for the local issuer, without listening: a Node server
   * around the app (Express, Koa) or an app that listens itself (Fastify).
   */
  createApi(options: { issuer: string; audience: string }): Server | Promise<ListeningApp>;
}

/** The API as the demo drives it, whichever way it listens. */
interface Api {
  /** Listens on {@link HOST} and `port`; resolves the API's origin. */
  listen(port: number): Promise<string>;
  /** Releases what the API holds after it could not listen. */
  discard(): Promise<unknown>;
  /** Stops listening (waits for requests in flight). */
  close(): Promise<unknown>;
  /** The Node server, to cut the connections a stop is waiting for. */
  readonly server: Server;
}

/** `PORT` from the environment, or undefined to try the default port. */
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

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}

function nodeApi(server: Server): Api {
  return {
    listen: async (port) => `http://${HOST}:${await listenOn(server, port)}`,
    // A server that never listened holds nothing.
    discard: () => Promise.resolve(),
    close: () => close(server),
    server,
  };
}

function listeningApi(app: ListeningApp): Api {
  return {
    listen: (port) => app.listen({ host: HOST, port }),
    discard: async () => app.close(),
    // app.close() also closes the jwks-auth verifier (Fastify: its onClose hook).
    close: async () => app.close(),
    server: app.server,
  };
}

/** Listens on `PORT` if set, else on `defaultPort`, else (that one taken) on a free port; resolves the origin. */
async function listen(api: Api, defaultPort: number): Promise<string> {
  const port = requestedPort();
  if (port !== undefined) return api.listen(port);
  try {
    return await api.listen(defaultPort);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.log(`Port ${defaultPort} is in use; listening on a free port instead (PORT sets one).`);
    return api.listen(0);
  }
}

/**
 * Runs the demo for one example: issuer, API, banner with curl lines, and
 * shutdown on SIGINT/SIGTERM (exit code 0). Exits with code 1 if the API
 * cannot listen.
 *
 * @example
 * await runDemo({
 *   framework: 'Express',
 *   defaultPort: 3000,
 *   createApi: (options) => createServer(createApp(options)),
 * });
 */
export async function runDemo({ framework, defaultPort, createApi }: DemoOptions): Promise<void> {
  const issuer = await createTestIssuer();
  const built = await createApi({ issuer: issuer.issuer, audience: AUDIENCE });
  const api = built instanceof Server ? nodeApi(built) : listeningApi(built);
  let origin: string;
  try {
    origin = await listen(api, defaultPort);
  } catch (error) {
    await Promise.all([api.discard(), issuer.close()]);
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
      ? `curl -i ${origin}${path}`
      : `curl -i -H 'Authorization: Bearer ${token}' ${origin}${path}`;

  let stopping = false;
  async function stop(signal: NodeJS.Signals): Promise<void> {
    // pnpm forwards the terminal's SIGINT to its script, so one Ctrl-C can
    // arrive twice.
    if (stopping) return;
    stopping = true;
    // Requests in flight get a moment to finish, then their connections are cut.
    setTimeout(() => api.server.closeAllConnections(), 2000).unref();
    await Promise.all([api.close(), issuer.close()]);
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
jwks-auth ${framework} example
  API     ${origin}
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
}
