import { createServer } from 'node:http';
import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestIssuer } from '@jwks-auth/testing';
import { TOOLS_SCOPE, createApp } from './app.js';

// The demo around ./app.ts: a local issuer, the MCP server on
// 127.0.0.1:3006 (PORT overrides; a free port if 3006 is taken), curl
// commands with freshly signed tokens, SIGINT/SIGTERM stop both. The server
// listens before the app is built: the resource identifier (and so the
// tokens' audience) carries the port.

const HOST = '127.0.0.1';
const DEFAULT_PORT = 3006;
/** Lifetime of the printed tokens, in seconds. */
const TOKEN_LIFETIME = 3600;

function requestedPort(): number | undefined {
  const raw = process.env.PORT;
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

const current: { handler?: RequestListener } = {};
const server = createServer((req, res) => current.handler!(req, res));

function listenOn(port: number): Promise<number> {
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

async function listen(): Promise<number> {
  const port = requestedPort();
  if (port !== undefined) return listenOn(port);
  try {
    return await listenOn(DEFAULT_PORT);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    console.log(
      `Port ${DEFAULT_PORT} is in use; listening on a free port instead (PORT sets one).`,
    );
    return listenOn(0);
  }
}

const issuer = await createTestIssuer();
let port: number;
try {
  port = await listen();
} catch (error) {
  await issuer.close();
  console.error(`Cannot start the MCP server: ${(error as Error).message}`);
  process.exit(1);
}
const origin = `http://${HOST}:${port}`;
const resource = `${origin}/mcp`;
current.handler = createApp({
  issuer: issuer.issuer,
  protectedResource: {
    resource,
    scopesSupported: [TOOLS_SCOPE],
    resourceName: 'jwks-auth MCP example',
  },
});

const signed = { sub: 'demo-user', aud: resource, client_id: 'demo-agent' };
const agent = await issuer.sign({ ...signed, scope: TOOLS_SCOPE }, { expiresIn: TOKEN_LIFETIME });
const noScope = await issuer.sign({ ...signed, scope: 'profile' }, { expiresIn: TOKEN_LIFETIME });
const call = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/call',
  params: { name: 'whoami', arguments: {} },
});
const post = (token?: string): string =>
  [
    'curl -i -X POST',
    ...(token === undefined ? [] : [`-H 'Authorization: Bearer ${token}'`]),
    `-H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream'`,
    `-d '${call}' ${resource}`,
  ].join(' ');

let stopping = false;
async function stop(signal: NodeJS.Signals): Promise<void> {
  if (stopping) return;
  stopping = true;
  setTimeout(() => server.closeAllConnections(), 2000).unref();
  await Promise.all([new Promise((resolve) => server.close(resolve)), issuer.close()]);
  console.log(`${signal}: stopped the MCP server and the issuer.`);
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

console.log(`
jwks-auth MCP example (streamable HTTP, stateless)
  MCP server  ${resource}
  issuer      ${issuer.issuer} (local, for the demo; audience = the resource)

One tool, whoami (needs scope ${TOOLS_SCOPE}): answers the caller's sub.
Try it (the tokens expire in ${TOKEN_LIFETIME / 60} minutes):

# 200: RFC 9728 protected resource metadata (no token needed)
curl -i ${origin}/.well-known/oauth-protected-resource/mcp

# 401: no token, WWW-Authenticate: Bearer realm="api", resource_metadata="…"
${post()}

# 200: tools/call whoami → "demo-user" (token with scope ${TOOLS_SCOPE})
${post(agent)}

# 403: insufficient_scope, scope="${TOOLS_SCOPE}" and resource_metadata (token with scope profile)
${post(noScope)}

Ctrl-C stops both servers (pid ${process.pid}).`);
