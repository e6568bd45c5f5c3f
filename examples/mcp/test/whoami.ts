import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/**
 * Calls the `whoami` tool of the MCP server at `resource` with the SDK's own
 * client, presenting `token` as a bearer token; resolves the tool's content.
 */
export async function whoami(resource: string, token: string): Promise<unknown> {
  const client = new Client({ name: 'jwks-auth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(resource), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  try {
    await client.connect(transport);
    return (await client.callTool({ name: 'whoami', arguments: {} })).content;
  } finally {
    await client.close();
  }
}
