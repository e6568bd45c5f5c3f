import express from 'express';
import type { Express, Request, Response } from 'express';
import { jwksAuth, jwksAuthErrorHandler } from '@jwks-auth/express';
import type { JwksAuthOptions } from '@jwks-auth/express';
import { claimsOf, toAuthInfo } from '@jwks-auth/mcp';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

/** The scope a token needs to use the MCP endpoint. */
export const TOOLS_SCOPE = 'mcp:tools';

/** The MCP server: one tool, `whoami`, answering with the caller's `sub`. */
export function createMcpServer(): McpServer {
  const server = new McpServer({ name: 'jwks-auth-example', version: '1.0.0' });
  server.registerTool(
    'whoami',
    { description: "The caller's subject (sub claim of the verified access token)" },
    ({ authInfo }) => ({
      content: [{ type: 'text', text: String(claimsOf(authInfo)?.sub) }],
    }),
  );
  return server;
}

type McpRequest = Parameters<StreamableHTTPServerTransport['handleRequest']>[0];
type McpResponse = Parameters<StreamableHTTPServerTransport['handleRequest']>[1];

/**
 * One stateless MCP exchange on Node's `req`/`res` (any framework's raw
 * request and response): a fresh server and transport, closed with the
 * response. `req.auth` is the SDK's `AuthInfo`, which tools get as
 * `extra.authInfo`.
 */
export async function serveMcp(req: McpRequest, res: McpResponse, body?: unknown): Promise<void> {
  const server = createMcpServer();
  // No sessionIdGenerator: stateless. JSON responses rather than SSE streams.
  const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/**
 * Builds the example MCP server without listening: streamable HTTP at the
 * path of `protectedResource.resource` (e.g. `/mcp`), stateless (one MCP
 * server and transport per request), behind jwksAuth(), which also serves the
 * RFC 9728 metadata at `/.well-known/oauth-protected-resource/mcp` and names
 * it in every 401 and 403 (`resource_metadata`). The audience is the resource.
 *
 * @example
 * const app = createApp({
 *   issuer: 'https://id.example.com',
 *   protectedResource: { resource: 'https://mcp.example.com/mcp', scopesSupported: ['mcp:tools'] },
 * });
 * app.listen(3003);
 */
export function createApp(
  options: JwksAuthOptions & { protectedResource: { resource: string } },
): Express {
  const app = express();
  const path = new URL(options.protectedResource.resource).pathname;

  // Serves the metadata document (GET, HEAD; no token), then authenticates
  // every other request: req.auth holds the verified token.
  const auth = jwksAuth(options);
  app.use(auth);

  async function handleMcp(req: Request, res: Response): Promise<void> {
    // The SDK's transport hands `req.auth` to tool handlers as `extra.authInfo`,
    // in its AuthInfo shape (clientId, scopes, expiresAt, resource, extra.claims).
    const authInfo = toAuthInfo(req.auth!, auth.verifier);
    await serveMcp(Object.assign(req, { auth: authInfo }), res, req.body);
  }

  app.post(path, auth.requiredScopes(TOOLS_SCOPE), express.json(), (req, res, next) => {
    handleMcp(req, res).catch(next);
  });
  // Stateless: no server-to-client stream, no session to end.
  app.all(path, (_req, res) => {
    res
      .set('Allow', 'POST')
      .status(405)
      .json({
        jsonrpc: '2.0',
        error: { code: -32000, message: 'Method not allowed' },
        id: null,
      });
  });

  app.use(jwksAuthErrorHandler());
  return app;
}
